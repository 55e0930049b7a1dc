#include "cp-tar.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "path-components.h"
#include "runtime-error.h"

namespace hutch {

namespace {

constexpr size_t kBlock = 512;

void write_all(int fd, const char* p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) throw sys_error_plain("write tar", errno);
    p += w;
    n -= static_cast<size_t>(w);
  }
}

// False at a clean end of input before the first byte.
bool read_full(int fd, char* p, size_t n) {
  size_t got = 0;
  while (got < n) {
    ssize_t r = read(fd, p + got, n - got);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) throw sys_error_plain("read tar", errno);
    if (r == 0) {
      if (got == 0) return false;
      throw RuntimeError("cp: the tar archive is truncated");
    }
    got += static_cast<size_t>(r);
  }
  return true;
}

void pad(int fd, uint64_t size) {
  static const char zeros[kBlock] = {};
  size_t rest = static_cast<size_t>((kBlock - size % kBlock) % kBlock);
  if (rest > 0) write_all(fd, zeros, rest);
}

// Octal into a fixed field (NUL-terminated); false when the value does not fit.
bool put_octal(char* field, size_t len, uint64_t v) {
  char tmp[32];
  int n = snprintf(tmp, sizeof tmp, "%0*llo", static_cast<int>(len - 1), static_cast<unsigned long long>(v));
  if (n < 0 || static_cast<size_t>(n) > len - 1) return false;
  memcpy(field, tmp, len - 1);
  field[len - 1] = '\0';
  return true;
}

// One pax extended-header record: "LEN key=value\n", LEN counting itself.
std::string pax_record(const std::string& key, const std::string& value) {
  size_t base = key.size() + value.size() + 3;
  size_t len = base + std::to_string(base).size();
  if (std::to_string(len).size() + base != len) len = base + std::to_string(len).size();
  return std::to_string(len) + " " + key + "=" + value + "\n";
}

struct Member {
  std::string name;
  std::string link;
  char type = '0';
  mode_t mode = 0;
  uint64_t uid = 0, gid = 0, size = 0;
  int64_t mtime = 0;
  unsigned dev_major = 0, dev_minor = 0;
};

void put_header(int out, const Member& m) {
  std::string pax;
  char h[kBlock] = {};
  if (m.name.size() > 100) pax += pax_record("path", m.name);
  if (m.link.size() > 100) pax += pax_record("linkpath", m.link);
  if (!put_octal(h + 108, 8, m.uid)) pax += pax_record("uid", std::to_string(m.uid));
  if (!put_octal(h + 116, 8, m.gid)) pax += pax_record("gid", std::to_string(m.gid));
  if (!put_octal(h + 124, 12, m.size)) pax += pax_record("size", std::to_string(m.size));
  if (!pax.empty()) {
    Member x;
    x.name = "PaxHeaders/" + m.name.substr(0, 80);
    x.type = 'x';
    x.mode = 0644;
    x.size = pax.size();
    put_header(out, x);
    write_all(out, pax.data(), pax.size());
    pad(out, pax.size());
  }
  memcpy(h, m.name.data(), std::min<size_t>(m.name.size(), 100));
  put_octal(h + 100, 8, m.mode & 07777);
  put_octal(h + 136, 12, m.mtime < 0 ? 0 : static_cast<uint64_t>(m.mtime));
  h[156] = m.type;
  memcpy(h + 157, m.link.data(), std::min<size_t>(m.link.size(), 100));
  memcpy(h + 257, "ustar", 6);
  memcpy(h + 263, "00", 2);
  put_octal(h + 329, 8, m.dev_major);
  put_octal(h + 337, 8, m.dev_minor);
  memset(h + 148, ' ', 8);
  unsigned sum = 0;
  for (size_t i = 0; i < kBlock; i++) sum += static_cast<unsigned char>(h[i]);
  snprintf(h + 148, 8, "%06o", sum);
  write_all(out, h, kBlock);
}

struct TreeWriter {
  int out;
  std::map<std::pair<dev_t, ino_t>, std::string> links;

