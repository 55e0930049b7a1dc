#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hooks.h"
#include "json.h"
#include "runtime-error.h"

namespace hutch {

namespace {

// Bigger than any real config.json; stops a runaway file from exhausting memory.
constexpr off_t kMaxConfigSize = 16 << 20;

// Annotations through which the caller asks for a kernel overlay root
// (issue 4: the rootfs is mounted inside the user namespace).
constexpr const char* kAnnotationLowerdirs = "run.hutch.overlay.lowerdirs";
constexpr const char* kAnnotationUpperdir = "run.hutch.overlay.upperdir";
constexpr const char* kAnnotationWorkdir = "run.hutch.overlay.workdir";
// How the root is assembled (docs/run.md): overlay (kernel overlayfs),
// fuse-overlayfs (served by the program in run.hutch.rootfs.mount-program) or
// copy (root.path already holds a private copy: bound as it is).
constexpr const char* kAnnotationRootfsMode = "run.hutch.rootfs.mode";
constexpr const char* kAnnotationMountProgram = "run.hutch.rootfs.mount-program";
constexpr const char* kAnnotationEnosysNewer = "run.hutch.seccomp.enosys-newer";
constexpr const char* kAnnotationSeccompCache = "run.hutch.seccomp.cache";

struct RlimitName {
  const char* name;
  int resource;
};

constexpr RlimitName kRlimits[] = {
    {"RLIMIT_AS", RLIMIT_AS},           {"RLIMIT_CORE", RLIMIT_CORE},
    {"RLIMIT_CPU", RLIMIT_CPU},         {"RLIMIT_DATA", RLIMIT_DATA},
    {"RLIMIT_FSIZE", RLIMIT_FSIZE},     {"RLIMIT_LOCKS", RLIMIT_LOCKS},
    {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK}, {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
    {"RLIMIT_NICE", RLIMIT_NICE},       {"RLIMIT_NOFILE", RLIMIT_NOFILE},
    {"RLIMIT_NPROC", RLIMIT_NPROC},     {"RLIMIT_RSS", RLIMIT_RSS},
    {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},   {"RLIMIT_RTTIME", RLIMIT_RTTIME},
    {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING}, {"RLIMIT_STACK", RLIMIT_STACK},
};

std::string read_config_file(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) throw sys_error("open", path, errno);
  struct stat st;
  if (fstat(fd, &st) != 0) {
    int err = errno;
    close(fd);
    throw sys_error("stat", path, err);
  }
  if (!S_ISREG(st.st_mode) || st.st_size > kMaxConfigSize) {
    close(fd);
    throw RuntimeError(path + ": not a regular file of at most 16 MiB");
  }
  std::string text;
  char buf[65536];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      close(fd);
      throw sys_error("read", path, err);
    }
    if (n == 0) break;
    text.append(buf, static_cast<size_t>(n));
    if (text.size() > static_cast<size_t>(kMaxConfigSize)) {
      close(fd);
      throw RuntimeError(path + ": larger than 16 MiB");
    }
  }
  close(fd);
  return text;
}

std::vector<std::string> string_array(const JsonValue* v, const std::string& where) {
  std::vector<std::string> out;
  if (v == nullptr || v->is_null()) return out;
  const auto& items = v->as_array(where);
  for (size_t i = 0; i < items.size(); i++) out.push_back(items[i].as_string(where + "[" + std::to_string(i) + "]"));
  return out;
}

std::string optional_string(const JsonValue& obj, const char* key, const std::string& where) {
  const JsonValue* v = obj.get(key);
  if (v == nullptr || v->is_null()) return "";
  return v->as_string(where + "." + key);
}

uint32_t u32(const JsonValue& v, const std::string& where) {
  uint64_t x = v.as_uint64(where);
  if (x > UINT32_MAX) throw RuntimeError("config.json: `" + where + "` is larger than 2^32-1");
  return static_cast<uint32_t>(x);
}

const JsonValue& required(const JsonValue& obj, const char* key, const std::string& where) {
  const JsonValue* v = obj.get(key);
  if (v == nullptr) throw RuntimeError("config.json: `" + where + "." + key + "` is required");
  return *v;
}

bool is_absolute(const std::string& p) { return !p.empty() && p[0] == '/'; }

