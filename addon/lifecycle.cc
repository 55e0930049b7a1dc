#include "lifecycle.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>

#include "cgroup.h"
#include "hooks.h"
#include "json.h"
#include "idmap.h"
#include "mounts.h"
#include "namespaces.h"
#include "process.h"
#include "pty.h"
#include "remove-tree.h"
#include "rootfs-fuse.h"
#include "runtime-error.h"
#include "seccomp-cache.h"

namespace hutch {

namespace {

// Messages on the SOCK_SEQPACKET socket between the runtime and the
// container's init. End-of-file (the child's end is close-on-exec) means
// execve succeeded.
constexpr char kMsgCgroupJoined = 'G';  // runtime: the init is in its cgroup
constexpr char kMsgMapsWritten = 'M';
constexpr char kMsgHookPoint = 'H';    // init: mounts done, before pivot_root (only when the runtime has hooks to run there)
constexpr char kMsgContinue = 'C';     // runtime: createRuntime hooks done; carries the state JSONs
constexpr char kMsgBlocked = 'B';      // init: waiting at the exec fifo (created)
constexpr char kMsgPtyMaster = 'T';
constexpr char kMsgFuseDevice = 'F';  // init: the /dev/fuse fd of its fuse-overlayfs root
constexpr char kMsgError = 'E';

constexpr size_t kMaxMessage = 256 * 1024;

struct InitContext {
  const Config* c;
  int sync;
  pid_t parent;
  sigset_t old_mask;
  SeccompFilter* filter;  // null with linux.seccomp: the init prepares it (during the id maps)
  int seccomp_cache_fd;   // where the init looks for the program and stores what it compiled, or -1
  bool detach;
  int stdio[3];
  int exec_fd;    // detach: init reads one byte from it (exec.fifo)
  int result_fd;  // detach: errors after the wait go here (start.fifo)
  bool hook_point;        // stop after the mounts for prestart/createRuntime hooks
  bool wait_cgroup;       // wait until the runtime moved us into our cgroup
  bool unshare_cgroupns;  // create the cgroup namespace ourselves, once in that cgroup
  bool unshare_netns;     // create the network namespace ourselves, once the id maps are written
};

// The cache directory is the user's, outside the container: the init closes
// it before any mount, so nothing in the container can reach it through the
// init; the runtime once the init is cloned.
void close_seccomp_cache(InitContext& x) {
  if (x.seccomp_cache_fd >= 0) close(x.seccomp_cache_fd);
  x.seccomp_cache_fd = -1;
}

void send_byte(int sock, char tag) {
  ssize_t n;
  do n = send(sock, &tag, 1, MSG_NOSIGNAL); while (n < 0 && errno == EINTR);
  if (n != 1) throw sys_error_plain("send sync socket", errno);
}

// One receive buffer for the whole (single-threaded) process: most messages
// are one byte, and a fresh 256 KiB string per message cost a zero-fill and
// its page faults every time. Untouched .bss pages cost nothing.
ssize_t recv_large(int sock, std::string* out, int* fd) {
  static char buf[kMaxMessage];
  ssize_t n = recv_message(sock, buf, sizeof buf, fd);
  out->assign(buf, n > 0 ? static_cast<size_t>(n) : 0);
  return n;
}

std::string error_message(const RuntimeError& e) {
  std::string msg(1, kMsgError);
  int code = e.exit_code();
  msg.append(reinterpret_cast<const char*>(&code), sizeof code);
  return msg + e.what();
}

RuntimeError decode_error(const std::string& msg) {
  int code = kExitRuntimeError;
  if (msg.size() < 1 + sizeof code) return RuntimeError("container init reported a malformed error");
  memcpy(&code, msg.data() + 1, sizeof code);
  return RuntimeError(msg.substr(1 + sizeof code), code);
}

// The init's seccomp filter: the program cached for this profile, else a
// freshly compiled one (then stored in the cache).
SeccompFilter* init_seccomp(const InitContext& x) {
  SeccompFilter* cached = cached_seccomp(x.c->seccomp, x.seccomp_cache_fd);
  return cached != nullptr ? cached : compile_seccomp(x.c->seccomp, x.seccomp_cache_fd);
}

bool setgroups_allowed_here() {
  int fd = open("/proc/self/setgroups", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return true;
  char buf[8] = {};
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  return !(n >= 4 && strncmp(buf, "deny", 4) == 0);
}

// The container's init, from clone() to execve(). Runs as pid 1 of the new
// pid namespace; the ordering follows runtime-spec and crun's container_init.
[[noreturn]] void container_init(const InitContext& x) {
  const Config& c = *x.c;
  // Errors go to the runtime over the sync socket until the init waits at
  // the exec fifo; after that the creating process may be gone, and `start`
  // reads them from the start fifo.
  int report_fd = x.sync;
  try {
    // Phase A: a foreground container dies with the runtime; a created one
    // must outlive `create`.
    if (!x.detach && prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0) throw sys_error_plain("prctl PR_SET_PDEATHSIG", errno);
    // In a new pid namespace the parent is outside it and getppid() is 0;
    // a parent that already died then shows as end-of-file on the socket.
    if (getppid() != (c.creates(CLONE_NEWPID) ? 0 : x.parent)) _exit(kExitRuntimeError);
    for (int i = 0; i < 3; i++) {
      if (x.stdio[i] >= 0 && dup2(x.stdio[i], i) < 0) throw sys_error_plain("dup2 stdio", errno);
    }
    // Nothing of the container runs before it is in its own cgroup: its
    // limits hold for every process it will ever have.
    if (x.wait_cgroup) {
      std::string joined;
      int none = -1;
      if (recv_large(x.sync, &joined, &none) != 1 || joined[0] != kMsgCgroupJoined) _exit(kExitRuntimeError);
    }

    // Phase B: id maps. The parent writes them (it alone can run
    // newuidmap for us); /proc/<pid> of a non-dumpable process is owned by
    // root, so we were cloned dumpable (see create_container) and stay so
    // just until they are written. Meanwhile seccomp is prepared here, before
    // any mount (host libraries are reachable): read from the cache (dlopen of
    // libseccomp for the key, the file) or compiled, which takes about as long
    // as newuidmap/newgidmap. Either way it is off the runtime's path to clone.
    const NamespaceSpec* user = c.find_namespace(CLONE_NEWUSER);
    SeccompFilter* filter = x.filter;
    const bool prepare_here = filter == nullptr && c.has_seccomp;
    std::string msg;
    int fd = -1;
    if (c.creates(CLONE_NEWUSER)) {
      if (prepare_here) filter = init_seccomp(x);
      if (x.seccomp_cache_fd >= 0) close(x.seccomp_cache_fd);
      if (recv_large(x.sync, &msg, &fd) != 1 || msg[0] != kMsgMapsWritten) _exit(kExitRuntimeError);
      if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) throw sys_error_plain("prctl PR_SET_DUMPABLE", errno);
    } else {
      if (prepare_here) filter = init_seccomp(x);
      if (x.seccomp_cache_fd >= 0) close(x.seccomp_cache_fd);
      if (user != nullptr) join_namespace(*user);
    }

    // Phase C: become root of the user namespace for the setup.
    const bool groups_ok = setgroups_allowed_here();
    if (groups_ok && setgroups(0, nullptr) != 0) throw sys_error_plain("setgroups 0", errno);
    if (user != nullptr) {
      if (setresgid(0, 0, 0) != 0) throw sys_error_plain("setresgid 0", errno);
      if (setresuid(0, 0, 0) != 0) throw sys_error_plain("setresuid 0", errno);
    }

    // Phase D: namespaces joined by path, then (when the user namespace
    // was joined) the ones to create, now owned by that user namespace.
    for (const NamespaceSpec& ns : c.namespaces) {
      if (!ns.path.empty() && ns.flag != CLONE_NEWUSER) join_namespace(ns);
    }
    if (user != nullptr && !user->path.empty()) {
      int flags = 0;
      for (const NamespaceSpec& ns : c.namespaces) {
        if (ns.path.empty()) flags |= ns.flag;
      }
      if (flags != 0) unshare_or_throw(flags);
    }
    // Created only now, so that its root is the container's own cgroup (a
    // namespace cloned with us would be rooted where the runtime is; crun
    // defers it the same way).
    if (x.unshare_cgroupns) unshare_or_throw(CLONE_NEWCGROUP);
    // Made after the id maps (as runc and crun do): the kernel gives a network
    // namespace's /proc/net files to its user namespace's root as mapped at
    // creation, and a namespace cloned before the maps shows them as nobody's.
    if (x.unshare_netns) unshare_or_throw(CLONE_NEWNET);
    if (c.creates(CLONE_NEWNET)) bring_up_loopback();

    // Phase E: root filesystem. Then the hook point (runtime-spec: the
    // runtime's createRuntime hooks, then createContainer hooks here in the
    // container's namespaces, both after the mounts and before pivot_root).
    // A fuse-overlayfs root is mounted first; the runtime starts its daemon.
    if (!c.overlay.mount_program.empty()) {
      int fuse = mount_fuse_root(c);
      send_fd(x.sync, kMsgFuseDevice, fuse);
      close(fuse);
    }
    int root_fd = prepare_rootfs(c);
    if (x.hook_point) send_byte(x.sync, kMsgHookPoint);
    if (recv_large(x.sync, &msg, &fd) < 1 || msg[0] != kMsgContinue) _exit(kExitRuntimeError);
    size_t sep = msg.find('\0', 1);
    const std::string creating_json = msg.substr(1, sep == std::string::npos ? std::string::npos : sep - 1);
    const std::string created_json = sep == std::string::npos ? creating_json : msg.substr(sep + 1);
    run_hooks(c.hooks.create_container, "createContainer", creating_json);
    pivot_into(root_fd);

    // Phase F: uts and sysctls (before /proc/sys turns read-only).
    set_host_and_domain_name(c.hostname, c.domainname, c.creates(CLONE_NEWUTS));
    apply_sysctls(c.sysctl, OwnedNamespaces{c.creates(CLONE_NEWUTS), c.creates(CLONE_NEWIPC), c.creates(CLONE_NEWNET)});

    // Phase G: terminal from the container's devpts; the parent relays it.
    if (c.process.terminal) {
      std::string slave;
      int master = open_container_pty(&slave);
      send_fd(x.sync, kMsgPtyMaster, master);
      close(master);
      bind_file(slave, "/dev/console");
      attach_controlling_terminal(slave);
    }

    // Phase H: masked and read-only paths, propagation, read-only root.
    finish_rootfs(c);

    // Phase I: limits, working directory, the executable.
    apply_rlimits(c.process);
    if (c.process.has_umask) umask(c.process.umask);
    create_cwd(c.process.cwd, c.process.uid, c.process.gid);
    enter_cwd(c.process.cwd);
    std::string exe = find_executable(c.process);
    std::vector<char*> args;
    for (const std::string& a : c.process.args) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    std::vector<char*> env;
    for (const std::string& e : c.process.env) env.push_back(const_cast<char*>(e.c_str()));
    env.push_back(nullptr);

    // Phase J (create): everything is ready; wait for `start` (one byte on
    // the exec fifo), as runc's init does before execve.
    if (x.detach) {
      send_byte(x.sync, kMsgBlocked);
      close(x.sync);
      report_fd = x.result_fd;
      char byte;
      ssize_t n;
      do n = read(x.exec_fd, &byte, 1); while (n < 0 && errno == EINTR);
      if (n != 1) throw sys_error_plain("read exec fifo", n < 0 ? errno : EIO);
      close(x.exec_fd);
    }
    // startContainer: inside the container, before the user's program.
    run_hooks(c.hooks.start_container, "startContainer", created_json);

    // Phase K: only stdio cross execve; signals back to normal; then user,
    // capabilities, no_new_privs and seccomp, last of all.
    close_fds_on_exec();
    if (sigprocmask(SIG_SETMASK, &x.old_mask, nullptr) != 0) throw sys_error_plain("sigprocmask", errno);
    apply_security(c.process, groups_ok, filter);

    // Phase L: execve. The sync socket (or start fifo) closes on success.
    execve(exe.c_str(), args.data(), env.data());
    int err = errno;
    throw RuntimeError("exec `" + exe + "`: " + errno_text(err),
                       err == ENOENT ? kExitNotFound : (err == EACCES || err == ENOEXEC) ? kExitCannotInvoke : kExitRuntimeError);
  } catch (const RuntimeError& e) {
    std::string m = error_message(e);
    if (report_fd == x.sync) send(x.sync, m.data(), m.size(), MSG_NOSIGNAL);
    // One write below PIPE_BUF is atomic; longer messages are cut.
    else (void)!write(report_fd, m.data(), m.size() < 4000 ? m.size() : 4000);
    _exit(e.exit_code());
  } catch (const std::exception& e) {
    std::string m = error_message(RuntimeError(e.what()));
    if (report_fd == x.sync) send(x.sync, m.data(), m.size(), MSG_NOSIGNAL);
    else (void)!write(report_fd, m.data(), m.size() < 4000 ? m.size() : 4000);
    _exit(kExitRuntimeError);
  }
}

void validate_namespaces(const Config& c) {
  if (!c.creates(CLONE_NEWNS)) throw RuntimeError("config.json: hutch-runtime needs a new mount namespace (`linux.namespaces` type mount without path)");
  const NamespaceSpec* pid = c.find_namespace(CLONE_NEWPID);
  if (pid != nullptr && !pid->path.empty()) throw RuntimeError("config.json: joining a pid namespace by path is not supported");
  const NamespaceSpec* user = c.find_namespace(CLONE_NEWUSER);
  if (user != nullptr && !user->path.empty() && c.creates(CLONE_NEWPID)) {
    throw RuntimeError("config.json: a new pid namespace inside a joined user namespace is not supported");
  }
  if (user == nullptr && geteuid() != 0) throw RuntimeError("config.json: without root, `linux.namespaces` must include a user namespace");
}

int open_fifo(const std::string& dir, const char* name) {
  std::string path = dir + "/" + name;
  if (mkfifo(path.c_str(), 0600) != 0) throw sys_error("mkfifo", path, errno);
  // O_RDWR never blocks on a fifo (fifo(7)), and keeps it readable for the init.
  int fd = open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) throw sys_error("open", path, errno);
  return fd;
}

ContainerRecord record_for(const Config& c, const std::string& id) {
  ContainerRecord r;
  r.id = id;
  r.oci_version = c.oci_version;
  r.bundle = c.bundle;
  r.created = rfc3339_now();
  r.annotations = c.annotations;
  return r;
}

struct Global {
  std::string root;
};

// Options of a verb: flags with values, boolean flags and positional words.
struct Words {
  std::vector<std::string> positional;
  std::vector<std::pair<std::string, std::string>> options;
  bool has(const std::string& k) const {
    for (const auto& o : options) if (o.first == k) return true;
    return false;
  }
  std::string get(const std::string& k) const {
    for (const auto& o : options) if (o.first == k) return o.second;
    return "";
  }
};

Words parse_words(const std::string& verb, const std::vector<std::string>& args, const std::vector<std::string>& valued,
                  const std::vector<std::string>& flags) {
  Words w;
  for (size_t i = 0; i < args.size(); i++) {
    std::string a = args[i];
    if (a.size() > 1 && a[0] == '-') {
      std::string key = a, value;
      size_t eq = a.find('=');
      if (eq != std::string::npos) {
        key = a.substr(0, eq);
        value = a.substr(eq + 1);
      }
      // runc accepts -b and --bundle, single or double dash.
      if (key.size() > 2 && key[1] != '-') key = "-" + key;
      bool is_valued = false, is_flag = false;
      for (const auto& v : valued) is_valued = is_valued || key == v;
      for (const auto& f : flags) is_flag = is_flag || key == f;
      if (is_valued) {
        if (eq == std::string::npos) {
          if (i + 1 >= args.size()) throw RuntimeError(verb + ": option " + key + " needs a value");
          value = args[++i];
        }
        w.options.push_back({key, value});
      } else if (is_flag) {
        w.options.push_back({key, "1"});
      } else {
        throw RuntimeError(verb + ": unknown option `" + a + "`");
      }
    } else {
      w.positional.push_back(a);
    }
  }
  return w;
}

std::string one_id(const std::string& verb, const Words& w, size_t max_positional = 1) {
  if (w.positional.empty()) throw RuntimeError(verb + ": container ID is required");
  if (w.positional.size() > max_positional) throw RuntimeError(verb + ": unexpected argument `" + w.positional.back() + "`");
  validate_container_id(w.positional[0], verb.c_str());
  return w.positional[0];
}

void write_pid_file(const std::string& path, pid_t pid) {
  if (path.empty()) return;
  std::string abs = path;
  if (abs[0] != '/') {
    char cwd[4096];
    if (getcwd(cwd, sizeof cwd) == nullptr) throw sys_error_plain("getcwd", errno);
    abs = std::string(cwd) + "/" + path;
  }
  size_t slash = abs.rfind('/');
  write_file_atomic(abs.substr(0, slash == 0 ? 1 : slash), abs.substr(slash + 1), std::to_string(pid));
}

void send_console(const std::string& socket_path, int master) {
  int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s < 0) throw sys_error_plain("socket AF_UNIX", errno);
  struct sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  if (socket_path.size() >= sizeof addr.sun_path) throw RuntimeError("--console-socket `" + socket_path + "`: path too long");
  memcpy(addr.sun_path, socket_path.c_str(), socket_path.size());
  if (connect(s, reinterpret_cast<struct sockaddr*>(&addr), sizeof addr) != 0) {
    int err = errno;
    close(s);
    throw sys_error("connect", socket_path, err);
  }
  send_fd(s, 'T', master);
  close(s);
}

