// Sealed in-memory copies of executables.
#pragma once

#include <string>

namespace hutch {

// Returns a close-on-exec memfd holding a sealed copy of the file at path; one per path per process.
int sealed_executable(const std::string& path);

}  // namespace hutch
