// The direct JSON writer (detail/json_writer.hpp) and the send bodies written with it: every
// string is escaped and validated exactly as nlohmann::json::dump() does it, and every body is
// byte for byte the dump() of to_json's document.
#include "support/catch.hpp"

#include <postal/detail/json_writer.hpp>
#include <postal/detail/send_body.hpp>
#include <postal/json.hpp>
#include <postal/models.hpp>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <iterator>
#include <map>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace {

using nlohmann::json;
using postal::detail::append_json_string;

/// `text` as hex bytes, for failure messages.
std::string hex_bytes(const std::string& text) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (char byte : text) {
    const auto c = static_cast<unsigned char>(byte);
    out += digits[c >> 4];
    out += digits[c & 15];
    out += ' ';
  }
  return out;
}

/// What nlohmann::json(text).dump() writes, or nullopt where it throws.
std::optional<std::string> nlohmann_dump(const std::string& text) {
  try {
    return json(text).dump();
  } catch (const json::type_error&) {
    return std::nullopt;
  }
}

/// Whether append_json_string agrees with nlohmann on `text`: the same bytes (appended after
/// what `out` held), or false exactly where dump() throws.
bool agrees_with_nlohmann(const std::string& text) {
  const auto expected = nlohmann_dump(text);
  std::string out = "[1,";
  const bool ok = append_json_string(out, text);
  if (ok != expected.has_value()) return false;
  return !ok || out == "[1," + *expected;
}

void check_agrees(const std::string& text) {
  INFO("bytes: " << hex_bytes(text));
  CHECK(agrees_with_nlohmann(text));
  CHECK(postal::detail::is_valid_utf8(text) == nlohmann_dump(text).has_value());
}

