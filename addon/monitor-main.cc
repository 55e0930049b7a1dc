// hutch-monitor: the per-container monitor (conmon's role), a small static
// executable started by `hutch-runtime monitor` (addon/monitor.cc). It is the
// container's parent outside its namespaces for the container's whole life:
// keeps its stdout/stderr pipes (or pty master), writes the log, serves
// attach clients, forwards signals, records the exit, restarts by policy and
// runs the exit command. Creating and starting the container is delegated to
// a child `hutch-runtime monitor --child ...` (which needs libseccomp and the
// whole config machinery); the container's init is that child's child and,
// when the child exits, is re-parented to this process (a child subreaper).
// Everything here lives as long as the container, so it is written for a
// small resident set: no iostreams, no exceptions, no heap, fixed buffers.
//
//   hutch-monitor --report-fd N --runtime PATH --bundle DIR --id ID --root DIR --log FILE
//                 [--log-max-size BYTES] [--terminal] [--stdin]
//                 [--restart no|on-failure[:N]|always|unless-stopped] [--exit-command PROG ARG...]
//
// Internal: only `hutch-runtime monitor` runs it, with absolute, validated
// arguments. The first start is reported on --report-fd ("P<pid>" or
// "E<status> <message>"), which is then closed.
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/sendfile.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <initializer_list>

#include "cgroup-remove.h"
#include "logfile.h"
#include "write-all.h"

