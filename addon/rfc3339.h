// RFC 3339 timestamps in UTC, formatted without libc's time zone code.
#pragma once

#include <stdint.h>

namespace hutch {

// Formats a CLOCK_REALTIME time as RFC 3339 with nanoseconds, UTC
// ("2026-11-22T14:18:41.827432685Z", 30 characters, no terminator). By hand
// rather than gmtime_r: glibc's reads /etc/localtime (stdio, malloc) on
// first use, which would stay in the monitor's resident set and costs the
// runtime four system calls before every container start.
void format_rfc3339(int64_t sec, long nsec, char out[30]);

}  // namespace hutch