bool is_live(Status s) { return s == Status::kCreated || s == Status::kRunning || s == Status::kPaused; }

void require_status(const std::string& verb, const std::string& id, Status s, std::initializer_list<Status> allowed) {
  for (Status a : allowed) if (a == s) return;
  std::string want;
  for (Status a : allowed) want += (want.empty() ? "" : " or ") + std::string(status_name(a));
  throw RuntimeError(verb + ": container `" + id + "` is " + status_name(s) + ", must be " + want + " (nothing changed)");
}

Config stored_config(const std::string& dir, const ContainerRecord& r) {
  return load_config_file(dir + "/" + kConfigCopy, r.bundle);
}

int do_create(const Global& g, const std::vector<std::string>& args) {
  Words w = parse_words("create", args, {"--bundle", "-b", "--pid-file", "--console-socket"}, {});
  std::string id = one_id("create", w);
  std::string bundle = w.has("--bundle") ? w.get("--bundle") : w.has("-b") ? w.get("-b") : ".";
  Config c = load_config(bundle);
  validate_namespaces(c);
  const std::string console = w.get("--console-socket");
  if (c.process.terminal && console.empty()) {
    throw RuntimeError("create: `process.terminal` is true: --console-socket is required (the runtime does not stay to relay the terminal)");
  }
  if (!c.process.terminal && !console.empty()) throw RuntimeError("create: --console-socket given but `process.terminal` is false");
  make_dirs(g.root);
  std::string dir = g.root + "/" + id;
  if (mkdir(dir.c_str(), 0700) != 0) {
    if (errno == EEXIST) throw RuntimeError("create: container `" + id + "` already exists");
    throw sys_error("mkdir", dir, errno);
  }
  // No lock here: mkdir made the directory ours, and a lock fd would be
  // inherited by the init (flock belongs to the open file description).
  try {
    write_file_atomic(dir, kConfigCopy, c.raw_json);
    sigset_t old_mask;
    sigprocmask(SIG_SETMASK, nullptr, &old_mask);
    CreateOptions o;
    o.dir = dir;
    o.detach = true;
    CreatedContainer cc = create_container(c, id, o, nullptr, old_mask);
    if (cc.master >= 0) {
      try {
        send_console(console, cc.master);
      } catch (...) {
        kill(cc.pid, SIGKILL);
        throw;
      }
      close(cc.master);
    }
    write_pid_file(w.get("--pid-file"), cc.pid);
  } catch (...) {
    remove_state_dir(dir);
    throw;
  }
  return 0;
}

