// The uncompressed byte stream of one layer blob read from a file descriptor:
// magic bytes checked against the declared compression, decompressed (gzip or
// zstd), hashed (the diff_id) and held to the decompression-bomb caps, in
// fixed-size buffers. Failures are thrown as LayerFailure.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "gunzip.h"
#include "sha256.h"
#include "zstd.h"

namespace hutch {

enum class Compression { kNone, kGzip, kZstd };

// Caps against decompression bombs (ApplyLimits in src/storage/apply-job.ts).
struct StreamLimits {
  uint64_t max_bytes;
  uint64_t max_ratio;
  uint64_t ratio_floor;
  uint64_t compressed_size;  // 0: unknown (no ratio cap)
};

class LayerStream {
 public:
  LayerStream(int fd, Compression compression, const std::string& layer_digest, const StreamLimits& limits);

  // The next uncompressed bytes without consuming them; empty only at the end.
  const uint8_t* data() const { return out_.data() + out_pos_; }
  size_t available() const { return out_len_ - out_pos_; }
  // Makes at least one byte available unless the stream has ended; false at the end.
  bool fill();
  void consume(size_t n) { out_pos_ += n; }

  // Reads what is left (after the tar's end-of-archive marker) so that the
  // digest covers every byte and truncation or corruption is still noticed.
  void drain();
  // "sha256:..." over every uncompressed byte; call after drain().
  std::string diff_id() { return hash_->digest(); }
  uint64_t bytes() const { return bytes_; }

 private:
  int fd_;
  Compression compression_;
  std::string what_;
  StreamLimits limits_;
  std::vector<uint8_t> in_;
  size_t in_pos_ = 0, in_len_ = 0;
  bool in_eof_ = false;
  std::vector<uint8_t> out_;
  size_t out_pos_ = 0, out_len_ = 0;
  bool started_ = false;
  bool ended_ = false;
  uint8_t head_[4] = {};  // the first uncompressed bytes
  uint64_t bytes_ = 0;
  std::unique_ptr<Sha256> hash_;
  std::unique_ptr<GunzipStream> gunzip_;
  std::unique_ptr<ZstdStream> zstd_;

  bool read_some(uint8_t* buf, size_t cap, size_t* len);
  void start();
  size_t decompress();
  void account(const uint8_t* p, size_t n);
};

}  // namespace hutch