  // Copies exactly `size` bytes: a file that shrank meanwhile is padded with
  // zeros, one that grew is cut, so the archive stays well-formed.
  void copy_content(int fd, uint64_t size) {
    char buf[65536];
    uint64_t left = size;
    while (left > 0) {
      ssize_t r = read(fd, buf, static_cast<size_t>(std::min<uint64_t>(left, sizeof buf)));
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) throw sys_error_plain("read file for tar", errno);
      if (r == 0) {
        memset(buf, 0, sizeof buf);
        while (left > 0) {
          size_t n = static_cast<size_t>(std::min<uint64_t>(left, sizeof buf));
          write_all(out, buf, n);
          left -= n;
        }
        break;
      }
      write_all(out, buf, static_cast<size_t>(r));
      left -= static_cast<uint64_t>(r);
    }
    pad(out, size);
  }

  // `name` empty: the top directory itself has no member (export).
  // `parent_dev`: the device of the directory being listed, 0 at the top.
  void node(int parent, const std::string& leaf, const std::string& name, const std::string& shown, bool top, dev_t parent_dev = 0) {
    struct stat st;
    if (fstatat(parent, leaf.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      // A child that vanished while the tree is walked is simply not copied.
      if (!top && errno == ENOENT) return;
      throw sys_error("stat", shown, errno);
    }
    Member m;
    m.name = name;
    m.mode = st.st_mode;
    m.uid = st.st_uid;
    m.gid = st.st_gid;
    m.mtime = st.st_mtim.tv_sec;
    if (S_ISDIR(st.st_mode)) {
      int fd = openat(parent, leaf.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (fd < 0) {
        if (!top && (errno == ENOENT || errno == ENOTDIR || errno == ELOOP)) return;
        throw sys_error("open", shown, errno);
      }
      if (!name.empty()) {
        m.type = '5';
        m.name += "/";
        put_header(out, m);
      }
      // A directory on another device is a mount point (/proc, /sys, /dev, a volume in a running
      // container): it is copied empty, as podman's export leaves mounts out. Directories of one
      // overlayfs all report the overlay's device, so this never cuts the image's own tree.
      if (parent_dev != 0 && st.st_dev != parent_dev) {
        close(fd);
        return;
      }
      DIR* d = fdopendir(fd);
      if (d == nullptr) throw sys_error("opendir", shown, errno);
      std::vector<std::string> children;
      errno = 0;
      while (struct dirent* e = readdir(d)) {
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) children.emplace_back(e->d_name);
      }
      std::sort(children.begin(), children.end());
      for (const std::string& c : children) node(fd, c, name.empty() ? c : name + "/" + c, shown + "/" + c, false, st.st_dev);
      closedir(d);
      return;
    }
    if (S_ISREG(st.st_mode)) {
      if (st.st_nlink > 1) {
        auto key = std::make_pair(st.st_dev, st.st_ino);
        auto seen = links.find(key);
        if (seen != links.end()) {
          m.type = '1';
          m.link = seen->second;
          put_header(out, m);
          return;
        }
        links.emplace(key, name);
      }
      int fd = openat(parent, leaf.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
      if (fd < 0) {
        if (!top && (errno == ENOENT || errno == ELOOP)) return;
        throw sys_error("open", shown, errno);
      }
      struct stat now;
      if (fstat(fd, &now) != 0 || !S_ISREG(now.st_mode)) {
        close(fd);
        if (!top) return;
        throw RuntimeError("cp: `" + shown + "` changed while being copied");
      }
      m.size = static_cast<uint64_t>(now.st_size);
      put_header(out, m);
      copy_content(fd, m.size);
      close(fd);
      return;
    }
    if (S_ISLNK(st.st_mode)) {
      std::vector<char> buf(static_cast<size_t>(st.st_size) + 2);
      ssize_t n = readlinkat(parent, leaf.c_str(), buf.data(), buf.size());
      if (n < 0) {
        if (!top && errno == ENOENT) return;
        throw sys_error("readlink", shown, errno);
      }
      m.type = '2';
      m.link.assign(buf.data(), static_cast<size_t>(n));
      put_header(out, m);
      return;
    }
    if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) || S_ISFIFO(st.st_mode)) {
      m.type = S_ISCHR(st.st_mode) ? '3' : S_ISBLK(st.st_mode) ? '4' : '6';
      m.dev_major = major(st.st_rdev);
      m.dev_minor = minor(st.st_rdev);
      put_header(out, m);
    }
    // Sockets have no tar representation.
  }
};

