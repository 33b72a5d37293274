// postal-cpp internals: base64 (RFC 4648 alphabet) for attachments, raw messages and signatures.
#pragma once

#include <postal/version.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

POSTAL_BEGIN_NAMESPACE
namespace detail {

/// Base64 with '=' padding. `line_length` > 0 inserts '\n' after every `line_length` output
/// characters and at the end (Ruby's Base64.encode64 uses 60); 0 gives one line (strict).
inline std::string base64_encode(std::string_view bytes, std::size_t line_length = 0) {
  static constexpr char alphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const std::size_t encoded = (bytes.size() + 2) / 3 * 4;
  std::string out;
  out.reserve(encoded + (line_length ? encoded / line_length + 1 : 0));
  std::size_t column = 0;
  auto put = [&](char c) {
    out.push_back(c);
    if (line_length && ++column == line_length) {
      out.push_back('\n');
      column = 0;
    }
  };
  std::size_t i = 0;
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  for (; i + 3 <= bytes.size(); i += 3) {
    const std::uint32_t n = (std::uint32_t{p[i]} << 16) | (std::uint32_t{p[i + 1]} << 8) | p[i + 2];
    put(alphabet[(n >> 18) & 63]);
    put(alphabet[(n >> 12) & 63]);
    put(alphabet[(n >> 6) & 63]);
    put(alphabet[n & 63]);
  }
  if (const std::size_t rest = bytes.size() - i; rest > 0) {
    std::uint32_t n = std::uint32_t{p[i]} << 16;
    if (rest == 2) n |= std::uint32_t{p[i + 1]} << 8;
    put(alphabet[(n >> 18) & 63]);
    put(alphabet[(n >> 12) & 63]);
    put(rest == 2 ? alphabet[(n >> 6) & 63] : '=');
    put('=');
  }
  if (line_length && column != 0) out.push_back('\n');
  return out;
}

inline int base64_value(char c) noexcept {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

/// Decodes base64. Strict: only the alphabet, correct '=' padding, length a multiple of 4.
/// Lenient (`skip_whitespace`): also skips CR, LF, space and tab, as Postal's line-wrapped
/// output needs. Returns nullopt for anything else.
inline std::optional<std::string> base64_decode(std::string_view text,
                                                bool skip_whitespace = false) {
  std::string out;
  out.reserve(text.size() / 4 * 3);
  std::uint32_t buffer = 0;
  int count = 0;    // sextets in buffer
  int padding = 0;  // '=' seen
  for (char c : text) {
    if (skip_whitespace && (c == '\n' || c == '\r' || c == ' ' || c == '\t')) continue;
    if (c == '=') {
      ++padding;
      if (padding > 2) return std::nullopt;
      continue;
    }
    if (padding > 0) return std::nullopt;  // data after padding
    const int v = base64_value(c);
    if (v < 0) return std::nullopt;
    buffer = (buffer << 6) | static_cast<std::uint32_t>(v);
    if (++count == 4) {
      out.push_back(static_cast<char>((buffer >> 16) & 0xFF));
      out.push_back(static_cast<char>((buffer >> 8) & 0xFF));
      out.push_back(static_cast<char>(buffer & 0xFF));
      buffer = 0;
      count = 0;
    }
  }
  if (count == 0 && padding == 0) return out;
  if (count == 2 && padding == 2) {
    out.push_back(static_cast<char>((buffer >> 4) & 0xFF));
    return out;
  }
  if (count == 3 && padding == 1) {
    out.push_back(static_cast<char>((buffer >> 10) & 0xFF));
    out.push_back(static_cast<char>((buffer >> 2) & 0xFF));
    return out;
  }
  return std::nullopt;
}

}  // namespace detail
POSTAL_END_NAMESPACE