int do_start(const Global& g, const std::vector<std::string>& args) {
  Words w = parse_words("start", args, {}, {});
  std::string id = one_id("start", w);
  std::string dir = container_dir(g.root, id);
  int lock = lock_dir(dir);
  ContainerRecord r;
  bool have = read_record(dir, &r);
  require_status("start", id, derive_status(dir, r, have), {Status::kCreated});
  start_created(dir, r, stored_config(dir, r));
  close(lock);
  return 0;
}

int do_state(const Global& g, const std::vector<std::string>& args) {
  Words w = parse_words("state", args, {}, {});
  std::string id = one_id("state", w);
  std::string dir = container_dir(g.root, id);
  ContainerRecord r;
  r.id = id;
  bool have = read_record(dir, &r);
  Status s = derive_status(dir, r, have);
  std::string json = state_json(r, status_name(s), is_live(s)) + "\n";
  fputs(json.c_str(), stdout);
  return 0;
}

int do_kill(const Global& g, const std::vector<std::string>& args) {
  Words w = parse_words("kill", args, {}, {"--all", "-a"});
  std::string id = one_id("kill", w, 2);
  int sig = parse_signal(w.positional.size() > 1 ? w.positional[1] : "TERM");
  std::string dir = container_dir(g.root, id);
  int lock = lock_dir(dir);
  ContainerRecord r;
  bool have = read_record(dir, &r);
  // A paused container takes signals too: SIGKILL ends even frozen
  // processes, others are delivered when it is resumed.
  require_status("kill", id, derive_status(dir, r, have), {Status::kCreated, Status::kRunning, Status::kPaused});
  int pidfd = open_verified_pidfd(r.pid, r.start_time);
  if (pidfd < 0) throw RuntimeError("kill: container `" + id + "` is stopped (nothing changed)");
  // Written first, so the monitor that sees the exit already knows a user
  // asked for it (no restart).
  if (is_stop_signal(sig)) write_file_atomic(dir, kUserStopped, rfc3339_now() + "\n");
  if (syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0) != 0) {
    int err = errno;
    unlink((dir + "/" + kUserStopped).c_str());
    throw sys_error_plain("pidfd_send_signal " + std::to_string(r.pid) + " signal " + std::to_string(sig), err);
  }
  close(pidfd);
  close(lock);
  return 0;
}

