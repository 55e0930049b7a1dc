#include "rootfs-copy.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <map>
#include <utility>

#include "config.h"
#include "fd.h"
#include "runtime-error.h"

namespace hutch {

namespace {

// Every level keeps one fd per layer that has the directory: the depth is
// bounded like copy-up's, and the fd limit is raised to its hard limit.
constexpr int kMaxDepth = 256;

bool is_whiteout(const struct stat& st) { return S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0); }

// The store marks opaque directories as overlayfs does in a user namespace
// (user.overlay.opaque); trusted.* is what a rootful overlay would have written.
bool is_opaque(int dir_fd) {
  char v[2];
  for (const char* name : {"user.overlay.opaque", "trusted.overlay.opaque"}) {
    ssize_t n = fgetxattr(dir_fd, name, v, sizeof v);
    if (n == 1 && v[0] == 'y') return true;
  }
  return false;
}

// overlayfs's own metadata (and fuse-overlayfs's) is never shown inside a
// container, so it is not part of the copy either.
bool is_overlay_xattr(const char* name) {
  return strncmp(name, "user.overlay.", 13) == 0 || strncmp(name, "trusted.overlay.", 16) == 0 ||
         strncmp(name, "user.fuseoverlayfs.", 19) == 0;
}

class Copier {
 public:
  explicit Copier(int dest_root) : dest_root_(dest_root) {}

  // layers: this directory in each layer that contributes to it, top first.
  void merge_dir(const std::vector<int>& layers, int dst, const std::string& rel, int depth) {
    if (depth > kMaxDepth) throw RuntimeError("rootfs copy `/" + rel + "`: nested deeper than 256 directories");
    // Each name is taken from the topmost layer that has it.
    std::map<std::string, size_t> names;
    for (size_t i = 0; i < layers.size(); i++) {
      for (const std::string& name : list(layers[i], rel)) names.emplace(name, i);
    }
    for (const auto& [name, top] : names) {
      const std::string path = rel.empty() ? name : rel + "/" + name;
      struct stat st;
      if (fstatat(layers[top], name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) throw sys_error("rootfs copy: stat", "/" + path, errno);
      if (is_whiteout(st)) continue;
      if (S_ISDIR(st.st_mode)) {
        copy_dir(layers, top, dst, name, path, st, depth);
      } else {
        copy_leaf(layers[top], dst, name, path, st);
      }
    }
  }

 private:
  int dest_root_;
  // Hardlinked files of a layer stay hardlinked: source inode → copy path.
  std::map<std::pair<dev_t, ino_t>, std::string> links_;

  static std::vector<std::string> list(int dir_fd, const std::string& rel) {
    int dup_fd = fcntl(dir_fd, F_DUPFD_CLOEXEC, 0);
    if (dup_fd < 0) throw sys_error("rootfs copy: dup", "/" + rel, errno);
    DIR* d = fdopendir(dup_fd);
    if (d == nullptr) {
      int err = errno;
      close(dup_fd);
      throw sys_error("rootfs copy: opendir", "/" + rel, err);
    }
    std::vector<std::string> out;
    for (;;) {
      errno = 0;
      struct dirent* e = readdir(d);
      if (e == nullptr) {
        int err = errno;
        closedir(d);
        if (err != 0) throw sys_error("rootfs copy: readdir", "/" + rel, err);
        return out;
      }
      if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) out.emplace_back(e->d_name);
    }
  }

