#include "passwd.h"

#include <pwd.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "sys-error.h"

namespace hutch {

std::optional<std::string> passwd_name(uid_t uid) {
  long suggested = sysconf(_SC_GETPW_R_SIZE_MAX);
  std::vector<char> buf(suggested > 0 ? static_cast<size_t>(suggested) : 1024);
  for (;;) {
    passwd entry{};
    passwd* found = nullptr;
    int err = getpwuid_r(uid, &entry, buf.data(), buf.size(), &found);
    if (err == EINTR) continue;
    if (err == ERANGE && buf.size() < (1u << 20)) {
      buf.resize(buf.size() * 2);
      continue;
    }
    // getpwuid_r(3): "not found" may also come back as ENOENT, ESRCH, EBADF or EPERM.
    if (found != nullptr) return std::string(entry.pw_name);
    if (err == 0 || err == ENOENT || err == ESRCH || err == EBADF || err == EPERM) return std::nullopt;
    throw SysError("getpwuid_r", err, "uid " + std::to_string(uid));
  }
}

}  // namespace hutch
