// The N-API surface of hutch.node: argument checking, conversion, and turning
// SysError into JS errors through the factory JS installs (JS owns the error
// classes, as in better-sqlite3). The work itself lives in the other files.
#include <napi.h>
#include <sys/wait.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "lock.h"
#include "memfd.h"
#include "passwd.h"
#include "probes.h"
#include "spawn.h"
#include "sys-error.h"
#include "xattr.h"
#include "zstd.h"

#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 32))
#define HUTCH_HAVE_STRERRORNAME_NP 1
#else
#include <uv.h>
#endif

namespace {

using hutch::SysError;

// zstd output handed to JS per push() call before it must ask again, so one
// small but highly compressed input chunk cannot allocate unbounded memory.
constexpr size_t kZstdOutputBudget = 1 << 20;

struct AddonData {
  Napi::FunctionReference error_factory;
  Napi::FunctionReference zstd_constructor;
};

std::string errno_name(int err) {
#ifdef HUTCH_HAVE_STRERRORNAME_NP
  const char* name = strerrorname_np(err);
  return name != nullptr ? name : "E" + std::to_string(err);
#else
  char buf[64];
  uv_err_name_r(-err, buf, sizeof buf);
  return buf;
#endif
}

std::string errno_text(int err) {
  char buf[256];
  return strerror_r(err, buf, sizeof buf);
}

Napi::Value make_error(Napi::Env env, const SysError& e) {
  std::string code = errno_name(e.err);
  std::string detail = e.detail.empty() ? errno_text(e.err) : e.detail;
  auto* data = env.GetInstanceData<AddonData>();
  if (data != nullptr && !data->error_factory.IsEmpty()) {
    Napi::Value path = e.path.empty() ? env.Undefined() : Napi::String::New(env, e.path);
    return data->error_factory.Call({Napi::String::New(env, e.syscall), Napi::Number::New(env, e.err),
                                     Napi::String::New(env, code), path, Napi::String::New(env, detail)});
  }
  std::string message = e.syscall + (e.path.empty() ? "" : " `" + e.path + "`") + ": " + code + " (" + detail + ")";
  Napi::Error err = Napi::Error::New(env, message);
  err.Set("syscall", e.syscall);
  err.Set("errno", Napi::Number::New(env, e.err));
  err.Set("code", code);
  if (!e.path.empty()) err.Set("path", e.path);
  return err.Value();
}

void throw_sys(Napi::Env env, const SysError& e) {
  Napi::Value err = make_error(env, e);
  if (env.IsExceptionPending()) return;  // the factory itself threw
  Napi::Error(env, err).ThrowAsJavaScriptException();
}

void throw_type(Napi::Env env, const char* message) { Napi::TypeError::New(env, message).ThrowAsJavaScriptException(); }

// Runs fn, converting a SysError into a pending JS exception.
template <typename Fn>
Napi::Value guarded(Napi::Env env, Fn fn) {
  try {
    return fn();
  } catch (const SysError& e) {
    throw_sys(env, e);
    return env.Undefined();
  }
}

bool arg_string(const Napi::CallbackInfo& info, size_t i, const char* what, std::string& out) {
  if (info.Length() <= i || !info[i].IsString()) {
    throw_type(info.Env(), what);
    return false;
  }
  out = info[i].As<Napi::String>().Utf8Value();
  return true;
}

bool arg_no_follow(const Napi::CallbackInfo& info, size_t i) {
  if (info.Length() <= i || !info[i].IsObject()) return false;
  Napi::Value v = info[i].As<Napi::Object>().Get("noFollow");
  return v.IsBoolean() && v.As<Napi::Boolean>().Value();
}

bool arg_fd(const Napi::CallbackInfo& info, int& fd) {
  if (info.Length() < 1 || !info[0].IsNumber()) {
    throw_type(info.Env(), "fd must be a number");
    return false;
  }
  fd = info[0].As<Napi::Number>().Int32Value();
  return true;
}

bool arg_lock_op(const Napi::CallbackInfo& info, bool allow_unlock, hutch::LockOp& op) {
  std::string name;
  if (info.Length() > 1 && info[1].IsString()) name = info[1].As<Napi::String>().Utf8Value();
  if (name == "shared") {
    op = hutch::LockOp::Shared;
  } else if (name == "exclusive") {
    op = hutch::LockOp::Exclusive;
  } else if (name == "unlock" && allow_unlock) {
    op = hutch::LockOp::Unlock;
  } else {
    throw_type(info.Env(), allow_unlock ? "operation must be 'shared', 'exclusive' or 'unlock'"
                                        : "operation must be 'shared' or 'exclusive'");
    return false;
  }
  return true;
}

Napi::Value SetErrorFactory(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsFunction()) {
    throw_type(env, "setErrorFactory expects a function");
    return env.Undefined();
  }
  env.GetInstanceData<AddonData>()->error_factory = Napi::Persistent(info[0].As<Napi::Function>());
  return env.Undefined();
}