uint64_t parse_number(const char* field, size_t len) {
  // GNU base-256 for values an octal field cannot hold.
  if (static_cast<unsigned char>(field[0]) & 0x80) {
    uint64_t v = static_cast<unsigned char>(field[0]) & 0x7f;
    for (size_t i = 1; i < len; i++) v = (v << 8) | static_cast<unsigned char>(field[i]);
    return v;
  }
  uint64_t v = 0;
  size_t i = 0;
  while (i < len && (field[i] == ' ' || field[i] == '\0')) i++;
  for (; i < len && field[i] >= '0' && field[i] <= '7'; i++) v = v * 8 + static_cast<uint64_t>(field[i] - '0');
  return v;
}

std::string field_string(const char* field, size_t len) { return std::string(field, strnlen(field, len)); }

std::string read_data(int in, uint64_t size) {
  if (size > (1u << 20)) throw RuntimeError("cp: a tar metadata member is larger than 1 MiB");
  std::string s(static_cast<size_t>((size + kBlock - 1) / kBlock * kBlock), '\0');
  if (!s.empty() && !read_full(in, &s[0], s.size())) throw RuntimeError("cp: the tar archive is truncated");
  s.resize(static_cast<size_t>(size));
  return s;
}

void skip_data(int in, uint64_t size) {
  char buf[kBlock];
  for (uint64_t left = (size + kBlock - 1) / kBlock; left > 0; left--) {
    if (!read_full(in, buf, kBlock)) throw RuntimeError("cp: the tar archive is truncated");
  }
}

void parse_pax(const std::string& data, Member* m, bool* have_path, bool* have_link) {
  size_t pos = 0;
  while (pos < data.size()) {
    size_t space = data.find(' ', pos);
    if (space == std::string::npos) break;
    size_t len = std::stoul(data.substr(pos, space - pos));
    if (len == 0 || pos + len > data.size()) throw RuntimeError("cp: malformed pax header in the tar archive");
    std::string rec = data.substr(space + 1, len - (space - pos) - 2);
    size_t eq = rec.find('=');
    if (eq != std::string::npos) {
      std::string k = rec.substr(0, eq), v = rec.substr(eq + 1);
      if (k == "path") {
        m->name = v;
        *have_path = true;
      } else if (k == "linkpath") {
        m->link = v;
        *have_link = true;
      } else if (k == "size") {
        m->size = std::stoull(v);
      } else if (k == "uid") {
        m->uid = std::stoull(v);
      } else if (k == "gid") {
        m->gid = std::stoull(v);
      }
    }
    pos += len;
  }
}

// Archive names are relative to the destination: "/" and "." vanish, ".." is refused.
std::vector<std::string> split_member(const std::string& name) {
  std::vector<std::string> parts;
  for_each_path_component(name, [&](const std::string& part) {
    if (part == "..") throw RuntimeError("cp: archive member `" + name + "` would leave the destination directory");
    parts.push_back(part);
  });
  return parts;
}

std::string joined(const std::vector<std::string>& parts, size_t n) {
  std::string s;
  for (size_t i = 0; i < n; i++) s += (i ? "/" : "") + parts[i];
  return s;
}

