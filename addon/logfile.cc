#include "logfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "runtime-error.h"

namespace hutch {

LogFile::LogFile(const std::string& path, uint64_t max_size) : path_(path), max_size_(max_size) { open_file(); }

LogFile::~LogFile() {
  if (fd_ >= 0) close(fd_);
}

void LogFile::open_file() {
  fd_ = open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd_ < 0) throw sys_error("open", path_, errno);
  struct stat st;
  size_ = fstat(fd_, &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
}

void LogFile::record(const char* stream, char flag, const char* text, size_t len) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  struct tm tm;
  gmtime_r(&ts.tv_sec, &tm);
  // Formatted by hand: snprintf would pull much of stdio's code into the
  // monitor's resident set on every record.
  char head[80];
  char* h = head;
  auto put = [&h](unsigned v, int width) {
    for (int i = width - 1; i >= 0; i--) {
      h[i] = static_cast<char>('0' + v % 10);
      v /= 10;
    }
    h += width;
  };
  put(static_cast<unsigned>(tm.tm_year + 1900), 4);
  *h++ = '-';
  put(static_cast<unsigned>(tm.tm_mon + 1), 2);
  *h++ = '-';
  put(static_cast<unsigned>(tm.tm_mday), 2);
  *h++ = 'T';
  put(static_cast<unsigned>(tm.tm_hour), 2);
  *h++ = ':';
  put(static_cast<unsigned>(tm.tm_min), 2);
  *h++ = ':';
  put(static_cast<unsigned>(tm.tm_sec), 2);
  *h++ = '.';
  put(static_cast<unsigned>(ts.tv_nsec), 9);
  *h++ = 'Z';
  *h++ = ' ';
  for (const char* p = stream; *p != '\0'; p++) *h++ = *p;
  *h++ = ' ';
  *h++ = flag;
  *h++ = ' ';
  const int n = static_cast<int>(h - head);
  const size_t total = static_cast<size_t>(n) + len + 1;
  if (max_size_ > 0 && size_ > 0 && size_ + total > max_size_) {
    // Keep one rotated file, as podman's k8s-file driver does.
    close(fd_);
    rename(path_.c_str(), (path_ + ".1").c_str());
    fd_ = open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
    size_ = 0;
    if (fd_ < 0) return;
  }
  if (fd_ < 0) return;
  // One writev per record: an O_APPEND record is never split by a reader
  // that follows the file.
  struct iovec iov[3] = {{head, static_cast<size_t>(n)}, {const_cast<char*>(text), len}, {const_cast<char*>("\n"), 1}};
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