Napi::Object probe_to_js(Napi::Env env, const hutch::ProbeOutcome& p) {
  Napi::Object out = Napi::Object::New(env);
  out.Set("ok", p.ok);
  if (!p.ok) {
    out.Set("syscall", p.syscall);
    out.Set("errno", Napi::Number::New(env, p.err));
    out.Set("code", errno_name(p.err));
    if (!p.detail.empty()) out.Set("detail", p.detail);
  }
  if (!p.libseccomp_version.empty()) out.Set("libseccompVersion", p.libseccomp_version);
  return out;
}

Napi::Value ProbeUserNamespace(const Napi::CallbackInfo& info) {
  return probe_to_js(info.Env(), hutch::probe_user_namespace());
}

Napi::Value ProbeOverlayInUserNamespace(const Napi::CallbackInfo& info) {
  std::string lower, upper, work, merged;
  if (!arg_string(info, 0, "lower must be a string", lower) || !arg_string(info, 1, "upper must be a string", upper) ||
      !arg_string(info, 2, "work must be a string", work) || !arg_string(info, 3, "merged must be a string", merged))
    return info.Env().Undefined();
  return probe_to_js(info.Env(), hutch::probe_overlay_in_user_namespace(lower, upper, work, merged));
}

Napi::Value ProbeFuseInUserNamespace(const Napi::CallbackInfo& info) {
  std::string merged;
  if (!arg_string(info, 0, "merged must be a string", merged)) return info.Env().Undefined();
  return probe_to_js(info.Env(), hutch::probe_fuse_in_user_namespace(merged));
}

Napi::Value ProbeSeccomp(const Napi::CallbackInfo& info) { return probe_to_js(info.Env(), hutch::probe_seccomp()); }

Napi::Value Getxattr(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path, name;
  if (!arg_string(info, 0, "path must be a string", path) || !arg_string(info, 1, "name must be a string", name))
    return env.Undefined();
  bool no_follow = arg_no_follow(info, 2);
  return guarded(env, [&]() -> Napi::Value {
    auto value = hutch::xattr_get(path, name, no_follow);
    if (!value) return env.Null();
    return Napi::Buffer<char>::Copy(env, value->data(), value->size());
  });
}

Napi::Value Setxattr(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path, name;
  if (!arg_string(info, 0, "path must be a string", path) || !arg_string(info, 1, "name must be a string", name))
    return env.Undefined();
  if (info.Length() < 3 || !info[2].IsBuffer()) {
    throw_type(env, "value must be a Buffer");
    return env.Undefined();
  }
  auto value = info[2].As<Napi::Buffer<char>>();
  bool no_follow = arg_no_follow(info, 3);
  return guarded(env, [&]() -> Napi::Value {
    hutch::xattr_set(path, name, value.Data(), value.Length(), no_follow);
    return env.Undefined();
  });
}

