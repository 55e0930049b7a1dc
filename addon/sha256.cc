// OpenSSL's EVP digest API through dlopen (the same five calls exist in
// OpenSSL 1.1 and 3), with our own prototypes.
#include "sha256.h"

#include <cerrno>
#include <mutex>

#include "dl-library.h"
#include "sys-error.h"

namespace hutch {

namespace {

struct Api {
  void* (*ctx_new)();
  void (*ctx_free)(void*);
  const void* (*sha256)();
  int (*init)(void*, const void*, void*);
  int (*update)(void*, const void*, size_t);
  int (*final)(void*, unsigned char*, unsigned*);
};

std::once_flag load_once;
Api api;
bool loaded = false;
std::string load_error;

void load() {
  void* lib = open_library({"libcrypto.so.3", "libcrypto.so.1.1"}, &load_error);
  if (lib == nullptr) return;
  auto bind = [&](const char* name, auto& slot) { return bind_symbol(lib, "libcrypto", name, slot, &load_error); };
  loaded = bind("EVP_MD_CTX_new", api.ctx_new) && bind("EVP_MD_CTX_free", api.ctx_free) && bind("EVP_sha256", api.sha256) &&
           bind("EVP_DigestInit_ex", api.init) && bind("EVP_DigestUpdate", api.update) && bind("EVP_DigestFinal_ex", api.final);
  if (!loaded) dlclose(lib);
}

}  // namespace

Sha256::Sha256() {
  std::call_once(load_once, load);
  if (!loaded) throw SysError("dlopen libcrypto.so.3", ENOENT, "", load_error);
  ctx_ = api.ctx_new();
  if (ctx_ == nullptr || api.init(ctx_, api.sha256(), nullptr) != 1) throw SysError("EVP_DigestInit_ex sha256", ENOMEM);
}

Sha256::~Sha256() { api.ctx_free(ctx_); }

void Sha256::update(const uint8_t* data, size_t len) {
  if (len > 0 && api.update(ctx_, data, len) != 1) throw SysError("EVP_DigestUpdate sha256", EINVAL);
}

std::string Sha256::digest() {
  unsigned char md[32];
  unsigned len = 0;
  if (api.final(ctx_, md, &len) != 1 || len != sizeof md) throw SysError("EVP_DigestFinal_ex sha256", EINVAL);
  static const char kHex[] = "0123456789abcdef";
  std::string out = "sha256:";
  for (unsigned char b : md) {
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
  return out;
}

}  // namespace hutch
