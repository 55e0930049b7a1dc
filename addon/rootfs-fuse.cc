#include "rootfs-fuse.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <vector>

#include "json.h"
#include "runtime-error.h"
#include "state.h"

namespace hutch {

namespace {

constexpr const char* kFuseRecord = "fuse.json";
// The fd number fuse-overlayfs is told to serve ("/dev/fd/3").
constexpr int kDaemonFuseFd = 3;
// fuse-overlayfs only writes to stderr when it fails; bound what is shown.
constexpr size_t kMaxLogShown = 2000;

// After fork, in the child: never returns. Errors land in the log memfd
// (its stderr), which the runtime shows when setup fails.
[[noreturn]] void exec_daemon(const std::vector<std::string>& argv_text, int fuse_fd, int userns_fd, const std::string& leave_mount,
                              int log_fd) {
  auto die = [&](const std::string& what, int err) {
    std::string m = sys_error_plain(what, err).what();
    m += "\n";
    (void)!write(log_fd, m.data(), m.size());
    _exit(kExitRuntimeError);
  };
  // The container's user namespace: the daemon then owns the mount's files as
  // the container does (subordinate owners show as container ids), with no
  // capability outside it. Not its pid or mount namespace: the container can
  // neither see nor signal it, and pivot_root does not move its root.
  if (userns_fd >= 0 && setns(userns_fd, CLONE_NEWUSER) != 0) die("setns CLONE_NEWUSER", errno);
  // A copy of our mount namespace minus the FUSE mount: the mount's only
  // users stay the caller's, so it ends (and with it the daemon) when they do.
  if (!leave_mount.empty()) {
    if (unshare(CLONE_NEWNS) != 0) die("unshare CLONE_NEWNS", errno);
    if (umount2(leave_mount.c_str(), MNT_DETACH) != 0) die("umount " + leave_mount, errno);
  }
  // Host root (running hutch as root) is unmapped there: become the
  // namespace's root explicitly. Supplementary groups are dropped when the
  // namespace allows it (not after setgroups deny, single-id maps).
  (void)!setgroups(0, nullptr);
  if (setresgid(0, 0, 0) != 0) die("setresgid 0", errno);
  if (setresuid(0, 0, 0) != 0) die("setresuid 0", errno);
  // Its own session: a terminal's ^C for `hutch run` must reach the
  // container, not stop the filesystem under it.
  if (setsid() < 0) die("setsid", errno);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  for (int sig : {SIGHUP, SIGPIPE, SIGINT, SIGTERM}) signal(sig, SIG_DFL);
  int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null_fd < 0) die("open /dev/null", errno);
  if (dup2(null_fd, 0) < 0 || dup2(log_fd, 1) < 0 || dup2(log_fd, 2) < 0) die("dup2 stdio", errno);
  if (dup2(fuse_fd, kDaemonFuseFd) < 0) die("dup2 /dev/fuse", errno);
  // dup2 onto itself keeps close-on-exec: clear it in every case.
  if (fcntl(kDaemonFuseFd, F_SETFD, 0) != 0) die("fcntl /dev/fuse F_SETFD", errno);
  // Nothing else of the runtime's (sync socket, state dir, userns fd) stays open.
  if (syscall(SYS_close_range, kDaemonFuseFd + 1, ~0U, 0) != 0) die("close_range", errno);
  std::vector<char*> argv;
  for (const std::string& a : argv_text) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  execv(argv[0], argv.data());
  int err = errno;
  std::string m = "exec `" + argv_text[0] + "`: " + errno_text(err) + "\n";
  (void)!write(2, m.data(), m.size());
  _exit(err == ENOENT ? kExitNotFound : kExitCannotInvoke);
}

std::string read_log(int fd) {
  std::string text;
  char buf[512];
  off_t off = 0;
  while (text.size() < kMaxLogShown) {
    ssize_t n = pread(fd, buf, sizeof buf, off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    text.append(buf, static_cast<size_t>(n));
    off += n;
  }
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  for (char& ch : text) {
    if (ch == '\n') ch = ' ';
  }
  return text.substr(0, kMaxLogShown);
}

}  // namespace

int mount_fuse(const std::string& target, bool read_only) {
  // Opened here, inside the user namespace: the kernel accepts a FUSE mount
  // only on a /dev/fuse fd opened in the mounter's user namespace.
  int fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
  if (fd < 0) throw sys_error("open", "/dev/fuse", errno);
  // allow_other: every container user, not just its root, may use the root;
  // default_permissions: the kernel checks modes and owners as on overlayfs.
  std::string data = "fd=" + std::to_string(fd) + ",rootmode=40000,user_id=0,group_id=0,default_permissions,allow_other";
  unsigned long flags = MS_NOATIME | (read_only ? MS_RDONLY : 0);
  if (mount("fuse-overlayfs", target.c_str(), "fuse.fuse-overlayfs", flags, data.c_str()) != 0) {
    int err = errno;
    close(fd);
    throw sys_error("mount fuse.fuse-overlayfs", target, err);
  }
  return fd;
}

int mount_fuse_root(const Config& c) {
  if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) throw sys_error("make private", "/", errno);
  return mount_fuse(c.root_path, false);
}