IdMap parse_mappings(const JsonValue* v, const std::string& where) {
  IdMap map;
  if (v == nullptr || v->is_null()) return map;
  const auto& items = v->as_array(where);
  for (size_t i = 0; i < items.size(); i++) {
    std::string w = where + "[" + std::to_string(i) + "]";
    IdRange r;
    r.container = u32(required(items[i], "containerID", w), w + ".containerID");
    r.host = u32(required(items[i], "hostID", w), w + ".hostID");
    r.size = u32(required(items[i], "size", w), w + ".size");
    if (r.size == 0) throw RuntimeError("config.json: `" + w + ".size` must be > 0");
    map.push_back(r);
  }
  return map;
}

void parse_process(const JsonValue& p, ProcessSpec& out) {
  const std::string w = "process";
  p.as_object(w);
  if (const JsonValue* t = p.get("terminal")) out.terminal = t->as_bool("process.terminal");
  const JsonValue& user = required(p, "user", w);
  out.uid = u32(required(user, "uid", "process.user"), "process.user.uid");
  out.gid = u32(required(user, "gid", "process.user"), "process.user.gid");
  if (const JsonValue* m = user.get("umask")) {
    out.has_umask = true;
    out.umask = u32(*m, "process.user.umask") & 0777;
  }
  if (const JsonValue* g = user.get("additionalGids")) {
    const auto& gids = g->as_array("process.user.additionalGids");
    for (size_t i = 0; i < gids.size(); i++) {
      out.additional_gids.push_back(u32(gids[i], "process.user.additionalGids[" + std::to_string(i) + "]"));
    }
  }
  out.args = string_array(&required(p, "args", w), "process.args");
  if (out.args.empty()) throw RuntimeError("config.json: `process.args` must not be empty");
  out.env = string_array(p.get("env"), "process.env");
  out.cwd = required(p, "cwd", w).as_string("process.cwd");
  if (!is_absolute(out.cwd)) throw RuntimeError("config.json: `process.cwd` must be an absolute path");
  if (const JsonValue* c = p.get("capabilities"); c != nullptr && !c->is_null()) {
    c->as_object("process.capabilities");
    out.capabilities.bounding = string_array(c->get("bounding"), "process.capabilities.bounding");
    out.capabilities.effective = string_array(c->get("effective"), "process.capabilities.effective");
    out.capabilities.permitted = string_array(c->get("permitted"), "process.capabilities.permitted");
    out.capabilities.inheritable = string_array(c->get("inheritable"), "process.capabilities.inheritable");
    out.capabilities.ambient = string_array(c->get("ambient"), "process.capabilities.ambient");
  }
  if (const JsonValue* n = p.get("noNewPrivileges")) out.no_new_privileges = n->as_bool("process.noNewPrivileges");
  if (const JsonValue* r = p.get("rlimits"); r != nullptr && !r->is_null()) {
    const auto& items = r->as_array("process.rlimits");
    for (size_t i = 0; i < items.size(); i++) {
      std::string wi = "process.rlimits[" + std::to_string(i) + "]";
      RlimitSpec rl;
      rl.type = required(items[i], "type", wi).as_string(wi + ".type");
      rl.hard = required(items[i], "hard", wi).as_uint64(wi + ".hard");
      rl.soft = required(items[i], "soft", wi).as_uint64(wi + ".soft");
      bool known = false;
      for (const RlimitName& n : kRlimits) {
        if (rl.type == n.name) {
          rl.resource = n.resource;
          known = true;
        }
      }
      if (!known) throw RuntimeError("config.json: `" + wi + ".type` " + rl.type + " is not a known rlimit");
      for (const RlimitSpec& prev : out.rlimits) {
        if (prev.type == rl.type) throw RuntimeError("config.json: `" + wi + ".type` " + rl.type + " appears twice");
      }
      out.rlimits.push_back(rl);
    }
  }
}

