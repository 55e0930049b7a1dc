#include "process.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>

#include "mounts.h"
#include "path-components.h"
#include "pty.h"
#include "runtime-error.h"
#include "write-all.h"

namespace hutch {

namespace {

// Capability numbers from linux/capability.h, by runtime-spec name.
constexpr const char* kCapNames[] = {
    "CAP_CHOWN",          "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER",          "CAP_FSETID",
    "CAP_KILL",           "CAP_SETGID",       "CAP_SETUID",          "CAP_SETPCAP",         "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN",    "CAP_NET_RAW",         "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",      "CAP_SYS_MODULE",   "CAP_SYS_RAWIO",       "CAP_SYS_CHROOT",      "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",      "CAP_SYS_ADMIN",    "CAP_SYS_BOOT",        "CAP_SYS_NICE",        "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",       "CAP_SYS_TTY_CONFIG", "CAP_MKNOD",         "CAP_LEASE",           "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",  "CAP_SETFCAP",      "CAP_MAC_OVERRIDE",    "CAP_MAC_ADMIN",       "CAP_SYSLOG",
    "CAP_WAKE_ALARM",     "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ",     "CAP_PERFMON",         "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
};
constexpr int kCapCount = sizeof(kCapNames) / sizeof(kCapNames[0]);

// _LINUX_CAPABILITY_VERSION_3: two 32-bit words per set.
struct CapHeader {
  uint32_t version;
  int pid;
};
struct CapData {
  uint32_t effective;
  uint32_t permitted;
  uint32_t inheritable;
};
constexpr uint32_t kCapVersion3 = 0x20080522;

constexpr const char* kDefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

constexpr int kSupervisedSignals[] = {SIGCHLD, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH};

int last_cap() {
  int fd = open("/proc/sys/kernel/cap_last_cap", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return kCapCount - 1;
  char buf[16] = {};
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  return n > 0 ? atoi(buf) : kCapCount - 1;
}

uint64_t cap_mask(const std::vector<std::string>& names, const char* set, int last) {
  uint64_t mask = 0;
  for (const std::string& name : names) {
    int nr = -1;
    for (int i = 0; i < kCapCount; i++) {
      if (name == kCapNames[i]) nr = i;
    }
    if (nr < 0) throw RuntimeError("config.json: `process.capabilities." + std::string(set) + "` " + name + " is not a capability");
    // A capability newer than the running kernel cannot be granted; like
    // runc, it is left out rather than failing the container.
    if (nr <= last) mask |= uint64_t{1} << nr;
  }
  return mask;
}

bool has_name(const std::vector<std::string>& env, const std::string& key, std::string* value) {
  for (const std::string& e : env) {
    if (e.compare(0, key.size() + 1, key + "=") == 0) {
      *value = e.substr(key.size() + 1);
      return true;
    }
  }
  return false;
}

int exit_code_of(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return kExitRuntimeError;
}

}  // namespace

void apply_rlimits(const ProcessSpec& p) {
  for (const RlimitSpec& r : p.rlimits) {
    struct rlimit rl = {static_cast<rlim_t>(r.soft), static_cast<rlim_t>(r.hard)};
    if (setrlimit(r.resource, &rl) != 0) throw sys_error("setrlimit", r.type, errno);
  }
}

void enter_cwd(const std::string& cwd) {
  int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root < 0) throw sys_error("open", "/", errno);
  int fd = open_in_root(root, cwd, O_PATH | O_DIRECTORY);
  int err = errno;
  close(root);
  // RESOLVE_NO_MAGICLINKS answers ELOOP for a /proc/.../fd or cwd link,
  // the CVE-2024-21626 way out of the root; say so rather than just ELOOP.
  if (fd < 0 && err == ELOOP) {
    throw RuntimeError("chdir `" + cwd + "`: " + errno_text(err) +
                       ": a symlink loop, or a /proc magic link that would lead outside the container's root");
  }
  if (fd < 0) throw sys_error("chdir", cwd, err);
  int rc = fchdir(fd);
  err = errno;
  close(fd);
  if (rc != 0) throw sys_error("chdir", cwd, err);
  // A directory reached through a leaked host fd would have no path under
  // our root; getcwd reports that as "(unreachable)" or ENOENT.
  char buf[4096];
  if (getcwd(buf, sizeof buf) == nullptr || buf[0] != '/') throw RuntimeError("chdir `" + cwd + "`: outside the container's root");
}

void create_cwd(const std::string& cwd, uint32_t uid, uint32_t gid) {
  int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root < 0) throw sys_error("open", "/", errno);
  std::string prefix;
  for_each_path_component(cwd, [&](const std::string& name) {
    std::string path = prefix + "/" + name;
    // Each component is resolved inside the root (symlinks cannot lead out);
    // only a missing one is created, in its resolved parent.
    int existing = open_in_root(root, path, O_PATH | O_DIRECTORY);
    if (existing >= 0) {
      close(existing);
    } else if (errno == ENOENT && name != "..") {
      int parent = open_in_root(root, prefix.empty() ? "/" : prefix, O_PATH | O_DIRECTORY);
      if (parent < 0) {
        int err = errno;
        close(root);
        throw sys_error("create working directory", prefix.empty() ? "/" : prefix, err);
      }
      int rc = mkdirat(parent, name.c_str(), 0755);
      int err = errno;
      if (rc == 0 && fchownat(parent, name.c_str(), uid, gid, AT_SYMLINK_NOFOLLOW) != 0) {
        rc = -1;
        err = errno;
      }
      close(parent);
      if (rc != 0 && err != EEXIST) {
        close(root);
        throw sys_error("create working directory", path, err);
      }
    }
    prefix = path;
  });
  close(root);
}

