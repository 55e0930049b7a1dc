#include "layer-stream.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "layer-failure.h"
#include "runtime-error.h"
#include "sys-error.h"

namespace hutch {

namespace {

constexpr size_t kInputSize = 256 * 1024;
constexpr size_t kOutputSize = 512 * 1024;

const char* compression_name(Compression c) {
  return c == Compression::kGzip ? "gzip" : c == Compression::kZstd ? "zstd" : "none";
}

// What the first bytes of a blob show (src/storage/layer-decompress.ts detectCompression).
Compression detect(const uint8_t* head, size_t len) {
  if (len >= 2 && head[0] == 0x1f && head[1] == 0x8b) return Compression::kGzip;
  if (len == 4 && head[0] == 0x28 && head[1] == 0xb5 && head[2] == 0x2f && head[3] == 0xfd) return Compression::kZstd;
  // RFC 8878 §3.1.2: a skippable frame (magic 0x184D2A5?, little-endian) may start a zstd stream.
  if (len == 4 && (head[0] & 0xf0) == 0x50 && head[1] == 0x2a && head[2] == 0x4d && head[3] == 0x18) return Compression::kZstd;
  return Compression::kNone;
}

// Turns a decompressor's SysError into the failure the layer reports.
[[noreturn]] void data_failure(const std::string& what, const SysError& e) {
  if (e.syscall == "dlopen libzstd.so.1") {
    throw host_failure("ENOZSTD", "cannot decompress zstd layers: libzstd.so.1 is not installed (" + e.detail + ")",
                       "install libzstd1 (apt-get install libzstd1 / dnf install libzstd)");
  }
  if (e.syscall == "dlopen libcrypto.so.3") {
    throw host_failure("ENOCRYPTO", "cannot compute layer digests: libcrypto (OpenSSL 3 or 1.1) is not installed (" + e.detail + ")",
                       "install OpenSSL's library (apt-get install libssl3 / dnf install openssl-libs)");
  }
  if (e.syscall == "dlopen libz.so.1") {
    throw host_failure("ENOZLIB", "cannot decompress gzip layers: libz.so.1 is not installed (" + e.detail + ")",
                       "install zlib (apt-get install zlib1g / dnf install zlib)");
  }
  std::string detail = e.detail.empty() ? errno_text(e.err) : e.detail;
  throw invalid_content(what + ": cannot read the layer data: " + detail);
}

}  // namespace

LayerStream::LayerStream(int fd, Compression compression, const std::string& layer_digest, const StreamLimits& limits)
    : fd_(fd), compression_(compression), what_("layer " + layer_digest), limits_(limits), out_(kOutputSize) {
  if (compression_ != Compression::kNone) in_.resize(kInputSize);
  try {
    hash_.reset(new Sha256());
    if (compression_ == Compression::kGzip) gunzip_.reset(new GunzipStream());
    if (compression_ == Compression::kZstd) zstd_.reset(new ZstdStream(kZstdDefaultWindowLogMax));
  } catch (const SysError& e) {
    data_failure(what_, e);
  }
}

// Appends what the next read(2) returns to buf (at *len); false at the end of the blob.
bool LayerStream::read_some(uint8_t* buf, size_t cap, size_t* len) {
  for (;;) {
    ssize_t n = read(fd_, buf + *len, cap - *len);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw invalid_content(what_ + ": cannot read the layer data: read stdin: " + errno_text(errno));
    if (n == 0) in_eof_ = true;
    *len += static_cast<size_t>(n);
    return n > 0;
  }
}

// Reads the blob's first bytes (4, or all of a shorter blob) and checks them
// before any byte is decompressed or parsed.
void LayerStream::start() {
  started_ = true;
  const bool raw = compression_ == Compression::kNone;
  std::vector<uint8_t>& buf = raw ? out_ : in_;
  size_t len = 0;
  while (len < sizeof head_ && read_some(buf.data(), buf.size(), &len)) {
  }
  uint8_t head[sizeof head_];
  size_t head_len = std::min(len, sizeof head);
  memcpy(head, buf.data(), head_len);
  Compression actual = detect(head, head_len);
  if (actual != compression_) {
    std::string expected = raw ? "uncompressed tar" : compression_name(compression_);
    std::string found = actual == Compression::kNone ? std::string("not ") + compression_name(compression_) : compression_name(actual);
    throw invalid_content(what_ + ": its media type says " + expected + ", but the data is " + found,
                          "the manifest declares the wrong media type for this layer; the image is malformed");
  }
  if (raw) out_len_ = len;
  else in_len_ = len;
}

size_t LayerStream::decompress() {
  uint8_t* out = out_.data();
  const size_t cap = out_.size();
  try {
    for (;;) {
      if (in_pos_ == in_len_ && !in_eof_) {
        in_pos_ = in_len_ = 0;
        read_some(in_.data(), in_.size(), &in_len_);
      }
      size_t produced = 0;
      if (gunzip_) {
        const uint8_t* in = in_.data() + in_pos_;
        size_t len = in_len_ - in_pos_;
        produced = gunzip_->inflate_some(&in, &len, out, cap);
        in_pos_ = in_len_ - len;
        if (produced > 0) return produced;
        if (in_pos_ == in_len_ && in_eof_) {
          gunzip_->finish();
          return 0;
        }
      } else {
        // ZstdStream queues unconsumed input itself and, with a budget of one
        // byte, emits at most one block (ZSTD_DStreamOutSize, 128 KiB) per call.
        auto emit = [&](const uint8_t* p, size_t n) {
          if (produced + n > cap) throw SysError("zstd decompress", EOVERFLOW, "", "a decoded block is larger than the output buffer");
          memcpy(out + produced, p, n);
          produced += n;
        };
        zstd_->step(in_.data() + in_pos_, in_len_ - in_pos_, 1, emit);
        in_pos_ = in_len_;
        if (produced > 0) return produced;
        // Nothing more came out and no input is left: the stream must end on a frame boundary.
        if (in_eof_) {
          zstd_->finish();
          return 0;
        }
      }
    }
  } catch (const SysError& e) {
    data_failure(what_, e);
  }
}

void LayerStream::account(const uint8_t* p, size_t n) {
  if (bytes_ < sizeof head_) {
    // A tar is never gzip or zstd: a layer compressed twice would bypass the caps of its inner stream.
    size_t i = 0;
    for (; bytes_ + i < sizeof head_ && i < n; i++) head_[bytes_ + i] = p[i];
    size_t have = static_cast<size_t>(bytes_) + i;
    bool gzip = have >= 2 && head_[0] == 0x1f && head_[1] == 0x8b;
    bool zstd = have == 4 && head_[0] == 0x28 && head_[1] == 0xb5 && head_[2] == 0x2f && head_[3] == 0xfd;
    if (gzip || zstd) throw invalid_content(what_ + ": the uncompressed layer data is itself compressed (doubly compressed layer)");
  }
  bytes_ += n;
  hash_->update(p, n);
  if (bytes_ > limits_.max_bytes) {
    throw invalid_content(what_ + ": uncompressed size exceeds the limit of " + std::to_string(limits_.max_bytes) + " bytes");
  }
  const uint64_t c = limits_.compressed_size;
  if (c > 0 && bytes_ > limits_.ratio_floor && static_cast<unsigned __int128>(bytes_) > static_cast<unsigned __int128>(c) * limits_.max_ratio) {
    throw invalid_content(what_ + ": uncompressed size exceeds " + std::to_string(limits_.max_ratio) +
                          " times the compressed size of " + std::to_string(c) + " bytes (decompression bomb?)");
  }
}

bool LayerStream::fill() {
  if (out_pos_ < out_len_) return true;
  if (ended_) return false;
  out_pos_ = out_len_ = 0;
  if (!started_) start();
  if (compression_ == Compression::kNone) {
    if (out_len_ == 0 && (in_eof_ || !read_some(out_.data(), out_.size(), &out_len_))) ended_ = true;
  } else {
    out_len_ = decompress();
    if (out_len_ == 0) ended_ = true;
  }
  if (ended_) return false;
  account(out_.data(), out_len_);
  return true;
}

void LayerStream::drain() {
  while (fill()) consume(available());
}

}  // namespace hutch
