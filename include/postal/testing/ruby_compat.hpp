/// @file
/// Test tooling: the few Ruby / ActiveSupport behaviours FakePostal must copy to give
/// Postal's exact answers (String#blank?, Base64.decode64, Float#to_s, Time formats,
/// Postal::Helpers.strip_name_from_address, `String#split(/,\s*/)`).
///
/// Internal to FakePostal (namespace postal::testing::detail): no stability promise.
#pragma once

#include <postal/version.hpp>

#include <charconv>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

POSTAL_BEGIN_NAMESPACE
namespace testing {
namespace detail {

/// Decodes one UTF-8 sequence at `text[i]`; advances `i`. Invalid bytes decode as themselves
/// (one byte each), which is all the callers here need.
inline std::uint32_t utf8_next(std::string_view text, std::size_t& i) noexcept {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char c = byte(i);
  std::size_t length = c < 0x80           ? 1
                       : (c >> 5) == 0x6  ? 2
                       : (c >> 4) == 0xE  ? 3
                       : (c >> 3) == 0x1E ? 4
                                          : 0;
  if (length <= 1 || i + length > text.size()) {
    ++i;
    return c;
  }
  std::uint32_t cp = c & (0xFFu >> (length + 1));
  for (std::size_t k = 1; k < length; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) {
      ++i;
      return c;
    }
    cp = (cp << 6) | (byte(i + k) & 0x3Fu);
  }
  i += length;
  return cp;
}

/// Ruby's [[:space:]] for UTF-8 strings (the Unicode White_Space property).
inline bool is_unicode_space(std::uint32_t cp) noexcept {
  return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20 || cp == 0x85 || cp == 0xA0 || cp == 0x1680 ||
         (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F ||
         cp == 0x205F || cp == 0x3000;
}

/// ActiveSupport's String#blank?: empty or only whitespace.
inline bool is_blank(std::string_view text) noexcept {
  for (std::size_t i = 0; i < text.size();)
    if (!is_unicode_space(utf8_next(text, i))) return false;
  return true;
}

/// Ruby's String#strip: removes leading and trailing ASCII whitespace and NUL.
inline std::string ruby_strip(std::string_view text) {
  auto space = [](char c) { return c == ' ' || (c >= '\t' && c <= '\r') || c == '\0'; };
  std::size_t begin = 0, end = text.size();
  while (begin < end && space(text[begin])) ++begin;
  while (end > begin && space(text[end - 1])) --end;
  return std::string(text.substr(begin, end - begin));
}

/// The first `count` characters (not bytes) of a UTF-8 string, like Ruby's `s[0, count]`.
inline std::string utf8_prefix(std::string_view text, std::size_t count) {
  std::size_t i = 0;
  for (std::size_t n = 0; n < count && i < text.size(); ++n) utf8_next(text, i);
  return std::string(text.substr(0, i));
}

/// Ruby's Base64.decode64 (`unpack1("m")`): skips every character outside the alphabet and
/// stops at padding; never fails.
inline std::string ruby_decode64(std::string_view text) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  const std::size_t n = text.size();
  auto at = [&](std::size_t i) { return i < n ? text[i] : '\0'; };
  std::string out;
  out.reserve(n / 4 * 3);
  std::size_t i = 0;
  int a = -1, b = -1, c = -1, d = -1;
  while (i < n) {
    a = b = c = d = -1;
    while ((a = value(at(i))) == -1 && i < n) ++i;
    if (i >= n) break;
    ++i;
    while ((b = value(at(i))) == -1 && i < n) ++i;
    if (i >= n) break;
    ++i;
    while ((c = value(at(i))) == -1 && i < n) {
      if (at(i) == '=') break;
      ++i;
    }
    if (at(i) == '=' || i >= n) break;
    ++i;
    while ((d = value(at(i))) == -1 && i < n) {
      if (at(i) == '=') break;
      ++i;
    }
    if (at(i) == '=' || i >= n) break;
    ++i;
    out.push_back(static_cast<char>((a << 2 | b >> 4) & 0xFF));
    out.push_back(static_cast<char>((b << 4 | c >> 2) & 0xFF));
    out.push_back(static_cast<char>((c << 6 | d) & 0xFF));
    a = -1;
  }
  if (a != -1 && b != -1) {
    out.push_back(static_cast<char>((a << 2 | b >> 4) & 0xFF));
    if (c != -1) out.push_back(static_cast<char>((b << 4 | c >> 2) & 0xFF));
  }
  return out;
}

/// Ruby's Float#to_s: shortest round-trip digits; fixed notation for 1e-4 <= |x| < 1e16, else
/// "1.0e+16" style; whole numbers keep ".0". Non-finite values give "NaN"/"Infinity".
inline std::string ruby_float_to_s(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value < 0 ? "-Infinity" : "Infinity";
  std::string sign = std::signbit(value) ? "-" : "";
  if (value == 0) return sign + "0.0";
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, std::fabs(value),
                                    std::chars_format::scientific);
  const std::string_view text(buffer, static_cast<std::size_t>(result.ptr - buffer));
  const std::size_t e = text.find('e');
  std::string digits;
  for (char ch : text.substr(0, e))
    if (ch != '.') digits.push_back(ch);
  const int exponent = std::stoi(std::string(text.substr(e + 1)));
  const int decpt = exponent + 1;  // value = 0.DIGITS * 10^decpt
  const int count = static_cast<int>(digits.size());
  std::string out = sign;
  if (decpt > 0 && decpt <= 16) {
    if (count <= decpt) {
      out += digits + std::string(static_cast<std::size_t>(decpt - count), '0') + ".0";
    } else {
      out += digits.substr(0, static_cast<std::size_t>(decpt)) + "." +
             digits.substr(static_cast<std::size_t>(decpt));
    }
  } else if (decpt <= 0 && decpt > -4) {
    out += "0." + std::string(static_cast<std::size_t>(-decpt), '0') + digits;
  } else {
    out += digits.substr(0, 1) + "." + (count > 1 ? digits.substr(1) : std::string("0"));
    char exp[16];
    std::snprintf(exp, sizeof exp, "e%+03d", decpt - 1);
    out += exp;
  }
  return out;
}

