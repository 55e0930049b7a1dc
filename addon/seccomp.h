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

// kLibrary leaves the BPF generation to libseccomp's seccomp_load; kProgram
// generates the program now (seccomp_export_bpf), to be loaded with seccomp(2)
// and its flags, which is what seccomp_load does with the attributes set here
// (no NNP, no TSYNC), and to be serialised.
enum class SeccompForm { kLibrary, kProgram };

// Builds the filter. Unknown syscall names are skipped, as in runc and crun.
SeccompFilter* compile_seccomp(const SeccompSpec& spec, SeccompForm form = SeccompForm::kLibrary);

// Installs the filter in the calling thread and releases it.
void load_seccomp(SeccompFilter* filter);

// A kProgram filter as bytes (its seccomp(2) flags, then the BPF program):
// `monitor` keeps them in the container's state directory, so that `exec`
// loads the program instead of compiling the profile again (~10 ms).
std::string serialize_seccomp(const SeccompFilter* filter);

// A filter from serialize_seccomp's bytes; nullptr when they are not one.
SeccompFilter* deserialize_seccomp(const std::string& bytes);

}  // namespace hutch
