// A sealed memfd copy of an executable: a process that later runs inside the
// container can open /proc/<pid>/exe but can never write through it to the
// host binary (CVE-2019-5736, the runc fix), because the seals make the copy
// immutable and the host file is never exposed.
#include "memfd.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <mutex>
#include <unordered_map>

#include "sys-error.h"

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif

namespace hutch {

namespace {

std::mutex cache_mutex;
std::unordered_map<std::string, int> cache;

struct Fd {
  int fd;
  explicit Fd(int fd_) : fd(fd_) {}
  ~Fd() {
    if (fd >= 0) close(fd);
  }
  int release() {
    int out = fd;
    fd = -1;
    return out;
  }
};

int create_memfd(const std::string& path) {
  std::string base = path.substr(path.find_last_of('/') + 1);
  std::string name = ("hutch:" + base).substr(0, 249);
  // Kernels >= 6.3 with vm.memfd_noexec=1 make memfds non-executable unless
  // MFD_EXEC is asked for; older kernels reject the unknown flag with EINVAL.
  int fd = memfd_create(name.c_str(), MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
  if (fd < 0 && errno == EINVAL) fd = memfd_create(name.c_str(), MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0) throw SysError("memfd_create", errno, name);
  return fd;
}

void copy_all(int src, int dst, off_t size, const std::string& path) {
  off_t done = 0;
  while (done < size) {
    ssize_t n = sendfile(dst, src, nullptr, static_cast<size_t>(size - done));
    if (n < 0) {
      if (errno == EINTR) continue;
      throw SysError("sendfile", errno, path);
    }
    if (n == 0) throw SysError("sendfile", EIO, path, "file shrank while being copied");
    done += n;
  }
}

}  // namespace

int sealed_executable(const std::string& path) {
  std::lock_guard<std::mutex> guard(cache_mutex);
  auto hit = cache.find(path);
  if (hit != cache.end()) return hit->second;

  Fd src(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (src.fd < 0) throw SysError("open", errno, path);
  struct stat st;
  if (fstat(src.fd, &st) != 0) throw SysError("fstat", errno, path);
  if (!S_ISREG(st.st_mode)) throw SysError("open", EACCES, path, "not a regular file");

  Fd mem(create_memfd(path));
  copy_all(src.fd, mem.fd, st.st_size, path);
  // Read-only mode makes reopening /proc/<pid>/fd/N for writing fail early
  // (EACCES) for non-root; the seals below stop everyone, root included.
  if (fchmod(mem.fd, 0555) != 0) throw SysError("fchmod memfd", errno, path);
  if (fcntl(mem.fd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) != 0)
    throw SysError("fcntl F_ADD_SEALS", errno, path);

  int fd = mem.release();
  cache.emplace(path, fd);
  return fd;
}

}  // namespace hutch
