// hutch-runtime: the single-threaded native executable that does what Node
// cannot (unshare a user namespace, set up a container before execve).
//
// Modes:
//   userns-exec --uid-map C:H:N[,...] --gid-map C:H:N[,...] [--mount-ns] -- PROG ARG...
//   run --bundle DIR --id ID [--state-dir DIR] [--remove-on-exit DIR]
//   rootfs-copy --lower DIR[:DIR...] --dest DIR (a copied container root)
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

#include <algorithm>

#include "apply-layer.h"
#include "config.h"
#include "attach-input.h"
#include "cp.h"
#include "rootfs-copy.h"
#include "exec.h"
#include "lifecycle.h"
#include "monitor.h"
#include "state.h"
#include "idmap.h"
#include "mounts.h"
#include "namespaces.h"
#include "process.h"
#include "pty.h"
#include "runtime-error.h"
#include "seccomp.h"

namespace hutch {
namespace {

constexpr const char* kUsage =
    "usage: hutch-runtime userns-exec --uid-map C:H:N[,...] --gid-map C:H:N[,...] [--mount-ns] -- PROG [ARG...]\n"
    "       hutch-runtime run --bundle DIR --id ID [--state-dir DIR] [--remove-on-exit DIR]\n"
    "       hutch-runtime [--root DIR] create [--bundle DIR] [--pid-file F] [--console-socket S] ID\n"
    "       hutch-runtime [--root DIR] start|state|list|pause|resume|kill ID [SIGNAL]|delete [--force] ID\n"
    "       hutch-runtime [--root DIR] run [--bundle DIR] [--pid-file F] ID\n"
    "       hutch-runtime spec [--rootless] [--bundle DIR]\n"
    "       hutch-runtime monitor --bundle DIR --id ID --root DIR --log FILE [--log-max-size BYTES] [--terminal]\n"
    "                     [--stdin] [--restart no|on-failure[:N]|always|unless-stopped] [--exit-command PROG ARG...]\n"
    "       hutch-runtime rootfs-copy --lower DIR[:DIR...] --dest DIR   (inside userns-exec)\n"
    "       hutch-runtime apply-layer JOB-JSON   (a layer blob on stdin; run through userns-exec)\n";

struct UsernsExecArgs {
  IdMap uid_map;
  IdMap gid_map;
  bool mount_ns = false;
  std::vector<char*> argv;
};

UsernsExecArgs parse_userns_exec(int argc, char** argv) {
  UsernsExecArgs a;
  bool have_uid = false, have_gid = false;
  int i = 2;
  for (; i < argc; i++) {
    std::string arg = argv[i];
    if (arg == "--") {
      i++;
      break;
    }
    if (arg == "--mount-ns") {
      a.mount_ns = true;
    } else if ((arg == "--uid-map" || arg == "--gid-map") && i + 1 < argc) {
      IdMap m = parse_id_map(argv[++i], arg.c_str());
      if (arg == "--uid-map") {
        a.uid_map = m;
        have_uid = true;
      } else {
        a.gid_map = m;
        have_gid = true;
      }
    } else {
      throw RuntimeError("userns-exec: unexpected argument `" + arg + "`\n" + kUsage);
    }
  }
  if (!have_uid || !have_gid) throw RuntimeError("userns-exec: --uid-map and --gid-map are required\n" + std::string(kUsage));
  if (i >= argc) throw RuntimeError("userns-exec: no program given after --\n" + std::string(kUsage));
  for (; i < argc; i++) a.argv.push_back(argv[i]);
  a.argv.push_back(nullptr);
  uint32_t dummy;
  if (!map_to_host(a.uid_map, 0, &dummy)) throw RuntimeError("userns-exec: --uid-map does not map container uid 0");
  if (!map_to_host(a.gid_map, 0, &dummy)) throw RuntimeError("userns-exec: --gid-map does not map container gid 0");
  return a;
}

// The helper that maps ids must live in the parent user namespace, so it is a
// child that stays behind while this process (keeping the pid the caller
// spawned) moves into the new namespace and later becomes PROG.
[[noreturn]] void map_ids_from_helper(int go_fd, pid_t target, const UsernsExecArgs& a) {
  char byte;
  ssize_t n;
  do n = read(go_fd, &byte, 1); while (n < 0 && errno == EINTR);
  // EOF: the target failed to unshare and reports that itself.
  if (n != 1) _exit(0);
  try {
    write_id_maps(target, a.uid_map, a.gid_map);
  } catch (const RuntimeError& e) {
    print_error(e.what());
    _exit(1);
  }
  _exit(0);
}

// False once "deny" was written to /proc/self/setgroups (required before an
// unprivileged gid_map write); setgroups(2) then fails with EPERM.
bool setgroups_allowed_here() {
  int fd = open("/proc/self/setgroups", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return true;
  char buf[8] = {};
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  return !(n >= 4 && strncmp(buf, "deny", 4) == 0);
}

[[noreturn]] void userns_exec(int argc, char** argv) {
  // Phase 1: arguments.
  UsernsExecArgs a = parse_userns_exec(argc, argv);
  const int flags = CLONE_NEWUSER | (a.mount_ns ? CLONE_NEWNS : 0);
  const bool self_mapped = geteuid() != 0 && is_own_single_id(a.uid_map, geteuid()) &&
                           is_own_single_id(a.gid_map, getegid());

  // Phase 2: new namespaces and id maps. A map of just the caller's own ids
  // is written by this process itself (like `unshare -r`); anything wider
  // needs newuidmap/newgidmap (or root) in the parent namespace.
  if (self_mapped) {
    unshare_or_throw(flags);
    deny_setgroups("self");
    write_id_map_file("self", IdKind::kGroup, a.gid_map);
    write_id_map_file("self", IdKind::kUser, a.uid_map);
  } else {
    int go[2];
    if (pipe2(go, O_CLOEXEC) != 0) throw sys_error_plain("pipe2", errno);
    pid_t self = getpid();
    pid_t helper = fork();
    if (helper < 0) throw sys_error_plain("fork", errno);
    if (helper == 0) {
      close(go[1]);
      map_ids_from_helper(go[0], self, a);
    }
    close(go[0]);
    // If unshare fails the helper sees end-of-file and exits; reap it so
    // that PROG never inherits a zombie child it did not create.
    try {
      unshare_or_throw(flags);
    } catch (...) {
      close(go[1]);
      waitpid(helper, nullptr, 0);
      throw;
    }
    char byte = 1;
    ssize_t wn;
    do wn = write(go[1], &byte, 1); while (wn < 0 && errno == EINTR);
    close(go[1]);
    int status = 0;
    while (waitpid(helper, &status, 0) < 0) {
      if (errno != EINTR) throw sys_error_plain("waitpid id-map helper", errno);
    }
    // The helper already printed why it failed.
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) exit(kExitRuntimeError);
  }

  // Phase 3: become root inside. Groups first: setgroups needs CAP_SETGID,
  // which a later setresuid to a non-zero uid would drop.
  if (setgroups_allowed_here() && setgroups(0, nullptr) != 0) throw sys_error_plain("setgroups 0", errno);
  if (setresgid(0, 0, 0) != 0) throw sys_error_plain("setresgid 0", errno);
  if (setresuid(0, 0, 0) != 0) throw sys_error_plain("setresuid 0", errno);

  // Phase 4: a private mount namespace, so nothing mounted by PROG
  // propagates back to the host's peer groups.
  if (a.mount_ns && mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
    throw sys_error("mount", "/ (MS_REC|MS_PRIVATE)", errno);
  }

  // Phase 5: become PROG, keeping this pid.
  execvp(a.argv[0], a.argv.data());
  int err = errno;
  throw RuntimeError("exec `" + std::string(a.argv[0]) + "`: " + errno_text(err),
                     err == ENOENT ? kExitNotFound : kExitCannotInvoke);
}


constexpr const char* kSealedEnv = "_HUTCH_RUNTIME_SEALED";

// CVE-2019-5736: in rootless mode container root is the user who owns this
// binary, so a container process must never be able to open it (through
// /proc/<pid>/exe) for writing. Run from a sealed in-memory copy instead.
void ensure_sealed_self(char** argv) {
  constexpr int kSeals = F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE;
  int self = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  if (self < 0) throw sys_error("open", "/proc/self/exe", errno);
  int seals = fcntl(self, F_GET_SEALS);
  if (seals >= 0 && (seals & kSeals) == kSeals) {
    close(self);
    unsetenv(kSealedEnv);
    // fexecve named us after the memfd; keep `ps` and /proc/<pid>/comm readable.
    prctl(PR_SET_NAME, "hutch-runtime", 0, 0, 0);
    return;
  }
  if (getenv(kSealedEnv) != nullptr) throw RuntimeError("re-executing from a sealed memfd did not take effect; refusing to run unsealed");
  // MFD_EXEC (Linux 6.3) keeps the copy executable when vm.memfd_noexec is set.
  constexpr unsigned kMfdExec = 0x10;
  int mem = memfd_create("hutch-runtime", MFD_CLOEXEC | MFD_ALLOW_SEALING | kMfdExec);
  if (mem < 0 && errno == EINVAL) mem = memfd_create("hutch-runtime", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (mem < 0) throw sys_error_plain("memfd_create hutch-runtime", errno);
  for (;;) {
    ssize_t n = sendfile(mem, self, nullptr, 1 << 20);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw sys_error("copy", "/proc/self/exe", errno);
    if (n == 0) break;
  }
  close(self);
  if (fcntl(mem, F_ADD_SEALS, kSeals) != 0) throw sys_error_plain("fcntl F_ADD_SEALS", errno);
  setenv(kSealedEnv, "1", 1);
  fexecve(mem, argv, environ);
  throw sys_error_plain("fexecve sealed copy", errno);
}

// glibc's posix_spawn, which starts this runtime from the addon, leaves its
// two internal signals (32 and 33, below SIGRTMIN) ignored, and an ignored
// signal stays ignored across execve: restored here, every process the
// runtime starts gets default dispositions, as after any other spawn.
// sigaction(3) refuses these two, hence the raw syscall; with every field
// but the handler zero, the kernel struct's per-arch layout does not matter.
void restore_internal_signal_defaults() {
  struct {
    void (*handler)(int);
    unsigned long flags;
    void (*restorer)();
    unsigned char mask[(_NSIG - 1) / 8];
  } action{};
  action.handler = SIG_DFL;
  for (int sig = __SIGRTMIN; sig < SIGRTMIN; sig++) syscall(SYS_rt_sigaction, sig, &action, nullptr, sizeof action.mask);
}

}  // namespace
}  // namespace hutch

int main(int argc, char** argv) {
  using namespace hutch;
  restore_internal_signal_defaults();
  try {
    // Global options (runc's shape): --root DIR before the verb.
    std::string root;
    int i = 1;
    for (; i < argc; i++) {
      std::string arg = argv[i];
      if (arg == "--root" && i + 1 < argc) {
        root = argv[++i];
      } else if (arg.compare(0, 7, "--root=") == 0) {
        root = arg.substr(7);
      } else {
        break;
      }
    }
    std::string mode = i < argc ? argv[i] : "";
    if (i == 1 && mode == "userns-exec") userns_exec(argc, argv);
    if (mode == "--help" || mode == "-h" || mode == "help") {
      fputs(kUsage, stdout);
      return 0;
    }
    if (mode.empty()) throw RuntimeError(std::string("missing mode\n") + kUsage);
    std::vector<std::string> args(argv + i + 1, argv + argc);
    const bool legacy = mode == "run" && i == 1 && std::find(args.begin(), args.end(), "--id") != args.end();
    // Every process that becomes a container's parent (or its init) runs from
    // a sealed copy and is never dumpable (CVE-2019-5736).
    if (mode == "run" || mode == "create" || mode == "monitor" || mode == "exec" || mode == "cp") {
      ensure_sealed_self(argv);
      if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) throw sys_error_plain("prctl PR_SET_DUMPABLE", errno);
    }
    if (legacy) legacy_run(argc, argv);
    if (mode == "monitor") return monitor_main(args);
    if (mode == "apply-layer") return apply_layer_main(args);
    if (mode == "exec") return exec_main(root.empty() ? default_state_root() : root, args);
    if (mode == "cp") return cp_main(root.empty() ? default_state_root() : root, args);
    if (mode == "rootfs-copy") return rootfs_copy_main(args);
    if (mode == "attach-input") return attach_input_main(root.empty() ? default_state_root() : root, args);
    static const char* const kVerbs[] = {"create", "start", "state", "kill", "delete", "pause", "resume", "list", "run", "spec"};
    if (std::find(std::begin(kVerbs), std::end(kVerbs), mode) == std::end(kVerbs)) {
      throw RuntimeError("unknown mode `" + mode + "`\n" + kUsage);
    }
    int code = lifecycle_main(root.empty() ? default_state_root() : root, mode, args);
    fflush(stdout);
    return code;
  } catch (const RuntimeError& e) {
    print_error(e.what());
    return e.exit_code();
  } catch (const std::exception& e) {
    print_error(e.what());
    return kExitRuntimeError;
  }
}
