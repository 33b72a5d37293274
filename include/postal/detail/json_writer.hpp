// postal-cpp internals: JSON text written directly, byte for byte what nlohmann::json::dump()
// (no indent, ensure_ascii=false, strict error handler) writes for the same document, without
// building a tree and with a string escaper that copies runs of plain bytes in one go.
#pragma once

#include <postal/detail/base64.hpp>
#include <postal/version.hpp>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <map>
#include <string>
#include <string_view>
#include <vector>

// SSE2 (every x86-64 compiler, and 32-bit x86 built for it) checks 16 bytes per step; elsewhere
// the escaper checks 8 at a time in a 64-bit word.
// (The tests define POSTAL_DETAIL_JSON_SSE2=0 to check the 8-byte path on x86 as well.)
#ifndef POSTAL_DETAIL_JSON_SSE2
#if defined(__SSE2__) || defined(_M_X64) || defined(_M_AMD64) || \
    (defined(_M_IX86_FP) && _M_IX86_FP >= 2)
#define POSTAL_DETAIL_JSON_SSE2 1
#else
#define POSTAL_DETAIL_JSON_SSE2 0
#endif
#endif
#if POSTAL_DETAIL_JSON_SSE2
#include <emmintrin.h>
#define POSTAL_DETAIL_JSON_ESCAPER escaper_sse2
#else
#define POSTAL_DETAIL_JSON_ESCAPER escaper_portable
#endif

POSTAL_BEGIN_NAMESPACE
namespace detail {

/// How the string escaper treats each byte.
enum class JsonByte : unsigned char {
  Plain,    ///< copied as is: ASCII 0x20..0x7F except '"' and '\\'
  Escape,   ///< written as an escape: 0x00..0x1F, '"', '\\'
  NonAscii  ///< 0x80..0xFF: part of a UTF-8 sequence, validated, then copied as is
};

struct JsonByteTable {
  JsonByte kind[256];
  constexpr JsonByteTable() : kind() {
    for (int c = 0; c < 256; ++c)
      kind[c] = c >= 0x80                           ? JsonByte::NonAscii
                : c < 0x20 || c == '"' || c == '\\' ? JsonByte::Escape
                                                    : JsonByte::Plain;
  }
};
inline constexpr JsonByteTable json_byte_table{};

/// Whether any of the 8 bytes of `w` is not JsonByte::Plain (SWAR: no false negatives).
inline bool json_word_needs_attention(std::uint64_t w) noexcept {
  constexpr std::uint64_t ones = 0x0101010101010101u;
  constexpr std::uint64_t highs = 0x8080808080808080u;
  const std::uint64_t quote = w ^ (ones * '"');
  const std::uint64_t backslash = w ^ (ones * '\\');
  const std::uint64_t control = (w - ones * 0x20) & ~w;  // a byte < 0x20 (exact below 0x80)
  return ((control | ((quote - ones) & ~quote) | ((backslash - ones) & ~backslash) | w) & highs) !=
         0;
}

/// The index of the lowest set bit of `mask` (not 0).
inline unsigned lowest_set_bit(unsigned mask) noexcept {
#if defined(__GNUC__) || defined(__clang__)
  return static_cast<unsigned>(__builtin_ctz(mask));
#else
  unsigned index = 0;
  for (; (mask & 1u) == 0; mask >>= 1) ++index;
  return index;
#endif
}

// The escaper's two builds get different names, so that a program holding both (the test of the
// 8-byte path, linked with the library) calls the one it was compiled with: the escaper and
// everything written with it (JsonWriter here, the send bodies in send_body.hpp), whose inline
// definitions would otherwise differ between the two under one name.
inline namespace POSTAL_DETAIL_JSON_ESCAPER {

/// Copies the plain bytes at `src` (up to `end`) to `dst`, a block of 16 (SSE2) or 8 at a time,
/// then one at a time, and moves both past them: `src` is then `end` or a byte that is not
/// plain. A block is stored whole even when it holds a byte that is not plain: the bytes from
/// that one on are garbage beyond the new `dst`, which the caller overwrites. So `dst` must
/// have room for min(end - src, 16) bytes beyond the plain bytes copied.
inline void copy_plain_run(char*& dst, const unsigned char*& src,
                           const unsigned char* end) noexcept {
  char* d = dst;
  const unsigned char* s = src;
#if POSTAL_DETAIL_JSON_SSE2
  // A signed compare with 0x20 catches the control bytes and, as negative numbers, the bytes
  // from 0x80 up; the mask's lowest bit is the first byte that is not plain.
  const __m128i quote = _mm_set1_epi8('"');
  const __m128i backslash = _mm_set1_epi8('\\');
  const __m128i space = _mm_set1_epi8(0x20);
  while (end - s >= 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(d), v);
    const __m128i hits =
        _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)),
                     _mm_cmplt_epi8(v, space));
    const auto mask = static_cast<unsigned>(_mm_movemask_epi8(hits));
    if (mask != 0) {
      const unsigned plain = lowest_set_bit(mask);
      dst = d + plain;
      src = s + plain;
      return;
    }
    s += 16;
    d += 16;
  }
