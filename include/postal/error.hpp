/// @file
/// The error value every fallible call reports, and the exception that carries it.
#pragma once

#include <postal/version.hpp>

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>

POSTAL_BEGIN_NAMESPACE

/// What kind of failure an Error describes.
enum class ErrorCode {
  Transport,         ///< no HTTP response: DNS, connect, TLS, reset
  Timeout,           ///< no complete response within the deadline
  Http,              ///< a non-200 HTTP status (proxy error page, 5xx, 404 for a wrong base_url)
  Api,               ///< envelope status "error"; `api_code` holds Postal's code
  Parameter,         ///< envelope status "parameter-error" (Postal sends only a message)
  Decode,            ///< the body is not the JSON shape Postal sends
  InvalidArgument,   ///< rejected before sending (client-side validation)
  Signature,         ///< webhook: signature missing, malformed or not valid for any known key
  UnknownKey,        ///< webhook: the KID header names no key we hold
  Replay,            ///< webhook: stale timestamp or uuid already seen
  Aborted,           ///< send_many: not attempted, because the batch stopped early (NotSent)
  ResponseTooLarge,  ///< the response exceeded CurlOptions::max_response_bytes or libcurl's
                     ///< header limits (MaybeSent)
};

/// Whether a failed request may have created mail on the server.
///
/// `NotSent`: proven that Postal created no message (nothing left this machine, the connection
/// or TLS handshake failed, or Postal answered with an error envelope). Safe to resend.
/// `MaybeSent`: the request may have been processed (e.g. a timeout after the request was
/// written, or a proxy's 502). Check with `Client::get_message` before resending.
///
/// @code
/// if (!sent && sent.error().send_state == postal::SendState::NotSent) retry_later(m);
/// @endcode
enum class SendState {
  NotSent,    ///< proven that Postal created no message: safe to resend
  MaybeSent,  ///< the mail may have been created: check before resending
};

/// The name of an error code, e.g. "Timeout".
inline const char* to_string(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::Transport:
      return "Transport";
    case ErrorCode::Timeout:
      return "Timeout";
    case ErrorCode::Http:
      return "Http";
    case ErrorCode::Api:
      return "Api";
    case ErrorCode::Parameter:
      return "Parameter";
    case ErrorCode::Decode:
      return "Decode";
    case ErrorCode::InvalidArgument:
      return "InvalidArgument";
    case ErrorCode::Signature:
      return "Signature";
    case ErrorCode::UnknownKey:
      return "UnknownKey";
    case ErrorCode::Replay:
      return "Replay";
    case ErrorCode::Aborted:
      return "Aborted";
    case ErrorCode::ResponseTooLarge:
      return "ResponseTooLarge";
  }
  return "Unknown";
}

/// The name of a send state: "NotSent" or "MaybeSent".
inline const char* to_string(SendState state) noexcept {
  return state == SendState::NotSent ? "NotSent" : "MaybeSent";
}

/// A failure, as a value. Never contains the API key.
///
/// @code
/// auto sent = client.send_message(m);
/// if (!sent) log(sent.error().describe());  // "Api (NoRecipients): ... [NotSent]"
/// @endcode
struct Error {
  // Out of line (src/error.cpp), so that a translation unit holding an Error does not
  // instantiate nlohmann::json's destructor and copies: part of what keeps postal/postal.hpp
  // cheap to compile.
  /// An Error with the defaults below (Transport, MaybeSent).
  POSTAL_API Error();
  /// An Error of the given kind and message, as a custom Transport returns one.
  /// @code
  /// return postal::Error(postal::ErrorCode::Transport, "connection reset");  // MaybeSent
  /// @endcode
  POSTAL_API Error(ErrorCode code, std::string message,
                   SendState send_state = SendState::MaybeSent);
  POSTAL_API Error(const Error&);                 ///< Copies every field.
  POSTAL_API Error(Error&&) noexcept;             ///< Moves every field.
  POSTAL_API Error& operator=(const Error&);      ///< Copies every field.
  POSTAL_API Error& operator=(Error&&) noexcept;  ///< Moves every field.
  POSTAL_API ~Error();                            ///< Destroys the fields.

  ErrorCode code = ErrorCode::Transport;  ///< the kind of failure
  std::string message;                    ///< for humans; never contains the API key
  int http_status = 0;                    ///< HTTP status of the response; 0 when there was none
  std::string api_code;    ///< Postal's `data.code` (e.g. "NoRecipients"), for ErrorCode::Api
  nlohmann::json details;  ///< the rest of Postal's `data` object (e.g. "id" for MessageNotFound)
  std::string body;        ///< bounded excerpt of the response body, for diagnostics
  /// Whether the request may have created mail. Defaults to MaybeSent, so an error that forgets
  /// to say is never taken as safe to resend.
  SendState send_state = SendState::MaybeSent;
  /// The server's `Retry-After` (429, 503), converted to a duration, when it sent a usable one.
  std::optional<std::chrono::milliseconds> retry_after;
  /// How many HTTP requests the call made before giving up (retries included); 0 when none.
  std::size_t attempts = 0;

  /// One line for logs: "Api (InvalidServerAPIKey): The API token ... [NotSent]" (the HTTP
  /// status is shown when it is not 200).
  std::string describe() const {
    std::string out = to_string(code);
    if (!api_code.empty()) out += " (" + api_code + ")";
    if (http_status != 0 && http_status != 200)
      out += " [HTTP " + std::to_string(http_status) + "]";
    out += ": " + message;
    if (attempts > 1) out += " (after " + std::to_string(attempts) + " attempts)";
    out += " [";
    out += to_string(send_state);
    out += "]";
    return out;
  }
};

/// Thrown by `Result<T>::value()` when the result holds an error.
///
/// @code
/// try {
///   auto sent = client.send_message(m).value();
/// } catch (const postal::Exception& e) {
///   if (e.error().send_state == postal::SendState::MaybeSent) check_before_resending(m);
/// }
/// @endcode
class Exception : public std::runtime_error {
 public:
  /// Carries `error`; what() is "postal: " followed by Error::describe().
  explicit Exception(Error error)
      : std::runtime_error("postal: " + error.describe()), error_(std::move(error)) {}
  /// The error this exception carries.
  const Error& error() const noexcept { return error_; }
  /// Shorthand for `error().code`.
  ErrorCode code() const noexcept { return error_.code; }

 private:
  Error error_;
};

POSTAL_END_NAMESPACE
