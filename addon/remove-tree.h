// Deleting a foreground container's directory once it has exited
// (`run --remove-on-exit DIR`), from inside the container's user namespace so
// that files owned by subordinate ids can be removed without a second runtime.
#pragma once

#include <sys/types.h>

#include <string>

namespace hutch {

// A directory checked before the container starts; removal later verifies
// that the path still names the same directory.
struct RemovalTarget {
  std::string path;
  dev_t dev = 0;
  ino_t ino = 0;
};

// Accepts only an absolute path other than `/` that is a directory (not a
// symlink) owned by the caller; throws RuntimeError otherwise.
RemovalTarget check_removal_target(const std::string& path);

// Removes the tree like `rm -rf --one-file-system`: symlinks are never
// followed and directories on another device are not entered. A path that
// no longer exists counts as removed. Returns the first failure as
// "remove `PATH`: ERRNO (...)", or "" when everything is gone.
std::string remove_tree(const RemovalTarget& target);

}  // namespace hutch
