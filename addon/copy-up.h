// tmpcopyup (a runc/crun mount option): the content a tmpfs is mounted over
// is copied into it, so that e.g. an image's /run or /var/tmp survives a
// fresh tmpfs on top.
#pragma once

#include <string>

namespace hutch {

// Copies every entry of the directory `src_dir` (an fd of the covered
// directory, opened before the tmpfs was mounted) into `dst_dir` (the new
// tmpfs), preserving type, mode, owner, timestamps and, where the target
// accepts them, xattrs. Symlinks are copied, never followed. `where` (the
// container path) names the object in errors.
void copy_up(int src_dir, int dst_dir, const std::string& where);

}  // namespace hutch
