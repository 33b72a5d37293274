// postal-cpp internals: Postal's response envelope → the `data` value, or a typed Error.
#pragma once

#include <postal/detail/json_read.hpp>
#include <postal/detail/redact.hpp>
#include <postal/detail/retry.hpp>
#include <postal/result.hpp>
#include <postal/transport.hpp>
#include <postal/version.hpp>

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstddef>
#include <string>
#include <utility>

POSTAL_BEGIN_NAMESPACE
namespace detail {

/// At most this many bytes of a response body are kept in Error::body.
inline constexpr std::size_t body_excerpt_limit = 2048;

/// The first body_excerpt_limit bytes of `body`, with `secret` redacted before cutting (so a
/// cut cannot leave a fragment of it).
inline std::string body_excerpt(const std::string& body, std::string_view secret) {
  std::string text = body;
  if (!secret.empty())
    for (const auto& spelling : secret_spellings(secret)) redact_in(text, spelling);
  if (text.size() <= body_excerpt_limit) return text;
  const auto rest = text.size() - body_excerpt_limit;
  text.resize(body_excerpt_limit);
  return text + "...[" + std::to_string(rest) + " more bytes]";
}

/// Whether a non-200 status proves Postal's action never ran. A 4xx is answered before the
/// action (unknown path, bad JSON, wrong Host, a proxy's refusal), except 408 (a timeout may come
/// after the request was handed on). 5xx and anything else: the action may have run.
inline SendState send_state_for_http_status(int status) noexcept {
  return (status >= 400 && status < 500 && status != 408) ? SendState::NotSent
                                                          : SendState::MaybeSent;
}

/// Maps one HTTP response to Postal's `data` (on "success") or to an Error:
/// non-200 → Http; unparsable or unknown shape → Decode; "error" → Api (with api_code and the rest
/// of `data` in details); "parameter-error" → Parameter. `secret` (the API key) is redacted
/// from the body excerpt an error keeps.
inline Result<nlohmann::json> decode_envelope(const HttpResponse& response,
                                              std::string_view secret = {}) {
  auto fail = [&](ErrorCode code, SendState state, std::string message) {
    Error e;
    e.code = code;
    e.send_state = state;
    e.message = std::move(message);
    e.http_status = response.status;
    e.body = body_excerpt(response.body, secret);
    return e;
  };
  if (response.status != 200) {
    Error e = fail(ErrorCode::Http, send_state_for_http_status(response.status),
                   "Postal answered HTTP " + std::to_string(response.status) +
                       " (expected 200 with a JSON envelope)");
    if (auto retry_after = response.headers.get("Retry-After"))
      e.retry_after = parse_retry_after(*retry_after, std::chrono::system_clock::now());
    return e;
  }
  if (json_nesting_exceeds(response.body, max_json_depth))
    return fail(ErrorCode::Decode, SendState::MaybeSent,
                "Postal answered HTTP 200 with JSON nested deeper than " +
                    std::to_string(max_json_depth) + " levels");
  auto json = nlohmann::json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded())
    return fail(ErrorCode::Decode, SendState::MaybeSent,
                "Postal answered HTTP 200 with a body that is not JSON");
  const auto status = read_string(json, "status");
  if (!status)
    return fail(ErrorCode::Decode, SendState::MaybeSent,
                "Postal answered HTTP 200 with JSON that is not Postal's envelope (no `status`)");
  auto* data = const_cast<nlohmann::json*>(member(json, "data"));
  if (*status == "success") {
    if (data == nullptr)
      return fail(ErrorCode::Decode, SendState::MaybeSent,
                  "Postal's success envelope has no `data`");
    return std::move(*data);
  }
  if (*status != "error" && *status != "parameter-error")
    return fail(ErrorCode::Decode, SendState::MaybeSent,
                "Postal's envelope has an unknown status `" + status->substr(0, 64) + "`");

  // Postal rejected the request: no message was created.
  nlohmann::json details =
      (data != nullptr && data->is_object()) ? *data : nlohmann::json::object();
  std::string message = read_string(details, "message").value_or("");
  details.erase("message");
  if (*status == "parameter-error") {
    Error e = fail(ErrorCode::Parameter, SendState::NotSent,
                   message.empty() ? "Postal reported a parameter error" : message);
    e.details = std::move(details);
    return e;
  }
  std::string code;
  if (auto it = details.find("code"); it != details.end()) {
    code = it->is_string() ? it->get<std::string>() : it->dump();
    details.erase(it);
  }
  Error e = fail(ErrorCode::Api, SendState::NotSent,
                 message.empty() ? "Postal rejected the request with " + code : message);
  e.api_code = std::move(code);
  e.details = std::move(details);
  return e;
}

}  // namespace detail
POSTAL_END_NAMESPACE