FuseLayers fuse_layers(const Config& c) {
  return FuseLayers{c.overlay.mount_program, c.overlay.lowerdirs, c.overlay.upperdir, c.overlay.workdir};
}

FuseDaemon spawn_fuse_daemon(const FuseLayers& l, int fuse_fd, int userns_fd, const std::string& leave_mount) {
  std::string lower;
  for (const std::string& d : l.lowerdirs) lower += (lower.empty() ? "" : ":") + d;
  // The options containers/storage gives its mount_program for a store whose
  // files already carry the mapped owners: no uidmapping/squash options.
  const std::vector<std::string> argv = {
      l.program, "-f", "-o", "lowerdir=" + lower + ",upperdir=" + l.upperdir + ",workdir=" + l.workdir,
      "/dev/fd/" + std::to_string(kDaemonFuseFd)};
  FuseDaemon d;
  d.log_fd = static_cast<int>(syscall(SYS_memfd_create, "fuse-overlayfs-stderr", MFD_CLOEXEC));
  if (d.log_fd < 0) throw sys_error_plain("memfd_create fuse-overlayfs-stderr", errno);
  pid_t pid = fork();
  if (pid < 0) {
    int err = errno;
    close(d.log_fd);
    throw sys_error_plain("fork fuse-overlayfs", err);
  }
  if (pid == 0) exec_daemon(argv, fuse_fd, userns_fd, leave_mount, d.log_fd);
  d.pid = pid;
  d.start_time = process_start_time(pid);
  return d;
}

std::string fuse_daemon_failure(const std::string& program, const FuseDaemon& d) {
  if (d.pid <= 0) return "";
  int status = 0;
  // A daemon that failed is gone or going: give it a moment to end.
  int pidfd = open_verified_pidfd(d.pid, d.start_time);
  if (pidfd >= 0) {
    wait_pidfd(pidfd, 1000);
    close(pidfd);
  }
  // Still serving, or ended normally once the container's mount namespace
  // was gone: the failure was not the daemon's.
  if (waitpid(d.pid, &status, WNOHANG) != d.pid) return "";
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return "";
  std::string how = WIFSIGNALED(status) ? "was killed by signal " + std::to_string(WTERMSIG(status))
                                        : "exited with status " + std::to_string(WEXITSTATUS(status));
  std::string text = read_log(d.log_fd);
  return "; fuse-overlayfs `" + program + "` " + how + (text.empty() ? "" : ": " + text);
}

void end_fuse_daemon(FuseDaemon& d, int timeout_ms) {
  if (d.log_fd >= 0) close(d.log_fd);
  d.log_fd = -1;
  if (d.pid <= 0) return;
  int pidfd = open_verified_pidfd(d.pid, d.start_time);
  if (pidfd >= 0) {
    if (!wait_pidfd(pidfd, timeout_ms)) syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, nullptr, 0);
    close(pidfd);
  }
  // Reaps it when it is our child (run); ECHILD otherwise.
  while (waitpid(d.pid, nullptr, 0) < 0 && errno == EINTR) {
  }
  d.pid = -1;
}

void write_fuse_record(const std::string& dir, const FuseDaemon& d) {
  if (dir.empty() || d.pid <= 0) return;
  write_file_atomic(dir, kFuseRecord,
                    "{\"pid\":" + std::to_string(d.pid) + ",\"startTime\":" + std::to_string(d.start_time) + "}\n");
}

void end_recorded_fuse_daemon(const std::string& dir, int timeout_ms) {
  std::string text;
  if (!read_small_file(dir + "/" + kFuseRecord, &text)) return;
  JsonValue doc = JsonValue::parse(text);
  const JsonValue* pid = doc.get("pid");
  const JsonValue* start = doc.get("startTime");
  if (pid == nullptr || start == nullptr) return;
  FuseDaemon d;
  d.pid = static_cast<pid_t>(pid->as_uint64("fuse.json pid"));
  d.start_time = start->as_uint64("fuse.json startTime");
  end_fuse_daemon(d, timeout_ms);
}

}  // namespace hutch
