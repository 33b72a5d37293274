// postal-cpp internals: keeps the API key out of every error (Postal echoes a wrong key back).
#pragma once

#include <postal/error.hpp>
#include <postal/version.hpp>

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

POSTAL_BEGIN_NAMESPACE
namespace detail {

inline constexpr std::string_view redacted = "[REDACTED]";

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

/// Removes `secret` from every text an Error carries.
inline Error redact(Error error, std::string_view secret) {
  redact_in(error.message, secret);
  redact_in(error.api_code, secret);
  redact_in(error.body, secret);
  redact_in(error.details, secret);
  return error;
}

}  // namespace detail
POSTAL_END_NAMESPACE