#endif
  for (std::uint64_t w; end - s >= 8; s += 8, d += 8) {
    std::memcpy(&w, s, 8);
    if (json_word_needs_attention(w)) break;
    std::memcpy(d, &w, 8);
  }
  // The plain bytes before the one that needs attention, and a tail of fewer than 8 (16).
  for (; s != end && json_byte_table.kind[*s] == JsonByte::Plain; ++s, ++d)
    *d = static_cast<char>(*s);
  dst = d;
  src = s;
}

/// The letter of the short escape of an ASCII byte the escaper escapes ('"', '\\' or below 0x20),
/// or 0 when it has none (\u00xx). Indexed by any ASCII byte: 0 for those it never escapes.
struct JsonShortEscapes {
  char letter[0x80];
  constexpr JsonShortEscapes() : letter() {
    constexpr char pairs[][2] = {{'"', '"'},  {'\\', '\\'}, {'\b', 'b'}, {'\f', 'f'},
                                 {'\n', 'n'}, {'\r', 'r'},  {'\t', 't'}};
    for (const auto& pair : pairs) letter[static_cast<unsigned char>(pair[0])] = pair[1];
  }
};
inline constexpr JsonShortEscapes json_short_escapes{};

/// The length (2-4) of the valid UTF-8 sequence that starts at `p` (a byte >= 0x80), or 0 when
/// it is not one: RFC 3629, as strict as nlohmann's decoder (no overlongs, no surrogates
/// U+D800..U+DFFF, nothing above U+10FFFF, no lone continuation bytes, no truncation).
inline std::size_t utf8_sequence_length(const unsigned char* p, std::size_t available) noexcept {
  const unsigned lead = p[0];
  auto in = [&](std::size_t k, unsigned lo, unsigned hi) {
    return k < available && p[k] >= lo && p[k] <= hi;
  };
  if (lead >= 0xC2 && lead <= 0xDF) return in(1, 0x80, 0xBF) ? 2 : 0;
  if (lead >= 0xE0 && lead <= 0xEF) {
    const unsigned lo = lead == 0xE0 ? 0xA0 : 0x80;  // E0 80..9F xx: overlong
    const unsigned hi = lead == 0xED ? 0x9F : 0xBF;  // ED A0..BF xx: surrogates
    return in(1, lo, hi) && in(2, 0x80, 0xBF) ? 3 : 0;
  }
  if (lead >= 0xF0 && lead <= 0xF4) {
    const unsigned lo = lead == 0xF0 ? 0x90 : 0x80;  // F0 80..8F xx xx: overlong
    const unsigned hi = lead == 0xF4 ? 0x8F : 0xBF;  // F4 90..BF xx xx: above U+10FFFF
    return in(1, lo, hi) && in(2, 0x80, 0xBF) && in(3, 0x80, 0xBF) ? 4 : 0;
  }
  return 0;  // 80..BF (continuation), C0/C1 (overlong), F5..FF
}

