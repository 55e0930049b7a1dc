#include "cgroup.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <poll.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <set>

#include "cgroup-remove.h"
#include "json.h"
#include "runtime-error.h"
#include "state.h"

namespace hutch {

namespace {

constexpr int kFreezeTimeoutMs = 10000;

[[noreturn]] void unsupported(const std::string& where) {
  throw RuntimeError("config.json: `" + where + "` is not supported (hutch-runtime applies memory, cpu, pids and unified resources)");
}

// -1 means unlimited ("max"); 0 means unset; other negative values are errors.
bool limit_value(int64_t v, const std::string& where, std::string* out) {
  if (v == 0) return false;
  if (v < -1) throw RuntimeError("config.json: `" + where + "` must be -1 (unlimited) or positive, not " + std::to_string(v));
  *out = v == -1 ? "max" : std::to_string(v);
  return true;
}

void parse_memory(const JsonValue& m, std::vector<CgroupFile>* files) {
  const std::string w = "linux.resources.memory";
  int64_t limit = 0, swap = 0, reservation = 0;
  for (const auto& kv : m.as_object(w)) {
    if (kv.second.is_null()) continue;
    const std::string wk = w + "." + kv.first;
    if (kv.first == "limit") limit = kv.second.as_int64(wk);
    else if (kv.first == "swap") swap = kv.second.as_int64(wk);
    else if (kv.first == "reservation") reservation = kv.second.as_int64(wk);
    else unsupported(wk);
  }
  std::string v;
  // The OCI swap is memory+swap (cgroup v1's memsw); cgroup v2 limits swap
  // alone, so memory.swap.max = swap - limit (runc's conversion).
  if (swap == -1) {
    files->push_back({"memory.swap.max", "max", true});
  } else if (swap != 0) {
    if (limit <= 0) throw RuntimeError("config.json: `" + w + ".swap` needs a positive `" + w + ".limit` (swap counts memory+swap)");
    if (swap < limit) throw RuntimeError("config.json: `" + w + ".swap` (memory+swap) must be at least `" + w + ".limit`");
    files->push_back({"memory.swap.max", std::to_string(swap - limit), true});
  }
  if (limit_value(limit, w + ".limit", &v)) files->push_back({"memory.max", v});
  if (limit_value(reservation, w + ".reservation", &v)) files->push_back({"memory.low", v});
}

void parse_cpu(const JsonValue& c, std::vector<CgroupFile>* files) {
  const std::string w = "linux.resources.cpu";
  uint64_t shares = 0, period = 0;
  int64_t quota = 0;
  for (const auto& kv : c.as_object(w)) {
    if (kv.second.is_null()) continue;
    const std::string wk = w + "." + kv.first;
    if (kv.first == "shares") shares = kv.second.as_uint64(wk);
    else if (kv.first == "quota") quota = kv.second.as_int64(wk);
    else if (kv.first == "period") period = kv.second.as_uint64(wk);
    else if (kv.first == "cpus" || kv.first == "mems") {
      const std::string& set = kv.second.as_string(wk);
      if (!set.empty()) files->push_back({"cpuset." + kv.first, set});
    } else unsupported(wk);
  }
  if (shares != 0) {
    // runc's ConvertCPUSharesToCgroupV2Value: shares [2, 262144] onto weight [1, 10000].
    if (shares < 2) shares = 2;
    if (shares > 262144) shares = 262144;
    files->push_back({"cpu.weight", std::to_string(1 + ((shares - 2) * 9999) / 262142)});
  }
  if (quota < -1) throw RuntimeError("config.json: `" + w + ".quota` must be -1 (unlimited) or positive");
  if (quota != 0 || period != 0) {
    std::string max = quota > 0 ? std::to_string(quota) : "max";
    if (period != 0) max += " " + std::to_string(period);
    files->push_back({"cpu.max", max});
  }
}

void parse_pids(const JsonValue& p, std::vector<CgroupFile>* files) {
  const std::string w = "linux.resources.pids";
  for (const auto& kv : p.as_object(w)) {
    if (kv.second.is_null()) continue;
    if (kv.first != "limit") unsupported(w + "." + kv.first);
    int64_t limit = kv.second.as_int64(w + ".limit");
    if (limit != 0) files->push_back({"pids.max", limit < 0 ? "max" : std::to_string(limit)});
  }
}

void parse_unified(const JsonValue& u, std::vector<CgroupFile>* files) {
  for (const auto& kv : u.as_object("linux.resources.unified")) {
    const std::string wk = "linux.resources.unified." + kv.first;
    const std::string& name = kv.first;
    // A file of the container's own cgroup: "controller.key", nothing that could name another path.
    if (name.empty() || name[0] == '.' || name.find('/') != std::string::npos || name.find('.') == std::string::npos) {
      throw RuntimeError("config.json: `" + wk + "` must name a cgroup v2 interface file (such as memory.high)");
    }
    files->push_back({name, kv.second.as_string(wk)});
  }
}

std::vector<std::string> split_words(const std::string& text) {
  std::vector<std::string> words;
  size_t i = 0;
  while (i < text.size()) {
    size_t end = text.find_first_of(" \n", i);
    if (end == std::string::npos) end = text.size();
    if (end > i) words.push_back(text.substr(i, end - i));
    i = end + 1;
  }
  return words;
}

std::string read_text(const std::string& path) {
  std::string out;
  if (!read_small_file(path, &out)) throw sys_error("cgroup: open", path, ENOENT);
  return out;
}

// Writes `value` with one write(2), as the kernel wants for cgroup files; returns 0 or errno.
int write_text(const std::string& path, const std::string& value) {
  int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  ssize_t n;
  do n = write(fd, value.data(), value.size()); while (n < 0 && errno == EINTR);
  int err = n < 0 ? errno : 0;
  close(fd);
  return err;
}

bool contains(const std::vector<std::string>& words, const std::string& w) {
  for (const std::string& x : words) if (x == w) return true;
  return false;
}

std::string join_words(const std::vector<std::string>& words) {
  std::string out;
  for (const std::string& w : words) out += (out.empty() ? "" : " ") + w;
  return out.empty() ? "none" : out;
}

// This process's cgroup v2 path ("0::/path" in /proc/self/cgroup).
std::string own_cgroup() {
  const std::string text = read_text("/proc/self/cgroup");
  size_t at = text.compare(0, 3, "0::") == 0 ? 0 : text.find("\n0::");
  if (at == std::string::npos) throw RuntimeError("cgroup: /proc/self/cgroup has no cgroup v2 entry (0::)");
  if (at != 0) at++;
  size_t end = text.find('\n', at);
  return text.substr(at + 3, end == std::string::npos ? std::string::npos : end - at - 3);
}

// Components of a cgroup path, empty ones dropped.
std::vector<std::string> components(const std::string& path) {
  std::vector<std::string> parts;
  size_t i = 0;
  while (i <= path.size()) {
    size_t end = path.find('/', i);
    if (end == std::string::npos) end = path.size();
    if (end > i) parts.push_back(path.substr(i, end - i));
    i = end + 1;
  }
  return parts;
}

// The container's cgroup path in the hierarchy. A relative one is taken from
// the parent of our own cgroup, as runc does: our own cgroup holds processes
// (this one at least), and cgroup v2 gives controllers to the children of a
// cgroup only when it holds none.
std::string hierarchy_path(const CgroupSpec& spec, const std::string& id) {
  const std::string rel = spec.has_path ? spec.path : "hutch-" + id;
  std::vector<std::string> parts;
  if (rel[0] != '/') {
    parts = components(own_cgroup());
    if (!parts.empty()) parts.pop_back();
  }
  for (const std::string& p : components(rel)) parts.push_back(p);
  if (parts.empty()) throw RuntimeError("cgroup: the root cgroup cannot be a container's own cgroup");
  std::string out;
  for (const std::string& p : parts) out += "/" + p;
  return out;
}

// mkdir -p below the mount; true when the last component was created now.
bool make_dirs_below(const std::string& mount, const std::string& path) {
  std::string dir = mount;
  bool created = false;
  for (const std::string& p : components(path)) {
    const std::string parent = dir;
    dir += "/" + p;
    if (mkdir(dir.c_str(), 0755) == 0) {
      created = true;
      continue;
    }
    int err = errno;
    if (err == EEXIST) {
      created = false;
      continue;
    }
    std::string why = err == EACCES || err == EPERM || err == EROFS
                          ? ": `" + parent + "` is not delegated to you (run hutch inside a cgroup v2 subtree you own, e.g. `systemd-run --user --scope`)"
                          : "";
    throw RuntimeError("cgroup: mkdir `" + dir + "`: " + errno_text(err) + why);
  }
  return created;
}

// An existing cgroup is taken only when empty; a previous run's processes may still be exiting.
void require_empty(const std::string& dir) {
  int fd = open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) throw sys_error("cgroup: open", dir, errno);
  int populated = 0;
  for (int i = 0; i < 100 && read_cgroup_event(fd, "populated", &populated) && populated != 0; i++) {
    struct timespec ts = {0, 10 * 1000 * 1000};
    nanosleep(&ts, nullptr);
  }
  close(fd);
  if (populated != 0) throw RuntimeError("cgroup: `" + dir + "` already has processes: a container needs a cgroup of its own");
}

// Enables `controller` in cgroup.subtree_control of every ancestor of dir,
// from the hierarchy's root down, where it is not enabled yet.
void enable_controller(const std::string& mount, const std::string& path, const std::string& controller) {
  std::vector<std::string> parts = components(path);
  std::string level = mount;
  for (size_t i = 0; i < parts.size(); level += "/" + parts[i], i++) {
    if (contains(split_words(read_text(level + "/cgroup.subtree_control")), controller)) continue;
    const std::vector<std::string> available = split_words(read_text(level + "/cgroup.controllers"));
    if (!contains(available, controller)) {
      const bool hybrid = level == mount && mount.size() > 8 && mount.compare(mount.size() - 8, 8, "/unified") == 0;
      throw RuntimeError("cgroup: the `" + controller + "` controller is not available in `" + level + "` (cgroup.controllers: " +
                         join_words(available) + ")" +
                         (hybrid ? ": this hybrid layout binds it to a cgroup v1 hierarchy" : ": it is not delegated to you"));
    }
    int err = write_text(level + "/cgroup.subtree_control", "+" + controller);
    if (err == 0) continue;
    std::string why = err == EBUSY ? ": `" + level + "` has processes of its own, and cgroup v2 enables controllers for the children of a cgroup only when it has none"
                      : err == EACCES || err == EPERM ? ": it is not delegated to you"
                                                      : "";
    throw RuntimeError("cgroup: write `+" + controller + "` to `" + level + "/cgroup.subtree_control`: " + errno_text(err) + why);
  }
}

void write_limits(const std::string& dir, const std::vector<CgroupFile>& files) {
  for (const CgroupFile& f : files) {
    const std::string path = dir + "/" + f.name;
    int err = write_text(path, f.value);
    if (err == 0) continue;
    if (err == ENOENT && f.optional) {
      print_error("warning: " + f.name + " " + f.value + " not applied: `" + path + "` does not exist (the kernel does not account swap)");
      continue;
    }
    throw RuntimeError("cgroup: write `" + f.value + "` to `" + path + "`: " + errno_text(err));
  }
}

}  // namespace

