// The OCI lifecycle (runtime-spec runtime.md "Lifecycle"): creating a
// container up to the point just before execve of the user's process,
// starting it, and the runc-style verbs built on that.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <functional>
#include <string>
#include <vector>

#include "config.h"
#include "rootfs-fuse.h"
#include "seccomp.h"
#include "state.h"

namespace hutch {

struct CreateOptions {
  std::string dir;            // the container's state directory; empty: none (legacy `run`)
  bool detach = false;        // stop at the exec fifo and outlive the caller (no PDEATHSIG)
  int stdio[3] = {-1, -1, -1};  // fds that become the container's 0-2; -1 keeps ours
  bool keep_userns = false;     // hold the new user namespace open (CreatedContainer::userns_fd)
  // Called with the record (pid and start time known) just before the init is
  // let go on to its mounts and execve, so what it writes exists before the
  // user's process does.
  std::function<void(const ContainerRecord&)> before_release;
};

struct CreatedContainer {
  pid_t pid = 0;
  int master = -1;  // pty master when process.terminal
  int userns_fd = -1;  // keep_userns: the init's user namespace, usable after it exited
  FuseDaemon fuse;     // the fuse-overlayfs serving the root (mode fuse-overlayfs)
  ContainerRecord record;
};

// Clones the container's init and sets everything up. With detach it
// returns once the init waits at the exec fifo (status created, record
// written); otherwise once execve succeeded. prestart/createRuntime hooks
// run here (runtime namespace), createContainer/startContainer in the init.
// A null filter with linux.seccomp set makes the init compile it while the
// id maps are written. On failure the init is killed and the error rethrown.
CreatedContainer create_container(const Config& c, const std::string& id, const CreateOptions& o, SeccompFilter* filter,
                                  const sigset_t& old_mask);

// Lets a created container's init go on to execve; returns once it did (or
// throws what the init reported), then runs the poststart hooks.
void start_created(const std::string& dir, const ContainerRecord& r, const Config& c);

// Removes a container's state directory (flat files only) in one visible step.
void remove_state_dir(const std::string& dir);

// Signal by name ("TERM", "SIGTERM", "RTMIN+3") or number.
int parse_signal(const std::string& text);

// True for signals after which the monitor must not restart the container.
bool is_stop_signal(int sig);

// Verbs: create, start, state, kill, delete, pause, resume, list, run, spec. `root` is the
// --root directory; args are the words after the verb. Returns the exit status.
int lifecycle_main(const std::string& root, const std::string& verb, const std::vector<std::string>& args);

// Legacy foreground form: run --bundle DIR --id ID [--state-dir DIR] [--remove-on-exit DIR].
[[noreturn]] void legacy_run(int argc, char** argv);

}  // namespace hutch
