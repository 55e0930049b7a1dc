// SHA-256 through the system libcrypto (dlopen'ed: OpenSSL 3, or 1.1), which
// uses the CPU's SHA extensions where there are some.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace hutch {

class Sha256 {
 public:
  // Throws SysError when no libcrypto can be loaded.
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void update(const uint8_t* data, size_t len);
  // "sha256:<64 lowercase hex>"; the hasher is spent afterwards.
  std::string digest();

 private:
  void* ctx_;
};

}  // namespace hutch
