// The fuse-overlayfs root (rootfs mode fuse-overlayfs, docs/runtime-native.md
// "Root filesystem modes"). The container's init mounts the FUSE filesystem
// itself, inside its user and mount namespaces, on a /dev/fuse fd it opened
// there; the runtime (outside the container's pid and mount namespaces) starts
// fuse-overlayfs in the container's user namespace to serve that fd
// (libfuse's "/dev/fd/N" mount point). The daemon is thus invisible to the
// container, untouched by its pivot_root, and ends by itself when the
// container's mount namespace (the mount's last user) is gone.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "config.h"

namespace hutch {

// Opens /dev/fuse and mounts it at `target` (fuse.fuse-overlayfs; read-only
// when asked). Returns the /dev/fuse fd, which the daemon must receive.
int mount_fuse(const std::string& target, bool read_only);

// Init side: makes "/" rprivate and mounts root.path (mount_fuse).
int mount_fuse_root(const Config& c);

// What fuse-overlayfs serves: the layers (top first), upper and work dir.
struct FuseLayers {
  std::string program;
  std::vector<std::string> lowerdirs;
  std::string upperdir, workdir;
};
FuseLayers fuse_layers(const Config& c);

// A started fuse-overlayfs.
struct FuseDaemon {
  pid_t pid = -1;
  uint64_t start_time = 0;
  int log_fd = -1;  // memfd holding its stderr, read when something failed
};

// Starts l.program serving `fuse_fd` (which stays open in the caller; close
// it). Runtime side: in the user namespace `userns_fd`. With `userns_fd` -1
// the daemon stays in ours and, given `leave_mount`, moves to a mount
// namespace of its own without that mount, so that the mount ends with ours.
FuseDaemon spawn_fuse_daemon(const FuseLayers& l, int fuse_fd, int userns_fd, const std::string& leave_mount);

// What the daemon said when it has already exited (setup failed because of
// it): "; fuse-overlayfs `PROG` exited with status N: TEXT", else "".
std::string fuse_daemon_failure(const std::string& program, const FuseDaemon& d);

// Waits up to timeout_ms for the daemon to end (it does once the container's
// mount namespace is gone), then kills it; reaps it when it is our child.
void end_fuse_daemon(FuseDaemon& d, int timeout_ms);

// The daemon's pid and start time in the container's state directory
// (fuse.json), so that `delete` can make sure it is gone.
void write_fuse_record(const std::string& dir, const FuseDaemon& d);
void end_recorded_fuse_daemon(const std::string& dir, int timeout_ms);

}  // namespace hutch
