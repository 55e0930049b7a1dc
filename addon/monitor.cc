// `hutch-runtime monitor`: the entry point that starts a container under its
// own monitor (the static hutch-monitor executable, addon/monitor-main.cc),
// and `monitor --child`, the create-and-start step that monitor delegates
// back to this runtime.
#include "monitor.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#include "lifecycle.h"
#include "pty.h"
#include "runtime-error.h"
#include "seccomp.h"
#include "state.h"
#include "write-all.h"

namespace hutch {

namespace {

struct MonitorArgs {
  std::string bundle, id, root, log;
  std::string restart_text = "no";
  uint64_t log_max = 0;
  bool terminal = false;
  bool keep_stdin = false;
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
        a.restart_text = v;
        const bool on_failure_n = v.compare(0, 11, "on-failure:") == 0 && v.size() > 11 && v.size() <= 20 &&
                                  v.find_first_not_of("0123456789", 11) == std::string::npos;
        if (v != "no" && v != "always" && v != "unless-stopped" && v != "on-failure" && !on_failure_n) {
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

void write_all(int fd, const std::string& s) { hutch::write_all(fd, s.data(), s.size()); }

void send_message(int sock, const std::string& m) {
  ssize_t n;
  do n = send(sock, m.data(), m.size(), MSG_NOSIGNAL); while (n < 0 && errno == EINTR);
}

// This executable's own path. The sealed copy we run from has none, but
// fexecve kept the caller's argv[0]: resolved like execvp did (a name
// without '/' through PATH, else from the working directory, unchanged so far).
std::string own_path() {
  std::string argv0;
  if (!read_small_file("/proc/self/cmdline", &argv0)) throw RuntimeError("monitor: /proc/self/cmdline is missing");
  argv0 = argv0.c_str();
  std::vector<std::string> tries;
  if (argv0.find('/') != std::string::npos) {
    tries.push_back(argv0);
  } else {
    const char* path = getenv("PATH");
    std::string dirs = path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin";
    size_t pos = 0;
    for (;;) {
      size_t colon = dirs.find(':', pos);
      std::string d = dirs.substr(pos, colon == std::string::npos ? std::string::npos : colon - pos);
      tries.push_back((d.empty() ? "." : d) + "/" + argv0);
      if (colon == std::string::npos) break;
      pos = colon + 1;
    }
  }
  for (const std::string& t : tries) {
    char resolved[PATH_MAX];
    if (access(t.c_str(), X_OK) == 0 && realpath(t.c_str(), resolved) != nullptr) return resolved;
  }
  throw RuntimeError("monitor: cannot locate hutch-runtime from argv[0] `" + argv0 + "` (run it by its path)");
}

// `hutch-runtime monitor --child --report-fd N --bundle DIR --id ID --root DIR
// [--stdio IN,OUT,ERR]`, run by hutch-monitor: creates the container from
// the stored config.json in ROOT/ID (the init is cloned here, so it becomes
// the monitor's when we exit), starts it, and reports on the socket N: the
// pty master ('T', SCM_RIGHTS), then "P<pid> <start time>" or
// "E<status> <message>". Our own stdio stay /dev/null (hook output included).
int child_main(const std::vector<std::string>& args) {
  int report = -1;
  std::string bundle, id, root;
  int stdio[3] = {-1, -1, -1};
  for (size_t i = 1; i + 1 < args.size(); i += 2) {
    const std::string& k = args[i];
    const std::string& v = args[i + 1];
    if (k == "--report-fd") report = atoi(v.c_str());
    else if (k == "--bundle") bundle = v;
    else if (k == "--id") id = v;
    else if (k == "--root") root = v;
    else if (k == "--stdio") sscanf(v.c_str(), "%d,%d,%d", &stdio[0], &stdio[1], &stdio[2]);
  }
  if (report < 0 || fcntl(report, F_SETFD, FD_CLOEXEC) != 0) throw RuntimeError("monitor --child: --report-fd is required (internal to hutch-monitor)");
  for (int fd : stdio) {
    if (fd >= 0) fcntl(fd, F_SETFD, FD_CLOEXEC);
  }
  try {
    validate_container_id(id, "monitor");
    const std::string dir = container_dir(root, id);
    Config c = load_config_file(dir + "/" + kConfigCopy, bundle);
    // As a program, generated once: loaded by the init, and kept for exec.
    SeccompFilter* filter = c.has_seccomp ? compile_seccomp(c.seccomp, SeccompForm::kProgram) : nullptr;
    CreateOptions o;
    o.dir = dir;
    o.detach = true;
    for (int i = 0; i < 3; i++) o.stdio[i] = stdio[i];
    sigset_t none;
    sigemptyset(&none);
    CreatedContainer cc = create_container(c, id, o, filter, none);
    for (int fd : stdio) {
      if (fd >= 0) close(fd);
    }
    if (cc.master >= 0) {
      send_fd(report, 'T', cc.master);
      close(cc.master);
    }
    start_created(dir, cc.record, c);
    // Best effort: without it, exec compiles the profile again.
    if (filter != nullptr) {
      try {
        write_file_atomic(dir, kSeccompProgram, serialize_seccomp(filter));
      } catch (const RuntimeError&) {
      }
    }
    send_message(report, "P" + std::to_string(cc.pid) + " " + std::to_string(cc.record.start_time));
  } catch (const RuntimeError& e) {
    send_message(report, "E" + std::to_string(e.exit_code()) + " " + e.what());
    return e.exit_code();
  }
  return 0;
}

}  // namespace

int monitor_main(const std::vector<std::string>& args) {
  if (!args.empty() && args[0] == "--child") return child_main(args);
  MonitorArgs a = parse_monitor(args);
  Config c = load_config(a.bundle);
  if (a.terminal != c.process.terminal) {
    throw RuntimeError(std::string("monitor: --terminal ") + (a.terminal ? "given" : "missing") + " but config.json `process.terminal` is " +
                       (c.process.terminal ? "true" : "false"));
  }
  const std::string runtime = own_path();
  const std::string monitor = runtime.substr(0, runtime.rfind('/') + 1) + "hutch-monitor";
  if (access(monitor.c_str(), X_OK) != 0) throw sys_error("monitor: access", monitor, errno);
  make_dirs(a.root);
  std::string dir = a.root + "/" + a.id;
  if (mkdir(dir.c_str(), 0700) != 0) {
    if (errno == EEXIST) throw RuntimeError("monitor: container `" + a.id + "` already exists");
    throw sys_error("mkdir", dir, errno);
  }
  try {
    write_file_atomic(dir, kConfigCopy, c.raw_json);
  } catch (...) {
    remove_state_dir(dir);
    throw;
  }
  int report[2];
  if (pipe2(report, O_CLOEXEC) != 0) throw sys_error_plain("pipe2", errno);
  std::vector<std::string> words = {monitor, "--report-fd", std::to_string(report[1]), "--runtime", runtime,
                                    "--bundle", c.bundle, "--id", a.id, "--root", a.root, "--log", a.log,
                                    "--restart", a.restart_text};
  if (a.log_max > 0) words.insert(words.end(), {"--log-max-size", std::to_string(a.log_max)});
  if (a.terminal) words.push_back("--terminal");
  if (a.keep_stdin) words.push_back("--stdin");
  if (!a.exit_command.empty()) {
    words.push_back("--exit-command");
    words.insert(words.end(), a.exit_command.begin(), a.exit_command.end());
  }
  std::vector<char*> argv;
  for (std::string& w : words) argv.push_back(&w[0]);
  argv.push_back(nullptr);
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
    // Nothing of the caller's may stay open in the monitor: its stdout is
    // often a pipe the caller reads to end-of-file.
    int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
    for (int fd = 0; fd < 3; fd++) dup2(devnull, fd);
    if (devnull > 2) close(devnull);
    fcntl(report[1], F_SETFD, 0);
    execv(monitor.c_str(), argv.data());
    write_all(report[1], "E125 exec `" + monitor + "`: " + errno_text(errno));
    _exit(kExitRuntimeError);
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
