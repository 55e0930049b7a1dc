#include "json.h"

#include <errno.h>
#include <stdlib.h>

#include "runtime-error.h"

namespace hutch {

namespace {
constexpr int kMaxDepth = 128;

const char* type_name(JsonValue::Type t) {
  switch (t) {
    case JsonValue::Type::kNull: return "null";
    case JsonValue::Type::kBool: return "a boolean";
    case JsonValue::Type::kNumber: return "a number";
    case JsonValue::Type::kString: return "a string";
    case JsonValue::Type::kArray: return "an array";
    case JsonValue::Type::kObject: return "an object";
  }
  return "?";
}

[[noreturn]] void type_error(const std::string& where, const char* want, JsonValue::Type got) {
  throw RuntimeError("config.json: `" + where + "` must be " + want + ", not " + type_name(got));
}
}  // namespace

class JsonParser {
 public:
  explicit JsonParser(const std::string& text) : s_(text) {}

  JsonValue parse_document() {
    JsonValue v = parse_value(0);
    skip_ws();
    if (pos_ != s_.size()) fail("unexpected data after the top-level value");
    return v;
  }

 private:
  const std::string& s_;
  size_t pos_ = 0;

  [[noreturn]] void fail(const std::string& what) {
    throw RuntimeError("config.json: invalid JSON at byte " + std::to_string(pos_) + ": " + what);
  }

  void skip_ws() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r')) pos_++;
  }

  bool consume_literal(const char* lit) {
    size_t n = 0;
    while (lit[n] != '\0') n++;
    if (s_.compare(pos_, n, lit) != 0) return false;
    pos_ += n;
    return true;
  }

  JsonValue parse_value(int depth) {
    if (depth > kMaxDepth) fail("nesting deeper than 128");
    skip_ws();
    if (pos_ >= s_.size()) fail("unexpected end of input");
    JsonValue v;
    char c = s_[pos_];
    if (c == '{') {
      v.type_ = JsonValue::Type::kObject;
      pos_++;
      skip_ws();
      if (pos_ < s_.size() && s_[pos_] == '}') {
        pos_++;
        return v;
      }
      for (;;) {
        skip_ws();
        if (pos_ >= s_.size() || s_[pos_] != '"') fail("expected a string key");
        std::string key = parse_string();
        // Rejecting duplicates avoids a parser differential with the
        // producer about which of two values counts.
        for (const auto& member : v.object_) {
          if (member.first == key) fail("duplicate key \"" + key + "\"");
        }
        skip_ws();
        if (pos_ >= s_.size() || s_[pos_] != ':') fail("expected ':'");
        pos_++;
        JsonValue member = parse_value(depth + 1);
        v.object_.emplace_back(std::move(key), std::move(member));
        skip_ws();
        if (pos_ < s_.size() && s_[pos_] == ',') {
          pos_++;
          continue;
        }
        if (pos_ < s_.size() && s_[pos_] == '}') {
          pos_++;
          return v;
        }
        fail("expected ',' or '}'");
      }
    }
    if (c == '[') {
      v.type_ = JsonValue::Type::kArray;
      pos_++;
      skip_ws();
      if (pos_ < s_.size() && s_[pos_] == ']') {
        pos_++;
        return v;
      }
      for (;;) {
        v.array_.push_back(parse_value(depth + 1));
        skip_ws();
        if (pos_ < s_.size() && s_[pos_] == ',') {
          pos_++;
          continue;
        }
        if (pos_ < s_.size() && s_[pos_] == ']') {
          pos_++;
          return v;
        }
        fail("expected ',' or ']'");
      }
    }
    if (c == '"') {
      v.type_ = JsonValue::Type::kString;
      v.text_ = parse_string();
      return v;
    }
    if (consume_literal("true")) {
      v.type_ = JsonValue::Type::kBool;
      v.bool_ = true;
      return v;
    }
    if (consume_literal("false")) {
      v.type_ = JsonValue::Type::kBool;
      return v;
    }
    if (consume_literal("null")) return v;
    if (c == '-' || (c >= '0' && c <= '9')) {
      v.type_ = JsonValue::Type::kNumber;
      v.text_ = parse_number();
      return v;
    }
    fail("unexpected character");
  }

  static bool is_digit(char c) { return c >= '0' && c <= '9'; }