Napi::Value Listxattr(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path;
  if (!arg_string(info, 0, "path must be a string", path)) return env.Undefined();
  bool no_follow = arg_no_follow(info, 1);
  return guarded(env, [&]() -> Napi::Value {
    auto names = hutch::xattr_list(path, no_follow);
    Napi::Array out = Napi::Array::New(env, names.size());
    for (size_t i = 0; i < names.size(); i++) out.Set(static_cast<uint32_t>(i), names[i]);
    return out;
  });
}

Napi::Value Removexattr(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path, name;
  if (!arg_string(info, 0, "path must be a string", path) || !arg_string(info, 1, "name must be a string", name))
    return env.Undefined();
  bool no_follow = arg_no_follow(info, 2);
  return guarded(env, [&]() -> Napi::Value {
    hutch::xattr_remove(path, name, no_follow);
    return env.Undefined();
  });
}

Napi::Value Flock(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd;
  hutch::LockOp op;
  if (!arg_fd(info, fd) || !arg_lock_op(info, true, op)) return env.Undefined();
  bool non_blocking = info.Length() > 2 && info[2].IsBoolean() && info[2].As<Napi::Boolean>().Value();
  return guarded(env, [&]() -> Napi::Value { return Napi::Boolean::New(env, hutch::flock_fd(fd, op, non_blocking)); });
}

// A waiting flockAsync: filled on its own thread, settled on the main thread.
struct FlockWait {
  Napi::Promise::Deferred deferred;
  int fd;
  hutch::LockOp op;
  int err;
};

void settle_flock(Napi::Env env, Napi::Function, std::nullptr_t*, FlockWait* raw) {
  std::unique_ptr<FlockWait> wait(raw);
  if (env == nullptr) return;  // the environment is being torn down
  if (wait->err == 0) {
    wait->deferred.Resolve(env.Undefined());
    return;
  }
  Napi::Value error = make_error(env, SysError(hutch::lock_verb(wait->op), wait->err, "fd " + std::to_string(wait->fd)));
  if (env.IsExceptionPending()) error = env.GetAndClearPendingException().Value();
  wait->deferred.Reject(error);
}

using FlockTsfn = Napi::TypedThreadSafeFunction<std::nullptr_t, FlockWait, settle_flock>;

// A contended lock is awaited on a detached thread of its own, not a libuv
// pool thread (Napi::AsyncWorker): exit() joins the pool threads, so a pool
// thread blocked in flock would hang process.exit() (e.g. on Ctrl-C) forever,
// and a few waiters would starve fs work. An uncontended lock is taken here.
Napi::Value FlockAsync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd;
  hutch::LockOp op;
  if (!arg_fd(info, fd) || !arg_lock_op(info, false, op)) return env.Undefined();
  auto deferred = Napi::Promise::Deferred::New(env);
  Napi::Promise promise = deferred.Promise();
  try {
    if (hutch::flock_fd(fd, op, true)) {
      deferred.Resolve(env.Undefined());
      return promise;
    }
  } catch (const SysError& e) {
    Napi::Value error = make_error(env, e);
    if (env.IsExceptionPending()) return env.Undefined();
    deferred.Reject(error);
    return promise;
  }
  auto* wait = new FlockWait{deferred, fd, op, 0};
  FlockTsfn tsfn = FlockTsfn::New(env, "hutch:flock", 0, 1);
  std::thread([tsfn, wait]() mutable {
    wait->err = hutch::flock_wait(wait->fd, wait->op);
    if (tsfn.BlockingCall(wait) != napi_ok) delete wait;
    tsfn.Release();
  }).detach();
  return promise;
}

Napi::Value ZstdAvailable(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), hutch::zstd_available());
}