// The monitor of a container (monitor.json), when one is alive.
int monitor_pidfd(const std::string& dir) {
  std::string text;
  if (!read_small_file(dir + "/" + kMonitorFile, &text)) return -1;
  JsonValue doc = JsonValue::parse(text);
  const JsonValue* pid = doc.get("monitorPid");
  const JsonValue* start = doc.get("monitorStartTime");
  if (pid == nullptr || start == nullptr) return -1;
  return open_verified_pidfd(static_cast<pid_t>(pid->as_uint64("monitorPid")), start->as_uint64("monitorStartTime"));
}

int do_delete(const Global& g, const std::vector<std::string>& args) {
  Words w = parse_words("delete", args, {}, {"--force", "-f"});
  std::string id = one_id("delete", w);
  const bool force = w.has("--force") || w.has("-f");
  std::string dir = container_dir(g.root, id);
  int lock = lock_dir(dir);
  ContainerRecord r;
  bool have = read_record(dir, &r);
  Status s = derive_status(dir, r, have);
  if (!force) require_status("delete", id, s, {Status::kStopped});
  if (force) {
    // Written before anything is killed, so the monitor that sees the container
    // end neither restarts it nor runs its exit command (hutch's `container
    // cleanup`): whoever force-deletes the state cleans up after the container.
    write_file_atomic(dir, kUserStopped, rfc3339_now() + "\n");
    write_file_atomic(dir, kDeleting, rfc3339_now() + "\n");
  }
  // The monitor still writes exit.json: let it finish. One that chose to
  // restart just before the markers were written starts the container once
  // more, which is killed as well.
  int mon = monitor_pidfd(dir);
  for (int waited = 0;;) {
    if (force && is_live(s)) {
      int pidfd = open_verified_pidfd(r.pid, r.start_time);
      if (pidfd >= 0) {
        syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, nullptr, 0);
        // As podman's rm -f: killed, then thawed (a cgroup v1 freezer would hold the signal).
        if (s == Status::kPaused) {
          try {
            set_cgroup_frozen(r.cgroup_dir, false);
          } catch (const RuntimeError& e) {
            print_error(std::string("warning: ") + e.what());
          }
        }
        if (!wait_pidfd(pidfd, 10000)) throw RuntimeError("delete: container `" + id + "` (pid " + std::to_string(r.pid) + ") did not die after SIGKILL");
        close(pidfd);
      }
    }
    if (mon < 0 || wait_pidfd(mon, 100) || (waited += 100) >= 10000) break;
    have = read_record(dir, &r);
    s = derive_status(dir, r, have);
  }
  if (mon >= 0) close(mon);
  // The fuse-overlayfs of the last start ends once the container's mount
  // namespace is gone; the container's files are removed only after it.
  end_recorded_fuse_daemon(dir, 10000);
  if (have) {
    try {
      Config c = stored_config(dir, r);
      run_hooks_warn(c.hooks.poststop, "poststop", state_json(r, "stopped", false));
    } catch (const RuntimeError& e) {
      print_error("warning: poststop hooks: " + std::string(e.what()));
    }
  }
  remove_cgroup(r.cgroup_dir);
  remove_state_dir(dir);
  close(lock);
  return 0;
}

// `pause` / `resume`: the cgroup v2 freezer of the container's own cgroup.
int do_freeze(const Global& g, const std::vector<std::string>& args, bool freeze) {
  const std::string verb = freeze ? "pause" : "resume";
  Words w = parse_words(verb, args, {}, {});
  std::string id = one_id(verb, w);
  std::string dir = container_dir(g.root, id);
  int lock = lock_dir(dir);
  ContainerRecord r;
  bool have = read_record(dir, &r);
  require_status(verb, id, derive_status(dir, r, have), {freeze ? Status::kRunning : Status::kPaused});
  if (r.cgroup_dir.empty()) {
    throw RuntimeError(verb + ": container `" + id + "` has no cgroup of its own, which the cgroup v2 freezer needs: none could be made at create " +
                       "(no delegated cgroup v2 subtree); with `linux.cgroupsPath` set that is an error (nothing changed)");
  }
  set_cgroup_frozen(r.cgroup_dir, freeze);
  close(lock);
  return 0;
}

