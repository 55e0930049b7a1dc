// Probes fork a child of the (multithreaded) Node process. After fork only the
// forking thread exists and any lock another thread held stays locked forever,
// so the child may only make async-signal-safe calls: raw syscalls on memory
// prepared before fork(), then _exit(). Namespaces and mounts the child makes
// die with it; the parent always reaps it.
#include "probes.h"

#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "dl-library.h"

namespace hutch {

namespace {

// What the child sends back: the index of the failing step (-1 when all
// succeeded) and its errno.
struct ChildReport {
  int step;
  int err;
};

ChildReport fail(int step) { return ChildReport{step, errno}; }

ssize_t write_all(int fd, const void* buf, size_t len) {
  const char* p = static_cast<const char*>(buf);
  size_t done = 0;
  while (done < len) {
    ssize_t n = write(fd, p + done, len - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    done += static_cast<size_t>(n);
  }
  return static_cast<ssize_t>(done);
}

// Writes a whole prepared string to a /proc file; async-signal-safe.
bool write_proc_file(const char* path, const char* content, size_t len) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  bool ok = write_all(fd, content, len) == static_cast<ssize_t>(len);
  int saved = errno;
  close(fd);
  errno = saved;
  return ok;
}

// Runs body() in a forked child and maps its report onto labels[step].
// Signals stay blocked in the child so that Node's handlers, inherited by
// fork, cannot run there and write into the parent's signal pipe.
template <size_t N, typename Body>
ProbeOutcome fork_probe(const char* const (&labels)[N], Body body) {
  ProbeOutcome out;
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    out.syscall = "pipe2";
    out.err = errno;
    return out;
  }
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  pid_t pid = fork();
  if (pid == 0) {
    ChildReport report = body();
    write_all(fds[1], &report, sizeof report);
    _exit(0);
  }
  int fork_errno = errno;
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  close(fds[1]);
  if (pid < 0) {
    close(fds[0]);
    out.syscall = "fork";
    out.err = fork_errno;
    return out;
  }

  ChildReport report{-2, 0};
  ssize_t got;
  do {
    got = read(fds[0], &report, sizeof report);
  } while (got < 0 && errno == EINTR);
  close(fds[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }

  if (got != static_cast<ssize_t>(sizeof report) || report.step >= static_cast<int>(N)) {
    out.syscall = "probe child";
    out.err = ECHILD;
    out.detail = WIFSIGNALED(status) ? std::string("killed by signal ") + strsignal(WTERMSIG(status))
                                     : "exited without reporting";
    return out;
  }
  if (report.step < 0) {
    out.ok = true;
    return out;
  }
  out.syscall = labels[report.step];
  out.err = report.err;
  return out;
}

// The caller's own uid and gid as the only ids of a new user namespace ("0 ID 1").
struct OwnIdMaps {
  char uid_map[48];
  char gid_map[48];
  int uid_len;
  int gid_len;
  OwnIdMaps() {
    uid_len = snprintf(uid_map, sizeof uid_map, "0 %u 1\n", static_cast<unsigned>(getuid()));
    gid_len = snprintf(gid_map, sizeof gid_map, "0 %u 1\n", static_cast<unsigned>(getgid()));
  }
};

// Steps 0-4 of the mount probes (labels kUsernsSteps), async-signal-safe: a
// fresh user+mount namespace where we are root, with private mounts.
// Returns the failing step's report, or step -1.
ChildReport enter_private_userns(const OwnIdMaps& m) {
  if (unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0) return fail(0);
  // setgroups must be denied before an unprivileged gid_map write (user_namespaces(7));
  // kernels before 3.19 have no such file.
  if (!write_proc_file("/proc/self/setgroups", "deny", 4) && errno != ENOENT) return fail(1);
  if (!write_proc_file("/proc/self/uid_map", m.uid_map, static_cast<size_t>(m.uid_len))) return fail(2);
  if (!write_proc_file("/proc/self/gid_map", m.gid_map, static_cast<size_t>(m.gid_len))) return fail(3);
  if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) return fail(4);
  return ChildReport{-1, 0};
}

#define HUTCH_USERNS_STEPS \
  "unshare CLONE_NEWUSER|CLONE_NEWNS", "write /proc/self/setgroups", "write /proc/self/uid_map", \
      "write /proc/self/gid_map", "mount MS_REC|MS_PRIVATE /"

}  // namespace

