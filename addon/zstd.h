// Streaming zstd decompression through the system libzstd.so.1 (dlopen'ed:
// no -dev package at build time, and hosts without it still load the addon).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace hutch {

// Largest window accepted by default: 2^27 = 128 MiB, libzstd's own default
// limit; bigger windows (zstd --long=28+) are refused to bound memory.
constexpr int kZstdDefaultWindowLogMax = 27;

// Whether libzstd.so.1 loaded; when not, *why (if given) says why.
bool zstd_available(std::string* why = nullptr);

class ZstdStream {
 public:
  // Throws SysError when libzstd is unavailable or window_log_max is out of range.
  explicit ZstdStream(int window_log_max);
  ~ZstdStream();
  ZstdStream(const ZstdStream&) = delete;
  ZstdStream& operator=(const ZstdStream&) = delete;

  // Queues input and decompresses until the queue is empty or about
  // output_budget bytes were produced; emit receives each output block.
  // Returns false when no further output can come without more input.
  bool step(const uint8_t* data, size_t len, size_t output_budget,
            const std::function<void(const uint8_t*, size_t)>& emit);

  // Throws SysError unless all input was consumed and ended on a frame boundary.
  void finish() const;

 private:
  void* stream_ = nullptr;
  int window_log_max_;
  std::vector<uint8_t> out_;
  std::vector<uint8_t> pending_;  // input not consumed yet
  size_t pending_pos_ = 0;
  bool output_may_remain_ = false;  // last call filled the output buffer
  size_t last_hint_ = 0;            // 0 right after a frame was completely decoded and flushed
  bool saw_input_ = false;
  bool failed_ = false;

  void fail_with(size_t code);
};

}  // namespace hutch
