#include "layer-tar.h"

#include <string.h>

#include <algorithm>
#include <optional>

namespace hutch {

namespace {

constexpr size_t kBlock = 512;
// Same cap as node-tar's maxMetaEntrySize: larger metadata entries are refused.
constexpr uint64_t kMaxMetaBytes = 1024 * 1024;
constexpr const char* kXattrKey = "SCHILY.xattr.";

std::string printable_type(char type) {
  if (type >= 0x20 && type <= 0x7e) return std::string(1, type);
  char buf[8];
  snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned char>(type));
  return buf;
}

std::string c_string(const char* p, size_t max) { return std::string(p, strnlen(p, max)); }

// A numeric header field: octal text (leading spaces, ended by NUL or space),
// or GNU base-256 when the high bit of the first byte is set (two's complement
// when it is 0xff, i.e. negative: allowed only where `negative_ok`).
int64_t header_number(const char* field, size_t len, const char* what, bool negative_ok = false) {
  const auto* f = reinterpret_cast<const unsigned char*>(field);
  if (f[0] & 0x80) {
    const bool negative = f[0] == 0xff;
    if (negative && !negative_ok) throw TarFormatError(std::string("negative ") + what + " in tar header");
    uint64_t v = negative ? 0xff : (f[0] & 0x7f);
    for (size_t i = 1; i < len; i++) {
      if (!negative && v > (UINT64_MAX >> 8)) throw TarFormatError(std::string(what) + " in tar header is too large");
      v = (v << 8) | f[i];
    }
    if (negative) return static_cast<int64_t>(v);
    if (v > static_cast<uint64_t>(INT64_MAX)) throw TarFormatError(std::string(what) + " in tar header is too large");
    return static_cast<int64_t>(v);
  }
  size_t i = 0;
  while (i < len && f[i] == ' ') i++;
  uint64_t v = 0;
  for (; i < len && f[i] != 0 && f[i] != ' '; i++) {
    if (f[i] < '0' || f[i] > '7') throw TarFormatError(std::string("malformed ") + what + " in tar header");
    if (v > (static_cast<uint64_t>(INT64_MAX) >> 3)) throw TarFormatError(std::string(what) + " in tar header is too large");
    v = v * 8 + (f[i] - '0');
  }
  return static_cast<int64_t>(v);
}

bool checksum_ok(const char* h) {
  // POSIX sums unsigned bytes; some old tars summed signed chars: accept both, as GNU tar does.
  int64_t stored;
  try {
    stored = header_number(h + 148, 8, "checksum");
  } catch (const TarFormatError&) {
    return false;
  }
  uint64_t unsigned_sum = 0;
  int64_t signed_sum = 0;
  for (size_t i = 0; i < kBlock; i++) {
    bool in_field = i >= 148 && i < 156;
    unsigned_sum += in_field ? ' ' : static_cast<unsigned char>(h[i]);
    signed_sum += in_field ? ' ' : static_cast<signed char>(h[i]);
  }
  return stored == static_cast<int64_t>(unsigned_sum) || stored == signed_sum;
}

uint64_t pax_decimal(const std::string& value, const char* key) {
  if (value.empty() || value.size() > 19 || value.find_first_not_of("0123456789") != std::string::npos) {
    throw TarFormatError(std::string("malformed PAX ") + key);
  }
  return std::stoull(value);
}

// "[-]seconds[.fraction]", as PAX writes mtime and atime.
struct timespec pax_time(const std::string& value, const char* key) {
  size_t i = value.size() > 0 && value[0] == '-' ? 1 : 0;
  size_t dot = value.find('.');
  std::string whole = value.substr(i, dot == std::string::npos ? std::string::npos : dot - i);
  std::string frac = dot == std::string::npos ? "" : value.substr(dot + 1);
  if (whole.empty() || whole.size() > 18 || whole.find_first_not_of("0123456789") != std::string::npos ||
      (dot != std::string::npos && (frac.empty() || frac.find_first_not_of("0123456789") != std::string::npos))) {
    throw TarFormatError(std::string("malformed PAX ") + key);
  }
  frac = frac.substr(0, 9);
  frac.resize(9, '0');
  int64_t sec = std::stoll(whole);
  long nsec = std::stol(frac);
  if (i == 1) {
    sec = -sec;
    if (nsec > 0) {
      sec -= 1;
      nsec = 1000000000L - nsec;
    }
  }
  return timespec{static_cast<time_t>(sec), nsec};
}

// What one PAX header says (the values kept as bytes).
struct PaxValues {
  std::optional<std::string> path, linkpath;
  std::optional<uint64_t> size, uid, gid;
  std::optional<struct timespec> mtime, atime;
  std::vector<std::pair<std::string, std::string>> xattrs;
};

void set_xattr(std::vector<std::pair<std::string, std::string>>& list, const std::string& name, const std::string& value) {
  for (auto& kv : list) {
    if (kv.first == name) {
      kv.second = value;
      return;
    }
  }
  list.emplace_back(name, value);
}

// `<len> <key>=<value>\n` records (POSIX pax format).
PaxValues parse_pax(const std::string& body) {
  PaxValues v;
  size_t pos = 0;
  while (pos < body.size()) {
    if (body[pos] == '\0') break;
    size_t space = body.find(' ', pos);
    if (space == std::string::npos || space == pos || space - pos > 9 ||
        body.substr(pos, space - pos).find_first_not_of("0123456789") != std::string::npos) {
      throw TarFormatError("malformed PAX record length");
    }
    size_t end = pos + std::stoul(body.substr(pos, space - pos));
    if (end > body.size() || end <= space + 1 || body[end - 1] != '\n') throw TarFormatError("malformed PAX record");
    std::string kv = body.substr(space + 1, end - space - 2);
    size_t eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) throw TarFormatError("malformed PAX record (no key)");
    std::string key = kv.substr(0, eq), value = kv.substr(eq + 1);
    if (key.compare(0, strlen(kXattrKey), kXattrKey) == 0) set_xattr(v.xattrs, key.substr(strlen(kXattrKey)), value);
    else if (key == "path") v.path = value;
    else if (key == "linkpath") v.linkpath = value;
    else if (key == "size") v.size = pax_decimal(value, "size");
    else if (key == "uid") v.uid = pax_decimal(value, "uid");
    else if (key == "gid") v.gid = pax_decimal(value, "gid");
    else if (key == "mtime") v.mtime = pax_time(value, "mtime");
    else if (key == "atime") v.atime = pax_time(value, "atime");
    pos = end;
  }
  return v;
}