class ZstdDecompressor : public Napi::ObjectWrap<ZstdDecompressor> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "ZstdDecompressor",
                       {InstanceMethod("push", &ZstdDecompressor::Push), InstanceMethod("end", &ZstdDecompressor::End)});
  }

  explicit ZstdDecompressor(const Napi::CallbackInfo& info) : Napi::ObjectWrap<ZstdDecompressor>(info) {
    Napi::Env env = info.Env();
    int window_log_max = hutch::kZstdDefaultWindowLogMax;
    if (info.Length() > 0 && info[0].IsObject()) {
      Napi::Value v = info[0].As<Napi::Object>().Get("windowLogMax");
      if (v.IsNumber()) window_log_max = v.As<Napi::Number>().Int32Value();
    }
    try {
      stream_ = std::make_unique<hutch::ZstdStream>(window_log_max);
    } catch (const SysError& e) {
      throw_sys(env, e);
    }
  }

 private:
  std::unique_ptr<hutch::ZstdStream> stream_;

  Napi::Value Push(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsBuffer()) {
      throw_type(env, "push expects a Buffer");
      return env.Undefined();
    }
    auto chunk = info[0].As<Napi::Buffer<uint8_t>>();
    return guarded(env, [&]() -> Napi::Value {
      Napi::Array out = Napi::Array::New(env);
      uint32_t n = 0;
      stream_->step(chunk.Data(), chunk.Length(), kZstdOutputBudget, [&](const uint8_t* data, size_t len) {
        out.Set(n++, Napi::Buffer<uint8_t>::Copy(env, data, len));
      });
      return out;
    });
  }

  Napi::Value End(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    return guarded(env, [&]() -> Napi::Value {
      stream_->finish();
      return env.Undefined();
    });
  }
};

Napi::Value CreateZstdDecompressor(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Value options = info.Length() > 0 ? info[0] : env.Undefined();
  return env.GetInstanceData<AddonData>()->zstd_constructor.New({options});
}

Napi::Value PasswdName(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) {
    throw_type(env, "uid must be a number");
    return env.Undefined();
  }
  auto uid = static_cast<uid_t>(info[0].As<Napi::Number>().Uint32Value());
  return guarded(env, [&]() -> Napi::Value {
    auto name = hutch::passwd_name(uid);
    return name ? Napi::String::New(env, *name) : env.Null();
  });
}

Napi::Value SealedExecutable(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path;
  if (!arg_string(info, 0, "path must be a string", path)) return env.Undefined();
  return guarded(env, [&]() -> Napi::Value { return Napi::Number::New(env, hutch::sealed_executable(path)); });
}

// A child being waited for: its pid, filled by the waiting thread with waitid's errno.
struct ChildWait {
  pid_t pid;
  int err;
};

// Runs on the main thread once the child has exited: reaping it here, in the
// same call that tells JS, means no JS code ever sees a reaped pid as alive.
void settle_child(Napi::Env env, Napi::Function on_exit, std::nullptr_t*, ChildWait* raw) {
  std::unique_ptr<ChildWait> wait(raw);
  if (env == nullptr) return;  // the environment is being torn down
  int status = wait->err == 0 ? hutch::reap(wait->pid) : -wait->err;
  if (status < 0) {
    const char* verb = wait->err == 0 ? "waitpid" : "waitid";
    Napi::Value error = make_error(env, SysError(verb, -status, "pid " + std::to_string(wait->pid)));
    if (env.IsExceptionPending()) error = env.GetAndClearPendingException().Value();
    on_exit.Call({error, env.Null(), env.Null()});
    return;
  }
  Napi::Value code = WIFEXITED(status) ? Napi::Number::New(env, WEXITSTATUS(status)) : env.Null();
  Napi::Value signal = WIFSIGNALED(status) ? Napi::Number::New(env, WTERMSIG(status)) : env.Null();
  on_exit.Call({env.Null(), code, signal});
}

using ChildTsfn = Napi::TypedThreadSafeFunction<std::nullptr_t, ChildWait, settle_child>;

