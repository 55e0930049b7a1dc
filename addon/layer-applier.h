// Applies one layer tar to an empty diff dir in overlayfs format, confined to
// that dir: every path is walked from the dir's fd one component at a time
// with O_NOFOLLOW, and every entry is created with *at calls that never
// follow a symlink. Runs as uid 0 inside the user namespace (so ownership
// lands on the mapped ids), or as real root. The rules are in docs/storage.md.
#pragma once

#include <sys/stat.h>

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "layer-tar.h"

namespace hutch {

struct ApplyOptions {
  std::string target;               // the layer's diff dir: exists, empty
  std::vector<std::string> lowers;  // diff dirs of the layers below, topmost first
  std::string layer_digest;         // named in every error
  // The lowers are still being applied: wait for one byte on lowers_fd (EOF:
  // they failed) before the first look below.
  bool lowers_pending = false;
  int lowers_fd = -1;
  bool ignore_chown_errors = false;  // single-id mode: chown to unmapped ids is ignored
  uint64_t max_entries = 1000000;
};

struct ApplyOutcome {
  uint64_t entries = 0;
  std::vector<std::string> warnings;  // at most one per kind
  uint64_t disk_bytes = 0;            // allocated blocks of the diff dir, hardlinks once
};

class LayerApplier {
 public:
  explicit LayerApplier(const ApplyOptions& options);
  ~LayerApplier();
  LayerApplier(const LayerApplier&) = delete;
  LayerApplier& operator=(const LayerApplier&) = delete;

  // Applies every entry of `tar`; throws LayerFailure naming the layer (and entry).
  ApplyOutcome run(TarReader& tar);

 private:
  using Parts = std::vector<std::string>;
  struct Found;

  const ApplyOptions& opt_;
  int root_ = -1;
  std::vector<int> lower_fds_;
  bool lowers_ready_ = false;
  std::unordered_set<std::string> known_dirs_;  // relative paths that are real directories of this layer
  std::map<std::string, struct timespec> dir_times_;  // applied last, so later entries do not bump them
  std::unordered_map<std::string, int> dir_cache_;    // open fds of directories of this layer
  std::set<std::string> xattr_warnings_;
  ApplyOutcome out_;
  uint64_t devices_ = 0;
  std::string current_;  // the entry's name as written, for messages

  void entry(TarReader& tar, const TarEntry& e);
  void directory(const Parts& parts, const TarEntry& e);
  void file(const Parts& parts, const TarEntry& e, TarReader& tar);
  void symlink(const Parts& parts, const TarEntry& e);
  void fifo(const Parts& parts, const TarEntry& e);
  void hardlink(const Parts& parts, const TarEntry& e);
  void whiteout(const Parts& parts);
  void mark_opaque(const Parts& dir);

  int dir_fd(const Parts& parts, size_t n);
  void forget_dirs_under(const std::string& rel);
  void ensure_dirs(const Parts& parts, size_t n);
  void create_implicit_dir(const Parts& parts, size_t n, bool opaque);
  bool remove_existing(const Parts& parts);
  const std::vector<int>& lowers();
  Found lookup(const std::vector<int>& layers, const Parts& parts);
  void copy_from_lower(const Found& found, const Parts& parts);

  void apply_xattrs(int fd, int parent, const std::string& leaf, const TarEntry& e);
  void set_xattr(int fd, int parent, const std::string& leaf, const std::string& name, const std::string& value);
  void owner(int rc, uint64_t uid, uint64_t gid, const std::string& path);
  std::string abs(const Parts& parts, size_t n) const;
  void apply_dir_times();
};

}  // namespace hutch
