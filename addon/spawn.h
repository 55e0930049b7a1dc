// Starting and reaping child processes from the addon: posix_spawn (a vfork
// under glibc, so nothing runs in the child between clone and exec) instead
// of node:child_process, which costs every `hutch run` a few ms to load.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace hutch {

struct SpawnOptions {
  bool null_stdin = false;   // fd 0 is /dev/null instead of ours
  bool new_session = false;  // setsid(): no controlling terminal, not in our process group
};

// Starts file with argv (argv[0] included), this process's environment and its
// fds 0-2 (close-on-exec or not) plus any fd not close-on-exec, its
// signal dispositions and mask reset to the defaults (Node ignores SIGPIPE, and
// ignored signals survive exec). Throws SysError("posix_spawn", errno, file).
pid_t spawn_process(const std::string& file, const std::vector<std::string>& argv, const SpawnOptions& options);

// Blocks until pid has exited, without reaping it (waitid WNOWAIT): while the
// zombie remains, its pid cannot be reused, so signals sent to it cannot reach
// another process. Returns 0 or an errno value.
int wait_exited(pid_t pid);

// Reaps an exited pid; returns its wait status, or -errno.
int reap(pid_t pid);

}  // namespace hutch
