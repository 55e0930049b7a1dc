// A failed system call (or library call), thrown by the plain C++ parts of the
// addon and turned into a JS error by binding.cc through the installed factory.
#pragma once

#include <cerrno>
#include <exception>
#include <string>

namespace hutch {

struct SysError : std::exception {
  std::string syscall;  // verb and kind of object, e.g. "lgetxattr"
  int err;              // errno value
  std::string path;     // the object acted on; empty when there is none
  std::string detail;   // replaces strerror(err) in the message when set

  SysError(std::string syscall_, int err_, std::string path_ = std::string(), std::string detail_ = std::string())
      : syscall(std::move(syscall_)), err(err_), path(std::move(path_)), detail(std::move(detail_)) {}

  const char* what() const noexcept override { return syscall.c_str(); }
};

}  // namespace hutch