/// Postal::Helpers.strip_name_from_address: drops everything up to the last `<`, from the first
/// `>` on, and every `(comment)`, then strips.
inline std::string strip_name_from_address(std::string_view address) {
  std::string text(address);
  if (const auto lt = text.rfind('<'); lt != std::string::npos) text.erase(0, lt + 1);
  if (const auto gt = text.find('>'); gt != std::string::npos) text.erase(gt);
  // gsub(/\(.+?\)/, ""): '(' then at least one character, up to the next ')'.
  for (std::size_t i = 0; i < text.size();) {
    if (text[i] == '(') {
      const auto close = text.find(')', i + 2);
      if (close != std::string::npos) {
        text.erase(i, close - i + 1);
        continue;
      }
    }
    ++i;
  }
  return ruby_strip(text);
}

/// Ruby's `string.split(/,\s*/)`: trailing empty fields are dropped.
inline std::vector<std::string> split_comma_list(std::string_view text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= text.size(); ++i) {
    if (i == text.size()) {
      out.emplace_back(text.substr(start));
      break;
    }
    if (text[i] == ',') {
      out.emplace_back(text.substr(start, i - start));
      std::size_t j = i + 1;
      while (j < text.size() && (text[j] == ' ' || (text[j] >= '\t' && text[j] <= '\r'))) ++j;
      start = j;
      i = j - 1;
    }
  }
  while (!out.empty() && out.back().empty()) out.pop_back();
  return out;
}

/// Microseconds since the Unix epoch, now.
inline std::int64_t now_micros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

/// A UTC calendar time.
struct CivilTime {
  /// The date (month 1-12, day 1-31) and time of day (hour 0-23, minute and second 0-59).
  int year = 1970, month = 1, day = 1, hour = 0, minute = 0, second = 0;
  int millisecond = 0;  ///< 0 to 999
  int weekday = 4;      ///< 0 = Sunday
};

/// Splits epoch microseconds into a UTC calendar time (proleptic Gregorian).
inline CivilTime civil_from_micros(std::int64_t micros) {
  std::int64_t seconds = micros / 1000000;
  std::int64_t rest = micros % 1000000;
  if (rest < 0) {
    rest += 1000000;
    --seconds;
  }
  std::int64_t days = seconds / 86400;
  std::int64_t secs = seconds % 86400;
  if (secs < 0) {
    secs += 86400;
    --days;
  }
  CivilTime t;
  t.hour = static_cast<int>(secs / 3600);
  t.minute = static_cast<int>(secs % 3600 / 60);
  t.second = static_cast<int>(secs % 60);
  t.millisecond = static_cast<int>(rest / 1000);
  t.weekday = static_cast<int>(((days % 7) + 11) % 7);  // 1970-01-01 was a Thursday
  // Howard Hinnant's civil_from_days.
  const std::int64_t z = days + 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const std::int64_t doe = z - era * 146097;
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const std::int64_t mp = (5 * doy + 2) / 153;
  t.day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  t.month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  t.year = static_cast<int>(yoe + era * 400 + (t.month <= 2 ? 1 : 0));
  return t;
}

/// RFC 2822 date, like "Thu, 18 Apr 2024 16:19:48 +0000". `zone` is the zone text: Ruby's
/// Time#rfc2822 writes "-0000" for UTC times, the mail gem's Date header "+0000".
inline std::string format_rfc2822(std::int64_t micros, const char* zone = "+0000") {
  static constexpr const char* days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                           "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const CivilTime t = civil_from_micros(micros);
  char out[64];
  std::snprintf(out, sizeof out, "%s, %02d %s %04d %02d:%02d:%02d %s", days[t.weekday], t.day,
                months[t.month - 1], t.year, t.hour, t.minute, t.second, zone);
  return out;
}

/// ISO 8601 with milliseconds in UTC, like "2024-04-18T16:20:01.123Z" (how ActiveSupport
/// serialises a Time in JSON).
inline std::string format_iso8601_ms(std::int64_t micros) {
  const CivilTime t = civil_from_micros(micros);
  char out[64];
  std::snprintf(out, sizeof out, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", t.year, t.month, t.day,
                t.hour, t.minute, t.second, t.millisecond);
  return out;
}

/// Epoch microseconds as epoch seconds (what Postal's `to_f` of a DATETIME(6) gives).
inline double micros_to_seconds(std::int64_t micros) { return static_cast<double>(micros) / 1e6; }

}  // namespace detail
}  // namespace testing
POSTAL_END_NAMESPACE
