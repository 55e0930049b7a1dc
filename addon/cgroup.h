// A container's own cgroup (cgroup v2 only): `linux.cgroupsPath` and
// `linux.resources` of config.json turned into a directory in the unified
// hierarchy, its controllers enabled, its limits written, the init moved in
// before any of the user's code runs; freezing it for pause/resume; removing
// it when the container is gone. Rootless, this works inside a cgroup v2
// subtree delegated to the user (systemd's Delegate=), like crun's cgroupfs
// manager; there is no systemd (D-Bus) manager.
#pragma once

#include <sys/types.h>

#include <string>
#include <utility>
#include <vector>

namespace hutch {

class JsonValue;

// One cgroup v2 interface file to write ("memory.max" = "536870912").
struct CgroupFile {
  std::string name;
  std::string value;
  // Skipped with a warning when the file does not exist (docker discards a
  // swap limit when the kernel does not account swap).
  bool optional = false;
};

struct CgroupSpec {
  bool has_path = false;
  std::string path;               // linux.cgroupsPath
  std::vector<CgroupFile> files;  // linux.resources, in write order

  // With a path or a limit, a failure to make the cgroup is an error; without
  // either the container runs without a cgroup of its own when none can be made.
  bool required() const { return has_path || !files.empty(); }
};

// Parses linux.cgroupsPath and linux.resources (either may be null) into
// `out`; throws RuntimeError naming the field.
void parse_cgroup_spec(const JsonValue* cgroups_path, const JsonValue* resources, CgroupSpec* out);

// The directory of the mounted cgroup v2 hierarchy (/sys/fs/cgroup, or
// /sys/fs/cgroup/unified in a hybrid layout), or "" when there is none.
std::string cgroup2_mount();

// Creates and configures the container's cgroup, before its init exists:
// the directory (`linux.cgroupsPath`: absolute = from the hierarchy's root,
// relative = from the parent of the runtime's own cgroup, as runc; absent =
// `hutch-<id>` there), the controllers the limits need enabled in each
// ancestor, the limits written. Returns its directory, or "" when it is not
// required and cannot be made.
std::string prepare_cgroup(const CgroupSpec& spec, const std::string& id);

// Moves `pid` into the cgroup (cgroup.procs).
void join_cgroup(const std::string& dir, pid_t pid);

// Opens dir/cgroup.procs for writing later (a pid written to it moves that
// process); taken before entering a container's namespaces, whose mount
// namespace does not show the host's hierarchy.
int open_cgroup_procs(const std::string& dir);

// Removes the cgroup and what is left in it; a failure is printed as a warning.
void remove_cgroup(const std::string& dir);

// cgroup.freeze = 1 or 0, then waits (up to 10 s) until cgroup.events says so.
void set_cgroup_frozen(const std::string& dir, bool frozen);

// True when the cgroup was asked to freeze (cgroup.freeze reads 1).
bool cgroup_frozen(const std::string& dir);

}  // namespace hutch