/// Appends `"text"` as a JSON string, escaped exactly as nlohmann::json::dump() does with
/// ensure_ascii=false: \" \\ \b \f \n \r \t, other bytes below 0x20 as \u00xx (lowercase hex),
/// everything else (DEL, '/', UTF-8 sequences) unchanged. Returns false when `text` is not valid
/// UTF-8 (where dump() throws type_error 316); what was appended to `out` is then unspecified.
///
/// Plain bytes are checked and copied 16 (or 8) at a time, straight into `out`, which is sized
/// for the text plus some escapes up front and written through a pointer; it grows again only
/// when the escapes outnumber that room (without reallocating when the caller reserved
/// json_string_bound(text)), and is cut to the length written at the end. A run of UTF-8
/// sequences (a word in Cyrillic, a line in Japanese) is checked and copied one sequence after
/// another without going back to the block loop, which would stop at once on each of them.
inline bool append_json_string(std::string& out, std::string_view text) {
  static constexpr char hex[] = "0123456789abcdef";
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const auto* const end = s + text.size();
  const std::size_t n = text.size();
  // Invariant: the room left in `out` after `d` is (end - s) + 1 (the closing quote) + slack,
  // so a byte copied as is keeps slack, and an escape of 2 (6) bytes for 1 takes 1 (5) from
  // it. A block copy needs no more than the bytes left to read.
  std::size_t slack = n / 8 + 64;
  const std::size_t start = out.size();
  out.resize(start + 2 + n + slack);
  char* base = &out[0];
  char* d = base + start;
  *d++ = '"';
  while (s != end) {
    copy_plain_run(d, s, end);
    if (s == end) break;
    const unsigned char c = *s;  // not plain (copy_plain_run took those)
    if (c >= 0x80) {
      do {  // a run of UTF-8 sequences, without going back to the block loop between them
        const std::size_t length = utf8_sequence_length(s, static_cast<std::size_t>(end - s));
        if (length == 0) return false;
        d[0] = static_cast<char>(s[0]);  // 2 to 4 bytes, copied one by one (no call)
        d[1] = static_cast<char>(s[1]);
        if (length > 2) d[2] = static_cast<char>(s[2]);
        if (length > 3) d[3] = static_cast<char>(s[3]);
        d += length;
        s += length;
      } while (s != end && *s >= 0x80);
      continue;
    }
    ++s;              // an escape: '"', '\\' or a byte below 0x20
    if (slack < 5) {  // room for one more escape of any kind, and for the rest if all are short
      const auto at = static_cast<std::size_t>(d - base);
      const std::size_t more = static_cast<std::size_t>(end - s) + 64;
      out.resize(out.size() + more);
      base = &out[0];
      d = base + at;
      slack += more;
    }
    d[0] = '\\';
    if (const char letter = json_short_escapes.letter[c]; letter != 0) {
      d[1] = letter;
      d += 2;
      slack -= 1;
    } else {
      d[1] = 'u';
      d[2] = '0';
      d[3] = '0';
      d[4] = hex[c >> 4];
      d[5] = hex[c & 15];
      d += 6;
      slack -= 5;
    }
  }
  *d++ = '"';
  out.resize(static_cast<std::size_t>(d - base));
  return true;
}

/// Whether `text` is valid UTF-8 (what append_json_string and nlohmann accept).
inline bool is_valid_utf8(std::string_view text) noexcept {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t n = text.size();
  for (std::size_t i = 0; i < n;) {
    if (s[i] < 0x80) {
      ++i;
      continue;
    }
    const std::size_t length = utf8_sequence_length(s + i, n - i);
    if (length == 0) return false;
    i += length;
  }
  return true;
}

