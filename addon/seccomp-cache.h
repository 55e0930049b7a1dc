// Compiled seccomp programs kept between runs. Compiling the default profile
// with libseccomp takes about ten milliseconds, most of a container start's
// own cost; the same profile compiles to the same program, so hutch keeps it
// in a directory of the user's (the annotation run.hutch.seccomp.cache,
// $XDG_RUNTIME_DIR/hutch/seccomp-cache: tmpfs, gone at reboot).
#pragma once

#include <linux/filter.h>

#include <string>
#include <vector>

#include "config.h"

namespace hutch {

// The spec, the native architecture, libseccomp's version and this build,
// serialised: a cached program is used only when its stored key is equal.
std::string seccomp_cache_key(const SeccompSpec& spec, uint32_t native_arch, const std::string& library_version);

// Opens spec.cache_dir for reading and writing programs: -1 when there is
// none, or when it is not a real directory owned by us that nobody else can
// write (a program another user could write would be a filter they chose).
int open_seccomp_cache(const SeccompSpec& spec);

// The program stored under `key` in the cache directory `dir_fd`; false when
// there is none or it does not match exactly.
bool read_cached_program(int dir_fd, const std::string& key, std::vector<sock_filter>* program);

// Stores `program` under `key`, atomically (a temporary file renamed into
// place); best effort: a cache that cannot be written only costs time.
void write_cached_program(int dir_fd, const std::string& key, const std::vector<sock_filter>& program);

}  // namespace hutch
