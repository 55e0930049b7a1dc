// The passwd database (getpwuid_r, so NSS sources such as sssd count too).
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

namespace hutch {

// The login name of uid; nullopt when no entry has that uid. Throws SysError("getpwuid_r", errno, "uid N").
std::optional<std::string> passwd_name(uid_t uid);

}  // namespace hutch
