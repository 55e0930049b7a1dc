// Best-effort full write for relays and reports: retries short writes and
// EINTR, and gives up silently when the other end is gone (the caller's own
// exit status or the peer's EOF says what happened).
#pragma once

#include <errno.h>
#include <unistd.h>

#include <cstddef>

namespace hutch {

inline void write_all(int fd, const char* p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return;
    p += w;
    n -= static_cast<size_t>(w);
  }
}

}  // namespace hutch