std::string utf8(std::uint32_t cp) {
  std::string out;
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {  // also encodes surrogates, which must be refused
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {  // also encodes > U+10FFFF (up to U+1FFFFF), which must be refused
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
  return out;
}

/// A random byte string that is mostly UTF-8, with escapes, invalid sequences and long runs of
/// plain ASCII (so that every position of the 8-byte fast path meets every kind of byte).
std::string random_text(std::mt19937& rng) {
  auto below = [&](std::uint32_t n) { return static_cast<std::uint32_t>(rng() % n); };
  static const std::uint32_t boundaries[] = {0x7F,   0x80,   0x7FF,    0x800,    0xFFFF, 0x1000,
                                             0xD7FF, 0xE000, 0x10000,  0x10FFFF, 0xFFFD, 0xFEFF,
                                             0xD800, 0xDFFF, 0x110000, 0x1FFFFF};
  std::string out;
  const std::uint32_t pieces = below(24);
  for (std::uint32_t p = 0; p < pieces; ++p) {
    switch (below(12)) {
      case 0:
      case 1:
        out.append(below(20), static_cast<char>('a' + below(26)));
        break;
      case 2:
        out += static_cast<char>(0x20 + below(0x60));
        break;  // ASCII incl. " \ / DEL
      case 3:
        out += static_cast<char>(below(0x20));
        break;  // control
      case 4:
        out += below(2) ? '"' : '\\';
        break;
      case 5:
        out += utf8(0x80 + below(0x800 - 0x80));
        break;
      case 6:
        out += utf8(0x800 + below(0x10000 - 0x800));
        break;  // may be a surrogate
      case 7:
        out += utf8(0x10000 + below(0x100000));
        break;
      case 8:
        out += utf8(boundaries[below(static_cast<std::uint32_t>(std::size(boundaries)))]);
        break;
      case 9:
        out += static_cast<char>(0x80 + below(0x80));
        break;    // any high byte
      case 10: {  // a valid sequence cut short
        const std::string whole = utf8(0x80 + below(0x10FFFF - 0x80));
        out += whole.substr(0, 1 + below(static_cast<std::uint32_t>(whole.size())));
        break;
      }
      default:
        out += static_cast<char>(below(256));
        break;
    }
  }
  return out;
}

postal::SendMessageRequest minimal_message() {
  postal::SendMessageRequest m;
  m.to = {"john@example.com"};
  m.from = "sales@example.com";
  m.plain_body = "Hello";
  return m;
}

/// What the nlohmann path writes for a request: to_json, then dump().
template <class Request>
std::string nlohmann_body(const Request& request) {
  json j;
  to_json(j, request);
  return j.dump();
}

template <class Request>
void check_body_matches(const Request& request) {
  const std::string body = postal::detail::encode_send_body_text(request);
  CHECK(body == nlohmann_body(request));
  // One allocation: the capacity reserved up front is never outgrown.
  std::string reserved;
  reserved.reserve(postal::detail::send_body_bound(request));
  std::string written;
  REQUIRE_FALSE(postal::detail::write_send_body(written, request).has_value());
  CHECK(written == body);
  CHECK(written.capacity() == reserved.capacity());
  auto via_send_body = postal::detail::send_body(request);
  if (via_send_body) CHECK(*via_send_body == body);
}

}  // namespace

TEST_CASE("send_body of one request: a large body gives back its worst-case reservation") {
  postal::SendMessageRequest m;
  m.to = {"a@example.net"};
  m.from = "b@example.com";
  m.plain_body = std::string(1u << 20, 'x');  // reserved ~6 MiB for escapes it does not have
  auto body = postal::detail::send_body(m);
  REQUIRE(body.has_value());
  CHECK(*body == postal::detail::encode_send_body_text(m));
  CHECK(body->capacity() <= body->size() + body->size() / 4 + 1024);
}

// ---------------------------------------------------------------------------------------------
// append_json_string against nlohmann's dump_escaped

TEST_CASE("append_json_string escapes like nlohmann: the short forms and lowercase \\u00xx") {
  std::string out;
  REQUIRE(append_json_string(out, std::string("\"\\/\b\f\n\r\t\x01\x1f\x7f\0", 12)));
  CHECK(out == R"("\"\\/\b\f\n\r\t\u0001\u001f)"
               "\x7f"
               R"(\u0000")");
  out.clear();
  REQUIRE(append_json_string(out, ""));
  CHECK(out == "\"\"");
  out.clear();
  REQUIRE(append_json_string(out, std::string_view()));
  CHECK(out == "\"\"");
  out = "x";
  REQUIRE(append_json_string(out, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"));
  CHECK(out == "x\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"");
}

TEST_CASE("append_json_string agrees with nlohmann on every single byte and every pair") {
  for (int c = 0; c < 256; ++c) check_agrees(std::string(1, static_cast<char>(c)));
  int disagreements = 0;
  for (int a = 0; a < 256; ++a)
    for (int b = 0; b < 256; ++b) {
      const std::string text{static_cast<char>(a), static_cast<char>(b)};
      if (!agrees_with_nlohmann(text)) {
        if (++disagreements <= 5) check_agrees(text);
      }
    }
  CHECK(disagreements == 0);
}

TEST_CASE("append_json_string agrees with nlohmann on control characters, quotes, backslashes") {
  for (int c = 0; c < 0x20; ++c) {
    const char byte = static_cast<char>(c);
    check_agrees(std::string(1, byte));
    check_agrees(std::string("a") + byte + "b");
    check_agrees(std::string(17, byte));
  }
  for (const char* text : {"\"", "\\", "\\\"", "a\"b\\c", "\"\"\"\"\"\"\"\"\"", "\\\\\\\\\\\\\\\\",
                           "/", "</script>", "\x7f"})
    check_agrees(text);
}

TEST_CASE("append_json_string agrees with nlohmann on valid and invalid UTF-8") {
  const std::vector<std::string> valid = {
      "\xc2\x80",         "\xdf\xbf",         "\xc3\xa9",          // 2 bytes
      "\xe0\xa0\x80",     "\xed\x9f\xbf",     "\xee\x80\x80",      // 3 bytes, around surrogates
      "\xef\xbf\xbf",     "\xef\xbb\xbf",     "\xe2\x82\xac",      // U+FFFF, BOM, euro
      "\xf0\x90\x80\x80", "\xf4\x8f\xbf\xbf", "\xf0\x9f\x98\x80",  // 4 bytes, U+10FFFF
  };
  for (const auto& text : valid) {
    INFO("bytes: " << hex_bytes(text));
    CHECK(nlohmann_dump(text).has_value());
    check_agrees(text);
    check_agrees("ascii before " + text + " and after");
  }
  const std::vector<std::string> invalid = {
      "\xc0\x80",
      "\xc1\xbf",
      "\xe0\x80\x80",
      "\xe0\x9f\xbf",  // overlong
      "\xf0\x80\x80\x80",
      "\xf0\x8f\xbf\xbf",  // overlong
      "\xed\xa0\x80",
      "\xed\xbf\xbf",  // surrogates
      "\xf4\x90\x80\x80",
      "\xf5\x80\x80\x80",
      "\xff",
      "\xfe",  // too big
      "\xc3",
      "\xe2\x82",
      "\xf0\x9f\x98",
      "\xe2",  // truncated
      "\x80",
      "\xbf",
      "a\x80",
      "\xc3\xa9\xa9",  // continuation
      "\xc3\x41",
      "\xe2\x82\x41",
      "\xf0\x9f\x98\x41",
      "\xc3\"",  // interrupted
  };
  for (const auto& text : invalid) {
    INFO("bytes: " << hex_bytes(text));
    CHECK_FALSE(nlohmann_dump(text).has_value());
    check_agrees(text);
    check_agrees("0123456789abcdef" + text);
    check_agrees(text + "0123456789abcdef");
  }
}

TEST_CASE("append_json_string stays within json_string_bound, escapes or not") {
  std::vector<std::string> texts = {"",
                                    "a",
                                    "\n",
                                    "\x01",
                                    std::string(1000, '\x01'),
                                    std::string(1000, '"'),
                                    std::string(1000, 'a')};
  for (std::size_t plain : {1u, 3u, 8u, 50u})  // runs of plain bytes between escapes
    for (std::size_t repeat = 1; repeat < 300; repeat *= 3) {
      std::string text;
      for (std::size_t k = 0; k < repeat; ++k) text += std::string(plain, 'x') + "\x02\"";
      texts.push_back(text);
      texts.push_back("\x1f" + text + "caf\xc3\xa9");
    }
  for (const auto& text : texts) {
    INFO("size " << text.size());
    std::string out = "prefix";
    out.reserve(out.size() + postal::detail::json_string_bound(text));
    const auto capacity = out.capacity();
    REQUIRE(append_json_string(out, text));
    CHECK(out == "prefix" + *nlohmann_dump(text));
    CHECK(out.capacity() == capacity);
    std::string unreserved;  // growing on its own, from nothing
    REQUIRE(append_json_string(unreserved, text));
    CHECK(unreserved == *nlohmann_dump(text));
  }
}

TEST_CASE("append_json_string reads no byte past the end of its view") {
  // Each view ends inside a sequence whose remaining bytes follow in memory: still truncated.
  const std::string buffer = "ab\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"";
  for (std::size_t length = 0; length <= buffer.size(); ++length) {
    const std::string_view view(buffer.data(), length);
    INFO("length " << length);
    std::string out;
    const bool ok = append_json_string(out, view);
    const auto expected = nlohmann_dump(std::string(view));
    REQUIRE(ok == expected.has_value());
    if (ok) CHECK(out == *expected);
    CHECK(postal::detail::is_valid_utf8(view) == ok);
  }
}

TEST_CASE("append_json_string agrees with nlohmann at every offset of its block fast paths") {
  // Offsets across the first and second 16-byte (SSE2) or 8-byte block and into the third, with
  // tails shorter and longer than a block after the byte that needs attention.
  const std::vector<std::string> specials = {
      "\"", "\\", "\n", "\x01", "\x1f", "\x7f", "\xc3\xa9", "\xf0\x9f\x98\x80", "\xff", "\xe2\x82"};
  for (const auto& special : specials)
    for (std::size_t at = 0; at < 40; ++at)
      for (std::size_t after : {0u, 1u, 7u, 8u, 9u, 15u, 16u, 17u, 33u}) {
        const std::string text = std::string(at, 'x') + special + std::string(after, 'y');
        check_agrees(text);
      }
}

namespace {

/// Valid UTF-8 by RFC 3629 read another way than the SDK does: decode each code point, then
/// refuse overlong forms, surrogates and code points above U+10FFFF.
bool valid_by_code_points(const std::string& text) {
  static constexpr std::uint32_t smallest[] = {0, 0, 0x80, 0x800, 0x10000};
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t n = text.size();
  for (std::size_t i = 0; i < n;) {
    const unsigned lead = s[i];
    std::size_t length = 1;
    std::uint32_t cp = lead;
    if (lead >= 0x80) {
      if ((lead & 0xE0) == 0xC0) {
        length = 2;
        cp = lead & 0x1F;
      } else if ((lead & 0xF0) == 0xE0) {
        length = 3;
        cp = lead & 0x0F;
      } else if ((lead & 0xF8) == 0xF0) {
        length = 4;
        cp = lead & 0x07;
      } else {
        return false;  // a continuation byte, or F8..FF
      }
      if (n - i < length) return false;
      for (std::size_t k = 1; k < length; ++k) {
        if ((s[i + k] & 0xC0) != 0x80) return false;
        cp = (cp << 6) | (s[i + k] & 0x3Fu);
      }
      if (cp < smallest[length] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    }
    i += length;
  }
  return true;
}

}  // namespace

TEST_CASE("UTF-8 is refused exactly where RFC 3629 refuses it, on every short string") {
  int disagreements = 0;
  std::string out;
  auto check_one = [&](const std::string& text) {
    const bool expected = valid_by_code_points(text);
    out.clear();
    if (postal::detail::is_valid_utf8(text) == expected &&
        append_json_string(out, text) == expected)
      return;
    if (++disagreements <= 5) {
      INFO("bytes: " << hex_bytes(text) << " RFC 3629: " << (expected ? "valid" : "invalid"));
      CHECK(postal::detail::is_valid_utf8(text) == expected);
      out.clear();
      CHECK(append_json_string(out, text) == expected);
    }
  };
  for (int a = 0; a < 256; ++a) {
    check_one(std::string(1, static_cast<char>(a)));
    for (int b = 0; b < 256; ++b) {
      check_one({static_cast<char>(a), static_cast<char>(b)});
      if (a < 0xC0) continue;  // past a first byte below C0, the 2-byte strings decide
      for (int c = 0; c < 256; ++c)
        check_one({static_cast<char>(a), static_cast<char>(b), static_cast<char>(c)});
    }
  }
  // 4-byte sequences: every lead from F0 up, every second byte, the edges of the last two.
  const int edges[] = {0x00, 0x7F, 0x80, 0x8F, 0x90, 0xBF, 0xC0, 0xFF};
  for (int a = 0xF0; a < 256; ++a)
    for (int b = 0; b < 256; ++b)
      for (int c : edges)
        for (int d : edges)
          check_one({static_cast<char>(a), static_cast<char>(b), static_cast<char>(c),
                     static_cast<char>(d)});
  // Any byte after each way a sequence can have begun, followed by each way it can go on.
  const std::vector<std::string> before = {
      "",     "\xc2", "\xe1",     "\xe1\x80",     "\xe0", "\xed",     "\xf0",
      "\xf1", "\xf4", "\xf1\x80", "\xf1\x80\x80", "\x80", "\xd0\xb6", "a"};
  const std::vector<std::string> after = {"",         "\x80",     "\x80\x80",     "\x80\x80\x80",
                                          "\xa0\x80", "\x9f\x80", "\x90\x80\x80", "\x8f\x80\x80",
                                          "\xd0\xb6", "a"};
  for (const auto& prefix : before)
    for (int byte = 0; byte < 256; ++byte)
      for (const auto& suffix : after) check_one(prefix + static_cast<char>(byte) + suffix);
  CHECK(disagreements == 0);
}

TEST_CASE("append_json_string agrees with nlohmann inside non-ASCII text, at every offset") {
  // Escapes, invalid and cut sequences after runs of 2-, 3- and 4-byte characters of every
  // length up to 40 bytes (and the same after 0..15 ASCII bytes, for the block loop's alignment),
  // and in text mixing ASCII with accents.
  const std::vector<std::string> scripts = {"\xd0\xb6", "\xe3\x81\x84", "\xf0\x9f\x98\x80",
                                            "e\xc3\xa9t\xc3\xa9 "};
  const std::vector<std::string> specials = {"",
                                             "\"",
                                             "\\",
                                             "\n",
                                             "\x01",
                                             "\x1f",
                                             "\x7f",
                                             "\xff",
                                             "\x80",
                                             "\xc3",
                                             "\xe3\x81",
                                             "\xed\xa0\x80",
                                             "\xf4\x90\x80\x80",
                                             "a"};
  for (const auto& unit : scripts)
    for (const auto& special : specials)
      for (std::size_t before = 0; before < 40; before += 1)
        for (std::size_t after : {0u, 1u, 5u, 17u}) {
          std::string text;
          while (text.size() < before) text += unit;
          text += special;
          for (std::size_t k = 0; k < after; ++k) text += unit;
          check_agrees(text);
          check_agrees(std::string(before % 16, 'x') + text);  // another alignment
        }
}

TEST_CASE("append_json_string agrees with nlohmann on thousands of random byte strings") {
  std::mt19937 rng(20240518);  // fixed seed: the same strings on every run and platform
  int valid = 0;
  int invalid = 0;
  int disagreements = 0;
  for (int i = 0; i < 20000; ++i) {
    const std::string text = random_text(rng);
    (nlohmann_dump(text) ? valid : invalid) += 1;
    if (!agrees_with_nlohmann(text) ||
        postal::detail::is_valid_utf8(text) != nlohmann_dump(text).has_value()) {
      if (++disagreements <= 5) check_agrees(text);
    }
  }
  CHECK(disagreements == 0);
  CHECK(valid > 2000);  // both outcomes well represented
  CHECK(invalid > 2000);
}

// ---------------------------------------------------------------------------------------------
// JsonWriter

TEST_CASE("JsonWriter puts commas between members and items, at any depth") {
  std::string out;
  postal::detail::JsonWriter w(out);
  w.begin_object();
  w.key("a");
  w.begin_array();
  w.begin_object();
  w.end_object();
  w.begin_array();
  w.end_array();
  CHECK(w.string("s"));
  w.boolean(true);
  w.end_array();
  CHECK(w.string_array_member("b", {}) == 0);
  CHECK(w.string_array_member("c", {"x", "y\n"}) == 2);
  w.key("d");
  w.base64("foob");
  CHECK(w.optional_string_member("e", std::optional<std::string>()));
  CHECK(w.optional_string_member("f", std::optional<std::string>("v")));
  const std::map<std::string, std::string> entries = {{"k2", "2"}, {"k1", "1"}};
  CHECK(w.string_map_member("g", entries) == entries.end());
  w.end_object();
  CHECK(out == R"({"a":[{},[],"s",true],"b":[],"c":["x","y\n"],"d":"Zm9vYg==","f":"v",)"
               R"("g":{"k1":"1","k2":"2"}})");
}

TEST_CASE("JsonWriter writes keys of every length, first and after a comma") {
  for (std::size_t length = 0; length <= 100; length += length < 50 ? 1 : 50) {
    INFO("key length " << length);
    const std::string first(length, 'a');
    const std::string second(length, 'b');
    std::string out = "[";
    postal::detail::JsonWriter w(out);
    w.begin_object();
    w.key(length == 0 ? std::string_view() : std::string_view(first));
    w.boolean(false);
    w.key(second);
    w.begin_object();
    w.key(first);
    w.boolean(true);
    w.end_object();
    w.end_object();
    CHECK(out == "[{\"" + first + "\":false,\"" + second + "\":{\"" + first + "\":true}}");
  }
}

TEST_CASE("JsonWriter reports the item or entry that is not UTF-8") {
  std::string out;
  postal::detail::JsonWriter w(out);
  CHECK(w.string_array_member("to", {"ok", "ok", "bad\xff", "ok"}) == 2);
  const std::map<std::string, std::string> bad_value = {{"A", "ok"}, {"B", "bad\xc0\x80"}};
  CHECK(w.string_map_member("h", bad_value) == bad_value.find("B"));
  const std::map<std::string, std::string> bad_key = {{"A", "ok"}, {"\xed\xa0\x80", "ok"}};
  CHECK(w.string_map_member("h", bad_key) == bad_key.find("\xed\xa0\x80"));
  CHECK_FALSE(w.optional_string_member("s", std::optional<std::string>("\xe2\x82")));
}

// ---------------------------------------------------------------------------------------------
// send bodies against the nlohmann path

TEST_CASE("send/message bodies are byte for byte the dump() of to_json") {
  auto m = minimal_message();
  SECTION("minimal") {}
  SECTION("only bcc, no body fields but html") {
    m.to.clear();
    m.bcc = {"hidden@example.com"};
    m.plain_body.reset();
    m.html_body = "<p>Hi</p>";
  }
  SECTION("every optional field, cc and bcc, bounce") {
    m.to = {"a@example.com", "B <b@example.com>", "\"Quoted, Name\" <c@example.com>"};
    m.cc = {"cc1@example.com", "cc2@example.com"};
    m.bcc = {"bcc@example.com"};
    m.sender = "sender@example.com";
    m.subject = "Quote \" and \\ and caf\xc3\xa9 \xf0\x9f\x98\x80 and tab\t";
    m.reply_to = "reply@example.com";
    m.plain_body = "line 1\r\nline 2\n\x01\x1f\x7f end / slash";
    m.html_body = "<p>\"Hello\" &amp; <b>caf\xc3\xa9</b></p>\n<script>x = '</script>';</script>";
    m.tag = "welcome";
    m.bounce = true;
  }
  SECTION("empty optional strings are still written") {
    m.sender = "";
    m.subject = "";
    m.reply_to = "";
    m.html_body = "";
    m.tag = "";
  }
  SECTION("headers, inserted unsorted") {
    m.headers["X-Zeta"] = "last";
    m.headers["X-Alpha"] = "first \"quoted\"";
    m.headers["List-Unsubscribe"] = "<mailto:u@example.com>";
    m.headers["X-Mid"] = "caf\xc3\xa9";
    m.headers["x-lower"] = "";
  }
  SECTION("attachments with and without content_type, names needing escapes, empty data") {
    m.attachments.push_back({"report.pdf", "application/pdf", std::string("%PDF-\0\xff", 7)});
    m.attachments.push_back({"no type.bin", "", "x"});
    m.attachments.push_back({"quote\".txt", "text/plain; charset=\"utf-8\"", "xy"});
    m.attachments.push_back({"back\\slash \xc3\xa9\xe2\x82\xac.txt", "text/plain", "xyz"});
    m.attachments.push_back({"empty.txt", "text/plain", ""});
    m.attachments.push_back({"empty-no-type", "", ""});
    std::string all_bytes;
    for (int c = 0; c < 256; ++c) all_bytes.push_back(static_cast<char>(c));
    m.attachments.push_back({"all.bin", "application/octet-stream", all_bytes});
  }
  SECTION("everything at once, text all escapes") {
    m.cc = {"\x01\x02\x03"};
    m.bcc = {"\x1f\x1f"};
    m.subject = std::string(64, '\x01');
    m.plain_body = std::string(200, '\0');
    m.headers = {{"X-A", std::string(10, '\n')}, {"X-B", "\"\""}};
    m.attachments.push_back({std::string(5, '\x02'), std::string(3, '\x03'), "abcd"});
  }
  check_body_matches(m);
}

TEST_CASE("send/raw bodies are byte for byte the dump() of to_json") {
  postal::SendRawRequest raw;
  raw.mail_from = "a@example.com";
  raw.rcpt_to = {"b@example.com", "c@example.com"};
  raw.data = std::string("Subject: x\r\n\r\n\0\x01\xff", 17);
  SECTION("bounce false") {}
  SECTION("bounce true, one recipient") {
    raw.bounce = true;
    raw.rcpt_to = {"b@example.com"};
  }
  SECTION("escapes and empty data") {
    raw.mail_from = "\"odd\\\"@example.com";
    raw.rcpt_to = {"caf\xc3\xa9@example.com", "\t@example.com"};
    raw.data.clear();
  }
  check_body_matches(raw);
}

TEST_CASE("send bodies name the first text field, in nlohmann's order, that is not UTF-8") {
  using postal::ErrorCode;
  using postal::SendState;
  auto m = minimal_message();
  std::string expected;
  SECTION("subject") {
    m.subject = std::string("Caf") + '\xE9';
    expected = "subject is not valid UTF-8";
  }
  SECTION("a recipient") {
    m.to = {"a@example.com", "b\xff@example.com"};
    expected = "to[1] is not valid UTF-8";
  }
  SECTION("the html body") {
    m.html_body = "<p>\xed\xa0\x80</p>";
    expected = "html_body is not valid UTF-8";
  }
  SECTION("a header value") {
    m.headers["X-Custom"] = "\xc0\x80";
    expected = "header `X-Custom` is not valid UTF-8";
  }
  SECTION("an attachment name, before any other field") {
    m.subject = "bad \xff";
    m.attachments.push_back({"ok.txt", "", "x"});
    m.attachments.push_back({"bad\xff.txt", "", "x"});
    expected = "attachments[1].name is not valid UTF-8";
  }
  auto refused = postal::detail::send_body(m);
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error().code == ErrorCode::InvalidArgument);
  CHECK(refused.error().send_state == SendState::NotSent);
  CHECK(refused.error().message == expected);
  CHECK_THROWS_AS(nlohmann_body(m), json::type_error);
  CHECK_THROWS_AS(postal::detail::encode_send_body_text(m), std::invalid_argument);

  postal::SendRawRequest raw;
  raw.mail_from = "a@example.com";
  raw.rcpt_to = {"b@example.com", "\xf4\x90\x80\x80"};
  raw.data = "Subject: x\r\n\r\nbody";
  auto refused_raw = postal::detail::send_body(raw);
  REQUIRE_FALSE(refused_raw.has_value());
  CHECK(refused_raw.error().code == ErrorCode::InvalidArgument);
  CHECK(refused_raw.error().message == "rcpt_to[1] is not valid UTF-8");
}

TEST_CASE("send bodies written through one reused buffer equal those written alone") {
  // send_many encodes a window's requests through one buffer: a small body is copied out at its
  // exact size, a large one takes the buffer over, and a refused one leaves the buffer usable.
  auto small = minimal_message();
  small.subject = "a \"quoted\" subject";
  auto escaped = minimal_message();
  escaped.plain_body = std::string(5000, '"');  // every byte escaped: the buffer grows
  auto large = minimal_message();
  large.attachments.push_back({"big.bin", "application/octet-stream",
                               std::string(postal::detail::send_body_copy_limit, 'x')});
  auto not_utf8 = minimal_message();  // refused half-way through writing
  not_utf8.html_body = std::string("<p>ok</p>") + '\xff';
  auto invalid = minimal_message();  // refused by validation, before writing
  invalid.subject = "line\nbreak";

  struct Case {
    const postal::SendMessageRequest* request;
    bool valid;
  };
  const Case cases[] = {{&small, true},   {&escaped, true},   {&not_utf8, false},
                        {&small, true},   {&large, true},     {&invalid, false},
                        {&escaped, true}, {&not_utf8, false}, {&small, true}};
  std::string scratch;
  for (std::size_t k = 0; k < std::size(cases); ++k) {
    INFO("case " << k);
    const auto& request = *cases[k].request;
    auto alone = postal::detail::send_body(request);
    auto reused = postal::detail::send_body(request, scratch);
    REQUIRE(alone.has_value() == cases[k].valid);
    REQUIRE(reused.has_value() == cases[k].valid);
    if (!cases[k].valid) {
      CHECK(reused.error().message == alone.error().message);
      continue;
    }
    CHECK(*reused == *alone);
    CHECK(*reused == nlohmann_body(request));
    // Kept in a window: no worst-case reservation rides along with the body.
    CHECK(reused->capacity() <= reused->size() + reused->size() / 4 + 1024);
  }
}
