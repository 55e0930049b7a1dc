#include "monitor.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <malloc.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#include "lifecycle.h"
#include "logfile.h"
#include "runtime-error.h"
#include "seccomp.h"
#include "state.h"

namespace hutch {

namespace {

constexpr int kMaxClients = 8;
// Attach framing (SOCK_SEQPACKET): monitor → client packets start with one
// byte naming the stream; client → monitor packets are stdin bytes as is.
constexpr char kAttachStdout = 1;
constexpr char kAttachStderr = 2;

enum class Restart { kNo, kOnFailure, kAlways, kUnlessStopped };

struct MonitorArgs {
  std::string bundle, id, root, log;
  uint64_t log_max = 0;
  bool terminal = false;
  bool keep_stdin = false;
  Restart restart = Restart::kNo;
  unsigned max_restarts = 0;  // on-failure:N; 0 = unlimited
  std::vector<std::string> exit_command;
};

std::string absolute(const std::string& p) {
  if (!p.empty() && p[0] == '/') return p;
  char cwd[PATH_MAX];
  if (getcwd(cwd, sizeof cwd) == nullptr) throw sys_error_plain("getcwd", errno);
  return std::string(cwd) + "/" + p;
}

MonitorArgs parse_monitor(const std::vector<std::string>& args) {
  MonitorArgs a;
  for (size_t i = 0; i < args.size(); i++) {
    const std::string& k = args[i];
    if (k == "--terminal") {
      a.terminal = true;
    } else if (k == "--stdin") {
      a.keep_stdin = true;
    } else if (k == "--exit-command") {
      if (i + 1 >= args.size()) throw RuntimeError("monitor: --exit-command needs a program");
      a.exit_command.assign(args.begin() + static_cast<long>(i) + 1, args.end());
      break;
    } else if (i + 1 < args.size() && (k == "--bundle" || k == "--id" || k == "--root" || k == "--log" ||
                                       k == "--log-max-size" || k == "--restart")) {
      const std::string& v = args[++i];
      if (k == "--bundle") a.bundle = v;
      else if (k == "--id") a.id = v;
      else if (k == "--root") a.root = v;
      else if (k == "--log") a.log = v;
      else if (k == "--log-max-size") {
        if (v.empty() || v.find_first_not_of("0123456789") != std::string::npos) throw RuntimeError("monitor: --log-max-size must be a number of bytes");
        a.log_max = strtoull(v.c_str(), nullptr, 10);
      } else {
        if (v == "no") a.restart = Restart::kNo;
        else if (v == "always") a.restart = Restart::kAlways;
        else if (v == "unless-stopped") a.restart = Restart::kUnlessStopped;
        else if (v == "on-failure") a.restart = Restart::kOnFailure;
        else if (v.compare(0, 11, "on-failure:") == 0 && v.size() > 11 && v.find_first_not_of("0123456789", 11) == std::string::npos) {
          a.restart = Restart::kOnFailure;
          a.max_restarts = static_cast<unsigned>(strtoul(v.c_str() + 11, nullptr, 10));
        } else {
          throw RuntimeError("monitor: --restart `" + v + "` must be no, on-failure[:N], always or unless-stopped");
        }
      }
    } else {
      throw RuntimeError("monitor: unexpected argument `" + k + "`");
    }
  }
  if (a.bundle.empty() || a.id.empty() || a.root.empty() || a.log.empty()) {
    throw RuntimeError("monitor: --bundle, --id, --root and --log are required");
  }
  validate_container_id(a.id, "monitor");
  a.root = absolute(a.root);
  a.log = absolute(a.log);
  return a;
}

void write_all(int fd, const std::string& s) {
  size_t off = 0;
  while (off < s.size()) {
    ssize_t n = write(fd, s.data() + off, s.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    off += static_cast<size_t>(n);
  }
}

// The monitor lives as long as its container, so its resident set is what
// it costs per container (target: 1 MiB). Setup touched much of libc's and
// our own text; those clean file pages are dropped from our page tables
// (they stay in the page cache, shared) and only the few the loop uses
// fault back in. Only r-x mappings: they are never written, so nothing is
// lost (a written private page would be).
void shed_text_pages() {
  malloc_trim(0);
  int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  char buf[16384];
  size_t len = 0;
  for (;;) {
    ssize_t n = read(fd, buf + len, sizeof buf - 1 - len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    len += static_cast<size_t>(n);
    if (len == sizeof buf - 1) break;
  }
  close(fd);
  buf[len] = '\0';
  for (char* line = buf; line != nullptr && *line != '\0';) {
    char* next = strchr(line, '\n');
    if (next != nullptr) *next++ = '\0';
    unsigned long start = 0, end = 0;
    char perms[8] = {};
    if (sscanf(line, "%lx-%lx %7s", &start, &end, perms) == 3 && strcmp(perms, "r-xp") == 0 && strchr(line, '[') == nullptr) {
      madvise(reinterpret_cast<void*>(start), end - start, MADV_DONTNEED);
    }
    line = next;
  }
}

struct Stream {
  int fd = -1;
  const char* name;
  char tag;
};

class Monitor {
 public:
  Monitor(const MonitorArgs& a, Config& c, SeccompFilter* filter, std::string dir)
      : a_(a), c_(c), filter_(filter), dir_(std::move(dir)) {}

  [[noreturn]] void run(int report_fd);

 private:
  bool run_once(bool first, int* report_fd);
  void loop(pid_t pid, Stream out[2], int input);
  void accept_client();
  void broadcast(char tag, const char* data, size_t len);
  void write_exit(int status);
  void run_exit_command();

  const MonitorArgs& a_;
  Config& c_;
  SeccompFilter* filter_;
  std::string dir_;
  LogFile* log_ = nullptr;
  int signal_fd_ = -1;
  int listen_fd_ = -1;
  int clients_[kMaxClients];
  int exit_code_ = 0;
  unsigned restarts_ = 0;
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
  shed_text_pages();
  for (;;) {
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
        if (sig == SIGCHLD) {
          int st;
          pid_t w;
          // Subreaper: orphans of the exit command or of a joined pid namespace land here too.
          while ((w = waitpid(-1, &st, WNOHANG)) > 0) {
            if (w == pid) {
              exited = true;
              status = st;
            }
          }
        } else if (!exited) {
          kill(pid, sig);
        }
      }
    }
    if ((fds[1].revents & POLLIN) != 0) accept_client();
    for (int s = 0; s < 2; s++) {
      if (out[s].fd < 0 || (fds[2 + s].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
      ssize_t r = read(out[s].fd, buf, sizeof buf);
      if (r > 0) {
        log_->write(out[s].name, buf, static_cast<size_t>(r));
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
        if (input >= 0 && !exited) {
          const char* p = buf;
          size_t left = static_cast<size_t>(r);
          while (left > 0) {
            ssize_t w = write(input, p, left);
            if (w < 0 && errno == EINTR) continue;
            if (w <= 0) break;
            p += w;
            left -= static_cast<size_t>(w);
          }
        }
      } else if (r == 0 || (errno != EINTR && errno != EAGAIN)) {
        close(clients_[i]);
        clients_[i] = -1;
      }
    }
  }
  for (Stream* s = out; s < out + 2; s++) {
    if (s->fd >= 0 && s->fd != out[0].fd) close(s->fd);
  }
  if (out[0].fd >= 0) close(out[0].fd);
  if (!exited) {
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
  }
  write_exit(status);
}

void Monitor::write_exit(int status) {
  std::string json = "{\"exitCode\":";
  if (WIFSIGNALED(status)) {
    exit_code_ = 128 + WTERMSIG(status);
    json += std::to_string(exit_code_) + ",\"signal\":" + std::to_string(WTERMSIG(status));
  } else {
    exit_code_ = WEXITSTATUS(status);
    json += std::to_string(exit_code_);
  }
  json += ",\"finishedAt\":" + json_string(rfc3339_now()) + ",\"oomKilled\":false,\"restartCount\":" +
          std::to_string(restarts_) + "}\n";
  try {
    write_file_atomic(dir_, kExitFile, json);
  } catch (const RuntimeError&) {
    // `delete --force` may have removed the directory already.
  }
}

// Returns false when the container could not be created or started.
bool Monitor::run_once(bool first, int* report_fd) {
  int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
  int outp[2] = {-1, -1}, errp[2] = {-1, -1}, inp[2] = {-1, -1};
  CreateOptions o;
  o.dir = dir_;
  o.detach = true;
  if (!c_.process.terminal) {
    if (pipe2(outp, O_CLOEXEC) != 0 || pipe2(errp, O_CLOEXEC) != 0) throw sys_error_plain("pipe2", errno);
    if (a_.keep_stdin && pipe2(inp, O_CLOEXEC) != 0) throw sys_error_plain("pipe2", errno);
    o.stdio[0] = inp[0] >= 0 ? inp[0] : devnull;
    o.stdio[1] = outp[1];
    o.stdio[2] = errp[1];
  } else {
    for (int& s : o.stdio) s = devnull;
  }
  sigset_t none;
  sigemptyset(&none);
  CreatedContainer cc;
  try {
    unlink((dir_ + "/" + kUserStopped).c_str());
    cc = create_container(c_, a_.id, o, filter_, none);
    for (int fd : {inp[0], outp[1], errp[1], devnull}) {
      if (fd >= 0) close(fd);
    }
    devnull = -1;
    start_created(dir_, cc.record, c_);
  } catch (const RuntimeError& e) {
    for (int fd : {inp[0], inp[1], outp[0], outp[1], errp[0], errp[1], devnull}) {
      if (fd >= 0) close(fd);
    }
    if (first) {
      write_all(*report_fd, "E" + std::to_string(e.exit_code()) + " " + e.what());
      _exit(e.exit_code());
    }
    log_->write("stderr", e.what(), strlen(e.what()));
    log_->write("stderr", "\n", 1);
    return false;
  }
  write_file_atomic(dir_, kMonitorFile,
                    "{\"monitorPid\":" + std::to_string(getpid()) + ",\"monitorStartTime\":" +
                        std::to_string(process_start_time(getpid())) + ",\"containerPid\":" + std::to_string(cc.pid) +
                        ",\"containerStartTime\":" + std::to_string(cc.record.start_time) + ",\"startedAt\":" +
                        json_string(rfc3339_now()) + ",\"restartCount\":" + std::to_string(restarts_) + "}\n");
  if (first) {
    write_all(*report_fd, "P" + std::to_string(cc.pid));
    close(*report_fd);
    *report_fd = -1;
  }
  Stream out[2] = {{-1, "stdout", kAttachStdout}, {-1, "stderr", kAttachStderr}};
  int input = -1;
  if (c_.process.terminal) {
    out[0].fd = cc.master;
    input = cc.master;
  } else {
    out[0].fd = outp[0];
    out[1].fd = errp[0];
    input = inp[1];
  }
  loop(cc.pid, out, input);
  if (inp[1] >= 0) close(inp[1]);
  return true;
}

void Monitor::run_exit_command() {
  if (a_.exit_command.empty()) return;
  pid_t pid = fork();
  if (pid != 0) return;
  setsid();
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  signal(SIGHUP, SIG_DFL);
  signal(SIGPIPE, SIG_DFL);
  std::vector<char*> argv;
  for (const std::string& s : a_.exit_command) argv.push_back(const_cast<char*>(s.c_str()));
  argv.push_back(nullptr);
  execvp(argv[0], argv.data());
  _exit(127);
}

void Monitor::run(int report_fd) {
  for (int& c : clients_) c = -1;
  LogFile log(a_.log, a_.log_max);
  log_ = &log;
  sigset_t mask;
  sigemptyset(&mask);
  for (int s : {SIGCHLD, SIGINT, SIGTERM, SIGQUIT, SIGUSR1, SIGUSR2}) sigaddset(&mask, s);
  sigprocmask(SIG_BLOCK, &mask, nullptr);
  signal_fd_ = signalfd(-1, &mask, SFD_CLOEXEC);
  if (signal_fd_ < 0) throw sys_error_plain("signalfd", errno);

  std::string sock = dir_ + "/" + kAttachSocket;
  struct sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  if (sock.size() >= sizeof addr.sun_path) throw RuntimeError("monitor: attach socket path `" + sock + "` is too long for a unix socket");
  memcpy(addr.sun_path, sock.c_str(), sock.size());
  listen_fd_ = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (listen_fd_ < 0) throw sys_error_plain("socket AF_UNIX", errno);
  unlink(sock.c_str());
  if (bind(listen_fd_, reinterpret_cast<struct sockaddr*>(&addr), sizeof addr) != 0) throw sys_error("bind", sock, errno);
  if (listen(listen_fd_, kMaxClients) != 0) throw sys_error("listen", sock, errno);

  bool first = true;
  for (;;) {
    bool ok = run_once(first, &report_fd);
    first = false;
    struct stat st;
    const bool user_stopped = lstat((dir_ + "/" + kUserStopped).c_str(), &st) == 0;
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
  unlink(sock.c_str());
  run_exit_command();
  _exit(0);
}

}  // namespace

int monitor_main(const std::vector<std::string>& args) {
  MonitorArgs a = parse_monitor(args);
  Config c = load_config(a.bundle);
  if (a.terminal != c.process.terminal) {
    throw RuntimeError(std::string("monitor: --terminal ") + (a.terminal ? "given" : "missing") + " but config.json `process.terminal` is " +
                       (c.process.terminal ? "true" : "false"));
  }
  SeccompFilter* filter = c.has_seccomp ? compile_seccomp(c.seccomp) : nullptr;
  make_dirs(a.root);
  std::string dir = a.root + "/" + a.id;
  if (mkdir(dir.c_str(), 0700) != 0) {
    if (errno == EEXIST) throw RuntimeError("monitor: container `" + a.id + "` already exists");
    throw sys_error("mkdir", dir, errno);
  }
  write_file_atomic(dir, kConfigCopy, c.raw_json);
  int report[2];
  if (pipe2(report, O_CLOEXEC) != 0) throw sys_error_plain("pipe2", errno);
  fflush(stdout);
  pid_t mid = fork();
  if (mid < 0) throw sys_error_plain("fork", errno);
  if (mid == 0) {
    close(report[0]);
    // Daemon: own session (no controlling terminal, so no SIGHUP from a
    // closing terminal), then a second fork so it can never reacquire one.
    setsid();
    pid_t mon = fork();
    if (mon != 0) _exit(mon < 0 ? kExitRuntimeError : 0);
    signal(SIGHUP, SIG_IGN);
    signal(SIGPIPE, SIG_IGN);
    prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
    if (chdir("/") != 0) _exit(kExitRuntimeError);
    int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
    for (int fd = 0; fd < 3; fd++) dup2(devnull, fd);
    if (devnull > 2) close(devnull);
    try {
      Monitor m(a, c, filter, dir);
      m.run(report[1]);
    } catch (const RuntimeError& e) {
      write_all(report[1], "E" + std::to_string(e.exit_code()) + " " + e.what());
      _exit(e.exit_code());
    } catch (const std::exception& e) {
      write_all(report[1], "E125 " + std::string(e.what()));
      _exit(kExitRuntimeError);
    }
  }
  close(report[1]);
  while (waitpid(mid, nullptr, 0) < 0 && errno == EINTR) {
  }
  std::string answer;
  char buf[4096];
  for (;;) {
    ssize_t n = read(report[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    answer.append(buf, static_cast<size_t>(n));
  }
  close(report[0]);
  if (!answer.empty() && answer[0] == 'P') {
    printf("%s\n", answer.c_str() + 1);
    fflush(stdout);
    return 0;
  }
  if (!answer.empty() && answer[0] == 'E') {
    size_t sp = answer.find(' ');
    int code = atoi(answer.c_str() + 1);
    remove_state_dir(dir);
    throw RuntimeError(sp == std::string::npos ? "monitor failed" : answer.substr(sp + 1), code > 0 ? code : kExitRuntimeError);
  }
  remove_state_dir(dir);
  throw RuntimeError("monitor: exited before the container started");
}

}  // namespace hutch
