// Host capability probes, each run in a short-lived forked child.
#pragma once

#include <string>

namespace hutch {

struct ProbeOutcome {
  bool ok = false;
  std::string syscall;  // the failing step, empty when ok
  int err = 0;
  std::string detail;   // extra text (dlerror) when errno alone does not explain it
  std::string libseccomp_version;
};

ProbeOutcome probe_user_namespace();
ProbeOutcome probe_overlay_in_user_namespace(const std::string& lower, const std::string& upper,
                                             const std::string& work, const std::string& merged);
// Can a FUSE filesystem be mounted inside a fresh user+mount namespace
// (/dev/fuse accessible there, fuse allowed in user namespaces)?
ProbeOutcome probe_fuse_in_user_namespace(const std::string& merged);
ProbeOutcome probe_seccomp();

}  // namespace hutch
