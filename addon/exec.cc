#include "exec.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#include "process.h"
#include "pty.h"
#include "runtime-error.h"
#include "seccomp.h"
#include "state.h"

namespace hutch {

namespace {

constexpr char kMsgPtyMaster = 'T';
constexpr char kMsgError = 'E';

struct ExecArgs {
  std::string id;
  bool tty = false;
  bool has_user = false;
  uint32_t uid = 0, gid = 0;
  std::string cwd;
  std::vector<std::string> env;
  std::vector<std::string> argv;
};

uint32_t parse_id(const std::string& s, const char* what) {
  if (s.empty() || s.find_first_not_of("0123456789") != std::string::npos || s.size() > 10) {
    throw RuntimeError(std::string("exec: --user ") + what + " `" + s + "` must be numeric");
  }
  unsigned long v = strtoul(s.c_str(), nullptr, 10);
  if (v > 0xfffffffeUL) throw RuntimeError(std::string("exec: --user ") + what + " out of range");
  return static_cast<uint32_t>(v);
}

ExecArgs parse_exec(const std::vector<std::string>& args) {
  ExecArgs a;
  size_t i = 0;
  for (; i < args.size(); i++) {
    const std::string& k = args[i];
    if (k == "--") {
      i++;
      break;
    }
    if (k == "--tty" || k == "-t") {
      a.tty = true;
    } else if (i + 1 < args.size() && (k == "--user" || k == "-u")) {
      std::string v = args[++i];
      size_t colon = v.find(':');
      a.has_user = true;
      a.uid = parse_id(v.substr(0, colon), "uid");
      a.gid = colon == std::string::npos ? a.uid : parse_id(v.substr(colon + 1), "gid");
    } else if (i + 1 < args.size() && (k == "--cwd")) {
      a.cwd = args[++i];
      if (a.cwd.empty() || a.cwd[0] != '/') throw RuntimeError("exec: --cwd must be absolute");
    } else if (i + 1 < args.size() && (k == "--env" || k == "-e")) {
      std::string v = args[++i];
      if (v.find('=') == std::string::npos || v[0] == '=') throw RuntimeError("exec: --env `" + v + "` must be K=V");
      a.env.push_back(v);
    } else if (k[0] == '-') {
      throw RuntimeError("exec: unknown option `" + k + "`");
    } else if (a.id.empty()) {
      a.id = k;
    } else {
      break;
    }
  }
  for (; i < args.size(); i++) a.argv.push_back(args[i]);
  if (a.id.empty()) throw RuntimeError("exec: container ID is required");
  if (a.argv.empty()) throw RuntimeError("exec: a command is required after the container ID (ID -- CMD ARG...)");
  validate_container_id(a.id, "exec");
  return a;
}

void set_env(std::vector<std::string>& env, const std::string& kv) {
  std::string key = kv.substr(0, kv.find('=') + 1);
  for (std::string& e : env) {
    if (e.compare(0, key.size(), key) == 0) {
      e = kv;
      return;
    }
  }
  env.push_back(kv);
}

// The program the monitor compiled from this same stored config at create, or
// a fresh compilation when it is missing or unreadable.
SeccompFilter* saved_or_compiled_seccomp(const std::string& dir, const SeccompSpec& spec) {
  std::string saved;
  try {
    if (read_small_file(dir + "/" + kSeccompProgram, &saved)) {
      if (SeccompFilter* filter = deserialize_seccomp(saved)) return filter;
    }
  } catch (const RuntimeError&) {
  }
  return compile_seccomp(spec);
}

}  // namespace

int exec_main(const std::string& root, const std::vector<std::string>& args) {
  ExecArgs a = parse_exec(args);
  std::string dir = container_dir(root, a.id);
  ContainerRecord r;
  bool have = read_record(dir, &r);
  Status s = derive_status(dir, r, have);
  if (s != Status::kRunning) throw RuntimeError("exec: container `" + a.id + "` is " + status_name(s) + ", must be running");
  int pidfd = open_verified_pidfd(r.pid, r.start_time);
  if (pidfd < 0) throw RuntimeError("exec: container `" + a.id + "` is stopped, must be running");
  // The process settings recorded at create (capabilities, no_new_privs,
  // seccomp, rlimits), with this command's own args, env, cwd and user.
  Config c = load_config_file(dir + "/" + kConfigCopy, r.bundle);
  ProcessSpec p = c.process;
  p.args = a.argv;
  for (const std::string& e : a.env) set_env(p.env, e);
  if (!a.cwd.empty()) p.cwd = a.cwd;
  if (a.has_user) {
    p.uid = a.uid;
    p.gid = a.gid;
    p.additional_gids.clear();
  }
  p.terminal = a.tty;
  SeccompFilter* filter = c.has_seccomp ? saved_or_compiled_seccomp(dir, c.seccomp) : nullptr;

  // setns through the pidfd (Linux 5.8) enters every namespace at once, the
  // user namespace first, atomically: no /proc/<pid>/ns path can be swapped.
  int flags = 0;
  for (const NamespaceSpec& ns : c.namespaces) flags |= ns.flag;
  if (setns(pidfd, flags) != 0) throw sys_error_plain("setns pidfd " + std::to_string(r.pid) + " " + namespace_flag_names(flags), errno);
  close(pidfd);

  sigset_t old_mask;
  block_supervised_signals(&old_mask);
  int signal_fd = open_signal_fd();
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) throw sys_error_plain("socketpair", errno);
  // The pid namespace applies to children only: the process runs in a fork.
  pid_t child = fork();
  if (child < 0) throw sys_error_plain("fork", errno);
  if (child == 0) {
    close(sv[0]);
    try {
      if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0) throw sys_error_plain("prctl PR_SET_PDEATHSIG", errno);
      int fd = open("/proc/self/setgroups", O_RDONLY | O_CLOEXEC);
      char buf[8] = {};
      bool groups_ok = true;
      if (fd >= 0) {
        groups_ok = !(read(fd, buf, sizeof buf - 1) >= 4 && strncmp(buf, "deny", 4) == 0);
        close(fd);
      }
      if (p.terminal) {
        std::string slave;
        int master = open_container_pty(&slave);
        send_fd(sv[1], kMsgPtyMaster, master);
        close(master);
        attach_controlling_terminal(slave);
      }
      apply_rlimits(p);
      if (p.has_umask) umask(p.umask);
      enter_cwd(p.cwd);
      std::string exe = find_executable(p);
      std::vector<char*> argv;
      for (const std::string& s2 : p.args) argv.push_back(const_cast<char*>(s2.c_str()));
      argv.push_back(nullptr);
      std::vector<char*> envp;
      for (const std::string& e : p.env) envp.push_back(const_cast<char*>(e.c_str()));
      envp.push_back(nullptr);
      close_fds_on_exec();
      if (sigprocmask(SIG_SETMASK, &old_mask, nullptr) != 0) throw sys_error_plain("sigprocmask", errno);
      apply_security(p, groups_ok, filter);
      execve(exe.c_str(), argv.data(), envp.data());
      int err = errno;
      throw RuntimeError("exec `" + exe + "`: " + errno_text(err),
                         err == ENOENT ? kExitNotFound : (err == EACCES || err == ENOEXEC) ? kExitCannotInvoke : kExitRuntimeError);
    } catch (const RuntimeError& e) {
      std::string m(1, kMsgError);
      int code = e.exit_code();
      m.append(reinterpret_cast<const char*>(&code), sizeof code);
      m += e.what();
      send(sv[1], m.data(), m.size(), MSG_NOSIGNAL);
      _exit(code);
    }
  }
  close(sv[1]);
  int master = -1;
  for (;;) {
    char buf[8192];
    int fd;
    ssize_t n = recv_message(sv[0], buf, sizeof buf, &fd);
    if (n <= 0) break;
    if (buf[0] == kMsgPtyMaster && fd >= 0) {
      master = fd;
      continue;
    }
    if (fd >= 0) close(fd);
    if (buf[0] == kMsgError && n >= static_cast<ssize_t>(1 + sizeof(int))) {
      int code;
      memcpy(&code, buf + 1, sizeof code);
      waitpid(child, nullptr, 0);
      throw RuntimeError(std::string(buf + 1 + sizeof code, static_cast<size_t>(n) - 1 - sizeof code), code);
    }
  }
  close(sv[0]);
  return supervise(child, master, signal_fd);
}

}  // namespace hutch
