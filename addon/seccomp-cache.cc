#include "seccomp-cache.h"

#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>

#include "write-all.h"

namespace hutch {

namespace {

constexpr char kMagic[8] = {'h', 'u', 't', 'c', 'h', 'b', 'p', 'f'};
// A program is at most BPF_MAXINSNS instructions; keys are a few kilobytes.
constexpr size_t kMaxKeyBytes = 1 << 20;

void append_field(std::string& out, const std::string& value) {
  out += std::to_string(value.size());
  out += ':';
  out += value;
}

void append_number(std::string& out, uint64_t value) { append_field(out, std::to_string(value)); }

// FNV-1a: names the file only; the stored key decides.
std::string file_name_for(const std::string& key) {
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char ch : key) {
    h ^= ch;
    h *= 1099511628211ULL;
  }
  char name[32];
  snprintf(name, sizeof name, "%016llx.bpf", static_cast<unsigned long long>(h));
  return name;
}

bool read_exact(int fd, void* buf, size_t len) {
  auto* p = static_cast<char*>(buf);
  while (len > 0) {
    ssize_t n = read(fd, p, len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n;
    len -= static_cast<size_t>(n);
  }
  return true;
}

// The GNU build ID of the running program (ld --build-id, binding.gyp): a
// hash of the whole link, so a rebuild that changes how any part compiles
// programs (seccomp.cc's rule splitting, the ENOSYS stub) changes the key.
// Empty when the program has none.
std::string own_build_id() {
  std::string id;
  dl_iterate_phdr(
      [](dl_phdr_info* info, size_t, void* data) -> int {
        auto* out = static_cast<std::string*>(data);
        for (int i = 0; i < info->dlpi_phnum; i++) {
          const ElfW(Phdr)& segment = info->dlpi_phdr[i];
          if (segment.p_type != PT_NOTE) continue;
          const char* p = reinterpret_cast<const char*>(info->dlpi_addr + segment.p_vaddr);
          const char* end = p + segment.p_memsz;
          while (p + sizeof(ElfW(Nhdr)) <= end) {
            const auto* note = reinterpret_cast<const ElfW(Nhdr)*>(p);
            const char* name = p + sizeof(ElfW(Nhdr));
            const char* desc = name + ((note->n_namesz + 3) & ~3U);
            if (desc + note->n_descsz > end) break;
            if (note->n_type == NT_GNU_BUILD_ID && note->n_namesz == 4 && memcmp(name, "GNU", 4) == 0) {
              out->assign(desc, note->n_descsz);
              return 1;
            }
            p = desc + ((note->n_descsz + 3) & ~3U);
          }
        }
        return 1;  // the first object is the program itself; libraries do not matter
      },
      &id);
  return id;
}

}  // namespace

std::string seccomp_cache_key(const SeccompSpec& spec, uint32_t native_arch, const std::string& library_version) {
  std::string key;
  // The build's own compile logic (the ENOSYS stub, the rule splitting) is part of the program.
  const std::string build_id = own_build_id();
  append_field(key, build_id.empty() ? std::string(__DATE__ " " __TIME__) : build_id);
  append_field(key, library_version);
  append_number(key, native_arch);
  append_field(key, spec.default_action);
  append_number(key, spec.has_default_errno_ret ? spec.default_errno_ret + 1ULL : 0);
  append_number(key, spec.enosys_newer ? 1 : 0);
  append_number(key, spec.architectures.size());
  for (const std::string& a : spec.architectures) append_field(key, a);
  append_number(key, spec.flags.size());
  for (const std::string& f : spec.flags) append_field(key, f);
  append_number(key, spec.syscalls.size());
  for (const SeccompSyscallSpec& s : spec.syscalls) {
    append_number(key, s.names.size());
    for (const std::string& n : s.names) append_field(key, n);
    append_field(key, s.action);
    append_number(key, s.has_errno_ret ? s.errno_ret + 1ULL : 0);
    append_number(key, s.args.size());
    for (const SeccompArgSpec& a : s.args) {
      append_number(key, a.index);
      append_number(key, a.value);
      append_number(key, a.value_two);
      append_field(key, a.op);
    }
  }
  return key;
}

int open_seccomp_cache(const SeccompSpec& spec) {
  if (spec.cache_dir.empty()) return -1;
  int fd = open(spec.cache_dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT && mkdir(spec.cache_dir.c_str(), 0700) == 0) {
    fd = open(spec.cache_dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  }
  if (fd < 0) return -1;
  struct stat st;
  if (fstat(fd, &st) != 0 || st.st_uid != geteuid() || (st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

bool read_cached_program(int dir_fd, const std::string& key, std::vector<sock_filter>* program) {
  int fd = openat(dir_fd, file_name_for(key).c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return false;
  char magic[sizeof kMagic];
  uint64_t sizes[2];
  bool ok = read_exact(fd, magic, sizeof magic) && memcmp(magic, kMagic, sizeof kMagic) == 0 &&
            read_exact(fd, sizes, sizeof sizes) && sizes[0] == key.size() && sizes[1] > 0 && sizes[1] <= BPF_MAXINSNS;
  std::string stored;
  if (ok) {
    stored.resize(key.size());
    ok = read_exact(fd, stored.data(), stored.size()) && stored == key;
  }
  if (ok) {
    program->resize(sizes[1]);
    char extra;
    ok = read_exact(fd, program->data(), sizes[1] * sizeof(sock_filter)) && !read_exact(fd, &extra, 1);
  }
  close(fd);
  if (!ok) program->clear();
  return ok;
}

void write_cached_program(int dir_fd, const std::string& key, const std::vector<sock_filter>& program) {
  if (dir_fd < 0 || key.size() > kMaxKeyBytes || program.empty()) return;
  const std::string name = file_name_for(key);
  const std::string temp = "." + name + "." + std::to_string(getpid());
  int fd = openat(dir_fd, temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return;
  const uint64_t sizes[2] = {key.size(), program.size()};
  bool ok = write_all(fd, kMagic, sizeof kMagic) && write_all(fd, sizes, sizeof sizes) && write_all(fd, key.data(), key.size()) &&
            write_all(fd, program.data(), program.size() * sizeof(sock_filter));
  close(fd);
  if (!ok || renameat(dir_fd, temp.c_str(), dir_fd, name.c_str()) != 0) unlinkat(dir_fd, temp.c_str(), 0);
}

}  // namespace hutch
