// The table-driven base64 decoder and the memchr-based JSON nesting scan (both on the webhook hot
// path) behave exactly like the straightforward character-by-character versions they replaced.
#include "support/catch.hpp"

#include <postal/detail/base64.hpp>
#include <postal/detail/json_read.hpp>

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <string_view>

namespace {

// The reference decoder: one character at a time, same rules (strict alphabet, '=' padding only
// at the end, whole quads; lenient mode skips CR, LF, space and tab).
std::optional<std::string> reference_base64_decode(std::string_view text, bool skip_whitespace) {
  auto value = [](char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  std::string out;
  std::uint32_t buffer = 0;
  int count = 0;
  int padding = 0;
  for (char c : text) {
    if (skip_whitespace && (c == '\n' || c == '\r' || c == ' ' || c == '\t')) continue;
    if (c == '=') {
      if (++padding > 2) return std::nullopt;
      continue;
    }
    if (padding > 0) return std::nullopt;
    const int v = value(c);
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

// The reference nesting scan: a string flag, a backslash skips the next character.
bool reference_nesting_exceeds(std::string_view text, std::size_t limit) {
  std::size_t depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > limit) return true;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return false;
}

std::string random_text(std::mt19937& rng, std::string_view alphabet, std::size_t max_length) {
  std::uniform_int_distribution<std::size_t> length(0, max_length);
  std::uniform_int_distribution<std::size_t> pick(0, alphabet.size() - 1);
  std::string s(length(rng), '\0');
  for (auto& c : s) c = alphabet[pick(rng)];
  return s;
}

}  // namespace

TEST_CASE("base64_decode round-trips every byte string up to 300 bytes") {
  std::mt19937 rng(20240313);
  std::uniform_int_distribution<int> byte(0, 255);
  for (std::size_t n = 0; n <= 300; ++n) {
    std::string bytes(n, '\0');
    for (auto& c : bytes) c = static_cast<char>(byte(rng));
    INFO("length " << n);
    REQUIRE(postal::detail::base64_decode(postal::detail::base64_encode(bytes)) == bytes);
    REQUIRE(postal::detail::base64_decode(postal::detail::base64_encode(bytes, 60), true) == bytes);
  }
}

TEST_CASE(
    "base64_decode accepts and rejects exactly what the character-by-character decoder does") {
  std::mt19937 rng(4);
  const std::string_view alphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
      "====\n\r \t-_.\x80\xff";
  for (int i = 0; i < 50000; ++i) {
    const std::string text = random_text(rng, alphabet, i % 3 == 0 ? 40 : 10);
    INFO(text);
    REQUIRE(postal::detail::base64_decode(text) == reference_base64_decode(text, false));
    REQUIRE(postal::detail::base64_decode(text, true) == reference_base64_decode(text, true));
  }
  for (const char* edge : {"", "=", "==", "===", "====", "A===", "AA==", "AA=", "AAA=", "AAAA",
                           "AA==AAAA", "AAAA====", "AA=A", "A=AA", " AA==", "AA\n==", "AA=\n="}) {
    INFO(edge);
    REQUIRE(postal::detail::base64_decode(edge) == reference_base64_decode(edge, false));
    REQUIRE(postal::detail::base64_decode(edge, true) == reference_base64_decode(edge, true));
  }
}

TEST_CASE("json_nesting_exceeds skips strings, escaped quotes included") {
  using postal::detail::json_nesting_exceeds;
  CHECK_FALSE(json_nesting_exceeds(R"({"a":"[[[[[[","b":1})", 2));
  CHECK_FALSE(json_nesting_exceeds(R"({"a":"\"[[[[[["})", 2));
  CHECK(json_nesting_exceeds(R"({"a":"\\",[[[[[[1]]]]]]})", 2));  // "\\" ends the string
  CHECK_FALSE(json_nesting_exceeds(R"({"a":"\\\"[[[[["})", 2));
  CHECK_FALSE(json_nesting_exceeds(R"({"a":"[[[[[)", 2));  // unterminated: left to the parser
  CHECK(json_nesting_exceeds(std::string(65, '[') + std::string(65, ']'), 64));
  CHECK_FALSE(json_nesting_exceeds(std::string(64, '[') + std::string(64, ']'), 64));
}

TEST_CASE("json_nesting_exceeds agrees with the character-by-character scan") {
  std::mt19937 rng(7);
  const std::string_view alphabet = "[[{{]]}}\"\"\"\\\\\\a:,";
  for (int i = 0; i < 50000; ++i) {
    const std::string text = random_text(rng, alphabet, 40);
    const std::size_t limit = static_cast<std::size_t>(i % 5);
    INFO(text << " limit " << limit);
    REQUIRE(postal::detail::json_nesting_exceeds(text, limit) ==
            reference_nesting_exceeds(text, limit));
  }
}
