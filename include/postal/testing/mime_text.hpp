/// @file
/// Test tooling: text-level helpers for reading mail the way the mail gem does: line
/// breaks, charsets, quoted-printable, RFC 2047 encoded words and address lists.
///
/// Internal to FakePostal (namespace postal::testing::detail): no stability promise.
#pragma once

#include <postal/testing/ruby_compat.hpp>
#include <postal/version.hpp>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

POSTAL_BEGIN_NAMESPACE
namespace testing {
namespace detail {

/// ASCII lower case.
inline std::string ascii_lower(std::string_view text) {
  std::string out(text);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

/// Line breaks (CRLF or a lone CR) as LF, like the mail gem's to_lf.
inline std::string to_lf(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\r') {
      out.push_back('\n');
      if (i + 1 < text.size() && text[i + 1] == '\n') ++i;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

/// ISO-8859-1 (and, approximately, Windows-1252) bytes as UTF-8.
inline std::string latin1_to_utf8(std::string_view text) {
  std::string out;
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x80) {
      out.push_back(ch);
    } else {
      out.push_back(static_cast<char>(0xC0 | (c >> 6)));
      out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    }
  }
  return out;
}

/// Converts text in `charset` to UTF-8 (only the Latin-1 family needs work; others pass).
inline std::string charset_to_utf8(std::string_view text, std::string_view charset) {
  const std::string name = ascii_lower(charset);
  if (name == "iso-8859-1" || name == "latin1" || name == "iso8859-1" || name == "windows-1252" ||
      name == "cp1252")
    return latin1_to_utf8(text);
  return std::string(text);
}

/// Decodes `=XX` escapes (and, with `underscore_is_space`, `_` as in RFC 2047 Q words). Soft
/// line breaks (`=` at the end of a line) are removed, as Ruby's unpack("M") does.
inline std::string quoted_printable_decode(std::string_view text,
                                           bool underscore_is_space = false) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '=' && i + 1 < text.size() && text[i + 1] == '\n') {
      i += 1;
    } else if (c == '=' && i + 2 < text.size() && text[i + 1] == '\r' && text[i + 2] == '\n') {
      i += 2;
    } else if (c == '=' && i + 2 < text.size() && hex(text[i + 1]) >= 0 && hex(text[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex(text[i + 1]) * 16 + hex(text[i + 2])));
      i += 2;
    } else if (c == '_' && underscore_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

/// Decodes RFC 2047 encoded words (`=?UTF-8?B?...?=`, `=?ISO-8859-1?Q?...?=`); whitespace
/// between two adjacent encoded words is dropped.
inline std::string decode_encoded_words(std::string_view text) {
  std::string out;
  std::size_t previous_end = std::string_view::npos;  // input index after the last word
  std::size_t previous_out = 0;                       // output size after the last word
  for (std::size_t i = 0; i < text.size();) {
    if (text.compare(i, 2, "=?") == 0) {
      const std::size_t q1 = text.find('?', i + 2);
      const std::size_t q2 = q1 == std::string_view::npos ? q1 : text.find('?', q1 + 1);
      const std::size_t end = q2 == std::string_view::npos ? q2 : text.find("?=", q2 + 1);
      const char encoding = q2 == q1 + 2 ? text[q1 + 1] : '\0';
      const bool base64 = encoding == 'B' || encoding == 'b';
      if (end != std::string_view::npos && (base64 || encoding == 'Q' || encoding == 'q')) {
        std::string charset(text.substr(i + 2, q1 - i - 2));
        if (const auto star = charset.find('*'); star != std::string::npos) charset.resize(star);
        const std::string_view payload = text.substr(q2 + 1, end - q2 - 1);
        if (previous_end != std::string_view::npos &&
            text.substr(previous_end, i - previous_end).find_first_not_of(" \t\r\n") ==
                std::string_view::npos)
          out.resize(previous_out);  // whitespace between two encoded words is dropped
        out += charset_to_utf8(
            base64 ? ruby_decode64(payload) : quoted_printable_decode(payload, true), charset);
        i = end + 2;
        previous_end = i;
        previous_out = out.size();
        continue;
      }
    }
    out.push_back(text[i]);
    ++i;
  }
  return out;
}

/// The addresses (addr-specs, without display names or comments) of an address-list field
/// value such as `"Doe, J" <j@example.com>, k@example.com (K), team: a@x.test, b@x.test;`.
inline std::vector<std::string> parse_address_list(std::string_view value) {
  std::vector<std::string> out;
  std::string current, angle_text;
  bool quoted = false, in_angle = false, had_angle = false;
  int comment = 0;
  auto flush = [&] {
    std::string address = ruby_strip(had_angle ? angle_text : current);
    if (!address.empty()) out.push_back(std::move(address));
    current.clear();
    angle_text.clear();
    had_angle = false;
  };
  for (std::size_t i = 0; i < value.size(); ++i) {
    const char c = value[i];
    if (quoted) {
      current.push_back(c);
      if (c == '\\' && i + 1 < value.size()) {
        current.push_back(value[++i]);
      } else if (c == '"') {
        quoted = false;
      }
    } else if (comment > 0) {
      if (c == '(') ++comment;
      if (c == ')') --comment;
    } else if (in_angle) {
      if (c == '>') {
        in_angle = false;
      } else {
        angle_text.push_back(c);
      }
    } else if (c == '"') {
      quoted = true;
      current.push_back(c);
    } else if (c == '(') {
      comment = 1;
    } else if (c == '<') {
      in_angle = had_angle = true;
      angle_text.clear();
    } else if (c == ',' || c == ';') {
      flush();
    } else if (c == ':') {
      current.clear();  // a group's display name
    } else {
      current.push_back(c);
    }
  }
  flush();
  return out;
}

}  // namespace detail
}  // namespace testing
POSTAL_END_NAMESPACE
