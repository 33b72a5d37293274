// postal-cpp internals: keeps the API key out of every error (Postal echoes a wrong key back).
#pragma once

#include <postal/detail/json_writer.hpp>
#include <postal/error.hpp>
#include <postal/version.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

POSTAL_BEGIN_NAMESPACE
namespace detail {

inline constexpr std::string_view redacted = "[REDACTED]";

/// Text from outside (a server's answer, a response header, libcurl's error buffer) made fit for
/// an error message: at most `limit` bytes, cut where a UTF-8 character starts, with '?' for every
/// control character, so that it cannot forge lines in a log or drive a terminal: C0 (line
/// breaks, NUL), DEL, the C1 controls U+0080-U+009F (NEL, CSI), the line and paragraph separators
/// U+2028/U+2029, and each byte that is not part of well-formed UTF-8 (a bare 0x85 is NEL in
/// Latin-1).
inline std::string printable(std::string_view text, std::size_t limit = 200) {
  std::size_t cut = (std::min)(text.size(), limit);
  for (int back = 0; back < 3 && cut > 0 && cut < text.size() &&
                     (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80;
       ++back)  // at most 3: a UTF-8 character has at most 3 continuation bytes
    --cut;
  const auto* bytes = reinterpret_cast<const unsigned char*>(text.data());
  std::string out;
  out.reserve(cut);
  for (std::size_t i = 0; i < cut;) {
    const unsigned char c = bytes[i];
    if (c < 0x80) {
      out += c < 0x20 || c == 0x7f ? '?' : static_cast<char>(c);
      ++i;
      continue;
    }
    const std::size_t length = utf8_sequence_length(bytes + i, cut - i);  // 0: not UTF-8
    const bool control = length == 0 || (c == 0xC2 && bytes[i + 1] <= 0x9F) ||
                         (c == 0xE2 && bytes[i + 1] == 0x80 && (bytes[i + 2] | 1) == 0xA9);
    if (control)
      out += '?';
    else
      out.append(text.data() + i, length);
    i += length == 0 ? 1 : length;
  }
  return out;
}

/// Whether `text` is a URL scheme (RFC 3986: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )) of at
/// most 16 characters.
inline bool is_url_scheme(std::string_view text) noexcept {
  auto alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
  if (text.empty() || text.size() > 16 || !alpha(text.front())) return false;
  for (char c : text)
    if (!alpha(c) && !(c >= '0' && c <= '9') && c != '+' && c != '-' && c != '.') return false;
  return true;
}

/// "scheme://host[:port]" (or "//host[:port]") of a URL, fit for an error message: no user info
/// (it may hold a password), path or query; std::nullopt when `url` is relative (names no host).
/// The host is never cut (so that a secret in it is redacted whole): one longer than any host
/// name can be is left out.
inline std::optional<std::string> printable_origin(std::string_view url) {
  std::string origin;
  std::string_view rest;
  if (url.substr(0, 2) == "//") {  // scheme-relative: another host all the same
    origin = "//";
    rest = url.substr(2);
  } else {
    const auto scheme_end = url.find("://");
    if (scheme_end == std::string_view::npos || !is_url_scheme(url.substr(0, scheme_end)))
      return std::nullopt;
    origin = std::string(url.substr(0, scheme_end + 3));
    rest = url.substr(scheme_end + 3);
  }
  auto authority = rest.substr(0, rest.find_first_of("/?#"));  // as libcurl reads it
  const auto at = authority.rfind('@');
  if (at != std::string_view::npos) authority.remove_prefix(at + 1);
  constexpr std::size_t kLongestAuthority = 262;  // 253 for the name, ":65535", brackets
  if (authority.size() > kLongestAuthority) return origin + "(a host name too long to show)";
  return origin + printable(authority, kLongestAuthority);
}

/// Replaces every occurrence of `secret` in `text`.
inline void redact_in(std::string& text, std::string_view secret) {
  if (secret.empty()) return;
  for (auto pos = text.find(secret); pos != std::string::npos;
       pos = text.find(secret, pos + redacted.size()))
    text.replace(pos, secret.size(), redacted);
}

/// Redacts `secret` in every string of a JSON value (keys included).
inline void redact_in(nlohmann::json& value, std::string_view secret) {
  if (value.is_string()) {
    redact_in(value.get_ref<std::string&>(), secret);
  } else if (value.is_array()) {
    for (auto& item : value) redact_in(item, secret);
  } else if (value.is_object()) {
    nlohmann::json copy = nlohmann::json::object();
    for (auto it = value.begin(); it != value.end(); ++it) {
      std::string key = it.key();
      redact_in(key, secret);
      redact_in(*it, secret);
      copy[key] = std::move(*it);
    }
    value = std::move(copy);
  }
}

/// `secret` as it may appear in a JSON body: as is, JSON-escaped, and Rails-escaped
/// (`<>&` as \u003c \u003e \u0026, `/` as \/).
inline std::vector<std::string> secret_spellings(std::string_view secret) {
  std::vector<std::string> out{std::string(secret)};
  std::string json, rails;
  for (char c : secret) {
    switch (c) {
      case '"':
        json += "\\\"";
        rails += "\\\"";
        break;
      case '\\':
        json += "\\\\";
        rails += "\\\\";
        break;
      case '<':
        json += c;
        rails += "\\u003c";
        break;
      case '>':
        json += c;
        rails += "\\u003e";
        break;
      case '&':
        json += c;
        rails += "\\u0026";
        break;
      case '/':
        json += c;
        rails += "\\/";
        break;
      default:
        json += c;
        rails += c;
    }
  }
  for (auto* spelling : {&json, &rails})
    if (std::find(out.begin(), out.end(), *spelling) == out.end()) out.push_back(*spelling);
  return out;
}

/// Removes `secret` (in every spelling a JSON body may use) from every text an Error carries.
/// Postal echoes a wrong key in `data.token` of InvalidServerAPIKey: that value is dropped
/// whatever it is, since a server or proxy may have trimmed or re-encoded it.
inline Error redact(Error error, std::string_view secret) {
  if (error.api_code == "InvalidServerAPIKey" && error.details.is_object() &&
      error.details.contains("token"))
    error.details["token"] = std::string(redacted);
  for (const auto& spelling : secret_spellings(secret)) {
    redact_in(error.message, spelling);
    redact_in(error.api_code, spelling);
    redact_in(error.body, spelling);
    redact_in(error.details, spelling);
  }
  return error;
}

}  // namespace detail
POSTAL_END_NAMESPACE
