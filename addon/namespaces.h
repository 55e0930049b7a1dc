// Linux namespaces: names as in the runtime-spec, their clone flags, and
// creating or joining them.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace hutch {

// One entry of linux.namespaces: created when path is empty, joined otherwise.
struct NamespaceSpec {
  std::string type;  // runtime-spec name: "user", "mount", "pid", ...
  int flag = 0;      // CLONE_NEW*
  std::string path;
};

// CLONE_NEW* for a runtime-spec namespace type, 0 when unknown.
int namespace_flag(const std::string& type);

// "CLONE_NEWUSER|CLONE_NEWNS" for messages.
std::string namespace_flag_names(int flags);

// unshare(2) that throws "unshare CLONE_NEWUSER: EPERM (...)".
void unshare_or_throw(int flags);

// Joins the namespace at `path` with setns(2), checking it has the expected type.
void join_namespace(const NamespaceSpec& ns);

// Sets the loopback interface of the current network namespace up. A new
// network namespace starts with `lo` down; podman's `--network none` means
// "loopback only", so 127.0.0.1 must work (runc and crun do the same).
void bring_up_loopback();

}  // namespace hutch

namespace hutch {

// Which namespaces the container owns, for rules that depend on them.
struct OwnedNamespaces {
  bool uts = false;
  bool ipc = false;
  bool net = false;
};

// sethostname/setdomainname in the container's own uts namespace.
void set_host_and_domain_name(const std::string& hostname, const std::string& domainname, bool owns_uts);

// Writes linux.sysctl entries under /proc/sys, accepting only the keys that
// are namespaced (runc's validateSysctl list) for namespaces the container owns.
void apply_sysctls(const std::vector<std::pair<std::string, std::string>>& sysctl, const OwnedNamespaces& owned);

}  // namespace hutch