int do_list(const Global& g, const std::vector<std::string>& args) {
  Words w = parse_words("list", args, {"--format", "-f"}, {"--quiet", "-q"});
  std::string format = w.has("--format") ? w.get("--format") : w.has("-f") ? w.get("-f") : "table";
  const bool quiet = w.has("--quiet") || w.has("-q");
  if (format != "table" && format != "json") throw RuntimeError("list: --format must be table or json");
  std::vector<std::string> ids;
  if (DIR* d = opendir(g.root.c_str())) {
    while (struct dirent* e = readdir(d)) {
      std::string name = e->d_name;
      if (name == "." || name == ".." || name[0] == '.') continue;
      ids.push_back(name);
    }
    closedir(d);
  }
  std::sort(ids.begin(), ids.end());
  std::string out = format == "json" ? "[" : (quiet ? "" : "ID\tPID\tSTATUS\tBUNDLE\tCREATED\n");
  bool first = true;
  for (const std::string& id : ids) {
    std::string dir = g.root + "/" + id;
    ContainerRecord r;
    r.id = id;
    bool have;
    try {
      have = read_record(dir, &r);
    } catch (const RuntimeError&) {
      continue;
    }
    Status s = derive_status(dir, r, have);
    const bool live = is_live(s);
    if (format == "json") {
      out += (first ? "" : ",") + std::string("{\"id\":") + json_string(id) + ",\"pid\":" + std::to_string(live ? r.pid : 0) +
             ",\"status\":" + json_string(status_name(s)) + ",\"bundle\":" + json_string(r.bundle) +
             ",\"created\":" + json_string(r.created) + "}";
    } else if (quiet) {
      out += id + "\n";
    } else {
      out += id + "\t" + std::to_string(live ? r.pid : 0) + "\t" + status_name(s) + "\t" + r.bundle + "\t" + r.created + "\n";
    }
    first = false;
  }
  if (format == "json") out += "]\n";
  fputs(out.c_str(), stdout);
  return 0;
}

int do_run(const Global& g, const std::vector<std::string>& args) {
  Words w = parse_words("run", args, {"--bundle", "-b", "--pid-file"}, {});
  std::string id = one_id("run", w);
  std::string bundle = w.has("--bundle") ? w.get("--bundle") : w.has("-b") ? w.get("-b") : ".";
  Config c = load_config(bundle);
  validate_namespaces(c);
  sigset_t old_mask;
  block_supervised_signals(&old_mask);
  int signal_fd = open_signal_fd();
  make_dirs(g.root);
  std::string dir = g.root + "/" + id;
  if (mkdir(dir.c_str(), 0700) != 0) {
    if (errno == EEXIST) throw RuntimeError("run: container `" + id + "` already exists");
    throw sys_error("mkdir", dir, errno);
  }
  CreatedContainer cc;
  try {
    write_file_atomic(dir, kConfigCopy, c.raw_json);
    CreateOptions o;
    o.dir = dir;
    cc = create_container(c, id, o, nullptr, old_mask);
    write_pid_file(w.get("--pid-file"), cc.pid);
  } catch (...) {
    remove_state_dir(dir);
    throw;
  }
  int code = supervise(cc.pid, cc.master, signal_fd);
  end_fuse_daemon(cc.fuse, 10000);
  remove_cgroup(cc.record.cgroup_dir);
  cc.record.cgroup_dir.clear();
  run_hooks_warn(c.hooks.poststop, "poststop", state_json(cc.record, "stopped", false));
  remove_state_dir(dir);
  return code;
}

// `runc spec --rootless`: the user's own ids mapped to root, no network
// namespace (a rootless user cannot configure one), /sys bound read-only.
int do_spec(const std::vector<std::string>& args) {
  Words w = parse_words("spec", args, {"--bundle", "-b"}, {"--rootless"});
  if (!w.positional.empty()) throw RuntimeError("spec: unexpected argument `" + w.positional[0] + "`");
  std::string dir = w.has("--bundle") ? w.get("--bundle") : w.has("-b") ? w.get("-b") : ".";
  const bool rootless = w.has("--rootless") || geteuid() != 0;
  std::string path = dir + "/config.json";
  struct stat st;
  if (lstat(path.c_str(), &st) == 0) throw RuntimeError("spec: " + path + " exists; remove it first");
  const char* caps = "\"CAP_AUDIT_WRITE\", \"CAP_KILL\", \"CAP_NET_BIND_SERVICE\"";
  std::string uid = std::to_string(geteuid()), gid = std::to_string(getegid());
  std::string json = std::string("{\n") +
      "  \"ociVersion\": \"1.0.2\",\n"
      "  \"process\": {\n"
      "    \"terminal\": true,\n"
      "    \"user\": { \"uid\": 0, \"gid\": 0 },\n"
      "    \"args\": [\"sh\"],\n"
      "    \"env\": [\"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\", \"TERM=xterm\"],\n"
      "    \"cwd\": \"/\",\n"
      "    \"capabilities\": {\n"
      "      \"bounding\": [" + caps + "],\n"
      "      \"effective\": [" + caps + "],\n"
      "      \"permitted\": [" + caps + "]\n"
      "    },\n"
      "    \"rlimits\": [{ \"type\": \"RLIMIT_NOFILE\", \"hard\": 1024, \"soft\": 1024 }],\n"
      "    \"noNewPrivileges\": true\n"
      "  },\n"
      "  \"root\": { \"path\": \"rootfs\", \"readonly\": true },\n"
      "  \"hostname\": \"hutch\",\n"
      "  \"mounts\": [\n"
      "    { \"destination\": \"/proc\", \"type\": \"proc\", \"source\": \"proc\" },\n"
      "    { \"destination\": \"/dev\", \"type\": \"tmpfs\", \"source\": \"tmpfs\", \"options\": [\"nosuid\", \"strictatime\", \"mode=755\", \"size=65536k\"] },\n"
      "    { \"destination\": \"/dev/pts\", \"type\": \"devpts\", \"source\": \"devpts\", \"options\": [\"nosuid\", \"noexec\", \"newinstance\", \"ptmxmode=0666\", \"mode=0620\"] },\n"
      "    { \"destination\": \"/dev/shm\", \"type\": \"tmpfs\", \"source\": \"shm\", \"options\": [\"nosuid\", \"noexec\", \"nodev\", \"mode=1777\", \"size=65536k\"] },\n"
      "    { \"destination\": \"/dev/mqueue\", \"type\": \"mqueue\", \"source\": \"mqueue\", \"options\": [\"nosuid\", \"noexec\", \"nodev\"] },\n"
      "    { \"destination\": \"/sys\", \"type\": \"none\", \"source\": \"/sys\", \"options\": [\"rbind\", \"nosuid\", \"noexec\", \"nodev\", \"ro\"] }\n"
      "  ],\n"
      "  \"linux\": {\n" +
      (rootless ? "    \"uidMappings\": [{ \"containerID\": 0, \"hostID\": " + uid + ", \"size\": 1 }],\n"
                  "    \"gidMappings\": [{ \"containerID\": 0, \"hostID\": " + gid + ", \"size\": 1 }],\n"
                : std::string()) +
      "    \"namespaces\": [{ \"type\": \"pid\" }, { \"type\": \"ipc\" }, { \"type\": \"uts\" }, { \"type\": \"mount\" }, { \"type\": \"cgroup\" }" +
      (rootless ? ", { \"type\": \"user\" }" : ", { \"type\": \"network\" }") + "],\n"
      "    \"maskedPaths\": [\"/proc/acpi\", \"/proc/asound\", \"/proc/kcore\", \"/proc/keys\", \"/proc/latency_stats\", \"/proc/timer_list\", \"/proc/timer_stats\", \"/proc/sched_debug\", \"/sys/firmware\", \"/proc/scsi\"],\n"
      "    \"readonlyPaths\": [\"/proc/bus\", \"/proc/fs\", \"/proc/irq\", \"/proc/sys\", \"/proc/sysrq-trigger\"]\n"
      "  }\n"
      "}\n";
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) throw sys_error("open", path, errno);
  ssize_t n = write(fd, json.data(), json.size());
  int err = errno;
  close(fd);
  if (n != static_cast<ssize_t>(json.size())) throw sys_error("write", path, n < 0 ? err : EIO);
  return 0;
}

}  // namespace

