#include "cp.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "config.h"
#include "cp-tar.h"
#include "namespaces.h"
#include "rootfs-fuse.h"
#include "runtime-error.h"
#include "state.h"

namespace hutch {

namespace {

struct CpArgs {
  std::string container;
  std::string lower, upper, work, mountpoint;
  std::string mount_program;  // fuse-overlayfs instead of kernel overlayfs
  std::string rootfs;         // a copied root: used as it is
  std::string out, in, name;
  bool export_root = false, into_dir = false, keep_owners = false;
  unsigned uid = 0, gid = 0;
};

constexpr const char* kCpUsage =
    "usage: hutch-runtime [--root DIR] cp (--container ID | --lower DIR[:DIR...] [--upper DIR --work DIR] --mountpoint DIR\n"
    "         [--mount-program FUSE-OVERLAYFS] | --rootfs DIR)\n"
    "         (--out PATH [--name NAME | --export] | --in PATH [--into-dir] [--owner UID:GID | --keep-owners])\n";

CpArgs parse_cp(const std::vector<std::string>& args) {
  CpArgs a;
  for (size_t i = 0; i < args.size(); i++) {
    const std::string& arg = args[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= args.size()) throw RuntimeError("cp: " + arg + " needs a value\n" + kCpUsage);
      return args[++i];
    };
    if (arg == "--container") a.container = value();
    else if (arg == "--lower") a.lower = value();
    else if (arg == "--upper") a.upper = value();
    else if (arg == "--work") a.work = value();
    else if (arg == "--mountpoint") a.mountpoint = value();
    else if (arg == "--mount-program") a.mount_program = value();
    else if (arg == "--rootfs") a.rootfs = value();
    else if (arg == "--out") a.out = value();
    else if (arg == "--in") a.in = value();
    else if (arg == "--name") a.name = value();
    else if (arg == "--export") a.export_root = true;
    else if (arg == "--into-dir") a.into_dir = true;
    else if (arg == "--keep-owners") a.keep_owners = true;
    else if (arg == "--owner") {
      std::string v = value();
      if (sscanf(v.c_str(), "%u:%u", &a.uid, &a.gid) != 2) throw RuntimeError("cp: --owner takes UID:GID, not `" + v + "`");
    } else {
      throw RuntimeError("cp: unexpected argument `" + arg + "`\n" + kCpUsage);
    }
  }
  const int sources = !a.container.empty() + !(a.lower.empty() || a.mountpoint.empty()) + !a.rootfs.empty();
  if (sources != 1) throw RuntimeError(std::string("cp: give --container, --lower and --mountpoint, or --rootfs\n") + kCpUsage);
  if (a.out.empty() == a.in.empty()) throw RuntimeError(std::string("cp: give one of --out and --in\n") + kCpUsage);
  if (!a.lower.empty() && (a.upper.empty() || ((!a.in.empty() || !a.mount_program.empty()) && a.work.empty()))) {
    throw RuntimeError("cp: a stopped container needs --upper (and --work to write or with --mount-program)");
  }
  return a;
}

// Enters the running container's user and mount namespaces through a
// verified pidfd, atomically: "/" becomes the container's root, so every
// path below (symlinks and ".." included) resolves inside it.
void enter_running(const std::string& root, const std::string& id) {
  std::string dir = container_dir(root, id);
  ContainerRecord r;
  bool have = read_record(dir, &r);
  if (derive_status(dir, r, have) != Status::kRunning) throw RuntimeError("cp: container `" + id + "` is not running");
  int pidfd = open_verified_pidfd(r.pid, r.start_time);
  if (pidfd < 0) throw RuntimeError("cp: container `" + id + "` is not running");
  if (setns(pidfd, CLONE_NEWUSER | CLONE_NEWNS) != 0) throw sys_error_plain("setns pidfd " + std::to_string(r.pid) + " CLONE_NEWUSER|CLONE_NEWNS", errno);
  close(pidfd);
  if (chdir("/") != 0) throw sys_error("chdir", "/", errno);
}

void enter_root(const std::string& dir) {
  if (chdir(dir.c_str()) != 0) throw sys_error("chdir", dir, errno);
  if (chroot(".") != 0) throw sys_error("chroot", dir, errno);
  if (chdir("/") != 0) throw sys_error("chdir", "/", errno);
}

// The container's fuse-overlayfs root, as the runtime mounts it; the daemon
// leaves our mount namespace, so the mount (and the daemon) end with us.
void mount_fuse_overlayfs(const CpArgs& a) {
  int fd = mount_fuse(a.mountpoint, a.in.empty());
  FuseDaemon d = spawn_fuse_daemon(FuseLayers{a.mount_program, split_colon(a.lower), a.upper, a.work}, fd, -1, a.mountpoint);
  close(fd);
  // The first access waits for the daemon; if it failed, say why.
  struct stat st;
  if (stat(a.mountpoint.c_str(), &st) != 0) {
    int err = errno;
    throw RuntimeError(sys_error("stat", a.mountpoint, err).what() + fuse_daemon_failure(a.mount_program, d));
  }
  close(d.log_fd);
}

// Mounts the stopped container's overlay in this process's private mount
// namespace (the caller started us in a fresh user+mount namespace) and
// chroots into it. Reading mounts it read-only with the upper dir as the top
// lower, so no work dir is touched.
void enter_stopped(const CpArgs& a) {
  if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) throw sys_error("mount MS_PRIVATE", "/", errno);
  if (!a.rootfs.empty()) {
    enter_root(a.rootfs);
    return;
  }
  if (!a.mount_program.empty()) {
    mount_fuse_overlayfs(a);
    enter_root(a.mountpoint);
    return;
  }
  std::string data;
  unsigned long flags = 0;
  if (a.in.empty()) {
    data = "lowerdir=" + a.upper + ":" + a.lower;
    flags = MS_RDONLY;
  } else {
    data = "lowerdir=" + a.lower + ",upperdir=" + a.upper + ",workdir=" + a.work;
  }
  data += ",userxattr";
  if (mount("overlay", a.mountpoint.c_str(), "overlay", flags, data.c_str()) != 0) throw sys_error("mount overlay", a.mountpoint, errno);
  enter_root(a.mountpoint);
}

