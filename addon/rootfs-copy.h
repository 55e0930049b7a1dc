// The copied root (rootfs mode copy, for hosts where neither kernel overlayfs
// nor fuse-overlayfs can be mounted): the image's layers merged as overlayfs
// would show them, written once into the container's own directory.
#pragma once

#include <string>
#include <vector>

namespace hutch {

// `rootfs-copy --lower L1:L2:... --dest DIR` (lowers top first, as
// run.hutch.overlay.lowerdirs): merges the layers into the existing empty
// directory DIR. Run inside the container's user namespace (userns-exec), so
// files keep their subordinate owners. Returns the exit status.
int rootfs_copy_main(const std::vector<std::string>& args);

}  // namespace hutch
