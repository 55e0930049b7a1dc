// linux.seccomp (runtime-spec config-linux.md "Seccomp") compiled with the
// system's libseccomp.so.2, loaded at run time with our own prototypes so
// that building needs no libseccomp headers.
#pragma once

#include <string>

#include "config.h"

namespace hutch {

// Opaque compiled filter; built before the rootfs is pivoted (dlopen needs
// the host's libraries), loaded right before execve.
struct SeccompFilter;

// The filter from the cache directory `cache_fd` (open_seccomp_cache), or
// null when it holds none for this spec.
SeccompFilter* cached_seccomp(const SeccompSpec& spec, int cache_fd);

// Builds the filter, and stores its program in `cache_fd` unless that is -1.
// Unknown syscall names are skipped, as in runc and crun.
SeccompFilter* compile_seccomp(const SeccompSpec& spec, int cache_fd = -1);

// The cached filter, else a freshly compiled (and then cached) one.
SeccompFilter* prepare_seccomp(const SeccompSpec& spec);

// Installs the filter in the calling thread and releases it.
void load_seccomp(SeccompFilter* filter);

}  // namespace hutch