void parse_seccomp(const JsonValue& s, SeccompSpec& out) {
  const std::string w = "linux.seccomp";
  s.as_object(w);
  out.default_action = required(s, "defaultAction", w).as_string(w + ".defaultAction");
  if (const JsonValue* e = s.get("defaultErrnoRet"); e != nullptr && !e->is_null()) {
    out.has_default_errno_ret = true;
    out.default_errno_ret = u32(*e, w + ".defaultErrnoRet");
  }
  out.architectures = string_array(s.get("architectures"), w + ".architectures");
  out.flags = string_array(s.get("flags"), w + ".flags");
  const JsonValue* sc = s.get("syscalls");
  if (sc == nullptr || sc->is_null()) return;
  const auto& items = sc->as_array(w + ".syscalls");
  for (size_t i = 0; i < items.size(); i++) {
    std::string wi = w + ".syscalls[" + std::to_string(i) + "]";
    SeccompSyscallSpec rule;
    rule.names = string_array(&required(items[i], "names", wi), wi + ".names");
    rule.action = required(items[i], "action", wi).as_string(wi + ".action");
    if (const JsonValue* e = items[i].get("errnoRet"); e != nullptr && !e->is_null()) {
      rule.has_errno_ret = true;
      rule.errno_ret = u32(*e, wi + ".errnoRet");
    }
    if (const JsonValue* a = items[i].get("args"); a != nullptr && !a->is_null()) {
      const auto& args = a->as_array(wi + ".args");
      for (size_t j = 0; j < args.size(); j++) {
        std::string wa = wi + ".args[" + std::to_string(j) + "]";
        SeccompArgSpec arg;
        arg.index = u32(required(args[j], "index", wa), wa + ".index");
        if (arg.index > 5) throw RuntimeError("config.json: `" + wa + ".index` must be 0..5");
        arg.value = required(args[j], "value", wa).as_uint64(wa + ".value");
        if (const JsonValue* v2 = args[j].get("valueTwo")) arg.value_two = v2->as_uint64(wa + ".valueTwo");
        arg.op = required(args[j], "op", wa).as_string(wa + ".op");
        rule.args.push_back(arg);
      }
    }
    out.syscalls.push_back(std::move(rule));
  }
}

// overlayfs splits its option string on ',' and lowerdir on ':', and has no
// escaping we want to rely on; such paths are refused instead.
void check_overlay_path(const std::string& p, const char* annotation) {
  if (!is_absolute(p) || p.find(',') != std::string::npos || p.find(':') != std::string::npos) {
    throw RuntimeError(std::string("config.json: annotation ") + annotation + " `" + p +
                       "` must be an absolute path without ',' or ':'");
  }
}

std::string annotation(const Config& c, const char* name) {
  auto it = c.annotations.find(name);
  return it == c.annotations.end() ? std::string() : it->second;
}

void parse_overlay(Config& c) {
  auto lower = c.annotations.find(kAnnotationLowerdirs);
  auto upper = c.annotations.find(kAnnotationUpperdir);
  auto work = c.annotations.find(kAnnotationWorkdir);
  const std::string mode = annotation(c, kAnnotationRootfsMode);
  const std::string program = annotation(c, kAnnotationMountProgram);
  if (!mode.empty() && mode != "overlay" && mode != "fuse-overlayfs" && mode != "copy") {
    throw RuntimeError(std::string("config.json: annotation ") + kAnnotationRootfsMode + " `" + mode + "` must be overlay, fuse-overlayfs or copy");
  }
  const bool has_overlay = lower != c.annotations.end() || upper != c.annotations.end() || work != c.annotations.end();
  if (mode == "copy" && has_overlay) {
    throw RuntimeError(std::string("config.json: ") + kAnnotationRootfsMode + " copy takes no run.hutch.overlay.* annotations (root.path is the copy)");
  }
  if ((mode == "fuse-overlayfs") != !program.empty()) {
    throw RuntimeError(std::string("config.json: annotation ") + kAnnotationMountProgram + " is required with, and only with, " + kAnnotationRootfsMode + " fuse-overlayfs");
  }
  if (!has_overlay) {
    if (mode == "fuse-overlayfs") throw RuntimeError(std::string("config.json: ") + kAnnotationRootfsMode + " fuse-overlayfs needs the run.hutch.overlay.* annotations");
    return;
  }
  if (lower == c.annotations.end() || lower->second.empty()) {
    throw RuntimeError(std::string("config.json: annotation ") + kAnnotationLowerdirs + " is required with the other overlay annotations");
  }
  if ((upper == c.annotations.end()) != (work == c.annotations.end())) {
    throw RuntimeError(std::string("config.json: annotations ") + kAnnotationUpperdir + " and " + kAnnotationWorkdir + " go together");
  }
  c.overlay.enabled = true;
  for (const std::string& d : split_colon(lower->second)) {
    check_overlay_path(d, kAnnotationLowerdirs);
    c.overlay.lowerdirs.push_back(d);
  }
  if (upper != c.annotations.end()) {
    check_overlay_path(upper->second, kAnnotationUpperdir);
    check_overlay_path(work->second, kAnnotationWorkdir);
    c.overlay.upperdir = upper->second;
    c.overlay.workdir = work->second;
  }
  if (!program.empty()) {
    if (!is_absolute(program)) throw RuntimeError(std::string("config.json: annotation ") + kAnnotationMountProgram + " `" + program + "` must be an absolute path");
    // fuse-overlayfs cannot run without an upper layer (it has no read-only mode).
    if (c.overlay.upperdir.empty()) throw RuntimeError(std::string("config.json: ") + kAnnotationRootfsMode + " fuse-overlayfs needs " + kAnnotationUpperdir);
    c.overlay.mount_program = program;
  }
}

