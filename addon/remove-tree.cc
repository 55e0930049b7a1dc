#include "remove-tree.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <vector>

#include "runtime-error.h"

namespace hutch {

namespace {

struct Entry {
  std::string name;
  bool dir;
};

struct Removal {
  dev_t dev;
  std::string first_error;
  void fail(const std::string& path, int err) {
    if (!first_error.empty()) return;
    first_error = "remove `" + path + "`: " + errno_text(err);
    if (err == EXDEV) first_error += ": a mount point, not entered";
  }
};

void remove_at(int parent, const std::string& name, const std::string& path, bool is_dir, Removal* r);

// Empties the directory `name` in `parent`, recording what could not go.
void empty_dir(int parent, const std::string& name, const std::string& path, Removal* r) {
  int fd = openat(parent, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    if (errno != ENOENT) r->fail(path, errno);
    return;
  }
  // A mount point is never entered (EXDEV): another device, as rm
  // --one-file-system checks, or the root of a mount of the same filesystem
  // (a bind mount, which st_dev cannot tell; STATX_ATTR_MOUNT_ROOT, Linux 5.8).
  struct statx st;
  int err = 0;
  if (statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, STATX_TYPE, &st) != 0) {
    err = errno;
  } else if (makedev(st.stx_dev_major, st.stx_dev_minor) != r->dev ||
             (st.stx_attributes_mask & st.stx_attributes & STATX_ATTR_MOUNT_ROOT) != 0) {
    err = EXDEV;
  }
  if (err != 0) {
    r->fail(path, err);
    close(fd);
    return;
  }
  DIR* d = fdopendir(fd);
  if (d == nullptr) {
    r->fail(path, errno);
    close(fd);
    return;
  }
  // Entries are listed before any is deleted: readdir's position after
  // deletions in the same directory is unspecified (POSIX readdir).
  std::vector<Entry> entries;
  for (;;) {
    errno = 0;
    struct dirent* e = readdir(d);
    if (e == nullptr) {
      if (errno != 0) r->fail(path, errno);
      break;
    }
    const char* n = e->d_name;
    if (n[0] == '.' && (n[1] == '\0' || (n[1] == '.' && n[2] == '\0'))) continue;
    bool is_dir = e->d_type == DT_DIR;
    if (e->d_type == DT_UNKNOWN) {
      struct stat est;
      is_dir = fstatat(fd, n, &est, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(est.st_mode);
    }
    entries.push_back({n, is_dir});
  }
  for (const Entry& e : entries) remove_at(fd, e.name, path + "/" + e.name, e.dir, r);
  closedir(d);
}

void remove_at(int parent, const std::string& name, const std::string& path, bool is_dir, Removal* r) {
  if (!is_dir) {
    if (unlinkat(parent, name.c_str(), 0) == 0 || errno == ENOENT) return;
    // Replaced by a directory since it was listed.
    if (errno != EISDIR) {
      r->fail(path, errno);
      return;
    }
  }
  empty_dir(parent, name, path, r);
  if (unlinkat(parent, name.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT) r->fail(path, errno);
}

std::string parent_of(const std::string& path) {
  size_t slash = path.find_last_of('/');
  return slash == 0 ? "/" : path.substr(0, slash);
}

}  // namespace

RemovalTarget check_removal_target(const std::string& given) {
  std::string path = given;
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  if (path.empty() || path[0] != '/') throw RuntimeError("--remove-on-exit `" + given + "`: must be an absolute path");
  if (path == "/") throw RuntimeError("--remove-on-exit `/`: refusing to remove the root directory");
  if (path.find("/./") != std::string::npos || path.find("/../") != std::string::npos ||
      path.compare(path.size() - 2, 2, "/.") == 0 || path.compare(path.size() - 3, 3, "/..") == 0) {
    throw RuntimeError("--remove-on-exit `" + given + "`: `.` and `..` components are not allowed");
  }
  struct stat st;
  if (lstat(path.c_str(), &st) != 0) throw sys_error("lstat", path, errno);
  if (!S_ISDIR(st.st_mode)) {
    throw RuntimeError("--remove-on-exit `" + path + "`: not a directory" + (S_ISLNK(st.st_mode) ? " (a symlink, never followed)" : ""));
  }
  if (st.st_uid != geteuid()) {
    throw RuntimeError("--remove-on-exit `" + path + "`: owned by uid " + std::to_string(st.st_uid) +
                       ", not by the caller (uid " + std::to_string(geteuid()) + ")");
  }
  return RemovalTarget{path, st.st_dev, st.st_ino};
}

std::string remove_tree(const RemovalTarget& t) {
  const std::string parent_path = parent_of(t.path);
  const std::string name = t.path.substr(t.path.find_last_of('/') + 1);
  int parent = open(parent_path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (parent < 0) return errno == ENOENT ? "" : "remove `" + t.path + "`: " + errno_text(errno);
  struct stat st;
  if (fstatat(parent, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    int err = errno;
    close(parent);
    return err == ENOENT ? "" : "remove `" + t.path + "`: " + errno_text(err);
  }
  // Renamed away and replaced since the check: not ours to delete.
  if (st.st_dev != t.dev || st.st_ino != t.ino) {
    close(parent);
    return "remove `" + t.path + "`: replaced by another file while the container ran; not removed";
  }
  Removal r{t.dev, ""};
  remove_at(parent, name, t.path, true, &r);
  close(parent);
  return r.first_error;
}

}  // namespace hutch
