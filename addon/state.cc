#include "state.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "json.h"
#include "rfc3339.h"
#include "runtime-error.h"

namespace hutch {

namespace {

// /proc/<pid>/stat: "pid (comm) S ppid ..."; comm may contain spaces and
// parentheses, so fields are counted after the last ')'.
bool read_proc_stat(pid_t pid, char* state, uint64_t* start_time) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/stat", static_cast<int>(pid));
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  char buf[1024];
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return false;
  buf[n] = '\0';
  char* p = strrchr(buf, ')');
  if (p == nullptr) return false;
  p += 2;  // field 3, the state
  *state = *p;
  // Field 22 is the 20th after the state.
  for (int field = 3; field < 22; field++) {
    p = strchr(p, ' ');
    if (p == nullptr) return false;
    p++;
  }
  *start_time = strtoull(p, nullptr, 10);
  return true;
}

}  // namespace

std::string default_state_root() {
  const char* xdg = getenv("XDG_RUNTIME_DIR");
  if (xdg != nullptr && xdg[0] == '/') return std::string(xdg) + "/hutch/runtime";
  return "/tmp/hutch-runtime-" + std::to_string(geteuid());
}

void validate_container_id(const std::string& id, const char* verb) {
  bool ok = !id.empty() && id.size() <= 128 && id[0] != '_' && id[0] != '.' && id[0] != '-';
  for (char ch : id) {
    ok = ok && ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_' || ch == '.' || ch == '-');
  }
  if (!ok) throw RuntimeError(std::string(verb) + ": container ID `" + id + "` must match [a-zA-Z0-9][a-zA-Z0-9_.-]* (at most 128 characters)");
}

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (unsigned char ch : s) {
    if (ch == '"' || ch == '\\') {
      out += '\\';
      out += static_cast<char>(ch);
    } else if (ch < 0x20) {
      char buf[8];
      snprintf(buf, sizeof buf, "\\u%04x", ch);
      out += buf;
    } else {
      out += static_cast<char>(ch);
    }
  }
  return out + "\"";
}

std::string rfc3339_now() {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  char buf[30];
  format_rfc3339(ts.tv_sec, ts.tv_nsec, buf);
  return std::string(buf, sizeof buf);
}

void write_file_atomic(const std::string& dir, const std::string& name, const std::string& content) {
  std::string tmp = dir + "/." + name + ".tmp";
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) throw sys_error("open", tmp, errno);
  size_t off = 0;
  while (off < content.size()) {
    ssize_t n = write(fd, content.data() + off, content.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int err = n < 0 ? errno : EIO;
      close(fd);
      unlink(tmp.c_str());
      throw sys_error("write", tmp, err);
    }
    off += static_cast<size_t>(n);
  }
  close(fd);
  if (rename(tmp.c_str(), (dir + "/" + name).c_str()) != 0) throw sys_error("rename", dir + "/" + name, errno);
}

bool read_small_file(const std::string& path, std::string* out) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  if (fd < 0) {
    if (errno == ENOENT) return false;
    throw sys_error("open", path, errno);
  }
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > (16 << 20)) {
    close(fd);
    throw RuntimeError(path + ": not a regular file of at most 16 MiB");
  }
  out->clear();
  char buf[8192];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      close(fd);
      throw sys_error("read", path, err);
    }
    if (n == 0) break;
    out->append(buf, static_cast<size_t>(n));
  }
  close(fd);
  return true;
}

void make_dirs(const std::string& path) {
  // Usually only the last component is missing: one mkdir instead of one per component.
  if (mkdir(path.c_str(), 0700) == 0 || errno == EEXIST) return;
  for (size_t pos = 1; pos <= path.size(); pos++) {
    if (pos != path.size() && path[pos] != '/') continue;
    std::string part = path.substr(0, pos);
    if (mkdir(part.c_str(), 0700) != 0 && errno != EEXIST) throw sys_error("mkdir", part, errno);
  }
}

uint64_t process_start_time(pid_t pid) {
  char state = 0;
  uint64_t start = 0;
  if (pid <= 0 || !read_proc_stat(pid, &state, &start)) return 0;
  if (state == 'Z' || state == 'X') return 0;
  return start;
}

int open_verified_pidfd(pid_t pid, uint64_t start_time) {
  if (pid <= 0) return -1;
  int fd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  if (fd < 0) return -1;
  // The pidfd pins the process: if its start time matches now, every later
  // use of the fd reaches that same process, never a reuse of the pid.
  if (process_start_time(pid) != start_time || start_time == 0) {
    close(fd);
    return -1;
  }
  return fd;
}