void parse_cgroup_spec(const JsonValue* cgroups_path, const JsonValue* resources, CgroupSpec* out) {
  if (cgroups_path != nullptr && !cgroups_path->is_null()) {
    const std::string& p = cgroups_path->as_string("linux.cgroupsPath");
    if (p.empty()) throw RuntimeError("config.json: `linux.cgroupsPath` must not be empty");
    if (p.find('/') == std::string::npos && std::count(p.begin(), p.end(), ':') == 2) {
      throw RuntimeError("config.json: `linux.cgroupsPath` `" + p + "` is systemd's slice:prefix:name form; hutch-runtime has no systemd cgroup manager, give a path");
    }
    for (const std::string& c : components(p)) {
      if (c == "." || c == "..") throw RuntimeError("config.json: `linux.cgroupsPath` `" + p + "` must not contain `.` or `..`");
    }
    out->has_path = true;
    out->path = p;
  }
  if (resources == nullptr || resources->is_null()) return;
  for (const auto& kv : resources->as_object("linux.resources")) {
    if (kv.second.is_null()) continue;
    if (kv.first == "memory") parse_memory(kv.second, &out->files);
    else if (kv.first == "cpu") parse_cpu(kv.second, &out->files);
    else if (kv.first == "pids") parse_pids(kv.second, &out->files);
    else if (kv.first == "unified") parse_unified(kv.second, &out->files);
    // A device allow-list needs an eBPF program, which needs privileges; a
    // user namespace cannot create device nodes anyway (they are bind mounts).
    else if (kv.first == "devices") kv.second.as_array("linux.resources.devices");
    else unsupported("linux.resources." + kv.first);
  }
}

