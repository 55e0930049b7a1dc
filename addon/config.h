// The runtime-spec config.json subset hutch-runtime executes, as plain structs.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "cgroup.h"
#include "hooks.h"
#include "idmap.h"
#include "namespaces.h"

namespace hutch {

struct MountSpec {
  std::string destination;
  std::string type;
  std::string source;
  std::vector<std::string> options;
};

struct RlimitSpec {
  std::string type;  // "RLIMIT_NOFILE"
  int resource = 0;
  uint64_t soft = 0;
  uint64_t hard = 0;
};

struct SeccompArgSpec {
  unsigned index = 0;
  uint64_t value = 0;
  uint64_t value_two = 0;
  std::string op;
};

struct SeccompSyscallSpec {
  std::vector<std::string> names;
  std::string action;
  bool has_errno_ret = false;
  uint32_t errno_ret = 0;
  std::vector<SeccompArgSpec> args;
};

struct SeccompSpec {
  std::string default_action;
  bool has_default_errno_ret = false;
  uint32_t default_errno_ret = 0;
  std::vector<std::string> architectures;
  std::vector<std::string> flags;
  std::vector<SeccompSyscallSpec> syscalls;
  // Annotation run.hutch.seccomp.enosys-newer: syscalls numbered above the
  // highest one the profile names fail with ENOSYS (runc's patchbpf stub).
  bool enosys_newer = false;
  // Annotation run.hutch.seccomp.cache: where compiled programs are kept
  // between runs (seccomp-cache.h); not part of what the filter does.
  std::string cache_dir;
};

struct DeviceSpec {
  std::string path;
  std::string type;
};

struct CapabilitySets {
  std::vector<std::string> bounding, effective, permitted, inheritable, ambient;
};

struct ProcessSpec {
  bool terminal = false;
  uint32_t uid = 0;
  uint32_t gid = 0;
  bool has_umask = false;
  uint32_t umask = 0;
  std::vector<uint32_t> additional_gids;
  std::vector<std::string> args;
  std::vector<std::string> env;
  std::string cwd;
  CapabilitySets capabilities;  // absent in config.json = every set empty
  bool no_new_privileges = false;
  std::vector<RlimitSpec> rlimits;
};

struct OverlaySpec {
  bool enabled = false;
  std::vector<std::string> lowerdirs;  // top first
  std::string upperdir;
  std::string workdir;
  // Annotation run.hutch.rootfs.mount-program (mode fuse-overlayfs): the
  // fuse-overlayfs executable that serves the root instead of kernel overlayfs.
  std::string mount_program;
  // Not from config.json: set by `run --remove-on-exit`, whose upper dir is
  // deleted when the container exits (see mount_overlay_root).
  bool volatile_upper = false;
};

struct Config {
  std::string bundle;  // absolute
  std::string oci_version;
  std::string root_path;  // absolute (resolved against the bundle)
  bool root_readonly = false;
  ProcessSpec process;
  std::string hostname;
  std::string domainname;
  std::vector<MountSpec> mounts;
  std::vector<NamespaceSpec> namespaces;
  IdMap uid_mappings;
  IdMap gid_mappings;
  std::vector<std::pair<std::string, std::string>> sysctl;
  std::vector<DeviceSpec> devices;
  std::vector<std::string> masked_paths;
  std::vector<std::string> readonly_paths;
  std::string rootfs_propagation;
  bool has_seccomp = false;
  SeccompSpec seccomp;
  CgroupSpec cgroup;  // linux.cgroupsPath, linux.resources
  std::map<std::string, std::string> annotations;
  OverlaySpec overlay;
  Hooks hooks;
  std::string raw_json;  // the bytes parsed, kept in the state dir at create

  bool creates(int ns_flag) const;
  const NamespaceSpec* find_namespace(int ns_flag) const;
};

// "a:b" → {"a", "b"} (overlay lowerdir lists).
std::vector<std::string> split_colon(const std::string& s);

// Reads and validates <bundle>/config.json; throws RuntimeError naming the field.
Config load_config(const std::string& bundle);

// Parses a config.json at `path` for the (absolute) bundle it belongs to;
// used for the copy a container keeps in its state directory.
Config load_config_file(const std::string& path, const std::string& bundle);

}  // namespace hutch