namespace hutch {
namespace {

constexpr int kExitRuntimeError = 125;
constexpr int kMaxClients = 8;
// Attach framing (SOCK_SEQPACKET): monitor → client packets start with one
// byte naming the stream; client → monitor packets are stdin bytes as is.
constexpr char kAttachStdout = 1;
constexpr char kAttachStderr = 2;
// File names inside the container's directory (addon/state.h).
constexpr const char* kUserStopped = "stopped-by-user";
constexpr const char* kDeleting = "deleting";
constexpr const char* kExitFile = "exit.json";
constexpr const char* kMonitorFile = "monitor.json";
constexpr const char* kAttachSocket = "attach";
constexpr const char* kSealedEnv = "_HUTCH_MONITOR_SEALED";

enum class Restart { kNo, kOnFailure, kAlways, kUnlessStopped };

struct Args {
  int report_fd = -1;
  const char* runtime = nullptr;
  const char* bundle = nullptr;
  const char* id = nullptr;
  const char* root = nullptr;
  const char* log = nullptr;
  const char* log_max = nullptr;
  bool terminal = false;
  bool keep_stdin = false;
  Restart restart = Restart::kNo;
  unsigned max_restarts = 0;  // on-failure:N; 0 = unlimited
  char** exit_command = nullptr;
};

// A fixed-size text builder: messages, JSON files and paths.
struct Text {
  char s[4096];
  size_t len = 0;
  Text& add(const char* p, size_t n) {
    if (n > sizeof s - 1 - len) n = sizeof s - 1 - len;
    memcpy(s + len, p, n);
    len += n;
    s[len] = '\0';
    return *this;
  }
  Text& add(const char* p) { return add(p, strlen(p)); }
  Text& add_u64(uint64_t v) {
    char d[24];
    int i = sizeof d;
    do d[--i] = static_cast<char>('0' + v % 10); while ((v /= 10) != 0);
    return add(d + i, sizeof d - static_cast<size_t>(i));
  }
  Text& add_errno(int err) {
    const char* name = strerrorname_np(err);
    const char* desc = strerrordesc_np(err);
    if (name == nullptr) return add("errno ").add_u64(static_cast<unsigned>(err));
    return add(name).add(" (").add(desc != nullptr ? desc : "?").add(")");
  }
  const char* c_str() const { return s; }
};

bool parse_u64(const char* s, uint64_t* out) {
  if (*s == '\0') return false;
  uint64_t v = 0;
  for (; *s != '\0'; s++) {
    if (*s < '0' || *s > '9') return false;
    v = v * 10 + static_cast<uint64_t>(*s - '0');
  }
  *out = v;
  return true;
}

// Reports a failure of the first start to `hutch-runtime monitor` (which
// prints it and removes the state directory) and ends the monitor.
[[noreturn]] void fail(int report_fd, int code, const char* message) {
  if (report_fd >= 0) {
    Text t;
    t.add("E").add_u64(static_cast<unsigned>(code)).add(" ").add(message);
    write_all(report_fd, t.s, t.len);
  }
  _exit(code);
}

// CVE-2019-5736: in rootless mode container root is the user who owns this
// binary, so a container process must never be able to open it (through
// /proc/<pid>/exe) for writing. Run from a sealed in-memory copy, as
// hutch-runtime does.
void ensure_sealed_self(char** argv, int report_fd) {
  constexpr int kSeals = F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE;
  Text err;
  int self = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  if (self < 0) fail(report_fd, kExitRuntimeError, err.add("monitor: open `/proc/self/exe`: ").add_errno(errno).c_str());
  int seals = fcntl(self, F_GET_SEALS);
  if (seals >= 0 && (seals & kSeals) == kSeals) {
    close(self);
    unsetenv(kSealedEnv);
    // fexecve named us after the memfd; keep `ps` and /proc/<pid>/comm readable.
    prctl(PR_SET_NAME, "hutch-monitor", 0, 0, 0);
    return;
  }
  if (getenv(kSealedEnv) != nullptr) fail(report_fd, kExitRuntimeError, "monitor: re-executing from a sealed memfd did not take effect; refusing to run unsealed");
  // MFD_EXEC (Linux 6.3) keeps the copy executable when vm.memfd_noexec is set.
  constexpr unsigned kMfdExec = 0x10;
  int mem = memfd_create("hutch-monitor", MFD_CLOEXEC | MFD_ALLOW_SEALING | kMfdExec);
  if (mem < 0 && errno == EINVAL) mem = memfd_create("hutch-monitor", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (mem < 0) fail(report_fd, kExitRuntimeError, err.add("monitor: memfd_create hutch-monitor: ").add_errno(errno).c_str());
  for (;;) {
    ssize_t n = sendfile(mem, self, nullptr, 1 << 20);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail(report_fd, kExitRuntimeError, err.add("monitor: copy `/proc/self/exe`: ").add_errno(errno).c_str());
    if (n == 0) break;
  }
  close(self);
  if (fchmod(mem, 0555) != 0 || fcntl(mem, F_ADD_SEALS, kSeals) != 0) {
    fail(report_fd, kExitRuntimeError, err.add("monitor: fcntl F_ADD_SEALS: ").add_errno(errno).c_str());
  }
  setenv(kSealedEnv, "1", 1);
  fexecve(mem, argv, environ);
  fail(report_fd, kExitRuntimeError, err.add("monitor: fexecve sealed copy: ").add_errno(errno).c_str());
}

bool parse_args(int argc, char** argv, Args* a) {
  for (int i = 1; i < argc; i++) {
    const char* k = argv[i];
    if (strcmp(k, "--terminal") == 0) {
      a->terminal = true;
    } else if (strcmp(k, "--stdin") == 0) {
      a->keep_stdin = true;
    } else if (strcmp(k, "--exit-command") == 0) {
      if (i + 1 >= argc) return false;
      a->exit_command = argv + i + 1;
      break;
    } else if (i + 1 < argc) {
      const char* v = argv[++i];
      uint64_t n;
      if (strcmp(k, "--report-fd") == 0 && parse_u64(v, &n)) a->report_fd = static_cast<int>(n);
      else if (strcmp(k, "--runtime") == 0) a->runtime = v;
      else if (strcmp(k, "--bundle") == 0) a->bundle = v;
      else if (strcmp(k, "--id") == 0) a->id = v;
      else if (strcmp(k, "--root") == 0) a->root = v;
      else if (strcmp(k, "--log") == 0) a->log = v;
      else if (strcmp(k, "--log-max-size") == 0 && parse_u64(v, &n)) a->log_max = v;
      else if (strcmp(k, "--restart") == 0) {
        if (strcmp(v, "no") == 0) a->restart = Restart::kNo;
        else if (strcmp(v, "always") == 0) a->restart = Restart::kAlways;
        else if (strcmp(v, "unless-stopped") == 0) a->restart = Restart::kUnlessStopped;
        else if (strcmp(v, "on-failure") == 0) a->restart = Restart::kOnFailure;
        else if (strncmp(v, "on-failure:", 11) == 0 && parse_u64(v + 11, &n)) {
          a->restart = Restart::kOnFailure;
          a->max_restarts = static_cast<unsigned>(n);
        } else {
          return false;
        }
      } else {
        return false;
      }
    } else {
      return false;
    }
  }
  return a->report_fd >= 0 && a->runtime != nullptr && a->bundle != nullptr && a->id != nullptr && a->root != nullptr &&
         a->log != nullptr;
}

// /proc/self/stat field 22 (start time in clock ticks since boot); fields
// are counted after the last ')' since comm may contain anything.
uint64_t own_start_time() {
  int fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  char buf[1024];
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return 0;
  buf[n] = '\0';
  char* p = strrchr(buf, ')');
  if (p == nullptr) return 0;
  p += 2;
  for (int field = 3; field < 22; field++) {
    p = strchr(p, ' ');
    if (p == nullptr) return 0;
    p++;
  }
  uint64_t v = 0;
  for (; *p >= '0' && *p <= '9'; p++) v = v * 10 + static_cast<uint64_t>(*p - '0');
  return v;
}

Text& add_now(Text& t) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  char stamp[30];
  format_rfc3339(ts.tv_sec, ts.tv_nsec, stamp);
  return t.add("\"").add(stamp, sizeof stamp).add("\"");
}

// The monitor lives as long as its container, so its resident set is what
// it costs per container. Setup touched most of the (static) executable;
// pages of file-backed mappings without a private copy (smaps "Anonymous:
// 0") are clean, so dropping them from our page tables loses nothing (they
// stay in the page cache / memfd) and only what the loop uses faults back.
// A mapping with private copies (relocated data, written .data) is kept.
void shed_clean_pages() {
  int fd = open("/proc/self/smaps", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  char buf[4096];
  char line[512];
  size_t ll = 0;
  unsigned long start = 0, end = 0;
  bool file_backed = false;
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    for (ssize_t i = 0; i < n; i++) {
      if (buf[i] != '\n') {
        if (ll < sizeof line - 1) line[ll++] = buf[i];
        continue;
      }
      line[ll] = '\0';
      ll = 0;
      char* rest;
      unsigned long s = strtoul(line, &rest, 16);
      if (*rest == '-') {
        // "start-end perms offset dev inode path": a mapping header.
        start = s;
        end = strtoul(rest + 1, &rest, 16);
        const char* path = strchr(line, '/');
        file_backed = path != nullptr && strchr(line, '[') == nullptr;
      } else if (strncmp(line, "Anonymous:", 10) == 0 && file_backed) {
        if (strtoul(line + 10, nullptr, 10) == 0) madvise(reinterpret_cast<void*>(start), end - start, MADV_DONTNEED);
        file_backed = false;
      }
    }
  }
  close(fd);
}

bool write_file_atomic(const Text& dir, const char* name, const Text& content) {
  Text tmp, dst;
  tmp.add(dir.s, dir.len).add("/.").add(name).add(".tmp");
  dst.add(dir.s, dir.len).add("/").add(name);
  int fd = open(tmp.s, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return false;
  write_all(fd, content.s, content.len);
  close(fd);
  return rename(tmp.s, dst.s) == 0;
}

struct Stream {
  int fd;
  const char* name;
  char tag;
};

// What the child `hutch-runtime monitor --child` reported.
struct Started {
  pid_t pid = 0;
  uint64_t start_time = 0;
  int master = -1;
  int code = 0;  // non-zero: failed, `error` says why
  Text error;
  Text cgroup;  // the container's own cgroup directory; empty when it has none
};

class Monitor {
 public:
  explicit Monitor(const Args& a) : a_(a) {
    for (int& c : clients_) c = -1;
    dir_.add(a.root).add("/").add(a.id);
  }
  [[noreturn]] void run();

 private:
  bool run_once(bool first);
  void spawn(int mine, int theirs, const int stdio[3], Started* out);
  void loop(pid_t pid, Stream out[2], int input);
  void accept_client();
  void broadcast(char tag, const char* data, size_t len);
  void write_exit(int status);
  void run_exit_command();
  bool has_marker(const char* name) const;

  const Args& a_;
  Text dir_;
  LogFile log_;
  int signal_fd_ = -1;
  int listen_fd_ = -1;
  int clients_[kMaxClients];
  int exit_code_ = 0;
  unsigned restarts_ = 0;
  Text cgroup_;  // of the last start: kept across restarts, removed at the end
};

void Monitor::accept_client() {
  int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
  if (fd < 0) return;
  for (int& c : clients_) {
    if (c < 0) {
      c = fd;
      return;
    }
  }
  close(fd);
}

void Monitor::broadcast(char tag, const char* data, size_t len) {
  char pkt[1 + LogFile::kMaxLine];
  pkt[0] = tag;
  memcpy(pkt + 1, data, len);
  for (int& c : clients_) {
    if (c < 0) continue;
    // A slow client is dropped rather than ever blocking the container.
    if (send(c, pkt, len + 1, MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
      close(c);
      c = -1;
    }
  }
}

void Monitor::loop(pid_t pid, Stream out[2], int input) {
  bool exited = false;
  int status = 0;
  char buf[LogFile::kMaxLine];
  shed_clean_pages();
  // The init may have exited (and been re-parented to us as a zombie) before
  // this loop: sweep once, as its SIGCHLD may already have been consumed.
  bool sweep = true;
  for (;;) {
    if (sweep) {
      int st;
      pid_t w;
      // Subreaper: orphans of the exit command or of a shared pid namespace land here too.
      while ((w = waitpid(-1, &st, WNOHANG)) > 0) {
        if (w == pid) {
          exited = true;
          status = st;
        }
      }
      sweep = false;
    }
    struct pollfd fds[4 + kMaxClients];
    nfds_t n = 0;
    fds[n++] = {signal_fd_, POLLIN, 0};
    fds[n++] = {listen_fd_, POLLIN, 0};
    fds[n++] = {out[0].fd, POLLIN, 0};
    fds[n++] = {out[1].fd, POLLIN, 0};
    for (int c : clients_) fds[n++] = {c, POLLIN, 0};
    if (exited && out[0].fd < 0 && out[1].fd < 0) break;
    // After the exit only buffered output remains: wait briefly for it, a
    // leaked writer (a process that left the container) must not keep us.
    int rc = poll(fds, n, exited ? 1000 : -1);
    if (rc < 0 && errno == EINTR) continue;
    if (rc == 0 && exited) break;
    if ((fds[0].revents & POLLIN) != 0) {
      struct signalfd_siginfo si;
      if (read(signal_fd_, &si, sizeof si) == static_cast<ssize_t>(sizeof si)) {
        int sig = static_cast<int>(si.ssi_signo);
        if (sig == SIGCHLD) sweep = true;
        else if (!exited) kill(pid, sig);
      }
    }
    if ((fds[1].revents & POLLIN) != 0) accept_client();
    for (int s = 0; s < 2; s++) {
      if (out[s].fd < 0 || (fds[2 + s].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
      ssize_t r = read(out[s].fd, buf, sizeof buf);
      if (r > 0) {
        log_.write(out[s].name, buf, static_cast<size_t>(r));
        broadcast(out[s].tag, buf, static_cast<size_t>(r));
      } else if (r == 0 || (errno != EINTR && errno != EAGAIN)) {
        // EIO on a pty master: every slave fd is closed.
        close(out[s].fd);
        out[s].fd = -1;
      }
    }
    for (int i = 0; i < kMaxClients; i++) {
      if (clients_[i] < 0 || (fds[4 + i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
      ssize_t r = recv(clients_[i], buf, sizeof buf, MSG_DONTWAIT);
      if (r > 0) {
        if (input >= 0 && !exited) write_all(input, buf, static_cast<size_t>(r));
      } else if (r == 0 || (errno != EINTR && errno != EAGAIN)) {
        close(clients_[i]);
        clients_[i] = -1;
      }
    }
  }
  for (int s = 0; s < 2; s++) {
    if (out[s].fd >= 0) close(out[s].fd);
  }
  if (!exited) {
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
  }
  write_exit(status);
}

void Monitor::write_exit(int status) {
  Text json;
  json.add("{\"exitCode\":");
  if (WIFSIGNALED(status)) {
    exit_code_ = 128 + WTERMSIG(status);
    json.add_u64(static_cast<unsigned>(exit_code_)).add(",\"signal\":").add_u64(static_cast<unsigned>(WTERMSIG(status)));
  } else {
    exit_code_ = WEXITSTATUS(status);
    json.add_u64(static_cast<unsigned>(exit_code_));
  }
  json.add(",\"finishedAt\":");
  add_now(json).add(",\"oomKilled\":false,\"restartCount\":").add_u64(restarts_).add("}\n");
  // `delete --force` may have removed the directory already: nothing to do then.
  write_file_atomic(dir_, kExitFile, json);
}

// Runs `hutch-runtime monitor --child ...`, which creates and starts the
// container with the given stdio, and collects its report: the pty master
// (SCM_RIGHTS, tag 'T'), then "P<pid> <start time>" or "E<status> <message>".
// `theirs` (the child's end of the socketpair) is closed here.
void Monitor::spawn(int mine, int theirs, const int stdio[3], Started* out) {
  Text fds;
  fds.add_u64(static_cast<unsigned>(stdio[0])).add(",").add_u64(static_cast<unsigned>(stdio[1])).add(",").add_u64(static_cast<unsigned>(stdio[2]));
  Text rfd;
  rfd.add_u64(static_cast<unsigned>(theirs));
  const char* argv[16];
  int n = 0;
  argv[n++] = a_.runtime;
  argv[n++] = "monitor";
  argv[n++] = "--child";
  argv[n++] = "--report-fd";
  argv[n++] = rfd.s;
  argv[n++] = "--bundle";
  argv[n++] = a_.bundle;
  argv[n++] = "--id";
  argv[n++] = a_.id;
  argv[n++] = "--root";
  argv[n++] = a_.root;
  if (stdio[1] >= 0) {
    argv[n++] = "--stdio";
    argv[n++] = fds.s;
  }
  argv[n] = nullptr;
  pid_t child = fork();
  if (child < 0) {
    out->code = kExitRuntimeError;
    out->error.add("monitor: fork: ").add_errno(errno);
    return;
  }
  if (child == 0) {
    // The runtime (and the container's init it clones) starts with default
    // signal handling: nothing of the monitor's own set-up is inherited.
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    signal(SIGHUP, SIG_DFL);
    signal(SIGPIPE, SIG_DFL);
    for (int fd : {theirs, stdio[0], stdio[1], stdio[2]}) {
      if (fd >= 0) fcntl(fd, F_SETFD, 0);
    }
    execv(a_.runtime, const_cast<char* const*>(argv));
    Text t;
    t.add("E125 monitor: exec `").add(a_.runtime).add("`: ").add_errno(errno);
    send(theirs, t.s, t.len, MSG_NOSIGNAL);
    _exit(kExitRuntimeError);
  }
  close(theirs);
  int pidfd = static_cast<int>(syscall(SYS_pidfd_open, child, 0));
  for (;;) {
    struct pollfd p[2] = {{mine, POLLIN, 0}, {pidfd, POLLIN, 0}};
    int rc = poll(p, pidfd >= 0 ? 2 : 1, -1);
    if (rc < 0 && errno == EINTR) continue;
    if (rc < 0) break;
    if ((p[0].revents & POLLIN) == 0) {
      // The child is gone and its messages (queued before it exited) are read.
      if ((p[1].revents & POLLIN) != 0) break;
      continue;
    }
    char msg[4096];
    alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int))];
    struct iovec iov = {msg, sizeof msg - 1};
    struct msghdr mh = {};
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    mh.msg_control = control;
    mh.msg_controllen = sizeof control;
    ssize_t got = recvmsg(mine, &mh, MSG_CMSG_CLOEXEC);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;
    msg[got] = '\0';
    int fd = -1;
    for (struct cmsghdr* c = CMSG_FIRSTHDR(&mh); c != nullptr; c = CMSG_NXTHDR(&mh, c)) {
      if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) memcpy(&fd, CMSG_DATA(c), sizeof fd);
    }
    if (msg[0] == 'T' && fd >= 0) {
      out->master = fd;
      continue;
    }
    if (fd >= 0) close(fd);
    char* end;
    if (msg[0] == 'P') {
      out->pid = static_cast<pid_t>(strtol(msg + 1, &end, 10));
      out->start_time = strtoull(end, &end, 10);
      if (*end == ' ' && end[1] != '\0') out->cgroup.add(end + 1);
    } else if (msg[0] == 'E') {
      out->code = static_cast<int>(strtol(msg + 1, &end, 10));
      out->error.add(*end == ' ' ? end + 1 : end);
    }
  }
  int status = 0;
  while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  if (pidfd >= 0) close(pidfd);
  if (out->pid <= 0 && out->code == 0) {
    out->code = kExitRuntimeError;
    out->error.add("monitor: hutch-runtime exited (status ").add_u64(static_cast<unsigned>(status)).add(") before the container started");
  }
  if (out->code != 0 && out->master >= 0) {
    close(out->master);
    out->master = -1;
  }
}

// Returns false when the container could not be created or started.
bool Monitor::run_once(bool first) {
  Text stopped;
  stopped.add(dir_.s, dir_.len).add("/").add(kUserStopped);
  unlink(stopped.s);
  int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
  int outp[2] = {-1, -1}, errp[2] = {-1, -1}, inp[2] = {-1, -1}, sync[2] = {-1, -1};
  Started st;
  bool ok = socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sync) == 0;
  if (ok && !a_.terminal) {
    ok = pipe2(outp, O_CLOEXEC) == 0 && pipe2(errp, O_CLOEXEC) == 0 && (!a_.keep_stdin || pipe2(inp, O_CLOEXEC) == 0);
  }
  if (!ok || devnull < 0) {
    st.code = kExitRuntimeError;
    st.error.add("monitor: pipe2: ").add_errno(errno);
  } else {
    int stdio[3] = {-1, -1, -1};
    if (!a_.terminal) {
      stdio[0] = inp[0] >= 0 ? inp[0] : devnull;
      stdio[1] = outp[1];
      stdio[2] = errp[1];
    }
    spawn(sync[0], sync[1], stdio, &st);
    sync[1] = -1;
  }
  for (int fd : {sync[0], sync[1], inp[0], outp[1], errp[1], devnull}) {
    if (fd >= 0) close(fd);
  }
  if (st.code != 0) {
    for (int fd : {inp[1], outp[0], errp[0]}) {
      if (fd >= 0) close(fd);
    }
    if (first) fail(a_.report_fd, st.code, st.error.s);
    st.error.add("\n");
    log_.write("stderr", st.error.s, st.error.len);
    return false;
  }
  Text json;
  json.add("{\"monitorPid\":").add_u64(static_cast<unsigned>(getpid())).add(",\"monitorStartTime\":").add_u64(own_start_time());
  json.add(",\"containerPid\":").add_u64(static_cast<unsigned>(st.pid)).add(",\"containerStartTime\":").add_u64(st.start_time);
  json.add(",\"startedAt\":");
  add_now(json).add(",\"restartCount\":").add_u64(restarts_).add("}\n");
  write_file_atomic(dir_, kMonitorFile, json);
  cgroup_.len = 0;
  cgroup_.s[0] = '\0';
  cgroup_.add(st.cgroup.s, st.cgroup.len);
  if (first) {
    Text p;
    p.add("P").add_u64(static_cast<unsigned>(st.pid));
    write_all(a_.report_fd, p.s, p.len);
    close(a_.report_fd);
  }
  Stream out[2] = {{-1, "stdout", kAttachStdout}, {-1, "stderr", kAttachStderr}};
  int input = -1;
  if (a_.terminal) {
    out[0].fd = st.master;
    input = st.master;
  } else {
    out[0].fd = outp[0];
    out[1].fd = errp[0];
    input = inp[1];
  }
  loop(st.pid, out, input);
  if (inp[1] >= 0) close(inp[1]);
  return true;
}

// A file the CLI or the runtime leaves in the state directory (stopped-by-user, deleting).
bool Monitor::has_marker(const char* name) const {
  Text path;
  path.add(dir_.s, dir_.len).add("/").add(name);
  struct stat st;
  return lstat(path.s, &st) == 0;
}

void Monitor::run_exit_command() {
  // `delete --force` killed the container and removes its state itself.
  if (a_.exit_command == nullptr || has_marker(kDeleting)) return;
  pid_t pid = fork();
  if (pid != 0) return;
  setsid();
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  signal(SIGHUP, SIG_DFL);
  signal(SIGPIPE, SIG_DFL);
  execvp(a_.exit_command[0], a_.exit_command);
  _exit(127);
}

void Monitor::run() {
  Text err;
  if (int e = log_.open_file(a_.log, a_.log_max != nullptr ? strtoull(a_.log_max, nullptr, 10) : 0)) {
    fail(a_.report_fd, kExitRuntimeError, err.add("open `").add(a_.log).add("`: ").add_errno(e).c_str());
  }
  sigset_t mask;
  sigemptyset(&mask);
  for (int s : {SIGCHLD, SIGINT, SIGTERM, SIGQUIT, SIGUSR1, SIGUSR2}) sigaddset(&mask, s);
  sigprocmask(SIG_BLOCK, &mask, nullptr);
  signal_fd_ = signalfd(-1, &mask, SFD_CLOEXEC);
  if (signal_fd_ < 0) fail(a_.report_fd, kExitRuntimeError, err.add("signalfd: ").add_errno(errno).c_str());

  Text sock;
  sock.add(dir_.s, dir_.len).add("/").add(kAttachSocket);
  // sun_path holds 108 bytes, less than a state dir path may take; binding
  // through /proc/self/fd/N of the directory keeps the address short whatever
  // the directory's path (conmon does the same). Clients connect the same way.
  int dir_fd = open(dir_.s, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0) fail(a_.report_fd, kExitRuntimeError, err.add("open `").add(dir_.s, dir_.len).add("`: ").add_errno(errno).c_str());
  Text short_path;
  short_path.add("/proc/self/fd/").add_u64(static_cast<unsigned>(dir_fd)).add("/").add(kAttachSocket);
  struct sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  memcpy(addr.sun_path, short_path.s, short_path.len);
  listen_fd_ = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (listen_fd_ < 0) fail(a_.report_fd, kExitRuntimeError, err.add("socket AF_UNIX: ").add_errno(errno).c_str());
  unlink(sock.s);
  if (bind(listen_fd_, reinterpret_cast<struct sockaddr*>(&addr), sizeof addr) != 0) {
    fail(a_.report_fd, kExitRuntimeError, err.add("bind `").add(sock.s).add("`: ").add_errno(errno).c_str());
  }
  close(dir_fd);
  if (listen(listen_fd_, kMaxClients) != 0) {
    fail(a_.report_fd, kExitRuntimeError, err.add("listen `").add(sock.s).add("`: ").add_errno(errno).c_str());
  }

  bool first = true;
  for (;;) {
    bool ok = run_once(first);
    first = false;
    const bool user_stopped = has_marker(kUserStopped) || has_marker(kDeleting);
    bool again = false;
    if (ok && !user_stopped) {
      switch (a_.restart) {
        case Restart::kNo: break;
        case Restart::kOnFailure: again = exit_code_ != 0 && (a_.max_restarts == 0 || restarts_ < a_.max_restarts); break;
        case Restart::kAlways:
        case Restart::kUnlessStopped: again = true; break;
      }
    }
    if (!again) break;
    restarts_++;
  }
  for (int& c : clients_) {
    if (c >= 0) close(c);
  }
  close(listen_fd_);
  unlink(sock.s);
  // The container is over (no restart): its cgroup goes before the exit
  // command, whose `delete` would otherwise have to.
  if (cgroup_.len > 0) remove_cgroup_dir(cgroup_.s);
  run_exit_command();
  _exit(0);
}

}  // namespace
}  // namespace hutch

int main(int argc, char** argv) {
  using namespace hutch;
  Args a;
  if (!parse_args(argc, argv, &a)) {
    static const char kUsage[] = "hutch-monitor: internal to `hutch-runtime monitor`; see docs/runtime-native.md\n";
    write_all(2, kUsage, sizeof kUsage - 1);
    return kExitRuntimeError;
  }
  ensure_sealed_self(argv, a.report_fd);
  if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) fail(a.report_fd, kExitRuntimeError, "monitor: prctl PR_SET_DUMPABLE failed");
  fcntl(a.report_fd, F_SETFD, FD_CLOEXEC);
  // A daemon: a closing terminal or a vanished attach client must not kill it.
  signal(SIGHUP, SIG_IGN);
  signal(SIGPIPE, SIG_IGN);
  // The container's init is our grandchild; it is adopted when the
  // runtime process between us exits.
  if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0) fail(a.report_fd, kExitRuntimeError, "monitor: prctl PR_SET_CHILD_SUBREAPER failed");
  if (chdir("/") != 0) fail(a.report_fd, kExitRuntimeError, "monitor: chdir `/` failed");
  Monitor m(a);
  m.run();
}