// Opens the directory holding parts[n-1] below dir_fd, one component at a
// time without following symlinks, creating missing directories when asked.
int open_parent(int dir_fd, const std::vector<std::string>& parts, bool create) {
  int cur = fcntl(dir_fd, F_DUPFD_CLOEXEC, 0);
  if (cur < 0) throw sys_error_plain("dup", errno);
  for (size_t i = 0; i + 1 < parts.size(); i++) {
    int next = openat(cur, parts[i].c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (next < 0 && errno == ENOENT && create) {
      if (mkdirat(cur, parts[i].c_str(), 0755) != 0 && errno != EEXIST) throw sys_error("mkdir", joined(parts, i + 1), errno);
      next = openat(cur, parts[i].c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    }
    int err = errno;
    close(cur);
    if (next < 0) {
      if (err == ELOOP || err == ENOTDIR) throw RuntimeError("cp: `" + joined(parts, i + 1) + "` in the destination is not a directory (a symlink is never followed)");
      throw sys_error("open", joined(parts, i + 1), err);
    }
    cur = next;
  }
  return cur;
}

struct Extractor {
  int in;
  int dir_fd;
  const ExtractOptions& opt;
  int skipped = 0;

  void write_content(int fd, uint64_t size) {
    char buf[65536];
    uint64_t blocks = (size + kBlock - 1) / kBlock * kBlock;
    uint64_t left = blocks;
    while (left > 0) {
      size_t n = static_cast<size_t>(std::min<uint64_t>(left, sizeof buf));
      if (!read_full(in, buf, n)) throw RuntimeError("cp: the tar archive is truncated");
      uint64_t done = blocks - left;
      if (done < size) write_all(fd, buf, static_cast<size_t>(std::min<uint64_t>(n, size - done)));
      left -= n;
    }
  }

  void attributes(int parent, const std::string& leaf, const Member& m, const std::string& shown) {
    uid_t uid = opt.keep_owners ? static_cast<uid_t>(m.uid) : opt.uid;
    gid_t gid = opt.keep_owners ? static_cast<gid_t>(m.gid) : opt.gid;
    if (fchownat(parent, leaf.c_str(), uid, gid, AT_SYMLINK_NOFOLLOW) != 0) {
      throw sys_error("chown", shown + " to " + std::to_string(uid) + ":" + std::to_string(gid), errno);
    }
    // chmod after chown: chown clears setuid/setgid.
    if (m.type != '2' && fchmodat(parent, leaf.c_str(), m.mode & 07777, 0) != 0) throw sys_error("chmod", shown, errno);
    struct timespec times[2] = {{0, UTIME_OMIT}, {static_cast<time_t>(m.mtime), 0}};
    if (utimensat(parent, leaf.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0) throw sys_error("utimensat", shown, errno);
  }

  void entry(Member& m) {
    std::vector<std::string> parts = split_member(m.name);
    if (!opt.rename_top.empty()) {
      if (parts.empty()) parts.push_back(opt.rename_top);
      else parts[0] = opt.rename_top;
    }
    const bool has_data = m.type == '0' || m.type == '\0' || m.type == '7';
    if (parts.empty()) {
      // The destination directory itself: it keeps its own attributes.
      if (has_data) throw RuntimeError("cp: the archive's top member is a file but the destination is a directory");
      return;
    }
    std::string shown = joined(parts, parts.size());
    if (m.type == '3' || m.type == '4') {
      skipped++;
      return;
    }
    int parent = open_parent(dir_fd, parts, true);
    const std::string& leaf = parts.back();
    struct stat old;
    bool exists = fstatat(parent, leaf.c_str(), &old, AT_SYMLINK_NOFOLLOW) == 0;
    if (m.type == '5') {
      if (exists && !S_ISDIR(old.st_mode)) {
        if (unlinkat(parent, leaf.c_str(), 0) != 0) throw sys_error("unlink", shown, errno);
        exists = false;
      }
      if (!exists && mkdirat(parent, leaf.c_str(), 0700) != 0) throw sys_error("mkdir", shown, errno);
      attributes(parent, leaf, m, shown);
      close(parent);
      return;
    }
    if (exists) {
      if (S_ISDIR(old.st_mode)) throw RuntimeError("cp: cannot overwrite directory `" + shown + "` with a non-directory");
      if (unlinkat(parent, leaf.c_str(), 0) != 0) throw sys_error("unlink", shown, errno);
    }
    if (has_data) {
      int fd = openat(parent, leaf.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
      if (fd < 0) throw sys_error("create", shown, errno);
      write_content(fd, m.size);
      if (close(fd) != 0) throw sys_error("close", shown, errno);
    } else if (m.type == '2') {
      if (symlinkat(m.link.c_str(), parent, leaf.c_str()) != 0) throw sys_error("symlink", shown, errno);
    } else if (m.type == '1') {
      std::vector<std::string> target = split_member(m.link);
      if (!opt.rename_top.empty() && !target.empty()) target[0] = opt.rename_top;
      if (target.empty()) throw RuntimeError("cp: hardlink `" + shown + "` has no target");
      int tparent = open_parent(dir_fd, target, false);
      // No AT_SYMLINK_FOLLOW: a link to a symlink links the symlink itself.
      int rc = linkat(tparent, target.back().c_str(), parent, leaf.c_str(), 0);
      int err = errno;
      close(tparent);
      if (rc != 0) throw sys_error("link", shown, err);
      close(parent);
      return;
    } else if (m.type == '6') {
      if (mknodat(parent, leaf.c_str(), S_IFIFO | 0600, 0) != 0) throw sys_error("mkfifo", shown, errno);
    } else {
      close(parent);
      skipped++;
      return;
    }
    attributes(parent, leaf, m, shown);
    close(parent);
  }

  void run() {
    char h[kBlock];
    Member m;
    bool have_path = false, have_link = false, pax_uid = false, pax_gid = false, pax_size = false;
    int zeros = 0;
    while (read_full(in, h, kBlock)) {
      if (std::all_of(h, h + kBlock, [](char c) { return c == '\0'; })) {
        if (++zeros == 2) break;
        continue;
      }
      zeros = 0;
      unsigned sum = 0;
      for (size_t i = 0; i < kBlock; i++) sum += (i >= 148 && i < 156) ? ' ' : static_cast<unsigned char>(h[i]);
      if (parse_number(h + 148, 8) != sum) throw RuntimeError("cp: not a tar archive (header checksum mismatch)");
      char type = h[156];
      uint64_t size = parse_number(h + 124, 12);
      if (type == 'x') {
        std::string data = read_data(in, size);
        parse_pax(data, &m, &have_path, &have_link);
        pax_uid = data.find(" uid=") != std::string::npos;
        pax_gid = data.find(" gid=") != std::string::npos;
        pax_size = data.find(" size=") != std::string::npos;
        continue;
      }
      if (type == 'L' || type == 'K') {
        std::string v = read_data(in, size);
        v.resize(strnlen(v.c_str(), v.size()));
        if (type == 'L') {
          m.name = v;
          have_path = true;
        } else {
          m.link = v;
          have_link = true;
        }
        continue;
      }
      if (type == 'g') {
        skip_data(in, size);
        continue;
      }
      if (!have_path) {
        std::string prefix = memcmp(h + 257, "ustar", 5) == 0 ? field_string(h + 345, 155) : "";
        m.name = (prefix.empty() ? "" : prefix + "/") + field_string(h, 100);
      }
      if (!have_link) m.link = field_string(h + 157, 100);
      m.type = type;
      m.mode = static_cast<mode_t>(parse_number(h + 100, 8));
      if (!pax_uid) m.uid = parse_number(h + 108, 8);
      if (!pax_gid) m.gid = parse_number(h + 116, 8);
      if (!pax_size) m.size = size;
      m.mtime = static_cast<int64_t>(parse_number(h + 136, 12));
      if (m.type != '0' && m.type != '\0' && m.type != '7') {
        // Only regular files carry data that is extracted; anything else's is skipped.
        uint64_t data = m.size;
        m.size = 0;
        entry(m);
        skip_data(in, data);
      } else {
        entry(m);
      }
      m = Member();
      have_path = have_link = pax_uid = pax_gid = pax_size = false;
    }
  }
};

}  // namespace

void tar_write_tree(int out, int parent_fd, const std::string& leaf, const std::string& prefix, const std::string& shown) {
  TreeWriter w{out, {}};
  w.node(parent_fd, leaf, prefix, shown, true);
  static const char zeros[2 * kBlock] = {};
  write_all(out, zeros, sizeof zeros);
}

int tar_extract(int in, int dir_fd, const ExtractOptions& options) {
  Extractor e{in, dir_fd, options};
  e.run();
  return e.skipped;
}

}  // namespace hutch
