// flock(2) on an open file descriptor.
#pragma once

#include <string>

namespace hutch {

enum class LockOp { Shared, Exclusive, Unlock };

// Returns false only when non_blocking and another open file description holds a conflicting lock.
bool flock_fd(int fd, LockOp op, bool non_blocking);

// Blocking lock without exceptions, for worker threads: returns 0 or an errno value.
int flock_wait(int fd, LockOp op);

// The syscall label used in errors, e.g. "flock LOCK_EX".
std::string lock_verb(LockOp op);

}  // namespace hutch
