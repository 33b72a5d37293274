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
/// The length of the one-line encoding of `bytes` bytes (with padding).
inline constexpr std::size_t base64_length(std::size_t bytes) noexcept {
  return (bytes + 2) / 3 * 4;
}

/// Appends the encoding to `out` (which grows once, to its final size).
inline void append_base64(std::string& out, std::string_view bytes, std::size_t line_length = 0) {
  static constexpr char alphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const std::size_t encoded = base64_length(bytes.size());
  out.reserve(out.size() + encoded + (line_length ? encoded / line_length + 1 : 0));
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
}

/// Base64 with '=' padding, as a new string (see append_base64).
inline std::string base64_encode(std::string_view bytes, std::size_t line_length = 0) {
  std::string out;
  append_base64(out, bytes, line_length);
  return out;
}

/// Sextet values of the base64 alphabet; -1 for every other byte (including '=').
struct Base64DecodeTable {
  signed char value[256];
  constexpr Base64DecodeTable() : value() {
    for (auto& v : value) v = -1;
    for (int i = 0; i < 26; ++i) {
      value['A' + i] = static_cast<signed char>(i);
      value['a' + i] = static_cast<signed char>(26 + i);
    }
    for (int i = 0; i < 10; ++i) value['0' + i] = static_cast<signed char>(52 + i);
    value[static_cast<unsigned char>('+')] = 62;
    value[static_cast<unsigned char>('/')] = 63;
  }
};
inline constexpr Base64DecodeTable base64_decode_table{};

/// The sextet value of a base64 alphabet character, or -1.
inline int base64_value(char c) noexcept {
  return base64_decode_table.value[static_cast<unsigned char>(c)];
}

/// Strict decoding of whitespace-free text (see base64_decode).
inline std::optional<std::string> base64_decode_strict(std::string_view text) {
  const std::size_t n = text.size();
  if (n % 4 != 0) return std::nullopt;
  std::size_t padding = 0;  // '=' at the end; one anywhere else fails the table lookup
  if (n > 0 && text[n - 1] == '=') padding = text[n - 2] == '=' ? 2 : 1;
  std::string out(n / 4 * 3 - padding, '\0');  // sized once, written in place
  const auto* in = reinterpret_cast<const unsigned char*>(text.data());
  const auto& table = base64_decode_table.value;
  const std::size_t full = padding > 0 ? n - 4 : n;  // quads without padding
  std::size_t o = 0;
  for (std::size_t i = 0; i < full; i += 4) {
    const int a = table[in[i]], b = table[in[i + 1]], c = table[in[i + 2]], d = table[in[i + 3]];
    if ((a | b | c | d) < 0) return std::nullopt;
    const auto v = (static_cast<std::uint32_t>(a) << 18) | (static_cast<std::uint32_t>(b) << 12) |
                   (static_cast<std::uint32_t>(c) << 6) | static_cast<std::uint32_t>(d);
    out[o++] = static_cast<char>((v >> 16) & 0xFF);
    out[o++] = static_cast<char>((v >> 8) & 0xFF);
    out[o++] = static_cast<char>(v & 0xFF);
  }
  if (padding > 0) {
    const int a = table[in[full]], b = table[in[full + 1]];
    const int c = padding == 1 ? table[in[full + 2]] : 0;
    if ((a | b | c) < 0) return std::nullopt;
    const auto v = (static_cast<std::uint32_t>(a) << 18) | (static_cast<std::uint32_t>(b) << 12) |
                   (static_cast<std::uint32_t>(c) << 6);
    out[o++] = static_cast<char>((v >> 16) & 0xFF);
    if (padding == 1) out[o++] = static_cast<char>((v >> 8) & 0xFF);
  }
  return out;
}

/// Decodes base64. Strict: only the alphabet, correct '=' padding, length a multiple of 4.
/// Lenient (`skip_whitespace`): also skips CR, LF, space and tab, as Postal's line-wrapped
/// output needs. Returns nullopt for anything else.
inline std::optional<std::string> base64_decode(std::string_view text,
                                                bool skip_whitespace = false) {
  constexpr std::string_view whitespace = "\n\r \t";
  if (!skip_whitespace || text.find_first_of(whitespace) == std::string_view::npos)
    return base64_decode_strict(text);
  std::string compact;
  compact.reserve(text.size());
  for (char c : text)
    if (whitespace.find(c) == std::string_view::npos) compact.push_back(c);
  return base64_decode_strict(compact);
}

}  // namespace detail
POSTAL_END_NAMESPACE