ProbeOutcome probe_user_namespace() {
  static const char* const labels[] = {"unshare CLONE_NEWUSER"};
  return fork_probe(labels, []() -> ChildReport {
    if (unshare(CLONE_NEWUSER) != 0) return fail(0);
    return ChildReport{-1, 0};
  });
}

ProbeOutcome probe_overlay_in_user_namespace(const std::string& lower, const std::string& upper,
                                             const std::string& work, const std::string& merged) {
  static const char* const labels[] = {HUTCH_USERNS_STEPS, "mount overlay"};
  const OwnIdMaps maps;
  // userxattr (Linux 5.11) stores overlay metadata as user.overlay.* — the
  // only form an unprivileged mounter may write, and what storage relies on.
  std::string options = "lowerdir=" + lower + ",upperdir=" + upper + ",workdir=" + work + ",userxattr";
  const char* opts = options.c_str();
  const char* target = merged.c_str();

  return fork_probe(labels, [&]() -> ChildReport {
    ChildReport entered = enter_private_userns(maps);
    if (entered.step >= 0) return entered;
    if (mount("overlay", target, "overlay", 0, opts) != 0) return fail(5);
    return ChildReport{-1, 0};
  });
}

ProbeOutcome probe_fuse_in_user_namespace(const std::string& merged) {
  static const char* const labels[] = {HUTCH_USERNS_STEPS, "open /dev/fuse", "mount fuse"};
  const OwnIdMaps maps;
  // The fd number is only known in the child, which writes the option string
  // by hand (no snprintf after fork). No leading zeros: the kernel would read octal.
  static const char kRest[] = ",rootmode=40000,user_id=0,group_id=0";
  char opts[64];
  const char* target = merged.c_str();

  return fork_probe(labels, [&]() -> ChildReport {
    ChildReport entered = enter_private_userns(maps);
    if (entered.step >= 0) return entered;
    // What the runtime does for a fuse-overlayfs root: the device opened
    // inside the user namespace, mounted there (no daemon is needed to mount;
    // the mount dies with this child's namespace).
    int fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
    if (fd < 0) return fail(5);
    char digits[12];
    int n = 0;
    for (int v = fd; n == 0 || v > 0; v /= 10) digits[n++] = static_cast<char>('0' + v % 10);
    size_t len = 0;
    for (char ch : {'f', 'd', '='}) opts[len++] = ch;
    while (n > 0) opts[len++] = digits[--n];
    for (size_t i = 0; i < sizeof kRest; i++) opts[len++] = kRest[i];
    if (mount("fuse-probe", target, "fuse", MS_NOSUID | MS_NODEV, opts) != 0) return fail(6);
    return ChildReport{-1, 0};
  });
}

ProbeOutcome probe_seccomp() {
  ProbeOutcome out;
  void* lib = dlopen("libseccomp.so.2", kLibraryOpenFlags);
  if (lib == nullptr) {
    out.syscall = "dlopen libseccomp.so.2";
    out.err = ENOENT;
    const char* why = dlerror();
    out.detail = why != nullptr ? why : "libseccomp.so.2 not found";
    return out;
  }
  struct ScmpVersion {
    unsigned int major, minor, micro;
  };
  using VersionFn = const ScmpVersion* (*)();
  auto version_fn = reinterpret_cast<VersionFn>(dlsym(lib, "seccomp_version"));
  if (version_fn == nullptr) {
    dlclose(lib);
    out.syscall = "dlsym seccomp_version";
    out.err = ENOSYS;
    out.detail = "libseccomp.so.2 is older than 2.3.0";
    return out;
  }
  const ScmpVersion* v = version_fn();
  std::string version = std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->micro);
  dlclose(lib);

  static const char* const labels[] = {"prctl PR_SET_NO_NEW_PRIVS", "seccomp SECCOMP_SET_MODE_FILTER"};
  struct sock_filter allow_all[] = {BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
  struct sock_fprog prog = {1, allow_all};
  out = fork_probe(labels, [&]() -> ChildReport {
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return fail(0);
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0) return fail(1);
    return ChildReport{-1, 0};
  });
  out.libseccomp_version = version;
  return out;
}

}  // namespace hutch
