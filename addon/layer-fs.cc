#include "layer-fs.h"

#include <dirent.h>
#include <errno.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <set>
#include <utility>
#include <vector>

#include "sys-error.h"

namespace hutch {

bool is_whiteout(const struct stat& st) { return S_ISCHR(st.st_mode) && st.st_rdev == 0; }

bool lstat_at(int dir, const std::string& name, struct stat* st, const std::string& shown) {
  if (fstatat(dir, name.c_str(), st, AT_SYMLINK_NOFOLLOW) == 0) return true;
  if (errno == ENOENT) return false;
  throw SysError("lstat", errno, shown);
}

std::string via_fd(int dir, const std::string& leaf) { return "/proc/self/fd/" + std::to_string(dir) + "/" + leaf; }

bool is_opaque(int dir_fd) {
  char value[2];
  ssize_t n = fgetxattr(dir_fd, kOpaqueXattr, value, sizeof value);
  if (n < 0) {
    if (errno == ENODATA || errno == EOPNOTSUPP || errno == ERANGE) return false;
    throw SysError(std::string("fgetxattr ") + kOpaqueXattr, errno);
  }
  return n == 1 && value[0] == 'y';
}

void set_opaque(int dir_fd, const std::string& shown) {
  if (fsetxattr(dir_fd, kOpaqueXattr, "y", 1, 0) != 0) throw SysError(std::string("setxattr ") + kOpaqueXattr, errno, shown);
}

void write_fully(int fd, const uint8_t* p, size_t n, const std::string& shown) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) throw SysError("write", errno, shown);
    p += w;
    n -= static_cast<size_t>(w);
  }
}

void copy_contents(int from, int to, const std::string& shown) {
  if (ioctl(to, FICLONE, from) == 0) return;
  for (;;) {
    ssize_t n = copy_file_range(from, nullptr, to, nullptr, 1 << 30, 0);
    if (n == 0) return;
    if (n > 0) continue;
    if (errno == EINTR) continue;
    if (errno != EXDEV && errno != ENOSYS && errno != EINVAL && errno != EOPNOTSUPP) throw SysError("copy_file_range", errno, shown);
    break;
  }
  uint8_t buf[65536];
  for (;;) {
    ssize_t n = read(from, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw SysError("read", errno, shown);
    if (n == 0) return;
    write_fully(to, buf, static_cast<size_t>(n), shown);
  }
}

void remove_dir(int at, const std::string& name, const std::string& shown) {
  Fd fd(openat(at, name.c_str(), kLayerDirFlags));
  if (fd.get() < 0) throw SysError("open", errno, shown);
  int list = fcntl(fd.get(), F_DUPFD_CLOEXEC, 0);
  DIR* d = list >= 0 ? fdopendir(list) : nullptr;
  if (d == nullptr) throw SysError("opendir", errno, shown);
  // Listed completely before anything is removed: readdir's position after deletions is unspecified.
  std::vector<std::pair<std::string, bool>> children;
  while (struct dirent* e = readdir(d)) {
    const char* c = e->d_name;
    if (c[0] == '.' && (c[1] == '\0' || (c[1] == '.' && c[2] == '\0'))) continue;
    children.emplace_back(c, e->d_type == DT_DIR);
  }
  closedir(d);
  for (const auto& child : children) {
    const std::string path = shown + "/" + child.first;
    if (!child.second) {
      if (unlinkat(fd.get(), child.first.c_str(), 0) == 0) continue;
      if (errno != EISDIR) throw SysError("unlink", errno, path);
    }
    remove_dir(fd.get(), child.first, path);
  }
  if (unlinkat(at, name.c_str(), AT_REMOVEDIR) != 0) throw SysError("rmdir", errno, shown);
}

namespace {

uint64_t usage_below(int dir, std::set<std::pair<dev_t, ino_t>>* seen) {
  uint64_t total = 0;
  int fd = fcntl(dir, F_DUPFD_CLOEXEC, 0);
  if (fd < 0) throw SysError("dup", errno);
  DIR* d = fdopendir(fd);
  if (d == nullptr) {
    close(fd);
    throw SysError("opendir", errno);
  }
  while (struct dirent* e = readdir(d)) {
    const char* n = e->d_name;
    if (n[0] == '.' && (n[1] == '\0' || (n[1] == '.' && n[2] == '\0'))) continue;
    struct stat st;
    if (fstatat(dirfd(d), n, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    if (st.st_nlink > 1 && !S_ISDIR(st.st_mode) && !seen->insert({st.st_dev, st.st_ino}).second) continue;
    total += static_cast<uint64_t>(st.st_blocks) * 512;
    if (S_ISDIR(st.st_mode)) {
      Fd sub(openat(dirfd(d), n, kLayerDirFlags));
      if (sub.get() >= 0) total += usage_below(sub.get(), seen);
    }
  }
  closedir(d);
  return total;
}

}  // namespace

uint64_t disk_usage(int dir, const std::string& shown) {
  struct stat st;
  if (fstat(dir, &st) != 0) throw SysError("stat", errno, shown);
  std::set<std::pair<dev_t, ino_t>> seen;
  return static_cast<uint64_t>(st.st_blocks) * 512 + usage_below(dir, &seen);
}

}  // namespace hutch