bool is_fs_type(char type) { return strchr("01234567D", type) != nullptr && type != '\0'; }

}  // namespace

void TarReader::need_data() {
  if (!in_.fill()) throw TarFormatError("truncated: the data ends inside entry `" + current_ + "`");
}

bool TarReader::read_block(char* block) {
  size_t got = 0;
  while (got < kBlock) {
    if (!in_.fill()) {
      if (got == 0) return false;
      throw TarFormatError("truncated: the data ends inside a header");
    }
    size_t n = std::min(kBlock - got, in_.available());
    memcpy(block + got, in_.data(), n);
    in_.consume(n);
    got += n;
  }
  return true;
}

void TarReader::skip(uint64_t n) {
  while (n > 0) {
    need_data();
    size_t k = static_cast<size_t>(std::min<uint64_t>(n, in_.available()));
    in_.consume(k);
    n -= k;
  }
}

void TarReader::skip_body() {
  skip(remain_ + padding_);
  remain_ = padding_ = 0;
}

std::string TarReader::read_meta(uint64_t size) {
  if (size > kMaxMetaBytes) {
    throw TarFormatError("a tar metadata entry of " + std::to_string(size) + " bytes is larger than " + std::to_string(kMaxMetaBytes));
  }
  std::string data;
  data.reserve(static_cast<size_t>(size));
  remain_ = size;
  padding_ = (kBlock - size % kBlock) % kBlock;
  body([&](const uint8_t* p, size_t n) { data.append(reinterpret_cast<const char*>(p), n); });
  return data;
}

