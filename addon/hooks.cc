#include "hooks.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "json.h"
#include "runtime-error.h"

namespace hutch {

namespace {

std::vector<HookSpec> parse_list(const JsonValue* v, const std::string& where) {
  std::vector<HookSpec> out;
  if (v == nullptr || v->is_null()) return out;
  const auto& items = v->as_array(where);
  for (size_t i = 0; i < items.size(); i++) {
    std::string wi = where + "[" + std::to_string(i) + "]";
    HookSpec h;
    const JsonValue* path = items[i].get("path");
    if (path == nullptr) throw RuntimeError("config.json: `" + wi + ".path` is required");
    h.path = path->as_string(wi + ".path");
    if (h.path.empty() || h.path[0] != '/') throw RuntimeError("config.json: `" + wi + ".path` must be absolute");
    if (const JsonValue* a = items[i].get("args"); a != nullptr && !a->is_null()) {
      const auto& args = a->as_array(wi + ".args");
      for (size_t j = 0; j < args.size(); j++) h.args.push_back(args[j].as_string(wi + ".args[" + std::to_string(j) + "]"));
    }
    if (const JsonValue* e = items[i].get("env"); e != nullptr && !e->is_null()) {
      const auto& env = e->as_array(wi + ".env");
      for (size_t j = 0; j < env.size(); j++) h.env.push_back(env[j].as_string(wi + ".env[" + std::to_string(j) + "]"));
    }
    if (const JsonValue* t = items[i].get("timeout"); t != nullptr && !t->is_null()) {
      uint64_t secs = t->as_uint64(wi + ".timeout");
      // runtime-spec: "timeout ... MUST be greater than zero".
      if (secs == 0 || secs > 86400 * 365) throw RuntimeError("config.json: `" + wi + ".timeout` must be greater than zero");
      h.timeout = static_cast<unsigned>(secs);
    }
    out.push_back(h);
  }
  return out;
}

int64_t now_ms() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

// Runs one hook; returns an empty string on success, else why it failed.
std::string run_one(const HookSpec& h, const std::string& state_json) {
  int in[2];
  if (pipe2(in, O_CLOEXEC) != 0) return "pipe2: " + errno_text(errno);
  std::vector<char*> argv;
  if (h.args.empty()) argv.push_back(const_cast<char*>(h.path.c_str()));
  for (const std::string& a : h.args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (const std::string& e : h.env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  pid_t pid = fork();
  if (pid < 0) {
    int err = errno;
    close(in[0]);
    close(in[1]);
    return "fork: " + errno_text(err);
  }
  if (pid == 0) {
    // The caller may have signals blocked for its signalfd; a hook starts clean.
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    if (dup2(in[0], STDIN_FILENO) < 0) _exit(126);
    execve(h.path.c_str(), argv.data(), envp.data());
    char msg[512];
    int n = snprintf(msg, sizeof msg, "exec `%s`: %s\n", h.path.c_str(), errno_text(errno).c_str());
    if (n > 0) (void)!write(STDERR_FILENO, msg, static_cast<size_t>(n) < sizeof msg ? static_cast<size_t>(n) : sizeof msg - 1);
    _exit(127);
  }
  close(in[0]);
  // A hook that does not read its stdin must not block us: non-blocking
  // writes, and a full pipe just ends the state JSON early.
  fcntl(in[1], F_SETFL, O_NONBLOCK);
  // A hook that exits without reading closes the pipe: the write gets EPIPE,
  // and the SIGPIPE it raises is held back and discarded rather than killing us.
  sigset_t pipe_set, old_set;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  sigprocmask(SIG_BLOCK, &pipe_set, &old_set);
  size_t off = 0;
  while (off < state_json.size()) {
    ssize_t w = write(in[1], state_json.data() + off, state_json.size() - off);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) break;
    off += static_cast<size_t>(w);
  }
  close(in[1]);
  const struct timespec no_wait = {0, 0};
  while (sigtimedwait(&pipe_set, nullptr, &no_wait) == SIGPIPE) {
  }
  sigprocmask(SIG_SETMASK, &old_set, nullptr);
  int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  const int64_t deadline = h.timeout > 0 ? now_ms() + static_cast<int64_t>(h.timeout) * 1000 : -1;
  bool timed_out = false;
  if (pidfd >= 0) {
    for (;;) {
      int wait = -1;
      if (deadline >= 0) {
        int64_t left = deadline - now_ms();
        wait = left > 0 ? static_cast<int>(left) : 0;
      }
      struct pollfd p = {pidfd, POLLIN, 0};
      int rc = poll(&p, 1, wait);
      if (rc < 0 && errno == EINTR) continue;
      if (rc == 0) {
        timed_out = true;
        kill(pid, SIGKILL);
      }
      break;
    }
    close(pidfd);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return "waitpid: " + errno_text(errno);
  }
  if (timed_out) return "timed out after " + std::to_string(h.timeout) + "s (killed)";
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return "";
  if (WIFEXITED(status)) return "exit " + std::to_string(WEXITSTATUS(status));
  return "killed by signal " + std::to_string(WTERMSIG(status));
}

}  // namespace

Hooks parse_hooks(const JsonValue& hooks) {
  hooks.as_object("hooks");
  Hooks h;
  h.prestart = parse_list(hooks.get("prestart"), "hooks.prestart");
  h.create_runtime = parse_list(hooks.get("createRuntime"), "hooks.createRuntime");
  h.create_container = parse_list(hooks.get("createContainer"), "hooks.createContainer");
  h.start_container = parse_list(hooks.get("startContainer"), "hooks.startContainer");
  h.poststart = parse_list(hooks.get("poststart"), "hooks.poststart");
  h.poststop = parse_list(hooks.get("poststop"), "hooks.poststop");
  return h;
}

void run_hooks(const std::vector<HookSpec>& hooks, const char* phase, const std::string& state_json) {
  for (size_t i = 0; i < hooks.size(); i++) {
    std::string why = run_one(hooks[i], state_json);
    if (!why.empty()) throw RuntimeError("hook " + std::string(phase) + "[" + std::to_string(i) + "] `" + hooks[i].path + "`: " + why);
  }
}

void run_hooks_warn(const std::vector<HookSpec>& hooks, const char* phase, const std::string& state_json) {
  for (size_t i = 0; i < hooks.size(); i++) {
    std::string why = run_one(hooks[i], state_json);
    if (!why.empty()) print_error("warning: hook " + std::string(phase) + "[" + std::to_string(i) + "] `" + hooks[i].path + "`: " + why);
  }
}

}  // namespace hutch