  std::string parse_number() {
    size_t start = pos_;
    if (s_[pos_] == '-') pos_++;
    if (pos_ >= s_.size() || !is_digit(s_[pos_])) fail("expected a digit");
    if (s_[pos_] == '0') {
      pos_++;
      if (pos_ < s_.size() && is_digit(s_[pos_])) fail("leading zero in a number");
    } else {
      while (pos_ < s_.size() && is_digit(s_[pos_])) pos_++;
    }
    if (pos_ < s_.size() && s_[pos_] == '.') {
      pos_++;
      if (pos_ >= s_.size() || !is_digit(s_[pos_])) fail("expected a digit after '.'");
      while (pos_ < s_.size() && is_digit(s_[pos_])) pos_++;
    }
    if (pos_ < s_.size() && (s_[pos_] == 'e' || s_[pos_] == 'E')) {
      pos_++;
      if (pos_ < s_.size() && (s_[pos_] == '+' || s_[pos_] == '-')) pos_++;
      if (pos_ >= s_.size() || !is_digit(s_[pos_])) fail("expected a digit in the exponent");
      while (pos_ < s_.size() && is_digit(s_[pos_])) pos_++;
    }
    return s_.substr(start, pos_ - start);
  }

  unsigned hex4() {
    if (pos_ + 4 > s_.size()) fail("truncated \\u escape");
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
      char c = s_[pos_++];
      v <<= 4;
      if (c >= '0' && c <= '9') v |= static_cast<unsigned>(c - '0');
      else if (c >= 'a' && c <= 'f') v |= static_cast<unsigned>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F') v |= static_cast<unsigned>(c - 'A' + 10);
      else fail("bad hex digit in \\u escape");
    }
    return v;
  }

  static void append_utf8(std::string& out, unsigned cp) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  std::string parse_string() {
    pos_++;  // opening quote
    std::string out;
    for (;;) {
      if (pos_ >= s_.size()) fail("unterminated string");
      unsigned char c = static_cast<unsigned char>(s_[pos_++]);
      if (c == '"') return out;
      if (c < 0x20) fail("control character in a string");
      if (c != '\\') {
        out += static_cast<char>(c);
        continue;
      }
      if (pos_ >= s_.size()) fail("unterminated escape");
      char e = s_[pos_++];
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          unsigned cp = hex4();
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            if (pos_ + 2 > s_.size() || s_[pos_] != '\\' || s_[pos_ + 1] != 'u') fail("lone surrogate");
            pos_ += 2;
            unsigned lo = hex4();
            if (lo < 0xDC00 || lo > 0xDFFF) fail("bad low surrogate");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            fail("lone surrogate");
          }
          // A NUL would silently truncate the string in every C API it reaches.
          if (cp == 0) fail("\\u0000 is not allowed");
          append_utf8(out, cp);
          break;
        }
        default: fail("bad escape");
      }
    }
  }
};

JsonValue JsonValue::parse(const std::string& text) {
  return JsonParser(text).parse_document();
}

const std::string& JsonValue::as_string(const std::string& where) const {
  if (type_ != Type::kString) type_error(where, "a string", type_);
  return text_;
}

bool JsonValue::as_bool(const std::string& where) const {
  if (type_ != Type::kBool) type_error(where, "a boolean", type_);
  return bool_;
}

uint64_t JsonValue::as_uint64(const std::string& where) const {
  if (type_ != Type::kNumber) type_error(where, "an unsigned integer", type_);
  errno = 0;
  char* end = nullptr;
  unsigned long long v = strtoull(text_.c_str(), &end, 10);
  if (text_[0] == '-' || errno != 0 || end == nullptr || *end != '\0') {
    throw RuntimeError("config.json: `" + where + "` must be an unsigned integer in range, not " + text_);
  }
  return v;
}

int64_t JsonValue::as_int64(const std::string& where) const {
  if (type_ != Type::kNumber) type_error(where, "an integer", type_);
  errno = 0;
  char* end = nullptr;
  long long v = strtoll(text_.c_str(), &end, 10);
  if (errno != 0 || end == nullptr || *end != '\0') {
    throw RuntimeError("config.json: `" + where + "` must be a 64-bit integer, not " + text_);
  }
  return v;
}

const std::vector<JsonValue>& JsonValue::as_array(const std::string& where) const {
  if (type_ != Type::kArray) type_error(where, "an array", type_);
  return array_;
}

const std::vector<std::pair<std::string, JsonValue>>& JsonValue::as_object(const std::string& where) const {
  if (type_ != Type::kObject) type_error(where, "an object", type_);
  return object_;
}

const JsonValue* JsonValue::get(const std::string& key) const {
  if (type_ != Type::kObject) return nullptr;
  for (const auto& member : object_) {
    if (member.first == key) return &member.second;
  }
  return nullptr;
}

}  // namespace hutch
