#include "layer-names.h"

#include "path-components.h"

namespace hutch {

namespace {

// Longest single path component, in bytes (NAME_MAX).
constexpr size_t kMaxComponentBytes = 255;

bool starts_with(const std::string& s, const char* prefix) { return s.compare(0, std::char_traits<char>::length(prefix), prefix) == 0; }

}  // namespace

std::vector<std::string> split_entry_name(const std::string& name) {
  if (name.find('\0') != std::string::npos) throw BadEntryName("name contains a NUL byte");
  if (name.size() > kMaxNameBytes) throw BadEntryName("name is longer than " + std::to_string(kMaxNameBytes) + " bytes");
  std::vector<std::string> parts;
  for_each_path_component(name, [&](const std::string& part) {
    if (part == "..") throw BadEntryName("name has a `..` component");
    if (part.size() > kMaxComponentBytes) throw BadEntryName("a component is longer than " + std::to_string(kMaxComponentBytes) + " bytes");
    parts.push_back(part);
  });
  return parts;
}

WhiteoutKind classify_whiteout(const std::string& base, std::string* target) {
  if (!starts_with(base, ".wh.")) return WhiteoutKind::kNone;
  if (base == ".wh..wh..opq") return WhiteoutKind::kOpaque;
  if (starts_with(base, ".wh..wh.")) return WhiteoutKind::kMeta;
  std::string name = base.substr(4);
  if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos) {
    throw BadEntryName("malformed whiteout name `" + base + "`");
  }
  *target = name;
  return WhiteoutKind::kWhiteout;
}

bool is_forbidden_xattr(const std::string& name) {
  return name == "security.selinux" || starts_with(name, "trusted.") || starts_with(name, "user.overlay.") ||
         starts_with(name, "user.fuseoverlayfs.");
}

}  // namespace hutch