// "/a/b/" → {"/a", "b"}; "/" → {"/", "."}.
std::pair<std::string, std::string> split_path(const std::string& path) {
  std::string p = "/" + path;
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  size_t slash = p.rfind('/');
  std::string leaf = p.substr(slash + 1);
  std::string parent = slash == 0 ? "/" : p.substr(0, slash);
  if (leaf.empty()) leaf = ".";
  return {parent, leaf};
}

int open_dir(const std::string& path, const std::string& shown) {
  int fd = open(path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) throw sys_error("open", shown, errno);
  return fd;
}

void copy_out(const CpArgs& a) {
  auto [parent, leaf] = split_path(a.out);
  if (leaf == "..") throw RuntimeError("cp: `" + a.out + "` must name an entry, not `..`");
  int pfd = open_dir(parent, a.out);
  std::string name = a.export_root ? "" : !a.name.empty() ? a.name : leaf == "." ? "." : leaf;
  tar_write_tree(STDOUT_FILENO, pfd, leaf, name, a.out);
  close(pfd);
}

void copy_in(const CpArgs& a) {
  ExtractOptions opt;
  opt.keep_owners = a.keep_owners;
  opt.uid = a.uid;
  opt.gid = a.gid;
  std::string target = "/" + a.in;
  // An existing directory (symlinks followed, inside the container) receives the archive as is.
  int dir = open(target.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) {
    int err = errno;
    if (a.into_dir || (err != ENOENT && err != ENOTDIR)) throw sys_error("open", a.in, err);
    // Otherwise the archive's top member takes the destination's name, in its parent.
    auto [parent, leaf] = split_path(a.in);
    if (leaf == "." || leaf == "..") throw sys_error("open", a.in, err);
    dir = open_dir(parent, a.in);
    opt.rename_top = leaf;
  }
  int skipped = tar_extract(STDIN_FILENO, dir, opt);
  close(dir);
  if (skipped > 0) fprintf(stderr, "hutch-runtime: warning: %d device node(s) not copied: a user namespace cannot create them\n", skipped);
}

}  // namespace

int cp_main(const std::string& root, const std::vector<std::string>& args) {
  CpArgs a = parse_cp(args);
  if (!a.container.empty()) enter_running(root, a.container);
  else enter_stopped(a);
  if (!a.out.empty()) copy_out(a);
  else copy_in(a);
  return 0;
}

}  // namespace hutch