CreatedContainer create_container(const Config& c, const std::string& id, const CreateOptions& o, SeccompFilter* filter,
                                  const sigset_t& old_mask) {
  validate_namespaces(c);
  InitContext x{};
  x.c = &c;
  x.parent = getpid();
  x.old_mask = old_mask;
  x.detach = o.detach;
  x.exec_fd = x.result_fd = -1;
  for (int i = 0; i < 3; i++) x.stdio[i] = o.stdio[i];
  if (o.detach) {
    x.exec_fd = open_fifo(o.dir, kExecFifo);
    x.result_fd = open_fifo(o.dir, kResultFifo);
  }
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) throw sys_error_plain("socketpair", errno);
  x.sync = sv[1];
  // The cache directory is opened and checked here, outside; the init reads
  // the program from it (or compiles and stores one) while its id maps are
  // written, so neither delays the clone.
  x.seccomp_cache_fd = filter == nullptr && c.has_seccomp ? open_seccomp_cache(c.seccomp) : -1;
  x.filter = filter;

  // The init is cloned in its new namespaces at once (a joined user
  // namespace is entered by the child first instead).
  int flags = 0;
  const NamespaceSpec* user = c.find_namespace(CLONE_NEWUSER);
  if (user == nullptr || user->path.empty()) {
    for (const NamespaceSpec& ns : c.namespaces) {
      if (ns.path.empty()) flags |= ns.flag;
    }
  }
  const std::string cgroup = prepare_cgroup(c.cgroup, id);
  x.hook_point = !c.hooks.prestart.empty() || !c.hooks.create_runtime.empty();
  x.wait_cgroup = !cgroup.empty();
  x.unshare_cgroupns = x.wait_cgroup && (flags & CLONE_NEWCGROUP) != 0;
  if (x.unshare_cgroupns) flags &= ~CLONE_NEWCGROUP;
  x.unshare_netns = c.creates(CLONE_NEWUSER) && (flags & CLONE_NEWNET) != 0;
  if (x.unshare_netns) flags &= ~CLONE_NEWNET;
  // newuidmap/newgidmap need the init dumpable (else /proc/<pid> is root's).
  // The flag is copied at clone, so the init is born dumpable and the helpers
  // start at once, instead of after the init got a CPU, set it and said so.
  // The runtime itself is dumpable only across the clone call, while no
  // process of the container exists; the init drops it once its maps are written.
  const bool born_dumpable = c.creates(CLONE_NEWUSER);
  if (born_dumpable && prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) != 0) {
    int err = errno;
    close_seccomp_cache(x);
    remove_cgroup(cgroup);
    throw sys_error_plain("prctl PR_SET_DUMPABLE", err);
  }
  pid_t child = static_cast<pid_t>(syscall(SYS_clone, static_cast<unsigned long>(flags | SIGCHLD), 0, 0, 0, 0));
  if (child != 0 && born_dumpable && prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
    // Never go on dumpable: kill what was cloned and fail.
    int err = errno;
    if (child > 0) {
      kill(child, SIGKILL);
      while (waitpid(child, nullptr, 0) < 0 && errno == EINTR) {
      }
    }
    close_seccomp_cache(x);
    remove_cgroup(cgroup);
    throw sys_error_plain("prctl PR_SET_DUMPABLE", err);
  }
  if (child < 0) {
    int err = errno;
    close_seccomp_cache(x);
    remove_cgroup(cgroup);
    throw sys_error_plain("clone " + namespace_flag_names(flags), err);
  }
  if (child == 0) {
    close(sv[0]);
    container_init(x);
  }
  close(sv[1]);
  close_seccomp_cache(x);
  // Only the init may hold the fifos: `start` relies on ENXIO / end-of-file
  // to notice an init that is gone.
  if (x.exec_fd >= 0) close(x.exec_fd);
  if (x.result_fd >= 0) close(x.result_fd);
  const int sync = sv[0];
  CreatedContainer cc;
  cc.pid = child;
  cc.record = record_for(c, id);
  cc.record.pid = child;
  cc.record.cgroup_dir = cgroup;

  try {
    std::string msg;
    int fd = -1;
    // The state JSONs the init's own hooks get ('C'). Without runtime hooks
    // at the hook point they go as soon as the id maps are written, and the
    // init finds them waiting after its mounts instead of asking and waiting.
    auto send_continue = [&]() {
      cc.record.start_time = process_start_time(child);
      const std::string creating = state_json(cc.record, "creating", true);
      run_hooks(c.hooks.prestart, "prestart", creating);
      run_hooks(c.hooks.create_runtime, "createRuntime", creating);
      std::string cont(1, kMsgContinue);
      cont += creating;
      cont += '\0';
      cont += state_json(cc.record, "created", true);
      if (o.before_release) o.before_release(cc.record);
      if (send(sync, cont.data(), cont.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(cont.size())) {
        throw sys_error_plain("send sync socket", errno);
      }
    };
    if (!cgroup.empty()) {
      try {
        join_cgroup(cgroup, child);
      } catch (const RuntimeError&) {
        if (c.cgroup.required()) throw;
        // Without a path or limits the container may run without a cgroup of its own.
        remove_cgroup(cgroup);
        cc.record.cgroup_dir.clear();
      }
      send_byte(sync, kMsgCgroupJoined);
    }
    // Id maps, from outside the new user namespace.
    if (c.creates(CLONE_NEWUSER)) {
      try {
        write_id_maps(child, c.uid_mappings, c.gid_mappings);
        // Only now can /proc/<pid>/ns/user be opened: the init is dumpable
        // until it reads the reply.
        if (o.keep_userns || !c.overlay.mount_program.empty()) {
          const std::string ns = "/proc/" + std::to_string(child) + "/ns/user";
          cc.userns_fd = open(ns.c_str(), O_RDONLY | O_CLOEXEC);
          if (cc.userns_fd < 0) throw sys_error("open", ns, errno);
        }
        send_byte(sync, kMsgMapsWritten);
      } catch (const RuntimeError&) {
        // An init that failed meanwhile (compiling seccomp) reported why
        // before it exited, and its exit is what made the maps fail.
        std::string pending(kMaxMessage, '\0');
        ssize_t n = recv(sync, &pending[0], pending.size(), MSG_DONTWAIT);
        if (n > 0 && pending[0] == kMsgError) throw decode_error(pending.substr(0, static_cast<size_t>(n)));
        if (n == 0) throw RuntimeError("container init exited before its id maps were written");
        throw;
      }
    }
    if (!x.hook_point) send_continue();
    if (!c.overlay.mount_program.empty()) {
      if (recv_large(sync, &msg, &fd) < 1 || msg[0] != kMsgFuseDevice || fd < 0) {
        if (fd >= 0) close(fd);
        if (!msg.empty() && msg[0] == kMsgError) throw decode_error(msg);
        throw RuntimeError("container init exited before mounting its fuse-overlayfs root");
      }
      cc.fuse = spawn_fuse_daemon(fuse_layers(c), fd, cc.userns_fd, "");
      close(fd);
      write_fuse_record(o.dir, cc.fuse);
      if (!o.keep_userns) {
        close(cc.userns_fd);
        cc.userns_fd = -1;
      }
    }
    // The hook point: runtime-namespace hooks with the state of a
    // container being created.
    if (x.hook_point) {
      if (recv_large(sync, &msg, &fd) < 1 || msg[0] != kMsgHookPoint) {
        if (!msg.empty() && msg[0] == kMsgError) throw decode_error(msg);
        throw RuntimeError("container init exited during setup");
      }
      send_continue();
    }
    // Until the init blocks (create) or execs (run): the pty master or an error.
    for (;;) {
      ssize_t n = recv_large(sync, &msg, &fd);
      if (n <= 0) {
        if (o.detach) throw RuntimeError("container init exited during setup");
        break;
      }
      if (msg[0] == kMsgPtyMaster && fd >= 0) {
        cc.master = fd;
        continue;
      }
      if (fd >= 0) close(fd);
      if (msg[0] == kMsgError) throw decode_error(msg);
      if (msg[0] == kMsgBlocked) break;
    }
  } catch (...) {
    close(sync);
    if (cc.master >= 0) close(cc.master);
    if (cc.userns_fd >= 0) close(cc.userns_fd);
    kill(child, SIGKILL);
    while (waitpid(child, nullptr, 0) < 0 && errno == EINTR) {
    }
    remove_cgroup(cc.record.cgroup_dir);
    // A root whose daemon died fails with ENOTCONN: say what the daemon said.
    std::string why = fuse_daemon_failure(c.overlay.mount_program, cc.fuse);
    end_fuse_daemon(cc.fuse, 1000);
    if (why.empty()) throw;
    try {
      throw;
    } catch (const RuntimeError& e) {
      throw RuntimeError(e.what() + why, e.exit_code());
    }
  }
  close(sync);
  if (cc.fuse.log_fd >= 0) {
    close(cc.fuse.log_fd);
    cc.fuse.log_fd = -1;
  }
  if (!o.dir.empty()) write_record(o.dir, cc.record);
  if (!o.detach) run_hooks_warn(c.hooks.poststart, "poststart", state_json(cc.record, "running", true));
  return cc;
}