/// The room append_json_string needs for `text`: it appends at most 6 bytes per byte (all
/// \u00xx escapes) plus the quotes, and while writing never holds more than this many bytes
/// beyond out.size(), so `out.reserve(out.size() + json_string_bound(text))` makes it allocate
/// nothing.
inline std::size_t json_string_bound(std::string_view text) noexcept {
  return text.size() * 6 + 72;
}

/// A JSON text written front to back, with the commas between members and array items put in
/// for you. Object members must be written in the order nlohmann's std::map gives them (keys
/// sorted bytewise) for the text to equal dump()'s. Keys are written unescaped: pass literals.
///
/// @code
/// JsonWriter w(out);
/// w.begin_object();
/// w.key("bounce");
/// w.boolean(false);
/// bool ok = w.string_member("from", from);
/// w.end_object();  // {"bounce":false,"from":"..."}
/// @endcode
class JsonWriter {
 public:
  explicit JsonWriter(std::string& out) noexcept : out_(out) {}

  void begin_object() {
    separate();
    out_.push_back('{');
    need_comma_ = false;
  }
  void end_object() {
    out_.push_back('}');
    need_comma_ = true;
  }
  void begin_array() {
    separate();
    out_.push_back('[');
    need_comma_ = false;
  }
  void end_array() {
    out_.push_back(']');
    need_comma_ = true;
  }

  /// `"name":`; the next call writes the member's value. `name` must need no escaping.
  void key(std::string_view name) {
    separate();
    out_.push_back('"');
    out_.append(name).append("\":", 2);
    need_comma_ = false;
  }

  /// A string value; false when `text` is not valid UTF-8 (the text is then unusable).
  [[nodiscard]] bool string(std::string_view text) {
    separate();
    need_comma_ = true;
    return append_json_string(out_, text);
  }

  void boolean(bool value) {
    separate();
    out_.append(value ? "true" : "false");
    need_comma_ = true;
  }

  /// A string value holding the base64 (padded, one line) of `bytes`.
  void base64(std::string_view bytes) {
    separate();
    out_.push_back('"');
    append_base64(out_, bytes);
    out_.push_back('"');
    need_comma_ = true;
  }

  /// `"name":"value"`; false when `value` is not valid UTF-8.
  [[nodiscard]] bool string_member(std::string_view name, std::string_view value) {
    key(name);
    return string(value);
  }

  /// `"name":"value"` when `value` holds one, nothing otherwise; false when it is not UTF-8.
  template <class Optional>
  [[nodiscard]] bool optional_string_member(std::string_view name, const Optional& value) {
    return !value || string_member(name, *value);
  }

  /// `"name":["item",...]`. Returns how many items were written: items.size(), or the index of
  /// the first item that is not valid UTF-8.
  std::size_t string_array_member(std::string_view name, const std::vector<std::string>& items) {
    key(name);
    begin_array();
    for (std::size_t i = 0; i < items.size(); ++i)
      if (!string(items[i])) return i;
    end_array();
    return items.size();
  }

  /// `"name":{"key":"value",...}` in the map's (sorted) order. Returns entries.end(), or the
  /// entry whose key or value is not valid UTF-8.
  std::map<std::string, std::string>::const_iterator string_map_member(
      std::string_view name, const std::map<std::string, std::string>& entries) {
    key(name);
    begin_object();
    for (auto it = entries.begin(); it != entries.end(); ++it) {
      separate();
      if (!append_json_string(out_, it->first)) return it;
      out_.push_back(':');
      need_comma_ = false;
      if (!string(it->second)) return it;
    }
    end_object();
    return entries.end();
  }

 private:
  void separate() {
    if (need_comma_) out_.push_back(',');
  }

  std::string& out_;
  bool need_comma_ = false;
};

}  // namespace POSTAL_DETAIL_JSON_ESCAPER
}  // namespace detail
POSTAL_END_NAMESPACE
