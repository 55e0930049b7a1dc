#include "copy-up.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <vector>

#include "fd.h"
#include "runtime-error.h"

namespace hutch {

namespace {

// Each level holds three fds (the DIR stream and both directories); this
// keeps a hostile image's nesting far from the fd limit and the stack's.
constexpr int kMaxDepth = 256;

void copy_data(int in, int out, const std::string& path) {
  std::vector<char> buf(1 << 16);
  for (;;) {
    ssize_t n = read(in, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw sys_error("copy up: read", path, errno);
    if (n == 0) return;
    for (ssize_t done = 0; done < n;) {
      ssize_t w = write(out, buf.data() + done, static_cast<size_t>(n - done));
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) throw sys_error("copy up: write", path, errno);
      done += w;
    }
  }
}

// Best effort, as crun does: tmpfs lacks user.* xattrs before Linux 6.6
// and trusted.* needs privilege over the initial user namespace.
void copy_xattrs(int in, int out) {
  ssize_t len = flistxattr(in, nullptr, 0);
  if (len <= 0) return;
  std::vector<char> names(static_cast<size_t>(len));
  len = flistxattr(in, names.data(), names.size());
  if (len <= 0) return;
  for (size_t i = 0; i < static_cast<size_t>(len);) {
    const char* name = names.data() + i;
    i += strnlen(name, static_cast<size_t>(len) - i) + 1;
    ssize_t vlen = fgetxattr(in, name, nullptr, 0);
    if (vlen < 0) continue;
    std::vector<char> value(static_cast<size_t>(vlen) + 1);
    vlen = fgetxattr(in, name, value.data(), value.size());
    if (vlen < 0) continue;
    fsetxattr(out, name, value.data(), static_cast<size_t>(vlen), 0);
  }
}

// chown before chmod: chown clears set-id bits. An id without a mapping in
// the user namespace (shown as the overflow id) cannot be set: EINVAL.
void set_owner_mode(int dst_dir, const char* name, const struct stat& st, const std::string& path, bool symlink) {
  int flags = symlink ? AT_SYMLINK_NOFOLLOW : 0;
  if (fchownat(dst_dir, name, st.st_uid, st.st_gid, flags) != 0 && errno != EINVAL) {
    throw sys_error("copy up: chown", path, errno);
  }
  if (!symlink && fchmodat(dst_dir, name, st.st_mode & 07777, 0) != 0) throw sys_error("copy up: chmod", path, errno);
}

void set_times(int dst_dir, const char* name, const struct stat& st, const std::string& path) {
  struct timespec times[2] = {st.st_atim, st.st_mtim};
  if (utimensat(dst_dir, name, times, AT_SYMLINK_NOFOLLOW) != 0) throw sys_error("copy up: utimensat", path, errno);
}

void copy_dir(int src, int dst, const std::string& where, int depth);

void copy_entry(int src, int dst, const char* name, const std::string& path, int depth) {
  struct stat st;
  if (fstatat(src, name, &st, AT_SYMLINK_NOFOLLOW) != 0) throw sys_error("copy up: stat", path, errno);
  switch (st.st_mode & S_IFMT) {
    case S_IFDIR: {
      if (mkdirat(dst, name, 0700) != 0) throw sys_error("copy up: mkdir", path, errno);
      Fd in(openat(src, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (in.get() < 0) throw sys_error("copy up: open", path, errno);
      Fd out(openat(dst, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (out.get() < 0) throw sys_error("copy up: open", path, errno);
      copy_dir(in.get(), out.get(), path, depth + 1);
      copy_xattrs(in.get(), out.get());
      break;
    }
    case S_IFREG: {
      Fd in(openat(src, name, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC));
      if (in.get() < 0) throw sys_error("copy up: open", path, errno);
      Fd out(openat(dst, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
      if (out.get() < 0) throw sys_error("copy up: create", path, errno);
      copy_data(in.get(), out.get(), path);
      copy_xattrs(in.get(), out.get());
      break;
    }
    case S_IFLNK: {
      std::vector<char> target(static_cast<size_t>(st.st_size) + 2);
      ssize_t n = readlinkat(src, name, target.data(), target.size() - 1);
      if (n < 0) throw sys_error("copy up: readlink", path, errno);
      target[static_cast<size_t>(n)] = '\0';
      if (symlinkat(target.data(), dst, name) != 0) throw sys_error("copy up: symlink", path, errno);
      set_owner_mode(dst, name, st, path, true);
      set_times(dst, name, st, path);
      return;
    }
    default:
      // Device nodes cannot be created in a user namespace: this fails with
      // EPERM for them (as with crun), while fifos and sockets are copied.
      if (mknodat(dst, name, st.st_mode, st.st_rdev) != 0) throw sys_error("copy up: mknod", path, errno);
      break;
  }
  set_owner_mode(dst, name, st, path, false);
  set_times(dst, name, st, path);
}

void copy_dir(int src, int dst, const std::string& where, int depth) {
  if (depth > kMaxDepth) throw RuntimeError("copy up `" + where + "`: nested deeper than 256 directories");
  int dup_fd = fcntl(src, F_DUPFD_CLOEXEC, 0);
  if (dup_fd < 0) throw sys_error("copy up: dup", where, errno);
  DIR* dir = fdopendir(dup_fd);
  if (dir == nullptr) {
    int err = errno;
    close(dup_fd);
    throw sys_error("copy up: opendir", where, err);
  }
  try {
    for (;;) {
      errno = 0;
      struct dirent* e = readdir(dir);
      if (e == nullptr) {
        if (errno != 0) throw sys_error("copy up: readdir", where, errno);
        break;
      }
      if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
      copy_entry(src, dst, e->d_name, where + "/" + e->d_name, depth);
    }
  } catch (...) {
    closedir(dir);
    throw;
  }
  closedir(dir);
}

}  // namespace

void copy_up(int src_dir, int dst_dir, const std::string& where) { copy_dir(src_dir, dst_dir, where, 0); }

}  // namespace hutch
