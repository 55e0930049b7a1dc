#include "mounts.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <cstdint>
#include <vector>

#include "copy-up.h"
#include "fd.h"
#include "runtime-error.h"

namespace hutch {

namespace {

// The new mount API and openat2 are used through syscall(2) with our own
// definitions: glibc 2.36's <sys/mount.h> and <linux/mount.h> conflict.
struct OpenHow {
  uint64_t flags;
  uint64_t mode;
  uint64_t resolve;
};
constexpr uint64_t kResolveNoMagiclinks = 0x02;
constexpr uint64_t kResolveInRoot = 0x10;

struct MountAttr {
  uint64_t attr_set;
  uint64_t attr_clr;
  uint64_t propagation;
  uint64_t userns_fd;
};
constexpr uint64_t kAttrRdonly = 0x1, kAttrNosuid = 0x2, kAttrNodev = 0x4, kAttrNoexec = 0x8;
constexpr uint64_t kAttrAtimeMask = 0x70, kAttrRelatime = 0x0, kAttrNoatime = 0x10, kAttrStrictatime = 0x20;
constexpr uint64_t kAttrNodiratime = 0x80, kAttrNosymfollow = 0x200000;
constexpr unsigned kOpenTreeClone = 1;
constexpr unsigned kAtRecursive = 0x8000;
constexpr unsigned kMoveMountFEmptyPath = 0x4, kMoveMountTEmptyPath = 0x40;

#ifndef MS_NOSYMFOLLOW
#define MS_NOSYMFOLLOW 256
#endif

int sys_openat2(int dirfd, const char* path, OpenHow* how) {
  return static_cast<int>(syscall(SYS_openat2, dirfd, path, how, sizeof(OpenHow)));
}
int sys_open_tree(int dirfd, const char* path, unsigned flags) {
  return static_cast<int>(syscall(SYS_open_tree, dirfd, path, flags));
}
int sys_move_mount(int from_fd, const char* from, int to_fd, const char* to, unsigned flags) {
  return static_cast<int>(syscall(SYS_move_mount, from_fd, from, to_fd, to, flags));
}
int sys_mount_setattr(int fd, const char* path, unsigned flags, MountAttr* attr) {
  return static_cast<int>(syscall(SYS_mount_setattr, fd, path, flags, attr, sizeof(MountAttr)));
}

std::string proc_fd_path(int fd) { return "/proc/self/fd/" + std::to_string(fd); }

struct ParsedOptions {
  unsigned long flags = 0;        // MS_* for mount(2)
  unsigned long propagation = 0;  // MS_PRIVATE etc.
  bool recursive_propagation = false;
  bool bind = false;
  bool recursive = false;
  bool tmpcopyup = false;
  uint64_t attr_set = 0;
  uint64_t attr_clr = 0;
  std::string data;
};

struct OptionName {
  const char* name;
  bool clear;
  unsigned long flag;
  uint64_t attr;
};

// mount(8) option names; each sets or clears one MS_* flag (and the matching MOUNT_ATTR_*).
constexpr OptionName kOptions[] = {
    {"ro", false, MS_RDONLY, kAttrRdonly},        {"rw", true, MS_RDONLY, 0},
    {"nosuid", false, MS_NOSUID, kAttrNosuid},    {"suid", true, MS_NOSUID, 0},
    {"nodev", false, MS_NODEV, kAttrNodev},       {"dev", true, MS_NODEV, 0},
    {"noexec", false, MS_NOEXEC, kAttrNoexec},    {"exec", true, MS_NOEXEC, 0},
    {"sync", false, MS_SYNCHRONOUS, 0},           {"async", true, MS_SYNCHRONOUS, 0},
    {"dirsync", false, MS_DIRSYNC, 0},            {"mand", false, MS_MANDLOCK, 0},
    {"nomand", true, MS_MANDLOCK, 0},             {"atime", true, MS_NOATIME, 0},
    {"noatime", false, MS_NOATIME, kAttrNoatime}, {"diratime", true, MS_NODIRATIME, 0},
    {"nodiratime", false, MS_NODIRATIME, kAttrNodiratime},
    {"relatime", false, MS_RELATIME, kAttrRelatime}, {"norelatime", true, MS_RELATIME, 0},
    {"strictatime", false, MS_STRICTATIME, kAttrStrictatime}, {"nostrictatime", true, MS_STRICTATIME, 0},
    {"nosymfollow", false, MS_NOSYMFOLLOW, kAttrNosymfollow}, {"symfollow", true, MS_NOSYMFOLLOW, 0},
};

ParsedOptions parse_options(const std::vector<std::string>& options, const std::string& dest) {
  ParsedOptions p;
  for (const std::string& o : options) {
    bool known = false;
    for (const OptionName& n : kOptions) {
      if (o != n.name) continue;
      known = true;
      if (n.clear) {
        p.flags &= ~n.flag;
      } else {
        p.flags |= n.flag;
        p.attr_set |= n.attr;
        if (n.flag == MS_NOATIME || n.flag == MS_RELATIME || n.flag == MS_STRICTATIME) p.attr_clr |= kAttrAtimeMask;
      }
    }
    if (known) continue;
    if (o == "bind") {
      p.bind = true;
    } else if (o == "rbind") {
      p.bind = p.recursive = true;
    } else if (o == "private" || o == "rprivate") {
      p.propagation = MS_PRIVATE;
      p.recursive_propagation = o[0] == 'r';
    } else if (o == "shared" || o == "rshared") {
      p.propagation = MS_SHARED;
      p.recursive_propagation = o[0] == 'r';
    } else if (o == "slave" || o == "rslave") {
      p.propagation = MS_SLAVE;
      p.recursive_propagation = o[0] == 'r';
    } else if (o == "unbindable" || o == "runbindable") {
      p.propagation = MS_UNBINDABLE;
      p.recursive_propagation = o[0] == 'r';
    } else if (o == "tmpcopyup" || o == "notmpcopyup") {
      p.tmpcopyup = o == "tmpcopyup";
    } else if (o == "z" || o == "Z") {
      // SELinux relabel requests (podman -v ...:z); hutch sets no labels.
    } else if (o == "idmap" || o == "ridmap" || o == "remount") {
      throw RuntimeError("mount `" + dest + "`: option " + o + " is not supported by hutch-runtime");
    } else {
      if (!p.data.empty()) p.data += ",";
      p.data += o;
    }
  }
  // The effective set must agree with the flags after later options cleared earlier ones.
  p.attr_set = 0;
  for (const OptionName& n : kOptions) {
    if (!n.clear && (p.flags & n.flag) != 0) p.attr_set |= n.attr;
  }
  return p;
}

bool ends_with_component(const std::string& path, size_t end) {
  return end == path.size() || path[end] == '/';
}

// Creates each missing component of `path` under root_fd. Every parent is
// opened with RESOLVE_IN_ROOT and the new entry is a plain name created in
// it, so neither symlinks nor ".." can place anything outside the root.
int create_in_root(int root_fd, const std::string& path, bool last_is_file) {
  std::string prefix;
  size_t i = 0;
  int result = -1;
  while (i < path.size()) {
    while (i < path.size() && path[i] == '/') i++;
    if (i >= path.size()) break;
    size_t end = i;
    while (!ends_with_component(path, end)) end++;
    std::string comp = path.substr(i, end - i);
    std::string parent = prefix.empty() ? "." : prefix;
    prefix += (prefix.empty() ? "" : "/") + comp;
    bool last = true;
    for (size_t j = end; j < path.size(); j++) {
      if (path[j] != '/') last = false;
    }
    i = end;
    int fd = open_in_root(root_fd, prefix, O_PATH);
    if (fd >= 0) {
      if (last) result = fd;
      else close(fd);
      continue;
    }
    if (errno != ENOENT) return -1;
    Fd parent_fd(open_in_root(root_fd, parent, O_PATH | O_DIRECTORY));
    if (parent_fd.get() < 0) return -1;
    if (last && last_is_file) {
      int f = openat(parent_fd.get(), comp.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
      if (f < 0 && errno != EEXIST) return -1;
      if (f >= 0) close(f);
    } else if (mkdirat(parent_fd.get(), comp.c_str(), 0755) != 0 && errno != EEXIST) {
      return -1;
    }
    fd = open_in_root(root_fd, prefix, O_PATH);
    if (fd < 0) return -1;
    if (last) result = fd;
    else close(fd);
  }
  if (result < 0 && path.find_first_not_of('/') == std::string::npos) result = open_in_root(root_fd, ".", O_PATH);
  return result;
}

int target_fd(int root_fd, const std::string& dest, bool file) {
  int fd = create_in_root(root_fd, dest, file);
  if (fd < 0) throw sys_error("create mount target", dest, errno);
  return fd;
}

void set_propagation_at(int root_fd, const std::string& dest, const ParsedOptions& p) {
  if (p.propagation == 0) return;
  // The O_PATH fd of the target still names the covered directory; reopen
  // it to reach the new mount on top.
  Fd fd(open_in_root(root_fd, dest, O_PATH));
  if (fd.get() < 0) throw sys_error("open", dest, errno);
  unsigned long flags = p.propagation | (p.recursive_propagation ? MS_REC : 0);
  if (mount(nullptr, proc_fd_path(fd.get()).c_str(), nullptr, flags, nullptr) != 0) {
    throw sys_error("set propagation of", dest, errno);
  }
}

// Detached copy of a host tree with attributes set before it becomes visible.
void bind_host_path(const std::string& source, int target, const std::string& dest, bool recursive,
                    uint64_t attr_set, uint64_t attr_clr, unsigned long propagation) {
  Fd tree(sys_open_tree(AT_FDCWD, source.c_str(), kOpenTreeClone | O_CLOEXEC | (recursive ? kAtRecursive : 0)));
  if (tree.get() < 0) throw sys_error("open_tree", source, errno);
  MountAttr attr{attr_set, attr_clr, propagation, 0};
  if ((attr_set != 0 || attr_clr != 0 || propagation != 0) &&
      sys_mount_setattr(tree.get(), "", AT_EMPTY_PATH | (recursive ? kAtRecursive : 0), &attr) != 0) {
    throw sys_error("mount_setattr", source, errno);
  }
  if (sys_move_mount(tree.get(), "", target, "", kMoveMountFEmptyPath | kMoveMountTEmptyPath) != 0) {
    throw sys_error("move_mount", source + " to " + dest, errno);
  }
}

constexpr long kCgroup2SuperMagic = 0x63677270;

// Mount type "cgroup" (what podman writes) is cgroup2 on a unified host, as
// in crun. A rootless runtime can mount cgroup2 only when its cgroup
// namespace allows it, and never the v1 hierarchies; the fallback, like
// crun's and runc's, is a read-only recursive bind of the host's
// /sys/fs/cgroup.
void mount_cgroup(int root_fd, int target, const MountSpec& m, const ParsedOptions& p) {
  struct statfs sfs;
  bool unified = statfs("/sys/fs/cgroup", &sfs) == 0 && static_cast<long>(sfs.f_type) == kCgroup2SuperMagic;
  int err = EPERM;
  if (m.type == "cgroup2" || unified) {
    std::string where = proc_fd_path(target);
    if (mount("cgroup2", where.c_str(), "cgroup2", p.flags, p.data.empty() ? nullptr : p.data.c_str()) == 0) {
      set_propagation_at(root_fd, m.destination, p);
      return;
    }
    err = errno;
    if (err != EPERM && err != EACCES && err != EBUSY) throw sys_error("mount cgroup2", m.destination, err);
  }
  struct stat st;
  if (stat("/sys/fs/cgroup", &st) != 0) throw sys_error("mount " + m.type, m.destination, err);
  bind_host_path("/sys/fs/cgroup", target, m.destination, true, p.attr_set | kAttrRdonly, p.attr_clr, p.propagation);
}

bool source_is_dir(const std::string& source) {
  struct stat st;
  if (stat(source.c_str(), &st) != 0) throw sys_error("stat", source, errno);
  return S_ISDIR(st.st_mode);
}

void mount_one(int root_fd, const Config& c, const MountSpec& m) {
  ParsedOptions p = parse_options(m.options, m.destination);
  std::string type = m.type;
  std::string source = m.source;
  if (type == "bind") p.bind = true;

  // runc ToRootless: a sysfs instance can only be mounted by the owner of the
  // network namespace; otherwise the host's /sys is bound read-only.
  if (!p.bind && type == "sysfs" && !c.creates(CLONE_NEWNET)) {
    p.bind = p.recursive = true;
    source = "/sys";
    p.attr_set |= kAttrRdonly | kAttrNosuid | kAttrNodev | kAttrNoexec;
  }

  if (p.tmpcopyup && type != "tmpfs") {
    throw RuntimeError("mount `" + m.destination + "`: option tmpcopyup needs a tmpfs mount, not " + (p.bind ? "bind" : type));
  }
  if (p.bind) {
    if (source.empty()) throw RuntimeError("mount `" + m.destination + "`: bind mount without a source");
    // The kernel ignores filesystem data on a bind mount; an option we do not
    // know there (podman's U, copy...) must not be dropped silently.
    if (!p.data.empty()) throw RuntimeError("mount `" + m.destination + "`: option " + p.data + " is not supported on a bind mount");
    std::string host_source = source[0] == '/' ? source : c.bundle + "/" + source;
    Fd target(target_fd(root_fd, m.destination, !source_is_dir(host_source)));
    bind_host_path(host_source, target.get(), m.destination, p.recursive, p.attr_set, p.attr_clr, p.propagation);
    return;
  }

  Fd target(target_fd(root_fd, m.destination, false));
  if (type == "cgroup" || type == "cgroup2") {
    mount_cgroup(root_fd, target.get(), m, p);
    return;
  }
  // The covered directory, opened before the tmpfs hides it.
  Fd lower(p.tmpcopyup ? open_in_root(root_fd, m.destination, O_RDONLY | O_DIRECTORY) : -1);
  if (p.tmpcopyup && lower.get() < 0) throw sys_error("open", m.destination, errno);
  // A read-only tmpfs is filled first and made read-only afterwards.
  unsigned long flags = p.tmpcopyup ? p.flags & ~MS_RDONLY : p.flags;
  std::string where = proc_fd_path(target.get());
  int rc = mount(source.c_str(), where.c_str(), type.c_str(), flags, p.data.empty() ? nullptr : p.data.c_str());
  if (rc != 0 && errno == EINVAL && type == "devpts" && p.data.find("gid=") != std::string::npos) {
    // gid=5 (tty) is often unmapped in a rootless user namespace; crun
    // retries without it, and so do we.
    std::string data;
    size_t start = 0;
    while (start <= p.data.size()) {
      size_t end = p.data.find(',', start);
      if (end == std::string::npos) end = p.data.size();
      std::string opt = p.data.substr(start, end - start);
      if (opt.rfind("gid=", 0) != 0) data += (data.empty() ? "" : ",") + opt;
      start = end + 1;
    }
    rc = mount(source.c_str(), where.c_str(), type.c_str(), p.flags, data.c_str());
  }
  if (rc != 0 && (errno == EPERM || errno == EACCES) && type == "mqueue") {
    // Without owning the ipc namespace's origin the kernel refuses a new
    // instance; bind the host's instead.
    int saved = errno;
    struct stat st;
    if (stat("/dev/mqueue", &st) != 0) throw sys_error("mount " + type, m.destination, saved);
    bind_host_path("/dev/mqueue", target.get(), m.destination, true, p.attr_set, p.attr_clr, 0);
    return;
  }
  if (rc != 0) throw sys_error("mount " + type, m.destination, errno);
  if (p.tmpcopyup) {
    Fd upper(open_in_root(root_fd, m.destination, O_RDONLY | O_DIRECTORY));
    if (upper.get() < 0) throw sys_error("open", m.destination, errno);
    copy_up(lower.get(), upper.get(), m.destination);
    MountAttr attr{kAttrRdonly, 0, 0, 0};
    if ((p.flags & MS_RDONLY) != 0 && sys_mount_setattr(upper.get(), "", AT_EMPTY_PATH, &attr) != 0) {
      throw sys_error("make read-only", m.destination, errno);
    }
  }
  set_propagation_at(root_fd, m.destination, p);
}

void mount_overlay_root(const Config& c) {
  std::string data = "lowerdir=";
  for (size_t i = 0; i < c.overlay.lowerdirs.size(); i++) {
    if (i > 0) data += ":";
    data += c.overlay.lowerdirs[i];
  }
  if (!c.overlay.upperdir.empty()) data += ",upperdir=" + c.overlay.upperdir + ",workdir=" + c.overlay.workdir;
  // Inside a user namespace overlayfs keeps whiteouts/opaque markers in
  // user.overlay.* xattrs (Linux 5.11 "userxattr"), as the store writes them.
  data += ",userxattr";
  // An upper dir deleted when the container exits need not survive a crash:
  // "volatile" (Linux 5.10) skips the sync of the upper filesystem that every
  // overlay unmount otherwise does (a syncfs of the whole filesystem holding
  // the store, on the container's way out), and fsync in the container. What
  // podman does for --rm containers. The kernel leaves work/incompat/volatile
  // behind, which the removal deletes with the rest.
  if (c.overlay.volatile_upper && !c.overlay.upperdir.empty()) data += ",volatile";
  if (c.overlay.upperdir.empty() && c.overlay.lowerdirs.size() == 1) {
    // overlayfs needs two lowers without an upper; one is a read-only bind.
    if (mount(c.overlay.lowerdirs[0].c_str(), c.root_path.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0) {
      throw sys_error("bind", c.overlay.lowerdirs[0], errno);
    }
    return;
  }
  if (mount("overlay", c.root_path.c_str(), "overlay", 0, data.c_str()) != 0) {
    throw sys_error("mount overlay", c.root_path, errno);
  }
}

// The devices runtime-spec requires in every container.
constexpr const char* kDefaultDevices[] = {"/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/tty"};

void bind_devices(int root_fd, const Config& c) {
  std::vector<std::string> paths(std::begin(kDefaultDevices), std::end(kDefaultDevices));
  for (const DeviceSpec& d : c.devices) {
    bool seen = false;
    for (const std::string& p : paths) seen = seen || p == d.path;
    if (!seen) paths.push_back(d.path);
  }
  for (const std::string& path : paths) {
    // A user namespace cannot mknod, so the host's node is bound instead
    // (podman rootless does the same).
    Fd target(target_fd(root_fd, path, true));
    bind_host_path(path, target.get(), path, false, kAttrNosuid | kAttrNoexec, 0, 0);
  }
}

void dev_symlinks(int root_fd, const Config& c) {
  Fd dev(open_in_root(root_fd, "/dev", O_PATH | O_DIRECTORY));
  if (dev.get() < 0) throw sys_error("open", "/dev", errno);
  struct Link {
    const char* name;
    const char* target;
  };
  constexpr Link kLinks[] = {{"fd", "/proc/self/fd"},
                             {"stdin", "/proc/self/fd/0"},
                             {"stdout", "/proc/self/fd/1"},
                             {"stderr", "/proc/self/fd/2"},
                             {"ptmx", "pts/ptmx"}};
  for (const Link& l : kLinks) {
    if (symlinkat(l.target, dev.get(), l.name) != 0 && errno != EEXIST) {
      throw sys_error("symlink", std::string("/dev/") + l.name, errno);
    }
  }
  if (c.process.terminal) {
    int f = openat(dev.get(), "console", O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (f < 0 && errno != EEXIST) throw sys_error("create", "/dev/console", errno);
    if (f >= 0) close(f);
  }
}

// CVE-2024-21626 class: a rootfs whose /proc, /dev or /sys is a symlink could
// redirect the runtime's own mounts and writes to the host.
void refuse_symlinked_api_dirs(int root_fd) {
  for (const char* name : {"proc", "dev", "sys"}) {
    struct stat st;
    if (fstatat(root_fd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno == ENOENT) continue;
      throw sys_error("stat", std::string("/") + name, errno);
    }
    if (S_ISLNK(st.st_mode)) {
      throw RuntimeError(std::string("rootfs: /") + name + " is a symlink; refusing to start (it could redirect mounts to the host)");
    }
  }
}

unsigned long propagation_flag(const std::string& name) {
  if (name == "private" || name.empty()) return MS_PRIVATE;
  if (name == "rprivate") return MS_PRIVATE | MS_REC;
  if (name == "slave") return MS_SLAVE;
  if (name == "rslave") return MS_SLAVE | MS_REC;
  if (name == "shared") return MS_SHARED;
  if (name == "rshared") return MS_SHARED | MS_REC;
  if (name == "unbindable") return MS_UNBINDABLE;
  if (name == "runbindable") return MS_UNBINDABLE | MS_REC;
  throw RuntimeError("config.json: `linux.rootfsPropagation` " + name + " is not a propagation type");
}

}  // namespace

int open_in_root(int root_fd, const std::string& path, int flags) {
  std::string rel = path;
  while (!rel.empty() && rel[0] == '/') rel.erase(0, 1);
  if (rel.empty()) rel = ".";
  OpenHow how{static_cast<uint64_t>(flags | O_CLOEXEC), 0, kResolveInRoot | kResolveNoMagiclinks};
  return sys_openat2(root_fd, rel.c_str(), &how);
}

int prepare_rootfs(const Config& c) {
  // Our copy of the host's mounts must not propagate back to the host.
  if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) throw sys_error("make private", "/", errno);
  propagation_flag(c.rootfs_propagation);

  if (!c.overlay.mount_program.empty()) {
    // Already mounted by mount_fuse_root, with its daemon started by the runtime.
  } else if (c.overlay.enabled) {
    mount_overlay_root(c);
  } else if (mount(c.root_path.c_str(), c.root_path.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0) {
    // pivot_root needs the new root to be a mount point.
    throw sys_error("bind", c.root_path, errno);
  }
  Fd root(open(c.root_path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (root.get() < 0) throw sys_error("open", c.root_path, errno);
  refuse_symlinked_api_dirs(root.get());
  for (const MountSpec& m : c.mounts) mount_one(root.get(), c, m);
  bind_devices(root.get(), c);
  dev_symlinks(root.get(), c);
  return root.release();
}

void pivot_into(int root_fd) {
  Fd root(root_fd);
  if (fchdir(root.get()) != 0) throw sys_error("chdir", "rootfs", errno);
  // pivot_root(".", ".") stacks the old root on top of the new one, so it can
  // be detached without needing a directory for it inside the rootfs.
  if (syscall(SYS_pivot_root, ".", ".") != 0) throw sys_error("pivot_root", ".", errno);
  if (mount(nullptr, ".", nullptr, MS_REC | MS_SLAVE, nullptr) != 0) throw sys_error("make slave", "old root", errno);
  if (umount2(".", MNT_DETACH) != 0) throw sys_error("umount", "old root", errno);
  if (chdir("/") != 0) throw sys_error("chdir", "/", errno);
}

void finish_rootfs(const Config& c) {
  for (const std::string& path : c.masked_paths) {
    struct stat st;
    if (stat(path.c_str(), &st) != 0) {
      if (errno == ENOENT) continue;
      throw sys_error("stat", path, errno);
    }
    int rc = S_ISDIR(st.st_mode)
                 ? mount("tmpfs", path.c_str(), "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr)
                 : mount("/dev/null", path.c_str(), nullptr, MS_BIND, nullptr);
    if (rc != 0) throw sys_error("mask", path, errno);
  }
  for (const std::string& path : c.readonly_paths) {
    if (mount(path.c_str(), path.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0) {
      if (errno == ENOENT) continue;
      throw sys_error("bind", path, errno);
    }
    // mount_setattr changes only what we name, so locked flags inherited
    // from the host (nosuid, nodev...) need not be repeated as with MS_REMOUNT.
    MountAttr attr{kAttrRdonly | kAttrNosuid | kAttrNodev | kAttrNoexec, 0, 0, 0};
    if (sys_mount_setattr(AT_FDCWD, path.c_str(), kAtRecursive, &attr) != 0) throw sys_error("make read-only", path, errno);
  }
  if (mount(nullptr, "/", nullptr, propagation_flag(c.rootfs_propagation), nullptr) != 0) {
    throw sys_error("set propagation of", "/", errno);
  }
  if (c.root_readonly) {
    MountAttr attr{kAttrRdonly, 0, 0, 0};
    if (sys_mount_setattr(AT_FDCWD, "/", 0, &attr) != 0) throw sys_error("make read-only", "/", errno);
  }
}

void bind_file(const std::string& source, const std::string& target) {
  if (mount(source.c_str(), target.c_str(), nullptr, MS_BIND, nullptr) != 0) throw sys_error("bind " + source, target, errno);
}

}  // namespace hutch
