// Loading a system library with dlopen and binding its functions to typed
// slots with our own prototypes, so that building needs no -dev package and
// a host without the library still runs everything that does not need it.
#pragma once

#include <dlfcn.h>

#include <initializer_list>
#include <string>

namespace hutch {

// RTLD_DEEPBIND: a library's calls to its own exported functions go through
// the PLT, and by default bind to the first definition in the process. Node
// >= 22.15 exports its bundled zstd's ZSTD_* (nodejs.org builds of every
// version export their zlib and OpenSSL too), so loaded plainly, libzstd.so.1
// would run parts of Node's zstd, another version with another context
// layout, on contexts it allocated.
// RTLD_DEEPBIND is glibc's; where it is missing the plain flags are used.
#ifdef RTLD_DEEPBIND
constexpr int kLibraryOpenFlags = RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND;
#else
constexpr int kLibraryOpenFlags = RTLD_NOW | RTLD_LOCAL;
#endif

// The first of `names` that dlopen loads, or nullptr with *error saying why.
inline void* open_library(std::initializer_list<const char*> names, std::string* error) {
  for (const char* name : names) {
    if (void* lib = dlopen(name, kLibraryOpenFlags)) return lib;
    const char* why = dlerror();
    if (error->empty()) *error = why != nullptr ? why : std::string(name) + " not found";
  }
  return nullptr;
}

// Binds `name` from `lib` into `slot`; false with *error naming what is missing.
template <typename Fn>
bool bind_symbol(void* lib, const char* lib_name, const char* name, Fn& slot, std::string* error) {
  slot = reinterpret_cast<Fn>(dlsym(lib, name));
  if (slot == nullptr) *error = std::string(lib_name) + " lacks " + name;
  return slot != nullptr;
}

}  // namespace hutch
