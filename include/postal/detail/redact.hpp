// postal-cpp internals: keeps the API key out of every error (Postal echoes a wrong key back).
#pragma once

#include <postal/error.hpp>
#include <postal/version.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

POSTAL_BEGIN_NAMESPACE
namespace detail {

inline constexpr std::string_view redacted = "[REDACTED]";

/// Text from outside (a server's answer, libcurl's error buffer) made fit for an error message:
/// at most `limit` bytes, cut where a UTF-8 character starts, with every control character (line
/// breaks, NUL, DEL) replaced by '?', so that it cannot forge lines in a log.
inline std::string printable(std::string_view text, std::size_t limit = 200) {
  std::size_t cut = (std::min)(text.size(), limit);
  for (int back = 0; back < 3 && cut > 0 && cut < text.size() &&
                     (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80;
       ++back)  // at most 3: a UTF-8 character has at most 3 continuation bytes
    --cut;
  std::string out(text.substr(0, cut));
  for (char& c : out)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  return out;
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
