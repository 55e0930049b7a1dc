// The container process: its identity, limits, capabilities and executable
// (inside the container), and its supervision from the parent (outside).
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "config.h"
#include "seccomp.h"

namespace hutch {

// setrlimit for every process.rlimits entry.
void apply_rlimits(const ProcessSpec& p);

// chdir to process.cwd resolved inside the root; refuses magic links such as
// /proc/self/fd/N (CVE-2024-21626) and anything that leaves the root.
void enter_cwd(const std::string& cwd);
// Creates the missing components of `cwd` inside the current root (as podman
// and docker do for a working directory the image lacks), owned by uid:gid.
void create_cwd(const std::string& cwd, uint32_t uid, uint32_t gid);

// Resolves args[0] with the container's PATH (from process.env), as execvp
// would, but before execve so that failures get 126/127 and a clear message.
std::string find_executable(const ProcessSpec& p);

// Marks every fd above 2 close-on-exec (close_range), so only stdio reach
// the container process even if something was leaked.
void close_fds_on_exec();

// Sets user, groups, capabilities, no_new_privs and seccomp in crun's order
// (seccomp before dropping capabilities without no_new_privs, last with it).
void apply_security(const ProcessSpec& p, bool setgroups_allowed, SeccompFilter* seccomp);

// Parent side: forwards signals, relays the terminal when master_fd >= 0,
// waits for `child` and returns its status as an exit code (128+N for signal N).
int supervise(pid_t child, int master_fd, int signal_fd);

// The signals the runtime's parent handles through a signalfd; blocked
// before the container is cloned, unblocked in it before execve.
void block_supervised_signals(sigset_t* old_mask);
int open_signal_fd();

}  // namespace hutch
