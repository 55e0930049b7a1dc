#include "seccomp.h"

#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "dl-library.h"
#include "runtime-error.h"
#include "seccomp-cache.h"

namespace hutch {

namespace {

// ABI of libseccomp 2.x (seccomp.h), declared here so that no -dev package is
// needed at build time.
using ScmpCtx = void*;
enum ScmpCompare : int { kCmpNe = 1, kCmpLt = 2, kCmpLe = 3, kCmpEq = 4, kCmpGe = 5, kCmpGt = 6, kCmpMaskedEq = 7 };
struct ScmpArgCmp {
  unsigned int arg;
  ScmpCompare op;
  uint64_t datum_a;
  uint64_t datum_b;
};
constexpr uint32_t kActKillThread = 0x00000000U;
constexpr uint32_t kActKillProcess = 0x80000000U;
constexpr uint32_t kActTrap = 0x00030000U;
constexpr uint32_t kActErrnoBase = 0x00050000U;
constexpr uint32_t kActTraceBase = 0x7ff00000U;
constexpr uint32_t kActLog = 0x7ffc0000U;
constexpr uint32_t kActAllow = 0x7fff0000U;
struct ScmpVersion {
  unsigned int major, minor, micro;
};
constexpr int kAttrCtlNnp = 3;
constexpr int kAttrCtlLog = 6;
constexpr int kAttrCtlSsb = 7;
constexpr int kAttrCtlOptimize = 8;  // libseccomp >= 2.5.0
constexpr uint32_t kOptimizeBinaryTree = 2;

struct Lib {
  ScmpCtx (*init)(uint32_t);
  int (*arch_add)(ScmpCtx, uint32_t);
  int (*rule_add_array)(ScmpCtx, uint32_t, int, unsigned int, const ScmpArgCmp*);
  int (*resolve_name)(const char*);
  int (*resolve_name_arch)(uint32_t, const char*);
  uint32_t (*arch_native)();
  int (*export_bpf)(ScmpCtx, int);
  int (*load)(ScmpCtx);
  int (*attr_set)(ScmpCtx, int, uint32_t);
  void (*release)(ScmpCtx);
  const ScmpVersion* (*version)();
};

template <typename T>
void bind_symbol(void* handle, const char* name, T* out) {
  void* sym = dlsym(handle, name);
  if (sym == nullptr) throw RuntimeError(std::string("seccomp: libseccomp.so.2 lacks ") + name);
  *out = reinterpret_cast<T>(sym);
}

const Lib& lib() {
  static Lib l{};
  static bool loaded = false;
  if (loaded) return l;
  void* h = dlopen("libseccomp.so.2", kLibraryOpenFlags);
  if (h == nullptr) {
    throw RuntimeError(std::string("seccomp: cannot load libseccomp.so.2 (") + dlerror() +
                       "); install libseccomp2 or run with seccomp=unconfined");
  }
  bind_symbol(h, "seccomp_init", &l.init);
  bind_symbol(h, "seccomp_arch_add", &l.arch_add);
  bind_symbol(h, "seccomp_rule_add_array", &l.rule_add_array);
  bind_symbol(h, "seccomp_syscall_resolve_name", &l.resolve_name);
  bind_symbol(h, "seccomp_syscall_resolve_name_arch", &l.resolve_name_arch);
  bind_symbol(h, "seccomp_arch_native", &l.arch_native);
  bind_symbol(h, "seccomp_export_bpf", &l.export_bpf);
  bind_symbol(h, "seccomp_load", &l.load);
  bind_symbol(h, "seccomp_attr_set", &l.attr_set);
  bind_symbol(h, "seccomp_release", &l.release);
  bind_symbol(h, "seccomp_version", &l.version);
  loaded = true;
  return l;
}

struct ArchName {
  const char* name;
  uint32_t token;  // AUDIT_ARCH_* value, which is what libseccomp uses as SCMP_ARCH_*
};

constexpr ArchName kArches[] = {
    {"SCMP_ARCH_X86", 0x40000003U},     {"SCMP_ARCH_X86_64", 0xC000003EU}, {"SCMP_ARCH_X32", 0x4000003EU},
    {"SCMP_ARCH_ARM", 0x40000028U},     {"SCMP_ARCH_AARCH64", 0xC00000B7U}, {"SCMP_ARCH_PPC64LE", 0xC0000015U},
    {"SCMP_ARCH_PPC64", 0x80000015U},   {"SCMP_ARCH_PPC", 0x00000014U},     {"SCMP_ARCH_S390", 0x00000016U},
    {"SCMP_ARCH_S390X", 0x80000016U},   {"SCMP_ARCH_RISCV64", 0xC00000F3U}, {"SCMP_ARCH_MIPS", 0x00000008U},
    {"SCMP_ARCH_MIPSEL", 0x40000008U},  {"SCMP_ARCH_MIPS64", 0x80000008U},  {"SCMP_ARCH_MIPSEL64", 0xC0000008U},
};

// libseccomp's x32 token is its own; the kernel reports x32 calls as
// AUDIT_ARCH_X86_64 with this bit set in the syscall number.
constexpr uint32_t kArchX86_64 = 0xC000003EU;
constexpr uint32_t kArchX32 = 0x4000003EU;
constexpr uint32_t kX32SyscallBit = 0x40000000U;

uint32_t action_of(const std::string& name, bool has_errno, uint32_t errno_ret, const std::string& where) {
  if (name == "SCMP_ACT_ALLOW") return kActAllow;
  if (name == "SCMP_ACT_ERRNO") return kActErrnoBase | ((has_errno ? errno_ret : EPERM) & 0xffffU);
  if (name == "SCMP_ACT_KILL" || name == "SCMP_ACT_KILL_THREAD") return kActKillThread;
  if (name == "SCMP_ACT_KILL_PROCESS") return kActKillProcess;
  if (name == "SCMP_ACT_TRAP") return kActTrap;
  if (name == "SCMP_ACT_TRACE") return kActTraceBase | ((has_errno ? errno_ret : EPERM) & 0xffffU);
  if (name == "SCMP_ACT_LOG") return kActLog;
  throw RuntimeError("config.json: `" + where + "` " + name + " is not a supported seccomp action");
}

ScmpCompare compare_of(const std::string& op, const std::string& where) {
  if (op == "SCMP_CMP_NE") return kCmpNe;
  if (op == "SCMP_CMP_LT") return kCmpLt;
  if (op == "SCMP_CMP_LE") return kCmpLe;
  if (op == "SCMP_CMP_EQ") return kCmpEq;
  if (op == "SCMP_CMP_GE") return kCmpGe;
  if (op == "SCMP_CMP_GT") return kCmpGt;
  if (op == "SCMP_CMP_MASKED_EQ") return kCmpMaskedEq;
  throw RuntimeError("config.json: `" + where + "` " + op + " is not a seccomp comparison");
}

// The highest number any profile name has on `arch`, or -1 when none
// resolves there. Negative numbers are libseccomp's pseudo-syscalls (the
// multiplexed socketcall/ipc forms on x86) and are not kernel numbers.
int64_t highest_syscall(const Lib& l, const SeccompSpec& spec, uint32_t arch) {
  int64_t max = -1;
  for (const SeccompSyscallSpec& rule : spec.syscalls) {
    for (const std::string& name : rule.names) {
      int nr = l.resolve_name_arch(arch, name.c_str());
      if (nr > max) max = nr;
    }
  }
  return max;
}

sock_filter stmt(uint16_t code, uint32_t k) { return sock_filter{code, 0, 0, k}; }
sock_filter jump(uint16_t code, uint32_t k, uint8_t jt, uint8_t jf) { return sock_filter{code, jt, jf, k}; }

// runc's patchbpf stub, put in front of libseccomp's program: on each
// architecture of the filter, a syscall number above the highest one the
// profile knows returns ENOSYS, so that libc falls back from a syscall newer
// than the profile instead of failing with the default EPERM. Everything
// else falls through to libseccomp's program, which reloads what it needs.
std::vector<sock_filter> enosys_stub(const Lib& l, const SeccompSpec& spec, const std::vector<uint32_t>& arches) {
  const uint32_t ret_enosys = SECCOMP_RET_ERRNO | ENOSYS;
  const uint32_t nr_offset = offsetof(seccomp_data, nr);
  bool has_x32 = false;
  for (uint32_t a : arches) has_x32 = has_x32 || a == kArchX32;
  // Each block ends with "ja <end of stub>"; the offsets are patched once the length is known.
  std::vector<sock_filter> out{stmt(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch))};
  std::vector<size_t> to_end;
  auto compare_block = [&](int64_t max) {
    out.push_back(jump(BPF_JMP | BPF_JGT | BPF_K, static_cast<uint32_t>(max), 0, 1));
    out.push_back(stmt(BPF_RET | BPF_K, ret_enosys));
    to_end.push_back(out.size());
    out.push_back(stmt(BPF_JMP | BPF_JA, 0));
  };
  for (uint32_t arch : arches) {
    if (arch == kArchX32) continue;  // handled inside the x86-64 block
    int64_t max = highest_syscall(l, spec, arch);
    if (max < 0) continue;
    size_t start = out.size();
    out.push_back(jump(BPF_JMP | BPF_JEQ | BPF_K, arch, 0, 0));
    out.push_back(stmt(BPF_LD | BPF_W | BPF_ABS, nr_offset));
    if (arch == kArchX86_64) {
      int64_t max_x32 = has_x32 ? highest_syscall(l, spec, kArchX32) : -1;
      // jset: x32 call → the x32 comparison (or straight to libseccomp,
      // which treats x32 as a foreign architecture when it is not in the filter).
      size_t jset = out.size();
      out.push_back(jump(BPF_JMP | BPF_JSET | BPF_K, kX32SyscallBit, 0, 0));
      compare_block(max);
      out[jset].jt = static_cast<uint8_t>(out.size() - jset - 1);
      if (max_x32 >= 0) {
        compare_block(max_x32);
      } else {
        to_end.push_back(out.size());
        out.push_back(stmt(BPF_JMP | BPF_JA, 0));
      }
    } else {
      compare_block(max);
    }
    out[start].jf = static_cast<uint8_t>(out.size() - start - 1);
  }
  for (size_t i : to_end) out[i].k = static_cast<uint32_t>(out.size() - i - 1);
  return out;
}

// libseccomp's compiled program, read back through a memfd.
std::vector<sock_filter> export_program(const Lib& l, ScmpCtx ctx) {
  int fd = memfd_create("hutch-seccomp", MFD_CLOEXEC);
  if (fd < 0) throw sys_error_plain("memfd_create seccomp", errno);
  int rc = l.export_bpf(ctx, fd);
  if (rc < 0) {
    close(fd);
    throw sys_error_plain("seccomp_export_bpf", -rc);
  }
  std::vector<char> bytes;
  char buf[8192];
  ssize_t n;
  lseek(fd, 0, SEEK_SET);
  while ((n = read(fd, buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR)) {
    if (n > 0) bytes.insert(bytes.end(), buf, buf + n);
  }
  int err = errno;
  close(fd);
  if (n < 0) throw sys_error_plain("read seccomp program", err);
  std::vector<sock_filter> prog(bytes.size() / sizeof(sock_filter));
  memcpy(prog.data(), bytes.data(), prog.size() * sizeof(sock_filter));
  return prog;
}

std::string cache_key(const Lib& l, const SeccompSpec& spec) {
  const ScmpVersion* v = l.version();
  // The layout is named too: programs stored before it changed are not used.
  return seccomp_cache_key(spec, l.arch_native(),
                           std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->micro) + " binary-tree");
}

unsigned int filter_flags(const SeccompSpec& spec) {
  unsigned int flags = 0;
  for (const std::string& flag : spec.flags) {
    flags |= flag == "SECCOMP_FILTER_FLAG_LOG" ? SECCOMP_FILTER_FLAG_LOG : SECCOMP_FILTER_FLAG_SPEC_ALLOW;
  }
  return flags;
}

}  // namespace

