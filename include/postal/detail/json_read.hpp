// postal-cpp internals: tolerant readers over nlohmann::json that never throw.
// A missing key, a null or a value of another type reads as "absent"; callers pick defaults.
#pragma once

#include <postal/version.hpp>

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

POSTAL_BEGIN_NAMESPACE
namespace detail {

/// Deepest JSON nesting the SDK reads; Postal's documents nest at most 4 levels. Deeper input is
/// refused before parsing, so no recursive walk (copy, redaction) can exhaust the stack.
inline constexpr std::size_t max_json_depth = 64;

/// True when `text` opens more than `limit` nested arrays or objects (strings are skipped).
/// Runs before every parse, so strings (most of a Postal body) are skipped with memchr.
inline bool json_nesting_exceeds(std::string_view text, std::size_t limit) noexcept {
  const char* const data = text.data();
  const std::size_t n = text.size();
  std::size_t depth = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const char c = data[i];
    if (c == '"') {  // skip to the closing quote: one preceded by an even run of backslashes
      for (std::size_t from = i + 1;;) {
        const void* hit = std::memchr(data + from, '"', n - from);
        if (hit == nullptr) return false;  // unterminated: the parser rejects it
        const auto quote = static_cast<std::size_t>(static_cast<const char*>(hit) - data);
        std::size_t backslashes = 0;
        while (quote - backslashes > from && data[quote - backslashes - 1] == '\\') ++backslashes;
        from = quote + 1;
        if (backslashes % 2 == 0) {
          i = quote;
          break;
        }
      }
    } else if (c == '[' || c == '{') {
      if (++depth > limit) return true;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return false;
}

/// The member `key` of an object, or nullptr (also when `object` is not an object).
inline const nlohmann::json* member(const nlohmann::json& object, std::string_view key) noexcept {
  if (!object.is_object()) return nullptr;
  auto it = object.find(key);
  return it == object.end() ? nullptr : &*it;
}

/// A string member; absent when missing, null or not a string.
inline std::optional<std::string> read_string(const nlohmann::json& object, std::string_view key) {
  const auto* v = member(object, key);
  if (v == nullptr || !v->is_string()) return std::nullopt;
  return v->get_ref<const std::string&>();
}

/// A number member (integer or float); absent when missing, null or not a number.
inline std::optional<double> read_double(const nlohmann::json& object, std::string_view key) {
  const auto* v = member(object, key);
  if (v == nullptr || !v->is_number()) return std::nullopt;
  return v->get<double>();
}

/// An integer member. Accepts integers, integral floats, and decimal strings ("1432"), since
/// Postal sends some numbers as strings. Absent otherwise.
inline std::optional<std::int64_t> read_int(const nlohmann::json& object, std::string_view key) {
  const auto* v = member(object, key);
  if (v == nullptr) return std::nullopt;
  if (v->is_number_integer()) return v->get<std::int64_t>();
  if (v->is_number_unsigned()) {
    const auto u = v->get<std::uint64_t>();
    if (u > static_cast<std::uint64_t>(INT64_MAX)) return std::nullopt;
    return static_cast<std::int64_t>(u);
  }
  if (v->is_number_float()) {
    const double d = v->get<double>();
    if (!std::isfinite(d) || d != std::floor(d) || std::fabs(d) > 9.0e15) return std::nullopt;
    return static_cast<std::int64_t>(d);
  }
  if (v->is_string()) {
    const auto& s = v->get_ref<const std::string&>();
    if (s.empty() || s.size() > 18) return std::nullopt;
    std::int64_t n = 0;
    for (char c : s) {
      if (c < '0' || c > '9') return std::nullopt;
      n = n * 10 + (c - '0');
    }
    return n;
  }
  return std::nullopt;
}

/// A boolean member. Accepts JSON booleans and, for Postal < 2.1.3, the integers 0 and 1.
inline std::optional<bool> read_bool(const nlohmann::json& object, std::string_view key) {
  const auto* v = member(object, key);
  if (v == nullptr) return std::nullopt;
  if (v->is_boolean()) return v->get<bool>();
  if (v->is_number_integer() || v->is_number_unsigned()) return v->get<std::int64_t>() != 0;
  return std::nullopt;
}

}  // namespace detail
POSTAL_END_NAMESPACE