void parse_enosys_annotation(Config& c) {
  auto a = c.annotations.find(kAnnotationEnosysNewer);
  if (a == c.annotations.end()) return;
  if (a->second != "true" && a->second != "false") {
    throw RuntimeError(std::string("config.json: annotation ") + kAnnotationEnosysNewer + " must be true or false, not `" + a->second + "`");
  }
  if (a->second == "true" && !c.has_seccomp) {
    throw RuntimeError(std::string("config.json: annotation ") + kAnnotationEnosysNewer + " needs `linux.seccomp`");
  }
  c.seccomp.enosys_newer = a->second == "true";
}

void parse_seccomp_cache_annotation(Config& c) {
  auto a = c.annotations.find(kAnnotationSeccompCache);
  if (a == c.annotations.end()) return;
  if (!is_absolute(a->second)) {
    throw RuntimeError(std::string("config.json: annotation ") + kAnnotationSeccompCache + " must be an absolute path, not `" + a->second + "`");
  }
  c.seccomp.cache_dir = a->second;
}

void parse_linux(const JsonValue& l, Config& c) {
  l.as_object("linux");
  if (const JsonValue* ns = l.get("namespaces"); ns != nullptr && !ns->is_null()) {
    const auto& items = ns->as_array("linux.namespaces");
    for (size_t i = 0; i < items.size(); i++) {
      std::string wi = "linux.namespaces[" + std::to_string(i) + "]";
      NamespaceSpec n;
      n.type = required(items[i], "type", wi).as_string(wi + ".type");
      n.flag = namespace_flag(n.type);
      if (n.flag == 0) throw RuntimeError("config.json: `" + wi + ".type` " + n.type + " is not a namespace type");
      n.path = optional_string(items[i], "path", wi);
      if (!n.path.empty() && !is_absolute(n.path)) throw RuntimeError("config.json: `" + wi + ".path` must be absolute");
      for (const NamespaceSpec& prev : c.namespaces) {
        if (prev.flag == n.flag) throw RuntimeError("config.json: `" + wi + "` namespace " + n.type + " appears twice");
      }
      c.namespaces.push_back(n);
    }
  }
  c.uid_mappings = parse_mappings(l.get("uidMappings"), "linux.uidMappings");
  c.gid_mappings = parse_mappings(l.get("gidMappings"), "linux.gidMappings");
  if (const JsonValue* s = l.get("sysctl"); s != nullptr && !s->is_null()) {
    for (const auto& kv : s->as_object("linux.sysctl")) {
      c.sysctl.emplace_back(kv.first, kv.second.as_string("linux.sysctl." + kv.first));
    }
  }
  if (const JsonValue* d = l.get("devices"); d != nullptr && !d->is_null()) {
    const auto& items = d->as_array("linux.devices");
    for (size_t i = 0; i < items.size(); i++) {
      std::string wi = "linux.devices[" + std::to_string(i) + "]";
      DeviceSpec dev;
      dev.path = required(items[i], "path", wi).as_string(wi + ".path");
      dev.type = required(items[i], "type", wi).as_string(wi + ".type");
      if (!is_absolute(dev.path)) throw RuntimeError("config.json: `" + wi + ".path` must be absolute");
      c.devices.push_back(dev);
    }
  }
  c.masked_paths = string_array(l.get("maskedPaths"), "linux.maskedPaths");
  c.readonly_paths = string_array(l.get("readonlyPaths"), "linux.readonlyPaths");
  c.rootfs_propagation = optional_string(l, "rootfsPropagation", "linux");
  if (const JsonValue* s = l.get("seccomp"); s != nullptr && !s->is_null()) {
    c.has_seccomp = true;
    parse_seccomp(*s, c.seccomp);
  }
  parse_cgroup_spec(l.get("cgroupsPath"), l.get("resources"), &c.cgroup);
}

}  // namespace

