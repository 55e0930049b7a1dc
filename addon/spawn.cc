#include "spawn.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <cerrno>
#include <string>

#include "fd.h"
#include "sys-error.h"

extern char** environ;

namespace hutch {

namespace {

// posix_spawn attributes and file actions that free themselves.
struct SpawnSetup {
  posix_spawnattr_t attr;
  posix_spawn_file_actions_t actions;
  SpawnSetup() {
    posix_spawnattr_init(&attr);
    posix_spawn_file_actions_init(&actions);
  }
  ~SpawnSetup() {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
  }
  SpawnSetup(const SpawnSetup&) = delete;
  SpawnSetup& operator=(const SpawnSetup&) = delete;
};

}  // namespace

pid_t spawn_process(const std::string& file, const std::vector<std::string>& argv, const SpawnOptions& options) {
  SpawnSetup setup;
  sigset_t all, none;
  sigfillset(&all);
  sigemptyset(&none);
  short flags = POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK;
  if (options.new_session) flags |= POSIX_SPAWN_SETSID;
  int err = posix_spawnattr_setflags(&setup.attr, flags);
  if (err == 0) err = posix_spawnattr_setsigdefault(&setup.attr, &all);
  if (err == 0) err = posix_spawnattr_setsigmask(&setup.attr, &none);
  // Node marks our fds 0-2 close-on-exec. dup2 onto them from a copy clears
  // that flag in the child; dup2(fd, fd) would do it only since glibc 2.29.
  Fd copies[3];
  for (int fd = 0; fd < 3 && err == 0; fd++) {
    if (fd == 0 && options.null_stdin) {
      err = posix_spawn_file_actions_addopen(&setup.actions, 0, "/dev/null", O_RDONLY, 0);
      continue;
    }
    copies[fd] = Fd(fcntl(fd, F_DUPFD_CLOEXEC, 3));
    if (copies[fd].get() < 0) {
      if (errno == EBADF) continue;  // closed here, so closed there too
      throw SysError("fcntl F_DUPFD_CLOEXEC", errno, "fd " + std::to_string(fd));
    }
    err = posix_spawn_file_actions_adddup2(&setup.actions, copies[fd].get(), fd);
  }
  if (err != 0) throw SysError("posix_spawn setup", err, file);
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  err = posix_spawn(&pid, file.c_str(), &setup.actions, &setup.attr, args.data(), environ);
  if (err != 0) throw SysError("posix_spawn", err, file);
  return pid;
}

int wait_exited(pid_t pid) {
  siginfo_t info{};
  for (;;) {
    if (waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOWAIT) == 0) return 0;
    if (errno != EINTR) return errno;
  }
}

int reap(pid_t pid) {
  int status = 0;
  for (;;) {
    if (waitpid(pid, &status, 0) == pid) return status;
    if (errno != EINTR) return -errno;
  }
}

}  // namespace hutch
