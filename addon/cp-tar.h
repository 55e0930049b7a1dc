// Streams a tree as a POSIX tar (ustar + pax records) and applies one, both
// relative to directory fds and never following a symlink below them.
#pragma once

#include <string>

namespace hutch {

// Writes `name` (an entry at `parent_fd`/`leaf`) and everything below it as a
// tar on `out`; member names start with `prefix` ("" puts a directory's
// children at the top, as an export does). Ends the archive.
void tar_write_tree(int out, int parent_fd, const std::string& leaf, const std::string& prefix, const std::string& shown);

// Options for tar_extract.
struct ExtractOptions {
  // Replaces the first component of every member name (cp onto a new name).
  std::string rename_top;
  // Keep the archive's uid/gid; otherwise every member is owned by uid:gid.
  bool keep_owners = false;
  unsigned uid = 0, gid = 0;
};

// Reads a tar from `in` and creates its members below `dir_fd`; returns the
// number of members skipped (device nodes a user namespace cannot create).
int tar_extract(int in, int dir_fd, const ExtractOptions& options);

}  // namespace hutch
