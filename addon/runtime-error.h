// Error reporting for hutch-runtime: every failure becomes one line on stderr
// in crun's "verb `object`: ERRNO (strerror)" shape and a fixed exit code.
#pragma once

#include <stdexcept>
#include <string>

namespace hutch {

// Exit codes follow podman/crun: 125 the runtime failed, 126 the program
// could not be executed, 127 the program was not found.
constexpr int kExitRuntimeError = 125;
constexpr int kExitCannotInvoke = 126;
constexpr int kExitNotFound = 127;

// A failure carrying the exit code the runtime should end with.
class RuntimeError : public std::runtime_error {
 public:
  explicit RuntimeError(const std::string& message, int exit_code = kExitRuntimeError)
      : std::runtime_error(message), exit_code_(exit_code) {}
  int exit_code() const { return exit_code_; }

 private:
  int exit_code_;
};

// "EPERM (Operation not permitted)" for an errno value.
std::string errno_text(int err);

// Builds "verb `object`: EPERM (Operation not permitted)" from errno.
RuntimeError sys_error(const std::string& verb, const std::string& object, int err);

// Builds "what: EPERM (Operation not permitted)" for objects that are not
// paths (flags, pids), as in "unshare CLONE_NEWUSER: EPERM (...)".
RuntimeError sys_error_plain(const std::string& what, int err);

// Prints a message as the runtime's single error line on stderr.
void print_error(const std::string& message);

}  // namespace hutch