bool arg_option(const Napi::Object& options, const char* name) {
  Napi::Value v = options.Get(name);
  return v.IsBoolean() && v.As<Napi::Boolean>().Value();
}

// The child is awaited on a detached thread of its own (see FlockAsync for why
// not a pool thread); the pending wait keeps the event loop alive.
Napi::Value SpawnProcess(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string file;
  if (!arg_string(info, 0, "file must be a string", file)) return env.Undefined();
  if (info.Length() < 4 || !info[1].IsArray() || !info[2].IsObject() || !info[3].IsFunction()) {
    throw_type(env, "spawnProcess expects (file, argv, options, onExit)");
    return env.Undefined();
  }
  Napi::Array list = info[1].As<Napi::Array>();
  std::vector<std::string> argv;
  for (uint32_t i = 0; i < list.Length(); i++) {
    Napi::Value arg = list.Get(i);
    if (!arg.IsString()) {
      throw_type(env, "argv must hold strings");
      return env.Undefined();
    }
    argv.push_back(arg.As<Napi::String>().Utf8Value());
  }
  Napi::Object options = info[2].As<Napi::Object>();
  hutch::SpawnOptions spawn_options;
  spawn_options.null_stdin = arg_option(options, "nullStdin");
  spawn_options.new_session = arg_option(options, "newSession");
  return guarded(env, [&]() -> Napi::Value {
    pid_t pid = hutch::spawn_process(file, argv, spawn_options);
    auto* wait = new ChildWait{pid, 0};
    ChildTsfn tsfn = ChildTsfn::New(env, info[3].As<Napi::Function>(), "hutch:child", 0, 1);
    std::thread([tsfn, wait]() mutable {
      wait->err = hutch::wait_exited(wait->pid);
      if (tsfn.BlockingCall(wait) != napi_ok) delete wait;
      tsfn.Release();
    }).detach();
    return Napi::Number::New(env, pid);
  });
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  auto* data = new AddonData();
  data->zstd_constructor = Napi::Persistent(ZstdDecompressor::Define(env));
  env.SetInstanceData<AddonData>(data);

  exports.Set("setErrorFactory", Napi::Function::New(env, SetErrorFactory, "setErrorFactory"));
  exports.Set("probeUserNamespace", Napi::Function::New(env, ProbeUserNamespace, "probeUserNamespace"));
  exports.Set("probeOverlayInUserNamespace",
              Napi::Function::New(env, ProbeOverlayInUserNamespace, "probeOverlayInUserNamespace"));
  exports.Set("probeFuseInUserNamespace", Napi::Function::New(env, ProbeFuseInUserNamespace, "probeFuseInUserNamespace"));
  exports.Set("probeSeccomp", Napi::Function::New(env, ProbeSeccomp, "probeSeccomp"));
  exports.Set("getxattr", Napi::Function::New(env, Getxattr, "getxattr"));
  exports.Set("setxattr", Napi::Function::New(env, Setxattr, "setxattr"));
  exports.Set("listxattr", Napi::Function::New(env, Listxattr, "listxattr"));
  exports.Set("removexattr", Napi::Function::New(env, Removexattr, "removexattr"));
  exports.Set("flock", Napi::Function::New(env, Flock, "flock"));
  exports.Set("flockAsync", Napi::Function::New(env, FlockAsync, "flockAsync"));
  exports.Set("zstdAvailable", Napi::Function::New(env, ZstdAvailable, "zstdAvailable"));
  exports.Set("createZstdDecompressor", Napi::Function::New(env, CreateZstdDecompressor, "createZstdDecompressor"));
  exports.Set("spawnProcess", Napi::Function::New(env, SpawnProcess, "spawnProcess"));
  exports.Set("passwdName", Napi::Function::New(env, PasswdName, "passwdName"));
  exports.Set("sealedExecutable", Napi::Function::New(env, SealedExecutable, "sealedExecutable"));
  return exports;
}

}  // namespace

NODE_API_MODULE(hutch, Init)
