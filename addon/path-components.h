// Walking a slash-separated path one component at a time. Empty components
// (from "//" or a leading or trailing "/") and "." name no entry and are
// skipped; ".." is handed on, for each caller to refuse or resolve.
#pragma once

#include <string>

namespace hutch {

template <typename Visit>
void for_each_path_component(const std::string& path, Visit&& visit) {
  size_t start = 0;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string::npos) slash = path.size();
    std::string part = path.substr(start, slash - start);
    start = slash + 1;
    if (!part.empty() && part != ".") visit(part);
  }
}

}  // namespace hutch
