// The two special inodes a layer needs that Node's fs cannot create.
#pragma once

#include <string>

namespace hutch {

// An overlayfs whiteout: a character device 0/0 with mode 0. Since Linux 5.8
// vfs_mknod lets an unprivileged caller create exactly this device.
void make_whiteout(const std::string& path);
// A FIFO with mode 0600; the caller sets owner and mode afterwards.
void make_fifo(const std::string& path);

}  // namespace hutch