std::string find_executable(const ProcessSpec& p) {
  const std::string& prog = p.args[0];
  if (prog.find('/') != std::string::npos) return prog;
  std::string path;
  if (!has_name(p.env, "PATH", &path)) path = kDefaultPath;
  bool saw_eacces = false;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find(':', start);
    if (end == std::string::npos) end = path.size();
    std::string dir = path.substr(start, end - start);
    start = end + 1;
    std::string candidate = (dir.empty() ? "." : dir) + "/" + prog;
    struct stat st;
    if (stat(candidate.c_str(), &st) != 0) continue;
    if (S_ISREG(st.st_mode) && (st.st_mode & 0111) != 0) return candidate;
    saw_eacces = true;
  }
  if (saw_eacces) throw RuntimeError("exec `" + prog + "`: " + errno_text(EACCES), kExitCannotInvoke);
  throw RuntimeError("exec `" + prog + "`: " + errno_text(ENOENT) + " (not found in PATH " + path + ")", kExitNotFound);
}

void close_fds_on_exec() {
  // CLOSE_RANGE_CLOEXEC (Linux 5.11): fds stay usable for error reporting
  // until execve succeeds.
  constexpr unsigned kCloseRangeCloexec = 1U << 2;
  if (syscall(SYS_close_range, 3U, ~0U, kCloseRangeCloexec) != 0) throw sys_error_plain("close_range", errno);
}

void apply_security(const ProcessSpec& p, bool setgroups_allowed, SeccompFilter* seccomp) {
  const int last = last_cap();
  const uint64_t bounding = cap_mask(p.capabilities.bounding, "bounding", last);
  const uint64_t effective = cap_mask(p.capabilities.effective, "effective", last);
  const uint64_t permitted = cap_mask(p.capabilities.permitted, "permitted", last);
  const uint64_t inheritable = cap_mask(p.capabilities.inheritable, "inheritable", last);
  const uint64_t ambient = cap_mask(p.capabilities.ambient, "ambient", last);

  // Without no_new_privs, installing a filter needs CAP_SYS_ADMIN, so it
  // goes in while we still have it (crun apply_security_settings).
  if (!p.no_new_privileges && seccomp != nullptr) load_seccomp(seccomp);

  // Dropping from the bounding set needs CAP_SETPCAP: before anything else.
  for (int cap = 0; cap <= last; cap++) {
    if ((bounding & (uint64_t{1} << cap)) != 0) continue;
    if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0) throw sys_error("prctl PR_CAPBSET_DROP", kCapNames[cap], errno);
  }
  // Keep permitted capabilities across the switch to a non-zero uid; the
  // sets are then written explicitly.
  if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0) throw sys_error_plain("prctl PR_SET_KEEPCAPS", errno);
  if (setgroups_allowed) {
    std::vector<gid_t> gids(p.additional_gids.begin(), p.additional_gids.end());
    if (setgroups(gids.size(), gids.empty() ? nullptr : gids.data()) != 0) throw sys_error_plain("setgroups", errno);
  } else if (!p.additional_gids.empty()) {
    throw RuntimeError("setgroups: denied in this user namespace (single-id mapping), cannot set process.user.additionalGids");
  }
  if (setresgid(p.gid, p.gid, p.gid) != 0) throw sys_error_plain("setresgid " + std::to_string(p.gid), errno);
  if (setresuid(p.uid, p.uid, p.uid) != 0) throw sys_error_plain("setresuid " + std::to_string(p.uid), errno);
  if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) != 0) throw sys_error_plain("prctl PR_SET_KEEPCAPS", errno);

  CapHeader hdr{kCapVersion3, 0};
  CapData data[2] = {};
  for (int word = 0; word < 2; word++) {
    data[word].effective = static_cast<uint32_t>(effective >> (32 * word));
    data[word].permitted = static_cast<uint32_t>(permitted >> (32 * word));
    data[word].inheritable = static_cast<uint32_t>(inheritable >> (32 * word));
  }
  if (syscall(SYS_capset, &hdr, data) != 0) throw sys_error_plain("capset", errno);
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0) throw sys_error_plain("prctl PR_CAP_AMBIENT_CLEAR_ALL", errno);
  for (int cap = 0; cap <= last; cap++) {
    if ((ambient & (uint64_t{1} << cap)) == 0) continue;
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) != 0) throw sys_error("prctl PR_CAP_AMBIENT_RAISE", kCapNames[cap], errno);
  }
  if (p.no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) throw sys_error_plain("prctl PR_SET_NO_NEW_PRIVS", errno);
  // With no_new_privs the filter goes in last, so it only has to allow execve.
  if (p.no_new_privileges && seccomp != nullptr) load_seccomp(seccomp);
}

