// Extended attributes: size query then read, retrying when the attribute grew
// between the two calls (ERANGE), as getfattr does.
#include "xattr.h"

#include <sys/xattr.h>

#include <cerrno>

#include "sys-error.h"

namespace hutch {

namespace {

ssize_t get_raw(const std::string& path, const std::string& name, void* buf, size_t size, bool no_follow) {
  return no_follow ? lgetxattr(path.c_str(), name.c_str(), buf, size) : getxattr(path.c_str(), name.c_str(), buf, size);
}

ssize_t list_raw(const std::string& path, char* buf, size_t size, bool no_follow) {
  return no_follow ? llistxattr(path.c_str(), buf, size) : listxattr(path.c_str(), buf, size);
}

}  // namespace

std::optional<std::vector<char>> xattr_get(const std::string& path, const std::string& name, bool no_follow) {
  const char* verb = no_follow ? "lgetxattr" : "getxattr";
  for (;;) {
    ssize_t size = get_raw(path, name, nullptr, 0, no_follow);
    if (size < 0) {
      if (errno == ENODATA) return std::nullopt;
      throw SysError(std::string(verb) + " " + name, errno, path);
    }
    std::vector<char> value(static_cast<size_t>(size));
    ssize_t got = get_raw(path, name, value.data(), value.size(), no_follow);
    if (got >= 0) {
      value.resize(static_cast<size_t>(got));
      return value;
    }
    if (errno == ERANGE) continue;
    if (errno == ENODATA) return std::nullopt;
    throw SysError(std::string(verb) + " " + name, errno, path);
  }
}

void xattr_set(const std::string& path, const std::string& name, const char* value, size_t size, bool no_follow) {
  int rc = no_follow ? lsetxattr(path.c_str(), name.c_str(), value, size, 0)
                     : setxattr(path.c_str(), name.c_str(), value, size, 0);
  if (rc != 0) throw SysError(std::string(no_follow ? "lsetxattr " : "setxattr ") + name, errno, path);
}

std::vector<std::string> xattr_list(const std::string& path, bool no_follow) {
  const char* verb = no_follow ? "llistxattr" : "listxattr";
  for (;;) {
    ssize_t size = list_raw(path, nullptr, 0, no_follow);
    if (size < 0) throw SysError(verb, errno, path);
    std::vector<char> buf(static_cast<size_t>(size));
    ssize_t got = list_raw(path, buf.data(), buf.size(), no_follow);
    if (got < 0) {
      if (errno == ERANGE) continue;
      throw SysError(verb, errno, path);
    }
    std::vector<std::string> names;
    size_t start = 0;
    for (size_t i = 0; i < static_cast<size_t>(got); i++) {
      if (buf[i] != '\0') continue;
      if (i > start) names.emplace_back(buf.data() + start, i - start);
      start = i + 1;
    }
    return names;
  }
}

void xattr_remove(const std::string& path, const std::string& name, bool no_follow) {
  int rc = no_follow ? lremovexattr(path.c_str(), name.c_str()) : removexattr(path.c_str(), name.c_str());
  if (rc != 0) throw SysError(std::string(no_follow ? "lremovexattr " : "removexattr ") + name, errno, path);
}

}  // namespace hutch
