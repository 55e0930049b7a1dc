// Best-effort full write for relays, reports and caches: retries short
// writes and EINTR, and gives up when the other end is gone, returning false
// (the caller's own exit status or the peer's EOF says what happened).
#pragma once

#include <errno.h>
#include <unistd.h>

#include <cstddef>

namespace hutch {

inline bool write_all(int fd, const void* buf, size_t n) {
  const char* p = static_cast<const char*>(buf);
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

}  // namespace hutch
