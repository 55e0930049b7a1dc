// flock(2) with EINTR retried: a signal delivered to the waiting thread must
// not turn into a spurious "lock failed".
#include "lock.h"

#include <sys/file.h>

#include <cerrno>
#include <string>

#include "sys-error.h"

namespace hutch {

namespace {

int to_flock(LockOp op) {
  switch (op) {
    case LockOp::Shared: return LOCK_SH;
    case LockOp::Exclusive: return LOCK_EX;
    case LockOp::Unlock: return LOCK_UN;
  }
  return LOCK_UN;
}

const char* verb(LockOp op) {
  switch (op) {
    case LockOp::Shared: return "flock LOCK_SH";
    case LockOp::Exclusive: return "flock LOCK_EX";
    case LockOp::Unlock: return "flock LOCK_UN";
  }
  return "flock";
}

}  // namespace

bool flock_fd(int fd, LockOp op, bool non_blocking) {
  int how = to_flock(op) | (non_blocking ? LOCK_NB : 0);
  for (;;) {
    if (flock(fd, how) == 0) return true;
    if (errno == EINTR) continue;
    if (errno == EWOULDBLOCK && non_blocking) return false;
    throw SysError(verb(op), errno, "fd " + std::to_string(fd));
  }
}

int flock_wait(int fd, LockOp op) {
  for (;;) {
    if (flock(fd, to_flock(op)) == 0) return 0;
    if (errno != EINTR) return errno;
  }
}

std::string lock_verb(LockOp op) { return verb(op); }

}  // namespace hutch