void block_supervised_signals(sigset_t* old_mask) {
  sigset_t set;
  sigemptyset(&set);
  for (int s : kSupervisedSignals) sigaddset(&set, s);
  if (sigprocmask(SIG_BLOCK, &set, old_mask) != 0) throw sys_error_plain("sigprocmask", errno);
}

int open_signal_fd() {
  sigset_t set;
  sigemptyset(&set);
  for (int s : kSupervisedSignals) sigaddset(&set, s);
  int fd = signalfd(-1, &set, SFD_CLOEXEC);
  if (fd < 0) throw sys_error_plain("signalfd", errno);
  return fd;
}

int supervise(pid_t child, int master_fd, int signal_fd) {
  const bool terminal = master_fd >= 0;
  bool stdin_open = terminal;
  const bool host_tty = terminal && isatty(STDIN_FILENO);
  if (terminal) {
    if (host_tty) {
      copy_window_size(STDIN_FILENO, master_fd);
      make_host_terminal_raw(STDIN_FILENO);
    }
  }
  int status = 0;
  bool exited = false;
  bool master_open = terminal;
  char buf[16384];
  while (!exited || master_open) {
    struct pollfd fds[3];
    nfds_t n = 0;
    fds[n++] = {signal_fd, POLLIN, 0};
    int master_idx = -1, stdin_idx = -1;
    if (master_open) {
      master_idx = static_cast<int>(n);
      fds[n++] = {master_fd, POLLIN, 0};
    }
    if (stdin_open && !exited) {
      stdin_idx = static_cast<int>(n);
      fds[n++] = {STDIN_FILENO, POLLIN, 0};
    }
    // Once the container is gone only buffered pty output remains: drain it without blocking.
    int rc = poll(fds, n, exited ? 0 : -1);
    if (rc < 0 && errno == EINTR) continue;
    if (rc < 0) throw sys_error_plain("poll", errno);
    if (rc == 0 && exited) break;
    if ((fds[0].revents & POLLIN) != 0) {
      struct signalfd_siginfo si;
      if (read(signal_fd, &si, sizeof si) == static_cast<ssize_t>(sizeof si)) {
        int sig = static_cast<int>(si.ssi_signo);
        if (sig == SIGCHLD) {
          pid_t w = waitpid(child, &status, WNOHANG);
          if (w == child) exited = true;
        } else if (sig == SIGWINCH) {
          if (host_tty) copy_window_size(STDIN_FILENO, master_fd);
        } else {
          kill(child, sig);
        }
      }
    }
    if (master_idx >= 0 && (fds[master_idx].revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
      ssize_t r = read(master_fd, buf, sizeof buf);
      // EIO: every slave fd is closed (the container exited).
      if (r > 0) write_all(STDOUT_FILENO, buf, static_cast<size_t>(r));
      else if (r == 0 || (r < 0 && errno != EINTR && errno != EAGAIN)) master_open = false;
    }
    if (stdin_idx >= 0 && (fds[stdin_idx].revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
      ssize_t r = read(STDIN_FILENO, buf, sizeof buf);
      if (r > 0) {
        write_all(master_fd, buf, static_cast<size_t>(r));
      } else if (r == 0 || errno != EINTR) {
        stdin_open = false;
        // A pipe's end becomes end-of-file for a canonical-mode reader in the container.
        if (!host_tty) write_all(master_fd, "\x04", 1);
      }
    }
  }
  restore_host_terminal();
  if (!exited) {
    while (waitpid(child, &status, 0) < 0) {
      if (errno != EINTR) throw sys_error_plain("waitpid", errno);
    }
  }
  return exit_code_of(status);
}

}  // namespace hutch
