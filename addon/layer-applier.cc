#include "layer-applier.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include <utility>

#include "layer-failure.h"
#include "layer-fs.h"
#include "layer-names.h"
#include "runtime-error.h"
#include "sys-error.h"

namespace hutch {

namespace {

constexpr size_t kDirCacheMax = 64;

// A problem with one entry; reported as "layer D: entry `p`: <message>".
struct EntryError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The applier was told to stop (the layers below failed).
struct Stopped {};

std::string join(const std::vector<std::string>& parts, size_t n) {
  std::string s;
  for (size_t i = 0; i < n; i++) {
    if (i > 0) s += '/';
    s += parts[i];
  }
  return s;
}

bool under(const std::string& path, const std::string& rel) {
  return path == rel || (path.size() > rel.size() && path.compare(0, rel.size(), rel) == 0 && path[rel.size()] == '/');
}

}  // namespace

// What the merged layers show at a path (src/storage: lookupInLowers).
struct LayerApplier::Found {
  enum Kind { kAbsent, kFound, kThroughSymlink } kind = kAbsent;
  std::string at;      // kThroughSymlink: the symlink's path
  Fd parent;           // kFound: the directory holding it
  std::string leaf;
  struct stat st = {};
  size_t layer = 0;    // index in the layers searched
};

LayerApplier::LayerApplier(const ApplyOptions& options) : opt_(options) {
  root_ = open(opt_.target.c_str(), kLayerDirFlags);
  if (root_ < 0) {
    if (errno == ELOOP || errno == ENOTDIR) {
      throw host_failure("EUNSAFEDIR", "layer target `" + opt_.target + "` is not a directory (a symlink?)", "");
    }
    throw LayerFailure{"SystemError", strerrorname_np(errno) ? strerrorname_np(errno) : "EIO",
                       "open `" + opt_.target + "`: " + errno_text(errno), ""};
  }
  known_dirs_.insert("");
}

LayerApplier::~LayerApplier() {
  for (auto& kv : dir_cache_) close(kv.second);
  for (int fd : lower_fds_) close(fd);
  if (root_ >= 0) close(root_);
}

std::string LayerApplier::abs(const Parts& parts, size_t n) const {
  return n == 0 ? opt_.target : opt_.target + "/" + join(parts, n);
}

// An fd of the directory parts[0..n) of this layer, opened one component at a
// time from the root (or the nearest cached ancestor) with O_NOFOLLOW: a
// symlink anywhere on the way fails instead of being followed.
int LayerApplier::dir_fd(const Parts& parts, size_t n) {
  if (n == 0) return root_;
  std::string rel = join(parts, n);
  auto hit = dir_cache_.find(rel);
  if (hit != dir_cache_.end()) return hit->second;
  size_t from = n - 1;
  int base = root_;
  for (; from > 0; from--) {
    auto anc = dir_cache_.find(join(parts, from));
    if (anc != dir_cache_.end()) {
      base = anc->second;
      break;
    }
  }
  Fd cur;
  for (size_t i = from; i < n; i++) {
    int next = openat(cur.get() >= 0 ? cur.get() : base, parts[i].c_str(), kLayerDirFlags);
    if (next < 0) throw SysError("open", errno, abs(parts, i + 1));
    cur = Fd(next);
  }
  if (dir_cache_.size() >= kDirCacheMax) {
    for (auto& kv : dir_cache_) close(kv.second);
    dir_cache_.clear();
  }
  int fd = cur.release();
  dir_cache_.emplace(rel, fd);
  return fd;
}

void LayerApplier::forget_dirs_under(const std::string& rel) {
  for (auto it = dir_cache_.begin(); it != dir_cache_.end();) {
    if (under(it->first, rel)) {
      close(it->second);
      it = dir_cache_.erase(it);
    } else {
      ++it;
    }
  }
  for (auto it = known_dirs_.begin(); it != known_dirs_.end();) it = under(*it, rel) ? known_dirs_.erase(it) : std::next(it);
  for (auto it = dir_times_.begin(); it != dir_times_.end();) it = under(it->first, rel) ? dir_times_.erase(it) : std::next(it);
}

// Makes parts[0..n) and each of its parents a real directory of this layer. A
// parent that is a symlink can only come from this layer (each layer has its
// own dir), and following it could leave the root: refused, as umoci does.
void LayerApplier::ensure_dirs(const Parts& parts, size_t n) {
  for (size_t i = 1; i <= n; i++) {
    std::string rel = join(parts, i);
    if (known_dirs_.count(rel) != 0) continue;
    struct stat st;
    int parent = dir_fd(parts, i - 1);
    if (!lstat_at(parent, parts[i - 1], &st, abs(parts, i))) {
      create_implicit_dir(parts, i, false);
    } else if (S_ISDIR(st.st_mode)) {
      known_dirs_.insert(rel);
    } else if (is_whiteout(st)) {
      if (unlinkat(parent, parts[i - 1].c_str(), 0) != 0) throw SysError("unlink", errno, abs(parts, i));
      create_implicit_dir(parts, i, true);
    } else if (S_ISLNK(st.st_mode)) {
      throw EntryError("parent `" + rel + "` is a symlink in this layer; refusing to follow it");
    } else {
      throw EntryError("parent `" + rel + "` is not a directory");
    }
  }
}

// Creates a directory the tar did not list. In overlayfs the topmost copy of
// a directory supplies its attributes, so it copies those of the directory
// the lower layers show (root-owned 0755 when there is none). `opaque`: it
// replaces this layer's whiteout, so lower contents must stay hidden.
void LayerApplier::create_implicit_dir(const Parts& parts, size_t n, bool opaque) {
  Parts prefix(parts.begin(), parts.begin() + static_cast<long>(n));
  Found lower = lookup(lowers(), prefix);
  const bool model = lower.kind == Found::kFound && S_ISDIR(lower.st.st_mode);
  if (mkdirat(dir_fd(parts, n - 1), parts[n - 1].c_str(), 0700) != 0) throw SysError("mkdir", errno, abs(parts, n));
  int fd = dir_fd(parts, n);
  std::string rel = join(parts, n);
  if (model) {
    owner(fchown(fd, lower.st.st_uid, lower.st.st_gid), lower.st.st_uid, lower.st.st_gid, abs(parts, n));
    dir_times_[rel] = lower.st.st_mtim;
  }
  if (fchmod(fd, model ? lower.st.st_mode & 07777 : 0755) != 0) throw SysError("chmod", errno, abs(parts, n));
  if (opaque) set_opaque(fd, abs(parts, n));
  known_dirs_.insert(rel);
}

// The lower diff dirs' fds, once they are complete.
const std::vector<int>& LayerApplier::lowers() {
  if (lowers_ready_ || opt_.lowers.empty()) return lower_fds_;
  if (opt_.lowers_pending) {
    // The parent writes one byte when the lowers are stored, and closes the pipe when they never will be.
    for (;;) {
      char byte;
      ssize_t n = read(opt_.lowers_fd, &byte, 1);
      if (n == 1) break;
      if (n == 0) throw Stopped{};
      if (errno == EINTR) continue;
      if (errno == EAGAIN) {
        struct pollfd p = {opt_.lowers_fd, POLLIN, 0};
        poll(&p, 1, -1);
        continue;
      }
      throw SysError("read lowers-ready pipe", errno);
    }
  }
  for (const std::string& path : opt_.lowers) {
    int fd = open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) throw SysError("open", errno, path);
    lower_fds_.push_back(fd);
  }
  lowers_ready_ = true;
  return lower_fds_;
}

