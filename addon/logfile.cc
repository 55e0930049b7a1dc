#include "logfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

namespace hutch {

int LogFile::open_file(const char* path, uint64_t max_size) {
  const size_t len = strlen(path);
  // Room for the ".1" of the rotated name.
  if (len + 3 > sizeof path_) return ENAMETOOLONG;
  memcpy(path_, path, len + 1);
  max_size_ = max_size;
  fd_ = open(path_, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd_ < 0) return errno;
  struct stat st;
  size_ = fstat(fd_, &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
  return 0;
}

void LogFile::record(const char* stream, char flag, const char* text, size_t len) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  char head[48];
  format_rfc3339(ts.tv_sec, ts.tv_nsec, head);
  char* h = head + 30;
  *h++ = ' ';
  for (const char* p = stream; *p != '\0'; p++) *h++ = *p;
  *h++ = ' ';
  *h++ = flag;
  *h++ = ' ';
  const size_t n = static_cast<size_t>(h - head);
  const size_t total = n + len + 1;
  if (max_size_ > 0 && size_ > 0 && size_ + total > max_size_) {
    // Keep one rotated file, as podman's k8s-file driver does.
    char rotated[sizeof path_];
    const size_t plen = strlen(path_);
    memcpy(rotated, path_, plen);
    memcpy(rotated + plen, ".1", 3);
    close(fd_);
    rename(path_, rotated);
    fd_ = open(path_, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
    size_ = 0;
  }
  if (fd_ < 0) return;
  // One writev per record: an O_APPEND record is never split by a reader
  // that follows the file.
  struct iovec iov[3] = {{head, n}, {const_cast<char*>(text), len}, {const_cast<char*>("\n"), 1}};
  size_t left = total;
  int idx = 0;
  while (left > 0) {
    ssize_t w = writev(fd_, iov + idx, 3 - idx);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return;  // disk full: the container must not block on its log
    size_ += static_cast<uint64_t>(w);
    left -= static_cast<size_t>(w);
    size_t k = static_cast<size_t>(w);
    while (idx < 3 && k >= iov[idx].iov_len) k -= iov[idx++].iov_len;
    if (idx < 3) {
      iov[idx].iov_base = static_cast<char*>(iov[idx].iov_base) + k;
      iov[idx].iov_len -= k;
    }
  }
}

void LogFile::write(const char* stream, const char* data, size_t len) {
  while (len > 0) {
    const char* nl = static_cast<const char*>(memchr(data, '\n', len < kMaxLine ? len : kMaxLine));
    if (nl != nullptr) {
      size_t line = static_cast<size_t>(nl - data);
      record(stream, 'F', data, line);
      data += line + 1;
      len -= line + 1;
    } else {
      size_t piece = len < kMaxLine ? len : kMaxLine;
      record(stream, 'P', data, piece);
      data += piece;
      len -= piece;
    }
  }
}

}  // namespace hutch
