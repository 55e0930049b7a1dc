// The state a container keeps under the runtime's --root: one directory per
// container with its record, its config copy and markers; the runtime-spec
// state is derived from them and from the live process (pidfd + start time).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <string>

namespace hutch {

// $XDG_RUNTIME_DIR/hutch/runtime, else /tmp/hutch-runtime-<uid>.
std::string default_state_root();

// Throws unless id matches [a-zA-Z0-9][a-zA-Z0-9_.-]* (at most 128 characters).
void validate_container_id(const std::string& id, const char* verb);

// JSON string literal for s.
std::string json_string(const std::string& s);

// Current time (CLOCK_REALTIME) as RFC 3339 with nanoseconds, UTC.
std::string rfc3339_now();

// Writes dir/name through dir/.name.tmp + rename, so readers never see a partial file.
void write_file_atomic(const std::string& dir, const std::string& name, const std::string& content);

// Reads a small regular file; false when it does not exist.
bool read_small_file(const std::string& path, std::string* out);

// mkdir -p with mode 0700 for each missing component.
void make_dirs(const std::string& path);

// /proc/<pid>/stat field 22 (start time in clock ticks since boot); 0 when
// the process does not exist or is a zombie.
uint64_t process_start_time(pid_t pid);

// A pidfd for pid only when it is still the process that started at
// start_time (so a reused pid is never taken for the container); -1 otherwise.
int open_verified_pidfd(pid_t pid, uint64_t start_time);

// Waits up to timeout_ms (-1: forever) for the process behind pidfd to exit;
// false when the time ran out.
bool wait_pidfd(int pidfd, int timeout_ms);

// What create recorded about a container (container.json).
struct ContainerRecord {
  std::string id;
  std::string oci_version;
  std::string bundle;
  std::string created;  // RFC 3339
  pid_t pid = 0;
  uint64_t start_time = 0;
  std::string cgroup_dir;  // the container's own cgroup; empty when it has none
  std::map<std::string, std::string> annotations;
};

void write_record(const std::string& dir, const ContainerRecord& r);
// False when container.json is absent (the container is still being created).
bool read_record(const std::string& dir, ContainerRecord* r);

enum class Status { kCreating, kCreated, kRunning, kPaused, kStopped };
const char* status_name(Status s);

// Derives the status: no record → creating; process gone (or a zombie, or
// a different process with that pid) → stopped; exec fifo present → created;
// its cgroup frozen (cgroup.freeze) → paused.
Status derive_status(const std::string& dir, const ContainerRecord& r, bool have_record);

// runtime-spec runtime.md "State" JSON (pid only while created, running or
// paused), plus `cgroupDir` when the container has a cgroup of its own.
std::string state_json(const ContainerRecord& r, const char* status, bool with_pid);

// The container's directory under root; throws when it does not exist.
std::string container_dir(const std::string& root, const std::string& id);

// Exclusive flock on the container's directory: one state change at a time.
int lock_dir(const std::string& dir);

// File names inside a container's directory.
constexpr const char* kRecordFile = "container.json";
constexpr const char* kConfigCopy = "config.json";
constexpr const char* kExecFifo = "exec.fifo";       // created: init waits for one byte
constexpr const char* kResultFifo = "start.fifo";    // start: errors of init after the wait
constexpr const char* kUserStopped = "stopped-by-user";
constexpr const char* kDeleting = "deleting";          // delete --force: the monitor runs no exit command
constexpr const char* kExitFile = "exit.json";
constexpr const char* kMonitorFile = "monitor.json";
constexpr const char* kAttachSocket = "attach";

}  // namespace hutch