void start_created(const std::string& dir, const ContainerRecord& r, const Config& c) {
  const std::string exec_path = dir + "/" + kExecFifo, result_path = dir + "/" + kResultFifo;
  int result = open(result_path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (result < 0) throw sys_error("open", result_path, errno);
  int pidfd = open_verified_pidfd(r.pid, r.start_time);
  // O_NONBLOCK write-open fails with ENXIO when nobody has the fifo open
  // for reading: the init is gone.
  int exec = open(exec_path.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
  if (exec < 0 || pidfd < 0) {
    int err = errno;
    close(result);
    if (pidfd >= 0) close(pidfd);
    if (exec >= 0) close(exec);
    throw RuntimeError("start: the container's init is gone (" + (exec < 0 ? errno_text(err) : std::string("exited")) + ")");
  }
  ssize_t n;
  do n = write(exec, "0", 1); while (n < 0 && errno == EINTR);
  int err = errno;
  close(exec);
  if (n != 1) {
    close(result);
    close(pidfd);
    throw sys_error("write", exec_path, err);
  }
  unlink(exec_path.c_str());
  // The init holds the start fifo open (close-on-exec): end-of-file means
  // execve happened; bytes are an error it reports before exiting.
  std::string error;
  for (;;) {
    char buf[4096];
    ssize_t got = read(result, buf, sizeof buf);
    if (got > 0) {
      error.append(buf, static_cast<size_t>(got));
      continue;
    }
    if (got == 0) break;
    if (errno == EINTR) continue;
    if (errno != EAGAIN) break;
    struct pollfd p[2] = {{result, POLLIN, 0}, {pidfd, POLLIN, 0}};
    poll(p, 2, 20);
  }
  close(result);
  close(pidfd);
  unlink(result_path.c_str());
  if (!error.empty()) throw decode_error(error);
  // End-of-file alone: execve happened, or a signal killed the init first,
  // which the exit status then tells (runc's start does not even wait for
  // execve). Whether the process still lives proves nothing either way: a
  // quick program may already have exited (`--restart` of `exit 1` did).
  run_hooks_warn(c.hooks.poststart, "poststart", state_json(r, "running", true));
}

namespace {

void remove_flat_dir(const std::string& dir) {
  if (DIR* d = opendir(dir.c_str())) {
    while (struct dirent* e = readdir(d)) {
      std::string name = e->d_name;
      if (name == "." || name == "..") continue;
      unlink((dir + "/" + name).c_str());
    }
    closedir(d);
  }
  if (rmdir(dir.c_str()) != 0 && errno != ENOENT) throw sys_error("rmdir", dir, errno);
}

}  // namespace

// Renamed out of the way first, then emptied: readers that take no lock (the
// CLI's ps and inspect) see the directory whole or not at all. Emptied in
// place, one caught after exit.json went but before container.json did would
// read as "stopped" with no exit code. The dot keeps the tombstone out of `list`.
void remove_state_dir(const std::string& dir) {
  const size_t slash = dir.rfind('/');
  const std::string tombstone = dir.substr(0, slash + 1) + ".removing." + dir.substr(slash + 1);
  // Left by a removal that died half-way.
  remove_flat_dir(tombstone);
  if (rename(dir.c_str(), tombstone.c_str()) != 0) {
    if (errno == ENOENT) return;
    throw sys_error("rename", dir, errno);
  }
  remove_flat_dir(tombstone);
}

int parse_signal(const std::string& text) {
  static const struct {
    const char* name;
    int sig;
  } kSignals[] = {
      {"HUP", SIGHUP},   {"INT", SIGINT},       {"QUIT", SIGQUIT}, {"ILL", SIGILL},       {"TRAP", SIGTRAP},
      {"ABRT", SIGABRT}, {"IOT", SIGIOT},       {"BUS", SIGBUS},   {"FPE", SIGFPE},       {"KILL", SIGKILL},
      {"USR1", SIGUSR1}, {"SEGV", SIGSEGV},     {"USR2", SIGUSR2}, {"PIPE", SIGPIPE},     {"ALRM", SIGALRM},
      {"TERM", SIGTERM}, {"STKFLT", SIGSTKFLT}, {"CHLD", SIGCHLD}, {"CONT", SIGCONT},     {"STOP", SIGSTOP},
      {"TSTP", SIGTSTP}, {"TTIN", SIGTTIN},     {"TTOU", SIGTTOU}, {"URG", SIGURG},       {"XCPU", SIGXCPU},
      {"XFSZ", SIGXFSZ}, {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF}, {"WINCH", SIGWINCH},   {"IO", SIGIO},
      {"POLL", SIGPOLL}, {"PWR", SIGPWR},       {"SYS", SIGSYS},
  };
  std::string t = text;
  if (!t.empty() && t.find_first_not_of("0123456789") == std::string::npos) {
    long v = strtol(t.c_str(), nullptr, 10);
    if (v >= 1 && v <= SIGRTMAX) return static_cast<int>(v);
    throw RuntimeError("kill: signal " + text + " out of range 1.." + std::to_string(SIGRTMAX));
  }
  for (char& ch : t) ch = static_cast<char>(toupper(static_cast<unsigned char>(ch)));
  if (t.compare(0, 3, "SIG") == 0) t = t.substr(3);
  for (const auto& s : kSignals) {
    if (t == s.name) return s.sig;
  }
  if (t.compare(0, 5, "RTMIN") == 0 || t.compare(0, 5, "RTMAX") == 0) {
    int base = t[4] == 'N' ? SIGRTMIN : SIGRTMAX;
    int off = 0;
    if (t.size() > 5) {
      if ((t[5] != '+' && t[5] != '-') || t.size() == 6 || t.find_first_not_of("0123456789", 6) != std::string::npos) {
        throw RuntimeError("kill: unknown signal `" + text + "`");
      }
      off = atoi(t.c_str() + 6) * (t[5] == '-' ? -1 : 1);
    }
    if (base + off >= SIGRTMIN && base + off <= SIGRTMAX) return base + off;
  }
  throw RuntimeError("kill: unknown signal `" + text + "`");
}

bool is_stop_signal(int sig) {
  switch (sig) {
    case SIGHUP: case SIGUSR1: case SIGUSR2: case SIGCHLD: case SIGCONT: case SIGSTOP:
    case SIGTSTP: case SIGTTIN: case SIGTTOU: case SIGURG: case SIGWINCH:
      return false;
    default:
      return true;
  }
}

namespace {

// --remove-on-exit: the tree holds files of the container's mapped ids, which
// only a process with capabilities in its user namespace may delete. The
// runtime enters that namespace itself as its last act (the container and its
// mount namespace are gone), instead of starting a second runtime to re-create one.
void remove_after_exit(const RemovalTarget& target, const Config& c, int userns_fd) {
  const NamespaceSpec* user = c.find_namespace(CLONE_NEWUSER);
  std::string error;
  int fd = userns_fd;
  if (fd < 0 && user != nullptr && !user->path.empty()) {
    fd = open(user->path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) error = sys_error("open", user->path, errno).what();
  }
  if (error.empty() && fd >= 0 && setns(fd, CLONE_NEWUSER) != 0) error = sys_error_plain("setns CLONE_NEWUSER", errno).what();
  if (fd >= 0) close(fd);
  if (error.empty()) error = remove_tree(target);
  else error = "remove `" + target.path + "`: " + error;
  if (!error.empty()) print_error(error);
}

}  // namespace

[[noreturn]] void legacy_run(int argc, char** argv) {
  std::string bundle, id, state_root, remove_dir;
  for (int i = 2; i < argc; i++) {
    std::string arg = argv[i];
    if (i + 1 < argc && (arg == "--bundle" || arg == "--id" || arg == "--state-dir" || arg == "--remove-on-exit")) {
      std::string v = argv[++i];
      (arg == "--bundle" ? bundle : arg == "--id" ? id : arg == "--state-dir" ? state_root : remove_dir) = v;
    } else {
      throw RuntimeError("run: unexpected argument `" + arg + "`");
    }
  }
  if (bundle.empty() || id.empty()) throw RuntimeError("run: --bundle and --id are required");
  validate_container_id(id, "run");
  const bool remove = !remove_dir.empty();
  RemovalTarget target;
  if (remove) target = check_removal_target(remove_dir);
  Config c = load_config(bundle);
  validate_namespaces(c);
  c.overlay.volatile_upper = remove;
  // Signals are collected through a signalfd from now on, so none is lost
  // between clone and supervision.
  sigset_t old_mask;
  block_supervised_signals(&old_mask);
  int signal_fd = open_signal_fd();
  CreateOptions o;
  o.keep_userns = remove;
  const std::string dir = state_root.empty() ? "" : state_root + "/" + id;
  // Written before the user's process starts: `hutch ps`, `stop` and a test
  // that saw the process's first output must find the container running.
  if (!dir.empty()) {
    o.before_release = [&dir](const ContainerRecord& r) {
      make_dirs(dir);
      write_file_atomic(dir, "state.json", state_json(r, "running", true) + "\n");
    };
  }
  CreatedContainer cc;
  try {
    cc = create_container(c, id, o, nullptr, old_mask);
  } catch (...) {
    if (!dir.empty()) {
      try {
        remove_state_dir(dir);
      } catch (const RuntimeError& e) {
        print_error(std::string("warning: ") + e.what());
      }
    }
    throw;
  }
  int code = supervise(cc.pid, cc.master, signal_fd);
  end_fuse_daemon(cc.fuse, 10000);
  remove_cgroup(cc.record.cgroup_dir);
  cc.record.cgroup_dir.clear();
  // A removed container has no state left to report.
  if (!dir.empty() && !remove) write_file_atomic(dir, "state.json", state_json(cc.record, "stopped", false) + "\n");
  run_hooks_warn(c.hooks.poststop, "poststop", state_json(cc.record, "stopped", false));
  if (remove) {
    if (!dir.empty()) {
      try {
        remove_state_dir(dir);
      } catch (const RuntimeError& e) {
        print_error(e.what());
      }
    }
    remove_after_exit(target, c, cc.userns_fd);
  }
  exit(code);
}

int lifecycle_main(const std::string& root, const std::string& verb, const std::vector<std::string>& args) {
  Global g{root};
  if (verb == "create") return do_create(g, args);
  if (verb == "start") return do_start(g, args);
  if (verb == "state") return do_state(g, args);
  if (verb == "kill") return do_kill(g, args);
  if (verb == "delete") return do_delete(g, args);
  if (verb == "pause") return do_freeze(g, args, true);
  if (verb == "resume") return do_freeze(g, args, false);
  if (verb == "list") return do_list(g, args);
  if (verb == "run") return do_run(g, args);
  if (verb == "spec") return do_spec(args);
  throw RuntimeError("unknown command `" + verb + "`");
}

}  // namespace hutch
