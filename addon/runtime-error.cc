#include "runtime-error.h"

#include <string.h>
#include <unistd.h>

namespace hutch {

std::string errno_text(int err) {
  const char* name = strerrorname_np(err);
  std::string text = name != nullptr ? name : "E" + std::to_string(err);
  text += " (";
  text += strerror(err);
  text += ")";
  return text;
}

RuntimeError sys_error(const std::string& verb, const std::string& object, int err) {
  return RuntimeError(verb + " `" + object + "`: " + errno_text(err));
}

RuntimeError sys_error_plain(const std::string& what, int err) {
  return RuntimeError(what + ": " + errno_text(err));
}

void print_error(const std::string& message) {
  // One write(2) so that lines from the runtime's processes never interleave.
  std::string line = message + "\n";
  const char* p = line.data();
  size_t left = line.size();
  while (left > 0) {
    ssize_t n = write(STDERR_FILENO, p, left);
    if (n <= 0) return;
    p += n;
    left -= static_cast<size_t>(n);
  }
}

}  // namespace hutch
