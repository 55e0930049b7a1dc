// Loading a system library with dlopen and binding its functions to typed
// slots with our own prototypes, so that building needs no -dev package and
// a host without the library still runs everything that does not need it.
#pragma once

#include <dlfcn.h>

#include <initializer_list>
#include <string>

namespace hutch {

// The first of `names` that dlopen loads, or nullptr with *error saying why.
inline void* open_library(std::initializer_list<const char*> names, std::string* error) {
  for (const char* name : names) {
    if (void* lib = dlopen(name, RTLD_NOW | RTLD_LOCAL)) return lib;
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
