// zstd streaming API through dlopen with our own prototypes. The prototypes
// below are the stable ABI of zstd.h (ZSTD_DStream is ZSTD_DCtx since 1.3.0,
// ZSTD_DCtx_setParameter stable since 1.4.0).
#include "zstd.h"

#include <cerrno>
#include <mutex>

#include "dl-library.h"
#include "sys-error.h"

namespace hutch {

namespace {

struct InBuffer {
  const void* src;
  size_t size;
  size_t pos;
};

struct OutBuffer {
  void* dst;
  size_t size;
  size_t pos;
};

// zstd.h: ZSTD_d_windowLogMax; zstd_errors.h: ZSTD_error_frameParameter_windowTooLarge.
constexpr int kParamWindowLogMax = 100;
constexpr int kErrorWindowTooLarge = 16;
// zstd.h: ZSTD_WINDOWLOG_LIMIT_DEFAULT .. ZSTD_WINDOWLOG_MAX_64.
constexpr int kWindowLogMin = 10;
constexpr int kWindowLogMax = 31;

struct Api {
  void* (*createDStream)();
  size_t (*initDStream)(void*);
  size_t (*decompressStream)(void*, OutBuffer*, InBuffer*);
  size_t (*freeDStream)(void*);
  unsigned (*isError)(size_t);
  const char* (*getErrorName)(size_t);
  int (*getErrorCode)(size_t);
  size_t (*dStreamOutSize)();
  size_t (*setParameter)(void*, int, int);
};

std::once_flag load_once;
Api api;
bool loaded = false;
std::string load_error;

template <typename Fn>
bool bind(void* lib, const char* name, Fn& slot) {
  if (bind_symbol(lib, "libzstd.so.1", name, slot, &load_error)) return true;
  load_error += " (need zstd >= 1.4.0)";
  return false;
}

void load() {
  void* lib = open_library({"libzstd.so.1"}, &load_error);
  if (lib == nullptr) return;
  loaded = bind(lib, "ZSTD_createDStream", api.createDStream) && bind(lib, "ZSTD_initDStream", api.initDStream) &&
           bind(lib, "ZSTD_decompressStream", api.decompressStream) &&
           bind(lib, "ZSTD_freeDStream", api.freeDStream) && bind(lib, "ZSTD_isError", api.isError) &&
           bind(lib, "ZSTD_getErrorName", api.getErrorName) && bind(lib, "ZSTD_getErrorCode", api.getErrorCode) &&
           bind(lib, "ZSTD_DStreamOutSize", api.dStreamOutSize) &&
           bind(lib, "ZSTD_DCtx_setParameter", api.setParameter);
  if (!loaded) dlclose(lib);
}

const char* kVerb = "zstd decompress";

}  // namespace

bool zstd_available(std::string* why) {
  std::call_once(load_once, load);
  if (!loaded && why != nullptr) *why = load_error;
  return loaded;
}

ZstdStream::ZstdStream(int window_log_max) : window_log_max_(window_log_max) {
  std::string why;
  if (!zstd_available(&why)) throw SysError("dlopen libzstd.so.1", ENOENT, "", why);
  if (window_log_max < kWindowLogMin || window_log_max > kWindowLogMax)
    throw SysError(kVerb, EINVAL, "", "windowLogMax must be between 10 and 31");
  stream_ = api.createDStream();
  if (stream_ == nullptr) throw SysError("ZSTD_createDStream", ENOMEM);
  size_t rc = api.initDStream(stream_);
  if (!api.isError(rc)) rc = api.setParameter(stream_, kParamWindowLogMax, window_log_max);
  if (api.isError(rc)) {
    std::string name = api.getErrorName(rc);
    api.freeDStream(stream_);
    stream_ = nullptr;
    throw SysError("ZSTD_initDStream", EINVAL, "", name);
  }
  out_.resize(api.dStreamOutSize());
}

ZstdStream::~ZstdStream() {
  if (stream_ != nullptr) api.freeDStream(stream_);
}

void ZstdStream::fail_with(size_t code) {
  failed_ = true;
  if (api.getErrorCode(code) == kErrorWindowTooLarge) {
    throw SysError(kVerb, EFBIG, "",
                   "frame window exceeds 2^" + std::to_string(window_log_max_) +
                       " bytes, refused to bound memory (" + api.getErrorName(code) + ")");
  }
  throw SysError(kVerb, EBADMSG, "", std::string("corrupt zstd data: ") + api.getErrorName(code));
}

bool ZstdStream::step(const uint8_t* data, size_t len, size_t output_budget,
                      const std::function<void(const uint8_t*, size_t)>& emit) {
  if (failed_) throw SysError(kVerb, EBADMSG, "", "stream already failed");
  if (len > 0) saw_input_ = true;

  // Decompress straight from the caller's buffer when nothing is queued, and
  // keep only the unconsumed tail.
  InBuffer in;
  bool from_queue = pending_pos_ < pending_.size();
  if (from_queue) {
    pending_.insert(pending_.end(), data, data + len);
    in = InBuffer{pending_.data(), pending_.size(), pending_pos_};
  } else {
    in = InBuffer{data, len, 0};
  }

  size_t produced = 0;
  while ((in.pos < in.size || output_may_remain_) && produced < output_budget) {
    OutBuffer out{out_.data(), out_.size(), 0};
    size_t before = in.pos;
    size_t rc = api.decompressStream(stream_, &out, &in);
    if (api.isError(rc)) fail_with(rc);
    output_may_remain_ = out.pos == out.size;
    // A call without progress after a finished frame returns the next
    // frame's header size, not 0: only calls that did something tell where
    // the stream stands.
    if (out.pos == 0 && in.pos == before) break;
    last_hint_ = rc;
    if (out.pos > 0) {
      emit(out_.data(), out.pos);
      produced += out.pos;
    }
  }

  if (from_queue) {
    pending_pos_ = in.pos;
  } else {
    pending_.assign(data + in.pos, data + in.size);
    pending_pos_ = 0;
  }
  if (pending_pos_ == pending_.size()) {
    pending_.clear();
    pending_pos_ = 0;
  }
  return pending_pos_ < pending_.size() || output_may_remain_;
}

void ZstdStream::finish() const {
  if (failed_) throw SysError(kVerb, EBADMSG, "", "stream already failed");
  if (!saw_input_) throw SysError(kVerb, EBADMSG, "", "empty input, no zstd frame");
  if (pending_pos_ < pending_.size() || output_may_remain_)
    throw SysError(kVerb, EBADMSG, "", "end() called before all input was decompressed");
  if (last_hint_ != 0) throw SysError(kVerb, EBADMSG, "", "truncated zstd stream: input ended inside a frame");
}

}  // namespace hutch