struct SeccompFilter {
  ScmpCtx ctx = nullptr;  // loaded by libseccomp, or
  std::vector<sock_filter> program;  // loaded with seccomp(2): with the ENOSYS stub in front, or cached
  unsigned int flags = 0;  // SECCOMP_FILTER_FLAG_* for seccomp(2)
};

SeccompFilter* cached_seccomp(const SeccompSpec& spec, int cache_fd) {
  if (cache_fd < 0) return nullptr;
  auto* filter = new SeccompFilter;
  if (!read_cached_program(cache_fd, cache_key(lib(), spec), &filter->program)) {
    delete filter;
    return nullptr;
  }
  filter->flags = filter_flags(spec);
  return filter;
}

SeccompFilter* prepare_seccomp(const SeccompSpec& spec) {
  int cache_fd = open_seccomp_cache(spec);
  SeccompFilter* filter = nullptr;
  try {
    filter = cached_seccomp(spec, cache_fd);
    if (filter == nullptr) filter = compile_seccomp(spec, cache_fd);
  } catch (...) {
    if (cache_fd >= 0) close(cache_fd);
    throw;
  }
  if (cache_fd >= 0) close(cache_fd);
  return filter;
}

SeccompFilter* compile_seccomp(const SeccompSpec& spec, int cache_fd) {
  const Lib& l = lib();
  uint32_t def = action_of(spec.default_action, spec.has_default_errno_ret, spec.default_errno_ret, "linux.seccomp.defaultAction");
  ScmpCtx ctx = l.init(def);
  if (ctx == nullptr) throw RuntimeError("seccomp_init: failed");
  auto fail = [&](const std::string& what, int rc) -> RuntimeError {
    l.release(ctx);
    return sys_error_plain(what, -rc);
  };
  // no_new_privs is the config's choice (process.noNewPrivileges), not libseccomp's.
  if (int rc = l.attr_set(ctx, kAttrCtlNnp, 0); rc < 0) throw fail("seccomp_attr_set NNP", rc);
  // Same rules, laid out as a binary tree sorted by syscall number instead of
  // a linear list: a syscall is decided in ~log2(N) jumps rather than up to N.
  // The kernel runs the filter for every syscall number when it is loaded (to
  // build its always-allowed bitmap), so this also cuts seccomp(2) from 1.0 to
  // 0.36 ms for hutch's default profile. An older libseccomp refuses the
  // attribute (EINVAL) and keeps its linear layout, which is just slower.
  l.attr_set(ctx, kAttrCtlOptimize, kOptimizeBinaryTree);
  for (const std::string& flag : spec.flags) {
    int attr = flag == "SECCOMP_FILTER_FLAG_LOG" ? kAttrCtlLog : flag == "SECCOMP_FILTER_FLAG_SPEC_ALLOW" ? kAttrCtlSsb : 0;
    if (attr == 0) {
      l.release(ctx);
      throw RuntimeError("config.json: `linux.seccomp.flags` " + flag + " is not supported");
    }
    if (int rc = l.attr_set(ctx, attr, 1); rc < 0) throw fail("seccomp_attr_set " + flag, rc);
  }
  std::vector<uint32_t> arches{l.arch_native()};
  for (const std::string& arch : spec.architectures) {
    uint32_t token = 0;
    for (const ArchName& a : kArches) {
      if (arch == a.name) token = a.token;
    }
    // An architecture this table does not know cannot be added; skipping it
    // only narrows what the filter allows (bad-arch calls are killed).
    if (token == 0) continue;
    if (std::find(arches.begin(), arches.end(), token) == arches.end()) arches.push_back(token);
    int rc = l.arch_add(ctx, token);
    if (rc < 0 && rc != -EEXIST) throw fail("seccomp_arch_add " + arch, rc);
  }
  for (size_t i = 0; i < spec.syscalls.size(); i++) {
    const SeccompSyscallSpec& rule = spec.syscalls[i];
    std::string where = "linux.seccomp.syscalls[" + std::to_string(i) + "]";
    uint32_t action;
    std::vector<ScmpArgCmp> cmps;
    try {
      action = action_of(rule.action, rule.has_errno_ret, rule.errno_ret, where + ".action");
      for (const SeccompArgSpec& a : rule.args) cmps.push_back({a.index, compare_of(a.op, where + ".args.op"), a.value, a.value_two});
    } catch (...) {
      l.release(ctx);
      throw;
    }
    // The default action for these syscalls already applies: libseccomp refuses such rules.
    if (action == def) continue;
    // libseccomp cannot AND two conditions on the same argument; like runc,
    // such a rule becomes one rule per condition (an OR).
    bool repeated_index = false;
    for (size_t a = 0; a < cmps.size(); a++) {
      for (size_t b = a + 1; b < cmps.size(); b++) repeated_index = repeated_index || cmps[a].arg == cmps[b].arg;
    }
    for (const std::string& name : rule.names) {
      int nr = l.resolve_name(name.c_str());
      if (nr < 0) continue;
      // EEXIST: the rule overlaps one already added through another
      // architecture's multiplexed form (x86 socketcall/ipc); libseccomp
      // keeps the earlier rule, which is what the profile's order means.
      if (repeated_index) {
        for (const ScmpArgCmp& cmp : cmps) {
          int rc = l.rule_add_array(ctx, action, nr, 1, &cmp);
          if (rc < 0 && rc != -EEXIST) throw fail("seccomp_rule_add " + name, rc);
        }
        continue;
      }
      int rc = l.rule_add_array(ctx, action, nr, static_cast<unsigned>(cmps.size()), cmps.empty() ? nullptr : cmps.data());
      if (rc < 0 && rc != -EEXIST) throw fail("seccomp_rule_add " + name, rc);
    }
  }
  auto* filter = new SeccompFilter;
  if (!spec.enosys_newer && cache_fd < 0) {
    filter->ctx = ctx;
    return filter;
  }
  try {
    if (spec.enosys_newer) filter->program = enosys_stub(l, spec, arches);
    std::vector<sock_filter> body = export_program(l, ctx);
    filter->program.insert(filter->program.end(), body.begin(), body.end());
  } catch (...) {
    l.release(ctx);
    delete filter;
    throw;
  }
  l.release(ctx);
  if (filter->program.size() > BPF_MAXINSNS) {
    delete filter;
    throw RuntimeError("seccomp: the filter has more than 4096 BPF instructions");
  }
  filter->flags = filter_flags(spec);
  write_cached_program(cache_fd, cache_key(l, spec), filter->program);
  return filter;
}

void load_seccomp(SeccompFilter* filter) {
  if (filter->ctx == nullptr) {
    sock_fprog prog{static_cast<unsigned short>(filter->program.size()), filter->program.data()};
    long rc = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, filter->flags, &prog);
    int err = errno;
    delete filter;
    if (rc != 0) throw sys_error_plain("seccomp SECCOMP_SET_MODE_FILTER", err);
    return;
  }
  const Lib& l = lib();
  int rc = l.load(filter->ctx);
  l.release(filter->ctx);
  delete filter;
  if (rc < 0) throw sys_error_plain("seccomp_load", -rc);
}

}  // namespace hutch