// Resolves `parts` through `layers` (diff dir fds, topmost first) as
// overlayfs merges them, without following any symlink. A whiteout or a
// non-directory at any prefix hides everything below it; an opaque directory
// hides the same prefix in every layer further down.
LayerApplier::Found LayerApplier::lookup(const std::vector<int>& layers, const Parts& parts) {
  Found r;
  if (parts.empty()) return r;
  for (size_t li = 0; li < layers.size(); li++) {
    bool stop_below = false;
    Fd cur;
    for (size_t i = 0; i < parts.size(); i++) {
      int dir = cur.get() >= 0 ? cur.get() : layers[li];
      struct stat st;
      if (fstatat(dir, parts[i].c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
        if (errno == ENOENT || errno == ENOTDIR) break;
        throw SysError("lstat", errno, join(parts, i + 1));
      }
      if (is_whiteout(st)) return r;
      if (i + 1 == parts.size()) {
        r.kind = Found::kFound;
        r.parent = cur.get() >= 0 ? std::move(cur) : Fd(fcntl(dir, F_DUPFD_CLOEXEC, 0));
        if (r.parent.get() < 0) throw SysError("dup", errno);
        r.leaf = parts[i];
        r.st = st;
        r.layer = li;
        return r;
      }
      if (S_ISLNK(st.st_mode)) {
        r.kind = Found::kThroughSymlink;
        r.at = join(parts, i + 1);
        return r;
      }
      if (!S_ISDIR(st.st_mode)) return r;
      Fd next(openat(dir, parts[i].c_str(), kLayerDirFlags));
      if (next.get() < 0) throw SysError("open", errno, join(parts, i + 1));
      cur = std::move(next);
      if (is_opaque(cur.get())) stop_below = true;
    }
    if (stop_below) return r;
  }
  return r;
}

// Removes whatever this layer has at `parts` (a directory with its contents).
bool LayerApplier::remove_existing(const Parts& parts) {
  const size_t n = parts.size();
  int parent = dir_fd(parts, n - 1);
  struct stat st;
  if (!lstat_at(parent, parts[n - 1], &st, abs(parts, n))) return false;
  if (!S_ISDIR(st.st_mode)) {
    if (unlinkat(parent, parts[n - 1].c_str(), 0) != 0) throw SysError("unlink", errno, abs(parts, n));
    return true;
  }
  forget_dirs_under(join(parts, n));
  remove_dir(parent, parts[n - 1], abs(parts, n));
  return true;
}

void LayerApplier::owner(int rc, uint64_t uid, uint64_t gid, const std::string& path) {
  if (rc == 0) return;
  // EINVAL: the id has no mapping in this user namespace.
  if (errno != EINVAL) throw SysError("chown", errno, path);
  if (opt_.ignore_chown_errors) return;
  throw host_failure("EIDMAP",
                     "layer " + opt_.layer_digest + ": entry `" + current_ + "`: uid " + std::to_string(uid) + " / gid " +
                         std::to_string(gid) + " is outside the subordinate id ranges",
                     "give your user a larger range in /etc/subuid and /etc/subgid (65536 ids, as podman expects)");
}

// Sets one xattr on an open fd, or (fd < 0) on `leaf` in `parent` without
// following it. A filesystem (or a symlink, for user.*) that cannot hold the
// attribute degrades to one warning, like containers/storage.
void LayerApplier::set_xattr(int fd, int parent, const std::string& leaf, const std::string& name, const std::string& value) {
  int rc = fd >= 0 ? fsetxattr(fd, name.c_str(), value.data(), value.size(), 0)
                   : lsetxattr(via_fd(parent, leaf).c_str(), name.c_str(), value.data(), value.size(), 0);
  if (rc == 0) return;
  if (errno != EOPNOTSUPP && errno != EPERM) throw SysError("lsetxattr " + name, errno, opt_.target + "/" + current_);
  std::string code = strerrorname_np(errno);
  if (!xattr_warnings_.insert(name + ":" + code).second) return;
  out_.warnings.push_back("layer " + opt_.layer_digest + ": could not set xattr " + name + " on `" + current_ + "`" +
                          (fd < 0 ? " (a symlink)" : "") + ": " + code);
}

void LayerApplier::apply_xattrs(int fd, int parent, const std::string& leaf, const TarEntry& e) {
  for (const auto& kv : e.xattrs) {
    if (is_forbidden_xattr(kv.first)) continue;
    set_xattr(fd, parent, leaf, kv.first, kv.second);
  }
}

void LayerApplier::entry(TarReader& tar, const TarEntry& e) {
  Parts parts = split_entry_name(e.path);
  if (!parts.empty()) {
    std::string target;
    switch (classify_whiteout(parts.back(), &target)) {
      case WhiteoutKind::kOpaque:
        parts.pop_back();
        mark_opaque(parts);
        return;
      case WhiteoutKind::kWhiteout:
        parts.back() = target;
        whiteout(parts);
        return;
      case WhiteoutKind::kMeta:
        return;
      case WhiteoutKind::kNone:
        break;
    }
  }
  switch (e.type) {
    case '5':
    case 'D':
      directory(parts, e);
      return;
    case '0':
    case '7':
      file(parts, e, tar);
      return;
    case '2':
      symlink(parts, e);
      return;
    case '1':
      hardlink(parts, e);
      return;
    case '6':
      fifo(parts, e);
      return;
    case '3':
    case '4':
      devices_++;
      return;
    default:
      throw EntryError(std::string("unsupported entry type ") + e.type);
  }
}

// `.wh..wh..opq`: hides every lower child of the directory; this layer's own children stay.
void LayerApplier::mark_opaque(const Parts& dir) {
  ensure_dirs(dir, dir.size());
  set_opaque(dir_fd(dir, dir.size()), abs(dir, dir.size()));
}

// `.wh.<name>`: hides <name> of the lower layers. Whiteouts never hide an
// entry of their own layer: a directory this layer already created becomes
// opaque instead (lower children hidden, its own kept); a non-directory
// already hides the lower path by itself.
void LayerApplier::whiteout(const Parts& parts) {
  const size_t n = parts.size();
  ensure_dirs(parts, n - 1);
  int parent = dir_fd(parts, n - 1);
  struct stat st;
  if (!lstat_at(parent, parts[n - 1], &st, abs(parts, n))) {
    // Since Linux 5.8 an unprivileged caller may create exactly this device.
    if (mknodat(parent, parts[n - 1].c_str(), S_IFCHR | 0, makedev(0, 0)) != 0) throw SysError("mknod whiteout", errno, abs(parts, n));
  } else if (S_ISDIR(st.st_mode)) {
    set_opaque(dir_fd(parts, n), abs(parts, n));
  }
}

void LayerApplier::directory(const Parts& parts, const TarEntry& e) {
  const size_t n = parts.size();
  if (n > 0) {
    ensure_dirs(parts, n - 1);
    struct stat st;
    bool exists = lstat_at(dir_fd(parts, n - 1), parts[n - 1], &st, abs(parts, n));
    if (!exists || !S_ISDIR(st.st_mode)) {
      if (exists) remove_existing(parts);
      if (mkdirat(dir_fd(parts, n - 1), parts[n - 1].c_str(), 0700) != 0) throw SysError("mkdir", errno, abs(parts, n));
      // Replacing this layer's whiteout: the lower directory was deleted, its children must not reappear.
      if (exists && is_whiteout(st)) set_opaque(dir_fd(parts, n), abs(parts, n));
    }
    known_dirs_.insert(join(parts, n));
  }
  int fd = dir_fd(parts, n);
  owner(fchown(fd, static_cast<uid_t>(e.uid), static_cast<gid_t>(e.gid)), e.uid, e.gid, abs(parts, n));
  apply_xattrs(fd, -1, "", e);
  if (fchmod(fd, e.mode) != 0) throw SysError("chmod", errno, abs(parts, n));
  dir_times_[join(parts, n)] = e.mtime;
}

void LayerApplier::file(const Parts& parts, const TarEntry& e, TarReader& tar) {
  if (parts.empty()) throw EntryError("the layer root must be a directory");
  const size_t n = parts.size();
  const std::string shown = abs(parts, n);
  ensure_dirs(parts, n - 1);
  constexpr int kFlags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
  Fd fd(openat(dir_fd(parts, n - 1), parts[n - 1].c_str(), kFlags, 0600));
  if (fd.get() < 0 && errno == EEXIST) {
    remove_existing(parts);
    fd = Fd(openat(dir_fd(parts, n - 1), parts[n - 1].c_str(), kFlags, 0600));
  }
  if (fd.get() < 0) throw SysError("open", errno, shown);
  tar.body([&](const uint8_t* p, size_t len) { write_fully(fd.get(), p, len, shown); });
  // Order matters: chown clears setuid/setgid and security.capability, and a
  // write clears them too, so data, then owner, then xattrs, then mode.
  owner(fchown(fd.get(), static_cast<uid_t>(e.uid), static_cast<gid_t>(e.gid)), e.uid, e.gid, shown);
  apply_xattrs(fd.get(), -1, "", e);
  if (fchmod(fd.get(), e.mode) != 0) throw SysError("chmod", errno, shown);
  struct timespec times[2] = {e.has_atime ? e.atime : e.mtime, e.mtime};
  if (futimens(fd.get(), times) != 0) throw SysError("utimensat", errno, shown);
  if (close(fd.release()) != 0) throw SysError("close", errno, shown);
}

void LayerApplier::symlink(const Parts& parts, const TarEntry& e) {
  if (parts.empty()) throw EntryError("the layer root must be a directory, not a symlink");
  if (e.linkpath.find('\0') != std::string::npos || e.linkpath.size() > kMaxNameBytes) throw EntryError("invalid symlink target");
  const size_t n = parts.size();
  const std::string shown = abs(parts, n);
  const std::string& leaf = parts[n - 1];
  ensure_dirs(parts, n - 1);
  // Kept exactly as written, absolute targets included: they are resolved inside the container's root.
  if (symlinkat(e.linkpath.c_str(), dir_fd(parts, n - 1), leaf.c_str()) != 0) {
    if (errno != EEXIST) throw SysError("symlink", errno, shown);
    remove_existing(parts);
    if (symlinkat(e.linkpath.c_str(), dir_fd(parts, n - 1), leaf.c_str()) != 0) throw SysError("symlink", errno, shown);
  }
  int parent = dir_fd(parts, n - 1);
  owner(fchownat(parent, leaf.c_str(), static_cast<uid_t>(e.uid), static_cast<gid_t>(e.gid), AT_SYMLINK_NOFOLLOW), e.uid, e.gid, shown);
  apply_xattrs(-1, parent, leaf, e);
  struct timespec times[2] = {e.mtime, e.mtime};
  if (utimensat(parent, leaf.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0) throw SysError("utimensat", errno, shown);
}

void LayerApplier::fifo(const Parts& parts, const TarEntry& e) {
  if (parts.empty()) throw EntryError("the layer root must be a directory");
  const size_t n = parts.size();
  const std::string shown = abs(parts, n);
  const std::string& leaf = parts[n - 1];
  ensure_dirs(parts, n - 1);
  remove_existing(parts);
  int parent = dir_fd(parts, n - 1);
  if (mknodat(parent, leaf.c_str(), S_IFIFO | 0600, 0) != 0) throw SysError("mknod fifo", errno, shown);
  // O_NONBLOCK: opening a FIFO for reading does not wait for a writer.
  Fd fd(openat(parent, leaf.c_str(), O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC));
  if (fd.get() < 0) throw SysError("open", errno, shown);
  owner(fchown(fd.get(), static_cast<uid_t>(e.uid), static_cast<gid_t>(e.gid)), e.uid, e.gid, shown);
  apply_xattrs(fd.get(), -1, "", e);
  if (fchmod(fd.get(), e.mode) != 0) throw SysError("chmod", errno, shown);
  struct timespec times[2] = {e.mtime, e.mtime};
  if (futimens(fd.get(), times) != 0) throw SysError("utimensat", errno, shown);
}

// Typeflag 1: `linkname` is relative to the archive root. A target this layer
// wrote is linked with linkat(2), which never follows a symlink; a target that
// only a lower layer has is copied in, because each layer is its own dir.
void LayerApplier::hardlink(const Parts& parts, const TarEntry& e) {
  if (parts.empty()) throw EntryError("the layer root must be a directory");
  Parts target;
  try {
    target = split_entry_name(e.linkpath);
  } catch (const BadEntryName& err) {
    throw EntryError("hardlink target `" + e.linkpath + "`: " + err.what());
  }
  const std::string rel = join(parts, parts.size());
  const std::string t = join(target, target.size());
  if (target.empty()) throw EntryError("hardlink to the layer root (a directory)");
  if (t == rel) throw EntryError("hardlink to itself");
  if (under(t, rel)) throw EntryError("hardlink target `" + t + "` lies inside the entry it would replace");
  // This layer is the topmost layer of the lookup: its whiteouts, opaque directories and
  // non-directories hide the lower layers' paths exactly as the mounted overlay will.
  // A target this layer decides (it has it, or hides it) needs no wait for the layers below.
  Found found = lookup({root_}, target);
  if (found.kind == Found::kAbsent) {
    std::vector<int> all{root_};
    const std::vector<int>& below = lowers();
    all.insert(all.end(), below.begin(), below.end());
    found = lookup(all, target);
  }
  if (found.kind == Found::kThroughSymlink) throw EntryError("hardlink target `" + t + "` goes through the symlink `" + found.at + "`");
  if (found.kind == Found::kAbsent) throw EntryError("hardlink target `" + t + "` does not exist in this layer or below");
  if (S_ISDIR(found.st.st_mode)) throw EntryError("hardlink target `" + t + "` is a directory");
  const size_t n = parts.size();
  ensure_dirs(parts, n - 1);
  remove_existing(parts);
  if (found.layer == 0) {
    // No AT_SYMLINK_FOLLOW: a link to a symlink links the symlink itself.
    if (linkat(found.parent.get(), found.leaf.c_str(), dir_fd(parts, n - 1), parts[n - 1].c_str(), 0) != 0) {
      throw SysError("link", errno, abs(parts, n));
    }
  } else {
    copy_from_lower(found, parts);
  }
}

// Copies a lower layer's inode (reflink when the filesystem can), keeping owner, mode, xattrs and times.
void LayerApplier::copy_from_lower(const Found& found, const Parts& parts) {
  const size_t n = parts.size();
  const std::string shown = abs(parts, n);
  const std::string& leaf = parts[n - 1];
  int parent = dir_fd(parts, n - 1);
  const struct stat& st = found.st;
  const bool link = S_ISLNK(st.st_mode);
  if (link) {
    std::vector<char> buf(static_cast<size_t>(st.st_size) + 2);
    ssize_t len = readlinkat(found.parent.get(), found.leaf.c_str(), buf.data(), buf.size());
    if (len < 0) throw SysError("readlink", errno, found.leaf);
    std::string value(buf.data(), static_cast<size_t>(len));
    if (symlinkat(value.c_str(), parent, leaf.c_str()) != 0) throw SysError("symlink", errno, shown);
  } else if (S_ISFIFO(st.st_mode)) {
    if (mknodat(parent, leaf.c_str(), S_IFIFO | 0600, 0) != 0) throw SysError("mknod fifo", errno, shown);
  } else if (S_ISREG(st.st_mode)) {
    Fd from(openat(found.parent.get(), found.leaf.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    if (from.get() < 0) throw SysError("open", errno, found.leaf);
    Fd to(openat(parent, leaf.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (to.get() < 0) throw SysError("open", errno, shown);
    copy_contents(from.get(), to.get(), shown);
  } else {
    devices_++;
    return;
  }
  owner(fchownat(parent, leaf.c_str(), st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW), st.st_uid, st.st_gid, shown);
  const std::string source = via_fd(found.parent.get(), found.leaf);
  std::vector<char> names(65536);
  ssize_t len = llistxattr(source.c_str(), names.data(), names.size());
  if (len < 0 && errno != EOPNOTSUPP) throw SysError("llistxattr", errno, source);
  for (ssize_t i = 0; i < len;) {
    std::string name(names.data() + i);
    i += static_cast<ssize_t>(name.size()) + 1;
    if (name.empty() || is_forbidden_xattr(name)) continue;
    std::vector<char> value(65536);
    ssize_t vlen = lgetxattr(source.c_str(), name.c_str(), value.data(), value.size());
    if (vlen < 0) {
      if (errno == ENODATA) continue;
      throw SysError("lgetxattr " + name, errno, source);
    }
    set_xattr(-1, parent, leaf, name, std::string(value.data(), static_cast<size_t>(vlen)));
  }
  if (!link && fchmodat(parent, leaf.c_str(), st.st_mode & 07777, 0) != 0) throw SysError("chmod", errno, shown);
  struct timespec times[2] = {st.st_atim, st.st_mtim};
  if (utimensat(parent, leaf.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0) throw SysError("utimensat", errno, shown);
}

void LayerApplier::apply_dir_times() {
  for (const auto& kv : dir_times_) {
    Parts parts;
    if (!kv.first.empty()) {
      size_t start = 0;
      for (;;) {
        size_t slash = kv.first.find('/', start);
        parts.push_back(kv.first.substr(start, slash == std::string::npos ? std::string::npos : slash - start));
        if (slash == std::string::npos) break;
        start = slash + 1;
      }
    }
    struct timespec times[2] = {kv.second, kv.second};
    if (futimens(dir_fd(parts, parts.size()), times) != 0) throw SysError("utimensat", errno, abs(parts, parts.size()));
  }
}

ApplyOutcome LayerApplier::run(TarReader& tar) {
  const std::string layer = "layer " + opt_.layer_digest;
  bool in_entry = false;
  try {
    TarEntry e;
    while (tar.next(&e)) {
      current_ = e.path;
      in_entry = true;
      if (++out_.entries > opt_.max_entries) throw EntryError("more than " + std::to_string(opt_.max_entries) + " entries");
      entry(tar, e);
      tar.skip_body();
      in_entry = false;
    }
    apply_dir_times();
    out_.disk_bytes = disk_usage(root_, opt_.target);
  } catch (const TarFormatError& err) {
    throw invalid_content(layer + ": not a valid tar archive: " + err.what());
  } catch (const BadEntryName& err) {
    throw invalid_content(layer + ": entry `" + current_ + "`: " + err.what());
  } catch (const EntryError& err) {
    throw invalid_content(layer + ": entry `" + current_ + "`: " + err.what());
  } catch (const Stopped&) {
    throw LayerFailure{"InterruptedError", "EINTERRUPTED", "applying " + layer + " stopped: the layers below it were not stored", ""};
  } catch (const SysError& err) {
    std::string where = in_entry ? ": entry `" + current_ + "`" : "";
    std::string object = err.path.empty() ? "" : " `" + err.path + "`";
    const char* code = strerrorname_np(err.err);
    throw LayerFailure{"SystemError", code != nullptr ? code : "EIO",
                       layer + where + ": " + err.syscall + object + ": " + (err.detail.empty() ? errno_text(err.err) : err.detail), ""};
  }
  if (devices_ > 0) {
    out_.warnings.push_back(layer + ": skipped " + std::to_string(devices_) + " device node" + (devices_ == 1 ? "" : "s") +
                            " (they cannot be created without root; containers get devices from the runtime)");
  }
  return out_;
}

}  // namespace hutch
