// zlib's inflate API through dlopen with our own prototypes. z_stream below is
// the layout of zlib.h (stable since zlib 1.0); inflateInit2_ checks it
// against the library through its stream_size argument.
#include "gunzip.h"

#include <cerrno>
#include <algorithm>
#include <mutex>

#include "dl-library.h"
#include "sys-error.h"

namespace hutch {

namespace {

struct ZStream {
  const uint8_t* next_in;
  unsigned avail_in;
  unsigned long total_in;
  uint8_t* next_out;
  unsigned avail_out;
  unsigned long total_out;
  const char* msg;
  void* state;
  void* zalloc;
  void* zfree;
  void* opaque;
  int data_type;
  unsigned long adler;
  unsigned long reserved;
};

// zlib.h constants.
constexpr int kOk = 0;
constexpr int kStreamEnd = 1;
constexpr int kBufError = -5;
constexpr int kNoFlush = 0;
// 15-bit window, +16: gzip wrapper only (the magic bytes were checked already).
constexpr int kGzipWindowBits = 15 + 16;

struct Api {
  const char* (*version)();
  int (*init2)(ZStream*, int, const char*, int);
  int (*inflate)(ZStream*, int);
  int (*reset)(ZStream*);
  int (*end)(ZStream*);
};

std::once_flag load_once;
Api api;
bool loaded = false;
std::string load_error;

void load() {
  void* lib = open_library({"libz.so.1"}, &load_error);
  if (lib == nullptr) return;
  auto bind = [&](const char* name, auto& slot) { return bind_symbol(lib, "libz.so.1", name, slot, &load_error); };
  loaded = bind("zlibVersion", api.version) && bind("inflateInit2_", api.init2) && bind("inflate", api.inflate) &&
           bind("inflateReset", api.reset) && bind("inflateEnd", api.end);
  if (!loaded) dlclose(lib);
}

const char* kVerb = "gzip decompress";

ZStream* zs(void* p) { return static_cast<ZStream*>(p); }

}  // namespace

bool zlib_available(std::string* why) {
  std::call_once(load_once, load);
  if (!loaded && why != nullptr) *why = load_error;
  return loaded;
}

GunzipStream::GunzipStream() {
  std::string why;
  if (!zlib_available(&why)) throw SysError("dlopen libz.so.1", ENOENT, "", why);
  ZStream* s = new ZStream{};
  int rc = api.init2(s, kGzipWindowBits, api.version(), static_cast<int>(sizeof(ZStream)));
  if (rc != kOk) {
    delete s;
    throw SysError("inflateInit2", rc == -4 ? ENOMEM : EINVAL, "", "zlib refused to initialise (error " + std::to_string(rc) + ")");
  }
  stream_ = s;
}

GunzipStream::~GunzipStream() {
  api.end(zs(stream_));
  delete zs(stream_);
}

size_t GunzipStream::inflate_some(const uint8_t** in, size_t* in_len, uint8_t* out, size_t out_len) {
  ZStream* s = zs(stream_);
  if (*in_len > 0) saw_input_ = true;
  size_t produced = 0;
  while (produced < out_len && (*in_len > 0 || output_pending_)) {
    if (member_done_) {
      if (*in_len == 0) break;
      // Node's gunzip: zero bytes after a member are padding; anything else starts another member.
      if (in_padding_ || **in == 0) {
        in_padding_ = true;
        for (; *in_len > 0; ++*in, --*in_len) {
          if (**in != 0) throw SysError(kVerb, EBADMSG, "", "trailing garbage after the gzip data");
        }
        return produced;
      }
      if (api.reset(s) != kOk) throw SysError(kVerb, EINVAL, "", "inflateReset failed");
      member_done_ = false;
    }
    s->next_in = *in;
    s->avail_in = static_cast<unsigned>(std::min<size_t>(*in_len, 1u << 30));
    s->next_out = out + produced;
    s->avail_out = static_cast<unsigned>(std::min<size_t>(out_len - produced, 1u << 30));
    unsigned in_before = s->avail_in, out_before = s->avail_out;
    int rc = api.inflate(s, kNoFlush);
    size_t used = in_before - s->avail_in;
    *in += used;
    *in_len -= used;
    produced += out_before - s->avail_out;
    // A full output buffer may leave decoded bytes inside zlib even when all input was consumed.
    output_pending_ = s->avail_out == 0;
    if (rc == kStreamEnd) {
      member_done_ = true;
      output_pending_ = false;
      continue;
    }
    if (rc == kBufError) {
      output_pending_ = false;
      break;
    }
    if (rc != kOk) {
      throw SysError(kVerb, EBADMSG, "", std::string("corrupt gzip data: ") + (s->msg != nullptr ? s->msg : "error " + std::to_string(rc)));
    }
  }
  return produced;
}

void GunzipStream::finish() const {
  if (!saw_input_) throw SysError(kVerb, EBADMSG, "", "empty input, no gzip member");
  if (!member_done_) throw SysError(kVerb, EBADMSG, "", "truncated gzip stream (unexpected end of file)");
}

}  // namespace hutch
