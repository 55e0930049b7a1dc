#include "special-nodes.h"

#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <cerrno>

#include "sys-error.h"

namespace hutch {

void make_whiteout(const std::string& path) {
  if (mknod(path.c_str(), S_IFCHR | 0, makedev(0, 0)) != 0) throw SysError("mknod whiteout", errno, path);
}

void make_fifo(const std::string& path) {
  if (mknod(path.c_str(), S_IFIFO | 0600, 0) != 0) throw SysError("mknod fifo", errno, path);
}

}  // namespace hutch
