// A small strict JSON (RFC 8259) parser for config.json: no trailing data,
// no duplicate keys, no control characters in strings, bounded nesting.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace hutch {

class JsonValue {
 public:
  enum class Type { kNull, kBool, kNumber, kString, kArray, kObject };

  bool is_null() const { return type_ == Type::kNull; }

  // Accessors throw RuntimeError naming `where` (a JSON path such as
  // "process.args[0]") when the value has another type or range.
  const std::string& as_string(const std::string& where) const;
  bool as_bool(const std::string& where) const;
  uint64_t as_uint64(const std::string& where) const;
  int64_t as_int64(const std::string& where) const;
  const std::vector<JsonValue>& as_array(const std::string& where) const;
  const std::vector<std::pair<std::string, JsonValue>>& as_object(const std::string& where) const;

  // Member of an object, or nullptr when absent (or when this is not an object).
  const JsonValue* get(const std::string& key) const;

  static JsonValue parse(const std::string& text);

 private:
  friend class JsonParser;
  Type type_ = Type::kNull;
  bool bool_ = false;
  std::string text_;  // string contents, or the number's literal text
  std::vector<JsonValue> array_;
  std::vector<std::pair<std::string, JsonValue>> object_;
};

}  // namespace hutch
