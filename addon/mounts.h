// The container's root filesystem: overlay or bind root, mounts in
// config.json order (targets resolved inside the root, never through a
// symlink out of it), devices, pivot_root, masked and read-only paths.
#pragma once

#include <string>

#include "config.h"

namespace hutch {

// Everything done while the host's mounts are still visible: root mount,
// config.json mounts, devices, /dev symlinks. Returns an O_PATH fd of the root.
int prepare_rootfs(const Config& c);

// pivot_root into root_fd and detach the old root; closes root_fd.
void pivot_into(int root_fd);

// After pivot_root: masked paths, read-only paths, rootfsPropagation, root.readonly.
void finish_rootfs(const Config& c);

// Bind-mounts `source` (a path inside the container, after pivot_root) over
// the existing file `target`, as done for /dev/console from the pty.
void bind_file(const std::string& source, const std::string& target);

// Opens `path` inside the tree rooted at root_fd, symlinks resolved as if
// root_fd were "/" (openat2 RESOLVE_IN_ROOT). Returns -1 with errno set.
int open_in_root(int root_fd, const std::string& path, int flags);

}  // namespace hutch