  static Fd open_dir(int parent, const std::string& name, const std::string& path) {
    Fd fd(openat(parent, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (fd.get() < 0) throw sys_error("rootfs copy: open", "/" + path, errno);
    return fd;
  }

  // A directory merges the layers from its topmost copy down to the first
  // opaque one; a lower whiteout or non-directory ends it as well.
  void copy_dir(const std::vector<int>& layers, size_t top, int dst, const std::string& name, const std::string& path,
                const struct stat& st, int depth) {
    std::vector<Fd> held;
    std::vector<int> below;
    for (size_t i = top; i < layers.size(); i++) {
      struct stat lst;
      if (i > top) {
        if (fstatat(layers[i], name.c_str(), &lst, AT_SYMLINK_NOFOLLOW) != 0) {
          if (errno == ENOENT) continue;
          throw sys_error("rootfs copy: stat", "/" + path, errno);
        }
        if (!S_ISDIR(lst.st_mode)) break;
      }
      held.push_back(open_dir(layers[i], name, path));
      below.push_back(held.back().get());
      if (is_opaque(held.back().get())) break;
    }
    if (mkdirat(dst, name.c_str(), 0700) != 0) throw sys_error("rootfs copy: mkdir", "/" + path, errno);
    Fd out = open_dir(dst, name, path);
    merge_dir(below, out.get(), path, depth + 1);
    finish(below.front(), out.get(), st, path);
  }

  void copy_leaf(int layer, int dst, const std::string& name, const std::string& path, const struct stat& st) {
    if (st.st_nlink > 1) {
      auto seen = links_.find({st.st_dev, st.st_ino});
      if (seen != links_.end()) {
        if (linkat(dest_root_, seen->second.c_str(), dst, name.c_str(), 0) != 0) throw sys_error("rootfs copy: link", "/" + path, errno);
        return;
      }
      links_[{st.st_dev, st.st_ino}] = path;
    }
    switch (st.st_mode & S_IFMT) {
      case S_IFREG: {
        Fd in(openat(layer, name.c_str(), O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC));
        if (in.get() < 0) throw sys_error("rootfs copy: open", "/" + path, errno);
        Fd out(openat(dst, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
        if (out.get() < 0) throw sys_error("rootfs copy: create", "/" + path, errno);
        copy_data(in.get(), out.get(), st, path);
        finish(in.get(), out.get(), st, path);
        return;
      }
      case S_IFLNK: {
        std::vector<char> target(static_cast<size_t>(st.st_size) + 2);
        ssize_t n = readlinkat(layer, name.c_str(), target.data(), target.size() - 1);
        if (n < 0) throw sys_error("rootfs copy: readlink", "/" + path, errno);
        target[static_cast<size_t>(n)] = '\0';
        if (symlinkat(target.data(), dst, name.c_str()) != 0) throw sys_error("rootfs copy: symlink", "/" + path, errno);
        if (fchownat(dst, name.c_str(), st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) != 0) throw sys_error("rootfs copy: chown", "/" + path, errno);
        set_times(dst, name, st, path);
        return;
      }
      case S_IFIFO:
      case S_IFSOCK: {
        if (mknodat(dst, name.c_str(), st.st_mode, 0) != 0) throw sys_error("rootfs copy: mknod", "/" + path, errno);
        Fd out(openat(dst, name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
        if (out.get() < 0) throw sys_error("rootfs copy: open", "/" + path, errno);
        const std::string proc = "/proc/self/fd/" + std::to_string(out.get());
        if (chown(proc.c_str(), st.st_uid, st.st_gid) != 0) throw sys_error("rootfs copy: chown", "/" + path, errno);
        if (chmod(proc.c_str(), st.st_mode & 07777) != 0) throw sys_error("rootfs copy: chmod", "/" + path, errno);
        set_times(dst, name, st, path);
        return;
      }
      default:
        // The layer applier never stores device nodes (a user namespace cannot create them).
        throw RuntimeError("rootfs copy `/" + path + "`: a device node in a stored layer cannot be copied");
    }
  }

  // Reflink when the filesystem shares extents, else an in-kernel copy.
  static void copy_data(int in, int out, const struct stat& st, const std::string& path) {
    if (st.st_size == 0 || ioctl(out, FICLONE, in) == 0) return;
    off_t left = st.st_size;
    while (left > 0) {
      ssize_t n = copy_file_range(in, nullptr, out, nullptr, static_cast<size_t>(left), 0);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EXDEV || errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP)) {
        copy_by_read(in, out, path);
        return;
      }
      if (n < 0) throw sys_error("rootfs copy: copy_file_range", "/" + path, errno);
      if (n == 0) break;
      left -= n;
    }
  }

  static void copy_by_read(int in, int out, const std::string& path) {
    std::vector<char> buf(1 << 16);
    for (;;) {
      ssize_t n = read(in, buf.data(), buf.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) throw sys_error("rootfs copy: read", "/" + path, errno);
      if (n == 0) return;
      for (ssize_t done = 0; done < n;) {
        ssize_t w = write(out, buf.data() + done, static_cast<size_t>(n - done));
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) throw sys_error("rootfs copy: write", "/" + path, errno);
        done += w;
      }
    }
  }

  // Owner, then xattrs (security.capability survives only after chown), then
  // the mode (chown clears set-id bits), then times.
  static void finish(int in, int out, const struct stat& st, const std::string& path) {
    if (fchown(out, st.st_uid, st.st_gid) != 0) throw sys_error("rootfs copy: chown", "/" + path, errno);
    copy_xattrs(in, out, path);
    if (fchmod(out, st.st_mode & 07777) != 0) throw sys_error("rootfs copy: chmod", "/" + path, errno);
    struct timespec times[2] = {st.st_atim, st.st_mtim};
    if (futimens(out, times) != 0) throw sys_error("rootfs copy: utimensat", "/" + path, errno);
  }

  static void copy_xattrs(int in, int out, const std::string& path) {
    ssize_t len = flistxattr(in, nullptr, 0);
    if (len < 0 && (errno == ENOTSUP || errno == EOPNOTSUPP)) return;
    if (len < 0) throw sys_error("rootfs copy: listxattr", "/" + path, errno);
    if (len == 0) return;
    std::vector<char> names(static_cast<size_t>(len));
    len = flistxattr(in, names.data(), names.size());
    if (len < 0) throw sys_error("rootfs copy: listxattr", "/" + path, errno);
    for (size_t i = 0; i < static_cast<size_t>(len);) {
      const char* name = names.data() + i;
      i += strnlen(name, static_cast<size_t>(len) - i) + 1;
      if (is_overlay_xattr(name)) continue;
      ssize_t vlen = fgetxattr(in, name, nullptr, 0);
      if (vlen < 0) throw sys_error(std::string("rootfs copy: getxattr ") + name, "/" + path, errno);
      std::vector<char> value(static_cast<size_t>(vlen) + 1);
      vlen = fgetxattr(in, name, value.data(), value.size());
      if (vlen < 0) throw sys_error(std::string("rootfs copy: getxattr ") + name, "/" + path, errno);
      if (fsetxattr(out, name, value.data(), static_cast<size_t>(vlen), 0) != 0) {
        throw sys_error(std::string("rootfs copy: setxattr ") + name, "/" + path, errno);
      }
    }
  }

  static void set_times(int dst, const std::string& name, const struct stat& st, const std::string& path) {
    struct timespec times[2] = {st.st_atim, st.st_mtim};
    if (utimensat(dst, name.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0) throw sys_error("rootfs copy: utimensat", "/" + path, errno);
  }
};

}  // namespace

int rootfs_copy_main(const std::vector<std::string>& args) {
  std::string lower, dest;
  for (size_t i = 0; i < args.size(); i++) {
    if (i + 1 < args.size() && args[i] == "--lower") lower = args[++i];
    else if (i + 1 < args.size() && args[i] == "--dest") dest = args[++i];
    else throw RuntimeError("rootfs-copy: unexpected argument `" + args[i] + "`");
  }
  if (lower.empty() || dest.empty()) throw RuntimeError("rootfs-copy: --lower and --dest are required");
  struct rlimit nofile;
  if (getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur < nofile.rlim_max) {
    nofile.rlim_cur = nofile.rlim_max;
    setrlimit(RLIMIT_NOFILE, &nofile);
  }
  Fd out(open(dest.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (out.get() < 0) throw sys_error("open", dest, errno);
  std::vector<Fd> held;
  std::vector<int> layers;
  for (const std::string& dir : split_colon(lower)) {
    if (dir.empty() || dir[0] != '/') throw RuntimeError("rootfs-copy: lower dir `" + dir + "` must be an absolute path");
    held.emplace_back(open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (held.back().get() < 0) throw sys_error("open", dir, errno);
    layers.push_back(held.back().get());
    if (is_opaque(layers.back())) break;
  }
  // The root keeps the attributes `dest` was created with, as an overlay
  // root keeps its upper dir's: traversable by every container user.
  Copier(out.get()).merge_dir(layers, out.get(), "", 0);
  return 0;
}

}  // namespace hutch
