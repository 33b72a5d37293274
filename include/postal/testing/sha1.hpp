/// @file
/// Test tooling: SHA-1 (FIPS 180-4), for the `hash` field of attachments that
/// FakePostal reports like Postal does (Digest::SHA1.hexdigest). Not for security: test tooling
/// only, so no OpenSSL dependency here.
///
/// Internal to FakePostal (namespace postal::testing::detail): no stability promise.
#pragma once

#include <postal/version.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

POSTAL_BEGIN_NAMESPACE
namespace testing {
namespace detail {

/// SHA-1 digest of `bytes` (20 bytes).
inline std::array<std::uint8_t, 20> sha1(std::string_view bytes) {
  std::uint32_t h[5] = {0x67452301u, 0xEFCDAB89u, 0x98BADCFEu, 0x10325476u, 0xC3D2E1F0u};
  auto rotl = [](std::uint32_t x, int n) -> std::uint32_t { return (x << n) | (x >> (32 - n)); };

  // The message plus 0x80, zero padding and the 64-bit big-endian bit length.
  std::string data(bytes);
  const std::uint64_t bit_length = static_cast<std::uint64_t>(bytes.size()) * 8u;
  data.push_back(static_cast<char>(0x80));
  while (data.size() % 64 != 56) data.push_back('\0');
  for (int shift = 56; shift >= 0; shift -= 8)
    data.push_back(static_cast<char>((bit_length >> shift) & 0xFFu));

  for (std::size_t chunk = 0; chunk < data.size(); chunk += 64) {
    std::uint32_t w[80];
    for (std::size_t i = 0; i < 16; ++i) {
      const auto* p = reinterpret_cast<const unsigned char*>(data.data() + chunk + i * 4);
      w[i] = (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) |
             (std::uint32_t{p[2]} << 8) | std::uint32_t{p[3]};
    }
    for (std::size_t i = 16; i < 80; ++i)
      w[i] = rotl(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);

    std::uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
    for (std::size_t i = 0; i < 80; ++i) {
      std::uint32_t f = 0;
      std::uint32_t k = 0;
      if (i < 20) {
        f = (b & c) | (~b & d);
        k = 0x5A827999u;
      } else if (i < 40) {
        f = b ^ c ^ d;
        k = 0x6ED9EBA1u;
      } else if (i < 60) {
        f = (b & c) | (b & d) | (c & d);
        k = 0x8F1BBCDCu;
      } else {
        f = b ^ c ^ d;
        k = 0xCA62C1D6u;
      }
      const std::uint32_t temp = rotl(a, 5) + f + e + k + w[i];
      e = d;
      d = c;
      c = rotl(b, 30);
      b = a;
      a = temp;
    }
    h[0] += a;
    h[1] += b;
    h[2] += c;
    h[3] += d;
    h[4] += e;
  }

  std::array<std::uint8_t, 20> out{};
  for (std::size_t i = 0; i < 5; ++i)
    for (std::size_t j = 0; j < 4; ++j)
      out[i * 4 + j] = static_cast<std::uint8_t>((h[i] >> (24 - 8 * j)) & 0xFFu);
  return out;
}

/// SHA-1 of `bytes` as 40 lower-case hex digits, like Ruby's Digest::SHA1.hexdigest.
inline std::string sha1_hex(std::string_view bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(40);
  for (std::uint8_t byte : sha1(bytes)) {
    out.push_back(digits[byte >> 4]);
    out.push_back(digits[byte & 0x0F]);
  }
  return out;
}

}  // namespace detail
}  // namespace testing
POSTAL_END_NAMESPACE