bool TarReader::next(TarEntry* e) {
  if (ended_) return false;
  char h[kBlock];
  PaxValues pax;
  std::optional<std::string> long_name, long_link;
  int zero_blocks = 0;
  current_ = "(a metadata header)";
  for (;;) {
    if (!read_block(h)) {
      if (saw_header_ || zero_blocks == 2) return false;
      throw TarFormatError(zero_blocks == 0 ? "the data is empty" : "no entries and no end-of-archive marker");
    }
    if (std::all_of(h, h + kBlock, [](char c) { return c == 0; })) {
      // Two zero blocks end the archive; what follows is only hashed.
      if (++zero_blocks == 2) {
        ended_ = true;
        return false;
      }
      continue;
    }
    // A lone zero block between entries is tolerated, as node-tar and GNU tar -i do.
    zero_blocks = 0;
    if (!checksum_ok(h)) throw TarFormatError("checksum failure");
    saw_header_ = true;
    const char type = h[156];
    const uint64_t field_size = static_cast<uint64_t>(header_number(h + 124, 12, "size"));
    if (type == 'x' || type == 'X' || type == 'g') {
      PaxValues v = parse_pax(read_meta(field_size));
      if (type == 'g') {
        if (v.path || v.linkpath || v.size) throw TarFormatError("a PAX global header sets path, linkpath or size");
        if (v.uid) g_uid_ = true, g_uid_value_ = *v.uid;
        if (v.gid) g_gid_ = true, g_gid_value_ = *v.gid;
        if (v.mtime) g_mtime_ = true, g_mtime_value_ = *v.mtime;
        if (v.atime) g_atime_ = true, g_atime_value_ = *v.atime;
        for (auto& kv : v.xattrs) set_xattr(g_xattrs_, kv.first, kv.second);
        continue;
      }
      if (v.path) pax.path = v.path;
      if (v.linkpath) pax.linkpath = v.linkpath;
      if (v.size) pax.size = v.size;
      if (v.uid) pax.uid = v.uid;
      if (v.gid) pax.gid = v.gid;
      if (v.mtime) pax.mtime = v.mtime;
      if (v.atime) pax.atime = v.atime;
      for (auto& kv : v.xattrs) set_xattr(pax.xattrs, kv.first, kv.second);
      continue;
    }
    if (type == 'L' || type == 'K') {
      std::string value = read_meta(field_size);
      value.resize(strnlen(value.c_str(), value.size()));
      (type == 'L' ? long_name : long_link) = value;
      continue;
    }
    if (!is_fs_type(type) && type != '\0') throw TarFormatError("unsupported tar entry type `" + printable_type(type) + "`");

    TarEntry& t = *e;
    t = TarEntry();
    t.type = type == '\0' ? '0' : type;
    // POSIX ustar ("ustar\0" "00") has a name prefix at 345; GNU ("ustar  \0") keeps atime and ctime there.
    const bool posix = memcmp(h + 257, "ustar\0" "00", 8) == 0;
    const bool gnu = memcmp(h + 257, "ustar  \0", 8) == 0;
    if (pax.path) t.path = *pax.path;
    else if (long_name) t.path = *long_name;
    else {
      std::string prefix = posix ? c_string(h + 345, 155) : "";
      t.path = (prefix.empty() ? "" : prefix + "/") + c_string(h, 100);
    }
    t.linkpath = pax.linkpath ? *pax.linkpath : long_link ? *long_link : c_string(h + 157, 100);
    t.mode = static_cast<uint32_t>(header_number(h + 100, 8, "mode") & 07777);
    t.uid = pax.uid ? *pax.uid : g_uid_ ? g_uid_value_ : static_cast<uint64_t>(header_number(h + 108, 8, "uid"));
    t.gid = pax.gid ? *pax.gid : g_gid_ ? g_gid_value_ : static_cast<uint64_t>(header_number(h + 116, 8, "gid"));
    if (pax.mtime) t.mtime = *pax.mtime;
    else if (g_mtime_) t.mtime = g_mtime_value_;
    else t.mtime = timespec{static_cast<time_t>(header_number(h + 136, 12, "mtime", true)), 0};
    if (pax.atime || g_atime_) {
      t.atime = pax.atime ? *pax.atime : g_atime_value_;
      t.has_atime = true;
    } else if (gnu && h[345] != 0) {
      t.atime = timespec{static_cast<time_t>(header_number(h + 345, 12, "atime", true)), 0};
      t.has_atime = true;
    }
    t.xattrs = g_xattrs_;
    for (auto& kv : pax.xattrs) set_xattr(t.xattrs, kv.first, kv.second);
    uint64_t size = pax.size ? *pax.size : field_size;
    // Like node-tar and old tars: a regular file named `x/` is a directory, and directories have no body.
    if (t.type == '0' && !t.path.empty() && t.path.back() == '/') t.type = '5';
    if (t.type == '5') size = 0;
    current_ = t.path;
    if (t.path.empty()) throw TarFormatError("path is required");
    const bool link = t.type == '1' || t.type == '2';
    if (link && t.linkpath.empty()) throw TarFormatError("linkpath required for entry `" + t.path + "`");
    if (!link && !t.linkpath.empty()) throw TarFormatError("linkpath forbidden for entry `" + t.path + "`");
    const bool data = t.type == '0' || t.type == '7';
    t.size = data ? size : 0;
    remain_ = size;
    padding_ = (kBlock - size % kBlock) % kBlock;
    // Only regular files have content to extract; any other entry's body is skipped here.
    if (!data) skip_body();
    return true;
  }
}

}  // namespace hutch
