// Streaming gzip decompression through the system libz.so.1 (dlopen'ed with
// our own prototypes, like libzstd: no -dev package at build time).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace hutch {

// Whether libz.so.1 loaded; when not, *why says why.
bool zlib_available(std::string* why);

class GunzipStream {
 public:
  // Throws SysError when libz is unavailable.
  GunzipStream();
  ~GunzipStream();
  GunzipStream(const GunzipStream&) = delete;
  GunzipStream& operator=(const GunzipStream&) = delete;

  // Decompresses from *in (advancing it and *in_len) into out; returns the
  // bytes written. Concatenated members are decoded one after another;
  // zero bytes after a member are padding, as Node's gunzip treats them.
  // Throws SysError (EBADMSG) on corrupt data.
  size_t inflate_some(const uint8_t** in, size_t* in_len, uint8_t* out, size_t out_len);

  // Throws SysError unless the input ended at the end of a member.
  void finish() const;

 private:
  void* stream_;
  bool member_done_ = false;  // the last member ended; only padding or a new member may follow
  bool in_padding_ = false;
  bool output_pending_ = false;  // the last call filled the output: zlib may hold more
  bool saw_input_ = false;
};

}  // namespace hutch
