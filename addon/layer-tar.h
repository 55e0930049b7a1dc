// A strict, streaming reader of layer tars: POSIX ustar, GNU long names and
// links (`L`, `K`), PAX extended (`x`) and global (`g`) headers with byte-exact
// `SCHILY.xattr.*` values, octal and GNU base-256 numbers. Anything corrupt or
// truncated is an error (TarFormatError), never guessed at.
#pragma once

#include <time.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "layer-stream.h"

namespace hutch {

// The archive is malformed; the message says how (without the layer digest).
struct TarFormatError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// One file-system entry with its PAX/GNU overrides applied.
struct TarEntry {
  std::string path;      // as written, before any normalisation
  std::string linkpath;  // symlink target or hardlink target
  char type = '0';       // '0' file, '1' hardlink, '2' symlink, '3' char, '4' block, '5' dir, '6' fifo, '7', 'D'
  uint32_t mode = 0;
  uint64_t uid = 0, gid = 0;
  struct timespec mtime = {0, 0};
  struct timespec atime = {0, 0};
  bool has_atime = false;
  uint64_t size = 0;  // body bytes that follow this header
  std::vector<std::pair<std::string, std::string>> xattrs;  // SCHILY.xattr.<name> → raw value
};

class TarReader {
 public:
  explicit TarReader(LayerStream& in) : in_(in) {}

  // Reads the next entry's headers; false after the end-of-archive marker (or
  // a clean end of the data on a header boundary). The previous entry's body
  // must have been read or skipped.
  bool next(TarEntry* entry);

  // Passes the body of the current entry to fn(const uint8_t*, size_t) in
  // chunks, then skips its padding.
  template <typename Fn>
  void body(Fn&& fn) {
    while (remain_ > 0) {
      need_data();
      size_t n = static_cast<size_t>(std::min<uint64_t>(remain_, in_.available()));
      fn(in_.data(), n);
      in_.consume(n);
      remain_ -= n;
    }
    skip(padding_);
    padding_ = 0;
  }
  void skip_body();

 private:
  LayerStream& in_;
  uint64_t remain_ = 0;   // body bytes of the current entry not read yet
  uint64_t padding_ = 0;  // zero bytes after the body up to the next block
  std::string current_;   // the current entry's path, for truncation errors
  bool saw_header_ = false;
  bool ended_ = false;
  // PAX global header values that apply to every later entry.
  bool g_uid_ = false, g_gid_ = false, g_mtime_ = false, g_atime_ = false;
  uint64_t g_uid_value_ = 0, g_gid_value_ = 0;
  struct timespec g_mtime_value_ = {0, 0}, g_atime_value_ = {0, 0};
  std::vector<std::pair<std::string, std::string>> g_xattrs_;

  void need_data();
  // False at a clean end of the data before the block's first byte.
  bool read_block(char* block);
  void skip(uint64_t n);
  std::string read_meta(uint64_t size);
};

}  // namespace hutch