bool Config::creates(int ns_flag) const {
  const NamespaceSpec* ns = find_namespace(ns_flag);
  return ns != nullptr && ns->path.empty();
}

const NamespaceSpec* Config::find_namespace(int ns_flag) const {
  for (const NamespaceSpec& ns : namespaces) {
    if (ns.flag == ns_flag) return &ns;
  }
  return nullptr;
}

Config load_config(const std::string& bundle_arg) {
  char resolved[PATH_MAX];
  if (realpath(bundle_arg.c_str(), resolved) == nullptr) throw sys_error("realpath", bundle_arg, errno);
  return load_config_file(std::string(resolved) + "/config.json", resolved);
}

Config load_config_file(const std::string& path, const std::string& bundle) {
  Config c;
  c.bundle = bundle;
  c.raw_json = read_config_file(path);
  JsonValue doc = JsonValue::parse(c.raw_json);
  doc.as_object("(top level)");
  c.oci_version = required(doc, "ociVersion", "").as_string("ociVersion");
  const JsonValue& root = required(doc, "root", "");
  std::string root_path = required(root, "path", "root").as_string("root.path");
  if (root_path.empty()) throw RuntimeError("config.json: `root.path` must not be empty");
  c.root_path = is_absolute(root_path) ? root_path : c.bundle + "/" + root_path;
  if (const JsonValue* ro = root.get("readonly")) c.root_readonly = ro->as_bool("root.readonly");
  parse_process(required(doc, "process", ""), c.process);
  c.hostname = optional_string(doc, "hostname", "");
  c.domainname = optional_string(doc, "domainname", "");
  if (const JsonValue* m = doc.get("mounts"); m != nullptr && !m->is_null()) {
    const auto& items = m->as_array("mounts");
    for (size_t i = 0; i < items.size(); i++) {
      std::string wi = "mounts[" + std::to_string(i) + "]";
      MountSpec ms;
      ms.destination = required(items[i], "destination", wi).as_string(wi + ".destination");
      if (!is_absolute(ms.destination)) throw RuntimeError("config.json: `" + wi + ".destination` must be absolute");
      ms.type = optional_string(items[i], "type", wi);
      ms.source = optional_string(items[i], "source", wi);
      ms.options = string_array(items[i].get("options"), wi + ".options");
      c.mounts.push_back(ms);
    }
  }
  if (const JsonValue* a = doc.get("annotations"); a != nullptr && !a->is_null()) {
    for (const auto& kv : a->as_object("annotations")) c.annotations[kv.first] = kv.second.as_string("annotations." + kv.first);
  }
  if (const JsonValue* l = doc.get("linux"); l != nullptr && !l->is_null()) parse_linux(*l, c);
  parse_overlay(c);
  parse_enosys_annotation(c);
  parse_seccomp_cache_annotation(c);
  if (const JsonValue* h = doc.get("hooks"); h != nullptr && !h->is_null()) c.hooks = parse_hooks(*h);
  if (c.creates(CLONE_NEWUSER) && (c.uid_mappings.empty() || c.gid_mappings.empty())) {
    throw RuntimeError("config.json: a new user namespace needs `linux.uidMappings` and `linux.gidMappings`");
  }
  return c;
}

std::vector<std::string> split_colon(const std::string& s) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (;;) {
    size_t end = s.find(':', start);
    parts.push_back(s.substr(start, end == std::string::npos ? std::string::npos : end - start));
    if (end == std::string::npos) return parts;
    start = end + 1;
  }
}

}  // namespace hutch
