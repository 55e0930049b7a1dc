// The container log kept by the monitor, in the k8s-file format podman
// and the kubelet use: "<RFC3339Nano> <stdout|stderr> <F|P> <text>\n", P
// marking a piece of a longer line; rotated to FILE.1 at a size limit.
// Free of exceptions and of the heap: it runs in the long-lived, static
// hutch-monitor, whose resident set is the per-container cost.
#pragma once

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "rfc3339.h"

namespace hutch {

class LogFile {
 public:
  // Longest text of one record; a longer line continues in the next (P).
  static constexpr size_t kMaxLine = 16384;

  // Opens (appends to) path; max_size 0 means no rotation. Returns 0 or an
  // errno value (ENAMETOOLONG when path does not fit).
  int open_file(const char* path, uint64_t max_size);

  // Appends what a read from the stream returned. Every complete line is
  // one F record; the trailing piece without newline is written at once as
  // a P record, so nothing waits in memory and nothing is reordered.
  void write(const char* stream, const char* data, size_t len);

 private:
  void record(const char* stream, char flag, const char* text, size_t len);
  char path_[PATH_MAX] = {};
  uint64_t max_size_ = 0;
  uint64_t size_ = 0;
  int fd_ = -1;
};

}  // namespace hutch