bool wait_pidfd(int pidfd, int timeout_ms) {
  struct pollfd p = {pidfd, POLLIN, 0};
  for (;;) {
    int rc = poll(&p, 1, timeout_ms);
    if (rc < 0 && errno == EINTR) continue;
    return rc > 0;
  }
}

void write_record(const std::string& dir, const ContainerRecord& r) {
  std::string json = "{\"id\":" + json_string(r.id) + ",\"ociVersion\":" + json_string(r.oci_version) +
                     ",\"bundle\":" + json_string(r.bundle) + ",\"created\":" + json_string(r.created) +
                     ",\"pid\":" + std::to_string(r.pid) + ",\"pidStartTime\":" + std::to_string(r.start_time) +
                     (r.cgroup_dir.empty() ? "" : ",\"cgroupDir\":" + json_string(r.cgroup_dir)) + ",\"annotations\":{";
  bool first = true;
  for (const auto& kv : r.annotations) {
    json += (first ? "" : ",") + json_string(kv.first) + ":" + json_string(kv.second);
    first = false;
  }
  json += "}}\n";
  write_file_atomic(dir, kRecordFile, json);
}

bool read_record(const std::string& dir, ContainerRecord* r) {
  std::string text;
  if (!read_small_file(dir + "/" + kRecordFile, &text)) return false;
  JsonValue doc = JsonValue::parse(text);
  auto str = [&](const char* key) -> std::string {
    const JsonValue* v = doc.get(key);
    return v == nullptr ? std::string() : v->as_string(std::string(kRecordFile) + " " + key);
  };
  r->id = str("id");
  r->oci_version = str("ociVersion");
  r->bundle = str("bundle");
  r->created = str("created");
  r->cgroup_dir = str("cgroupDir");
  if (const JsonValue* v = doc.get("pid")) r->pid = static_cast<pid_t>(v->as_uint64("pid"));
  if (const JsonValue* v = doc.get("pidStartTime")) r->start_time = v->as_uint64("pidStartTime");
  if (const JsonValue* a = doc.get("annotations")) {
    for (const auto& kv : a->as_object("annotations")) r->annotations[kv.first] = kv.second.as_string("annotations");
  }
  return true;
}

const char* status_name(Status s) {
  switch (s) {
    case Status::kCreating: return "creating";
    case Status::kCreated: return "created";
    case Status::kRunning: return "running";
    case Status::kPaused: return "paused";
    case Status::kStopped: return "stopped";
  }
  return "stopped";
}

Status derive_status(const std::string& dir, const ContainerRecord& r, bool have_record) {
  if (!have_record) return Status::kCreating;
  int fd = open_verified_pidfd(r.pid, r.start_time);
  if (fd < 0) return Status::kStopped;
  close(fd);
  struct stat st;
  if (lstat((dir + "/" + kExecFifo).c_str(), &st) == 0) return Status::kCreated;
  return cgroup_frozen(r.cgroup_dir) ? Status::kPaused : Status::kRunning;
}

std::string state_json(const ContainerRecord& r, const char* status, bool with_pid) {
  std::string json = "{\"ociVersion\":" + json_string(r.oci_version) + ",\"id\":" + json_string(r.id) +
                     ",\"status\":" + json_string(status);
  if (with_pid && r.pid > 0) json += ",\"pid\":" + std::to_string(r.pid);
  json += ",\"bundle\":" + json_string(r.bundle);
  if (!r.cgroup_dir.empty()) json += ",\"cgroupDir\":" + json_string(r.cgroup_dir);
  json += ",\"annotations\":{";
  bool first = true;
  for (const auto& kv : r.annotations) {
    json += (first ? "" : ",") + json_string(kv.first) + ":" + json_string(kv.second);
    first = false;
  }
  return json + "}}";
}

std::string container_dir(const std::string& root, const std::string& id) {
  std::string dir = root + "/" + id;
  struct stat st;
  if (lstat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    throw RuntimeError("container `" + id + "` does not exist (no " + dir + ")");
  }
  return dir;
}

int lock_dir(const std::string& dir) {
  int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) throw sys_error("open", dir, errno);
  while (flock(fd, LOCK_EX) != 0) {
    if (errno != EINTR) {
      int err = errno;
      close(fd);
      throw sys_error("flock", dir, err);
    }
  }
  return fd;
}

}  // namespace hutch
