// postal-cpp internals: keeps the API key out of every error (Postal echoes a wrong key back).
#pragma once

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

/// Text from outside (a server's answer, libcurl's error buffer) made fit for an error message:
/// at most `limit` bytes, cut where a UTF-8 character starts, with every control character
/// replaced by '?', so that it cannot forge lines in a log: C0 (line breaks, NUL), DEL, the C1
/// controls U+0080-U+009F (NEL among them) and the line and paragraph separators U+2028/U+2029.
inline std::string printable(std::string_view text, std::size_t limit = 200) {
  std::size_t cut = (std::min)(text.size(), limit);
  for (int back = 0; back < 3 && cut > 0 && cut < text.size() &&
                     (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80;
       ++back)  // at most 3: a UTF-8 character has at most 3 continuation bytes
    --cut;
  const std::string_view kept = text.substr(0, cut);
  std::string out;
  out.reserve(kept.size());
  for (std::size_t i = 0; i < kept.size(); ++i) {
    const auto c = static_cast<unsigned char>(kept[i]);
    const auto next = i + 1 < kept.size() ? static_cast<unsigned char>(kept[i + 1]) : 0;
    if (c < 0x20 || c == 0x7f) {
      out += '?';
    } else if (c == 0xC2 && next >= 0x80 && next <= 0x9F) {  // C1: U+0080-U+009F
      out += '?';
      i += 1;
    } else if (c == 0xE2 && next == 0x80 && i + 2 < kept.size() &&
               (static_cast<unsigned char>(kept[i + 2]) | 1) == 0xA9) {  // U+2028, U+2029
      out += '?';
      i += 2;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

/// "scheme://host[:port]" of an absolute URL, fit for an error message: no user info (it may
/// hold a password), path or query; std::nullopt when `url` names no scheme.
inline std::optional<std::string> printable_origin(std::string_view url) {
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return std::nullopt;
  auto authority = url.substr(scheme_end + 3);
  authority = authority.substr(0, authority.find_first_of("/?#"));
  const auto at = authority.rfind('@');
  if (at != std::string_view::npos) authority.remove_prefix(at + 1);
  return printable(url.substr(0, scheme_end + 3), 20) + printable(authority);
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