std::string cgroup2_mount() {
  struct statfs s;
  if (statfs("/sys/fs/cgroup", &s) == 0 && s.f_type == CGROUP2_SUPER_MAGIC) return "/sys/fs/cgroup";
  if (statfs("/sys/fs/cgroup/unified", &s) == 0 && s.f_type == CGROUP2_SUPER_MAGIC) return "/sys/fs/cgroup/unified";
  return "";
}

std::string prepare_cgroup(const CgroupSpec& spec, const std::string& id) {
  const std::string mount = cgroup2_mount();
  if (mount.empty()) {
    if (!spec.required()) return "";
    throw RuntimeError(std::string("cgroup: ") + (spec.files.empty() ? "`linux.cgroupsPath`" : "`linux.resources`") +
                       " needs a cgroup v2 hierarchy, and none is mounted (/sys/fs/cgroup is not cgroup2 and there is no /sys/fs/cgroup/unified)");
  }
  std::string dir;
  bool created = false;
  try {
    const std::string path = hierarchy_path(spec, id);
    dir = mount + path;
    created = make_dirs_below(mount, path);
    if (!created) require_empty(dir);
    std::set<std::string> controllers;
    for (const CgroupFile& f : spec.files) {
      std::string c = f.name.substr(0, f.name.find('.'));
      if (c != "cgroup") controllers.insert(c);
    }
    for (const std::string& c : controllers) enable_controller(mount, path, c);
    write_limits(dir, spec.files);
    return dir;
  } catch (const RuntimeError&) {
    if (created) remove_cgroup_dir(dir.c_str());
    if (spec.required()) throw;
    return "";
  }
}

