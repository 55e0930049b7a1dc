// The fd-relative file operations the layer applier is built from; none of
// them follows a symlink below the directory fd it is given.
#pragma once

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <string>
#include <utility>

namespace hutch {

// How every directory of a layer is opened: a symlink (or anything but a directory) fails.
constexpr int kLayerDirFlags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
// The overlayfs (userxattr) marker of an opaque directory.
constexpr const char* kOpaqueXattr = "user.overlay.opaque";

// An owned file descriptor, closed when it goes out of scope.
class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  Fd(Fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  Fd& operator=(Fd&& o) noexcept {
    if (this != &o) {
      if (fd_ >= 0) close(fd_);
      fd_ = std::exchange(o.fd_, -1);
    }
    return *this;
  }
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

// An overlay whiteout: a character device 0/0.
bool is_whiteout(const struct stat& st);

// lstat of `name` in `dir`; false when there is nothing there (SysError naming `shown` otherwise).
bool lstat_at(int dir, const std::string& name, struct stat* st, const std::string& shown);

// A path that reaches `leaf` through the exact directory `dir` is open on, for
// the calls that have no *at form (xattrs of a symlink): /proc resolves the fd
// itself, and the l* calls never follow `leaf`.
std::string via_fd(int dir, const std::string& leaf);

// Whether the directory open on `dir_fd` is opaque (user.overlay.opaque=y).
bool is_opaque(int dir_fd);
void set_opaque(int dir_fd, const std::string& shown);

// write(2) until all of it is written.
void write_fully(int fd, const uint8_t* p, size_t n, const std::string& shown);

// Copies a file's contents: a reflink when the filesystem can, else in-kernel copies.
void copy_contents(int from, int to, const std::string& shown);

// Removes the directory `name` in `at` with everything in it, depth first;
// each directory is opened O_NOFOLLOW from its parent, so no symlink is followed.
void remove_dir(int at, const std::string& name, const std::string& shown);

// Like `du -s -B1` of the directory open on `dir`: allocated blocks, each
// inode once however many links it has, symlinks never followed.
uint64_t disk_usage(int dir, const std::string& shown);

}  // namespace hutch
