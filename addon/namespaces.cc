#include "namespaces.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "runtime-error.h"

namespace hutch {

namespace {

struct NamespaceName {
  const char* type;
  int flag;
  const char* flag_name;
};

// runtime-spec config-linux.md "Namespaces": the seven types a runtime must know.
constexpr NamespaceName kNamespaces[] = {
    {"user", CLONE_NEWUSER, "CLONE_NEWUSER"},  {"mount", CLONE_NEWNS, "CLONE_NEWNS"},
    {"pid", CLONE_NEWPID, "CLONE_NEWPID"},     {"uts", CLONE_NEWUTS, "CLONE_NEWUTS"},
    {"ipc", CLONE_NEWIPC, "CLONE_NEWIPC"},     {"network", CLONE_NEWNET, "CLONE_NEWNET"},
    {"cgroup", CLONE_NEWCGROUP, "CLONE_NEWCGROUP"},
};

}  // namespace

int namespace_flag(const std::string& type) {
  for (const NamespaceName& n : kNamespaces) {
    if (type == n.type) return n.flag;
  }
  return 0;
}

std::string namespace_flag_names(int flags) {
  std::string names;
  for (const NamespaceName& n : kNamespaces) {
    if ((flags & n.flag) == 0) continue;
    if (!names.empty()) names += "|";
    names += n.flag_name;
  }
  return names;
}

void unshare_or_throw(int flags) {
  if (unshare(flags) != 0) throw sys_error_plain("unshare " + namespace_flag_names(flags), errno);
}

void bring_up_loopback() {
  int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (sock < 0) throw sys_error_plain("socket AF_INET", errno);
  struct ifreq request {};
  strncpy(request.ifr_name, "lo", IFNAMSIZ - 1);
  int rc = ioctl(sock, SIOCGIFFLAGS, &request);
  if (rc == 0 && (request.ifr_flags & IFF_UP) == 0) {
    request.ifr_flags = static_cast<short>(request.ifr_flags | IFF_UP);
    rc = ioctl(sock, SIOCSIFFLAGS, &request);
  }
  int err = errno;
  close(sock);
  if (rc != 0) throw sys_error("ioctl SIOCSIFFLAGS IFF_UP", "lo", err);
}

void join_namespace(const NamespaceSpec& ns) {
  int fd = open(ns.path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw sys_error("open", ns.path, errno);
  // Passing the type makes the kernel refuse a path of another kind of namespace.
  int rc = setns(fd, ns.flag);
  int err = errno;
  close(fd);
  if (rc != 0) throw sys_error("setns", ns.path, err);
}

}  // namespace hutch

namespace hutch {

namespace {

bool starts_with(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

bool sysctl_allowed(const std::string& key, const OwnedNamespaces& owned) {
  static const char* const kIpc[] = {"kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
                                     "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced"};
  for (const char* k : kIpc) {
    if (key == k) return owned.ipc;
  }
  if (starts_with(key, "fs.mqueue.")) return owned.ipc;
  if (starts_with(key, "net.")) return owned.net;
  if (key == "kernel.hostname" || key == "kernel.domainname") return owned.uts;
  return false;
}

}  // namespace

void set_host_and_domain_name(const std::string& hostname, const std::string& domainname, bool owns_uts) {
  if ((!hostname.empty() || !domainname.empty()) && !owns_uts) {
    throw RuntimeError("config.json: `hostname` needs a new uts namespace");
  }
  if (!hostname.empty() && sethostname(hostname.data(), hostname.size()) != 0) throw sys_error("sethostname", hostname, errno);
  if (!domainname.empty() && setdomainname(domainname.data(), domainname.size()) != 0) {
    throw sys_error("setdomainname", domainname, errno);
  }
}

void apply_sysctls(const std::vector<std::pair<std::string, std::string>>& sysctl, const OwnedNamespaces& owned) {
  for (const auto& kv : sysctl) {
    const std::string& key = kv.first;
    if (!sysctl_allowed(key, owned) || key.find("..") != std::string::npos || key.find('/') != std::string::npos) {
      throw RuntimeError("config.json: `linux.sysctl` " + key +
                         " is not a namespaced sysctl of a namespace this container owns; refusing to set it");
    }
    std::string path = "/proc/sys/" + key;
    for (size_t i = 10; i < path.size(); i++) {
      if (path[i] == '.') path[i] = '/';
    }
    int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) throw sys_error("open", path, errno);
    ssize_t n = write(fd, kv.second.data(), kv.second.size());
    int err = errno;
    close(fd);
    if (n < 0) throw sys_error("write", path, err);
  }
}

}  // namespace hutch