int open_cgroup_procs(const std::string& dir) {
  const std::string path = dir + "/cgroup.procs";
  int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) throw sys_error("cgroup: open", path, errno);
  return fd;
}

void join_cgroup(const std::string& dir, pid_t pid) {
  int fd = open_cgroup_procs(dir);
  const std::string text = std::to_string(pid);
  ssize_t n;
  do n = write(fd, text.data(), text.size()); while (n < 0 && errno == EINTR);
  int err = n < 0 ? errno : 0;
  close(fd);
  if (err == 0) return;
  std::string why = err == EACCES || err == EPERM || err == ENOENT
                        ? ": moving a process needs write access to cgroup.procs of the lowest cgroup that holds both its cgroup and this one"
                        : "";
  throw RuntimeError("cgroup: write " + text + " to `" + dir + "/cgroup.procs`: " + errno_text(err) + why);
}

void remove_cgroup(const std::string& dir) {
  if (dir.empty()) return;
  int err = remove_cgroup_dir(dir.c_str());
  if (err != 0) print_error("warning: cgroup: rmdir `" + dir + "`: " + errno_text(err));
}

void set_cgroup_frozen(const std::string& dir, bool frozen) {
  const std::string path = dir + "/cgroup.freeze";
  int err = write_text(path, frozen ? "1" : "0");
  if (err != 0) throw RuntimeError("cgroup: write `" + std::string(frozen ? "1" : "0") + "` to `" + path + "`: " + errno_text(err));
  int dfd = open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) throw sys_error("cgroup: open", dir, errno);
  // cgroup.events changes (and wakes POLLPRI) once every process reached the state.
  int events = openat(dfd, "cgroup.events", O_RDONLY | O_CLOEXEC);
  int state = -1;
  for (int waited = 0; waited <= kFreezeTimeoutMs; waited += 20) {
    if (read_cgroup_event(dfd, "frozen", &state) && state == (frozen ? 1 : 0)) break;
    char buf[256];
    if (events >= 0) (void)!pread(events, buf, sizeof buf, 0);
    struct pollfd p = {events, POLLPRI, 0};
    poll(&p, events >= 0 ? 1 : 0, 20);
  }
  if (events >= 0) close(events);
  close(dfd);
  if (state != (frozen ? 1 : 0)) {
    throw RuntimeError("cgroup: `" + dir + "` did not become " + (frozen ? "frozen" : "thawed") + " within " + std::to_string(kFreezeTimeoutMs / 1000) + " s (cgroup.events)");
  }
}

bool cgroup_frozen(const std::string& dir) {
  if (dir.empty()) return false;
  int fd = open((dir + "/cgroup.freeze").c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  char c = 0;
  ssize_t n = read(fd, &c, 1);
  close(fd);
  return n == 1 && c == '1';
}

}  // namespace hutch
