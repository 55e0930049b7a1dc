// Extended attributes on paths (follow or not follow a final symlink).
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace hutch {

std::optional<std::vector<char>> xattr_get(const std::string& path, const std::string& name, bool no_follow);
void xattr_set(const std::string& path, const std::string& name, const char* value, size_t size, bool no_follow);
std::vector<std::string> xattr_list(const std::string& path, bool no_follow);
void xattr_remove(const std::string& path, const std::string& name, bool no_follow);

}  // namespace hutch
