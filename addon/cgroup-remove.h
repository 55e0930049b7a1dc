// Removing a container's cgroup after its init exited, shared by
// hutch-runtime and the static hutch-monitor (so: no heap, no exceptions).
// What is still inside belongs to the container — members of its dying pid
// namespace, or processes that never were in one — and is killed first, as
// crun's destroy does; cgroups the container made below its own go too.
#pragma once

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

namespace hutch {

// Reads `key` ("populated", "frozen") from cgroup.events of the cgroup open as dirfd.
inline bool read_cgroup_event(int dirfd, const char* key, int* value) {
  int fd = openat(dirfd, "cgroup.events", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  char buf[256];
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return false;
  buf[n] = '\0';
  size_t klen = strlen(key);
  for (char* line = buf; line != nullptr && *line != '\0';) {
    char* next = strchr(line, '\n');
    if (strncmp(line, key, klen) == 0 && line[klen] == ' ') {
      *value = line[klen + 1] - '0';
      return true;
    }
    line = next == nullptr ? nullptr : next + 1;
  }
  return false;
}

// Removes the cgroup `name` below parent_fd and every cgroup inside it.
// Returns 0 (also when it is already gone) or the errno of the last rmdir.
inline int remove_cgroup_at(int parent_fd, const char* name, int depth = 0) {
  if (unlinkat(parent_fd, name, AT_REMOVEDIR) == 0 || errno == ENOENT) return 0;
  if (errno != EBUSY || depth > 32) return errno;
  int fd = openat(parent_fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return errno == ENOENT ? 0 : errno;
  if (depth == 0) {
    // cgroup.kill (Linux 5.14) SIGKILLs the whole subtree, frozen or not.
    int kill_fd = openat(fd, "cgroup.kill", O_WRONLY | O_CLOEXEC);
    if (kill_fd >= 0) {
      (void)!write(kill_fd, "1", 1);
      close(kill_fd);
    }
    // Killed processes leave the cgroup only once they have exited: up to 2 s.
    int populated = 1;
    for (int i = 0; i < 200 && read_cgroup_event(fd, "populated", &populated) && populated != 0; i++) {
      struct timespec ts = {0, 10 * 1000 * 1000};
      nanosleep(&ts, nullptr);
    }
  }
  // Child cgroups: the only directories a cgroup has. getdents64 keeps this heap-free.
  alignas(8) char buf[4096];
  for (;;) {
    long n = syscall(SYS_getdents64, fd, buf, sizeof buf);
    if (n <= 0) break;
    for (long off = 0; off < n;) {
      struct Dirent {
        unsigned long long ino;
        long long off;
        unsigned short reclen;
        unsigned char type;
        char name[1];
      };
      const Dirent* d = reinterpret_cast<const Dirent*>(buf + off);
      off += d->reclen;
      if (d->type != 4 /* DT_DIR */ || strcmp(d->name, ".") == 0 || strcmp(d->name, "..") == 0) continue;
      remove_cgroup_at(fd, d->name, depth + 1);
    }
  }
  close(fd);
  if (unlinkat(parent_fd, name, AT_REMOVEDIR) == 0 || errno == ENOENT) return 0;
  return errno;
}

// Removes the cgroup directory `dir` (absolute) as above.
inline int remove_cgroup_dir(const char* dir) {
  const char* slash = strrchr(dir, '/');
  if (slash == nullptr || slash[1] == '\0') return EINVAL;
  char parent[4096];
  size_t len = static_cast<size_t>(slash - dir);
  if (len == 0 || len >= sizeof parent) return ENAMETOOLONG;
  memcpy(parent, dir, len);
  parent[len] = '\0';
  int parent_fd = open(parent, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (parent_fd < 0) return errno == ENOENT ? 0 : errno;
  int rc = remove_cgroup_at(parent_fd, slash + 1);
  close(parent_fd);
  return rc;
}

}  // namespace hutch
