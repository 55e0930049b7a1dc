#include "idmap.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime-error.h"

namespace hutch {

namespace {

constexpr const char* kNewuidmap = "/usr/bin/newuidmap";
constexpr const char* kNewgidmap = "/usr/bin/newgidmap";

bool parse_u32(const std::string& s, uint32_t* out) {
  if (s.empty() || s.size() > 10) return false;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  if (v > UINT32_MAX) return false;
  *out = static_cast<uint32_t>(v);
  return true;
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (;;) {
    size_t end = s.find(sep, start);
    parts.push_back(s.substr(start, end == std::string::npos ? std::string::npos : end - start));
    if (end == std::string::npos) return parts;
    start = end + 1;
  }
}

std::string format_map(const IdMap& map) {
  std::string text;
  for (const IdRange& r : map) {
    text += std::to_string(r.container) + " " + std::to_string(r.host) + " " + std::to_string(r.size) + "\n";
  }
  return text;
}

void write_whole(const std::string& path, const std::string& data) {
  int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) throw sys_error("open", path, errno);
  // The kernel requires each map in a single write(2).
  ssize_t n = write(fd, data.data(), data.size());
  int err = errno;
  close(fd);
  if (n < 0) throw sys_error("write", path, err);
  if (static_cast<size_t>(n) != data.size()) throw sys_error("write", path, EIO);
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\r')) s.pop_back();
  return s;
}

// A newuidmap/newgidmap child that was started and not yet reaped.
struct IdMapHelper {
  const char* name = "";
  pid_t target = 0;
  pid_t pid = 0;
  int err_fd = -1;  // its stderr
};

// Starts /usr/bin/newuidmap or newgidmap for `pid` without waiting.
IdMapHelper start_id_map_helper(pid_t pid, IdKind kind, const IdMap& map) {
  const char* helper = kind == IdKind::kUser ? kNewuidmap : kNewgidmap;
  IdMapHelper h;
  h.name = kind == IdKind::kUser ? "newuidmap" : "newgidmap";
  h.target = pid;
  std::vector<std::string> args{h.name, std::to_string(pid)};
  for (const IdRange& r : map) {
    args.push_back(std::to_string(r.container));
    args.push_back(std::to_string(r.host));
    args.push_back(std::to_string(r.size));
  }
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  int err_pipe[2];
  if (pipe2(err_pipe, O_CLOEXEC) != 0) throw sys_error_plain("pipe2", errno);
  pid_t child = fork();
  if (child < 0) {
    int err = errno;
    close(err_pipe[0]);
    close(err_pipe[1]);
    throw sys_error_plain("fork", err);
  }
  if (child == 0) {
    dup2(err_pipe[1], STDERR_FILENO);
    int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (devnull >= 0) {
      dup2(devnull, STDIN_FILENO);
      dup2(devnull, STDOUT_FILENO);
    }
    char* empty_env[] = {nullptr};
    execve(helper, argv.data(), empty_env);
    dprintf(STDERR_FILENO, "exec %s: %s", helper, errno_text(errno).c_str());
    _exit(127);
  }
  close(err_pipe[1]);
  h.pid = child;
  h.err_fd = err_pipe[0];
  return h;
}

// Reaps a started helper: "" on success, else "newuidmap 1234: exit 1 (its
// stderr)". Nothing to do for a helper that was never started.
std::string finish_id_map_helper(IdMapHelper* h) {
  if (h->pid <= 0) return "";
  // Reading to end-of-file first cannot deadlock with a second helper: each
  // one exits on its own, whatever the other does.
  std::string out;
  char buf[512];
  for (;;) {
    ssize_t n = read(h->err_fd, buf, sizeof buf);
    if (n > 0) {
      if (out.size() < 4096) out.append(buf, static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    break;
  }
  close(h->err_fd);
  h->err_fd = -1;
  int status = 0;
  pid_t child = h->pid;
  h->pid = 0;
  while (waitpid(child, &status, 0) < 0) {
    if (errno != EINTR) return sys_error_plain(std::string("waitpid ") + h->name, errno).what();
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return "";
  std::string how = WIFEXITED(status) ? "exit " + std::to_string(WEXITSTATUS(status))
                                      : "signal " + std::to_string(WTERMSIG(status));
  return std::string(h->name) + " " + std::to_string(h->target) + ": " + how + " (" + trim(out) + ")";
}

}  // namespace

IdMap parse_id_map(const std::string& text, const char* option) {
  IdMap map;
  for (const std::string& entry : split(text, ',')) {
    std::vector<std::string> f = split(entry, ':');
    IdRange r;
    if (f.size() != 3 || !parse_u32(f[0], &r.container) || !parse_u32(f[1], &r.host) ||
        !parse_u32(f[2], &r.size) || r.size == 0) {
      throw RuntimeError(std::string(option) + " `" + entry + "`: expected CONTAINER:HOST:COUNT with COUNT > 0");
    }
    map.push_back(r);
  }
  if (map.empty()) throw RuntimeError(std::string(option) + ": empty mapping");
  // uid_map accepts at most 340 lines since Linux 4.15.
  if (map.size() > 340) throw RuntimeError(std::string(option) + ": more than 340 ranges");
  return map;
}

bool is_own_single_id(const IdMap& map, uint32_t own) {
  return map.size() == 1 && map[0].size == 1 && map[0].host == own;
}

bool map_to_host(const IdMap& map, uint32_t container_id, uint32_t* host_id) {
  for (const IdRange& r : map) {
    if (container_id >= r.container && container_id - r.container < r.size) {
      *host_id = r.host + (container_id - r.container);
      return true;
    }
  }
  return false;
}

void write_id_map_file(const std::string& pid, IdKind kind, const IdMap& map) {
  write_whole("/proc/" + pid + (kind == IdKind::kUser ? "/uid_map" : "/gid_map"), format_map(map));
}

void deny_setgroups(const std::string& pid) {
  write_whole("/proc/" + pid + "/setgroups", "deny");
}

void write_id_maps(pid_t pid, const IdMap& uid_map, const IdMap& gid_map) {
  const std::string spid = std::to_string(pid);
  const bool root = geteuid() == 0;
  const bool uid_direct = root || is_own_single_id(uid_map, geteuid());
  const bool gid_direct = root || is_own_single_id(gid_map, getegid());
  // The two setuid helpers write independent files, so they run at the same
  // time (each costs a fork, exec and PAM-free shadow lookup: 5-20 ms). Both
  // are always reaped; a failure names the helper, gid first as before.
  IdMapHelper gid_helper, uid_helper;
  std::string errors[3];
  try {
    if (!gid_direct) gid_helper = start_id_map_helper(pid, IdKind::kGroup, gid_map);
    if (!uid_direct) uid_helper = start_id_map_helper(pid, IdKind::kUser, uid_map);
    // Without CAP_SETGID in the parent namespace, gid_map can only be written
    // after setgroups is denied, so the container cannot drop supplementary
    // groups to escape group-based denials.
    if (gid_direct && !root) deny_setgroups(spid);
    if (gid_direct) write_id_map_file(spid, IdKind::kGroup, gid_map);
    if (uid_direct) write_id_map_file(spid, IdKind::kUser, uid_map);
  } catch (const RuntimeError& e) {
    errors[2] = e.what();
  }
  errors[0] = finish_id_map_helper(&gid_helper);
  errors[1] = finish_id_map_helper(&uid_helper);
  for (const std::string& e : errors) {
    if (!e.empty()) throw RuntimeError(e);
  }
}

}  // namespace hutch
