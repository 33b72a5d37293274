// postal-cpp internals: the immutable state a Client and its copies share, and the one path
// every call takes: build the request, send it, map the response, retry under the policy, and
// redact the API key from whatever error leaves.
#pragma once

#include <postal/detail/envelope.hpp>
#include <postal/detail/redact.hpp>
#include <postal/detail/retry.hpp>
#include <postal/detail/send_body.hpp>
#include <postal/detail/url.hpp>
#include <postal/detail/validate.hpp>
#include <postal/options.hpp>
#include <postal/result.hpp>
#include <postal/transport.hpp>
#include <postal/version.hpp>

#include <nlohmann/json.hpp>

#include <chrono>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

POSTAL_BEGIN_NAMESPACE
namespace detail {

/// Checks and normalises ClientOptions::base_url: http(s) scheme, a host, no query, no fragment,
/// no trailing '/'.
inline Result<std::string> normalise_base_url(std::string url) {
  auto bad = [&](const std::string& why) {
    return invalid_argument("base_url is not usable (" + why +
                            "); expected e.g. https://postal.example.com");
  };
  std::size_t scheme_end = 0;
  if (url.size() >= 8 && iequals(std::string_view(url).substr(0, 8), "https://"))
    scheme_end = 8;
  else if (url.size() >= 7 && iequals(std::string_view(url).substr(0, 7), "http://"))
    scheme_end = 7;
  else
    return bad("it must start with https:// or http://");
  for (char c : url)
    if (static_cast<unsigned char>(c) <= 32 || c == 127)
      return bad("it contains a space or a control character");
  if (url.find_first_of("?#") != std::string::npos)
    return bad("it must not have a query or fragment");
  // Postal authenticates with the API key; credentials in the URL would go to libcurl as Basic
  // auth and could show in messages (a password holding '/' reads as a host).
  if (url.find('@') != std::string::npos)
    return bad("it must not contain '@': no user name or password in the URL");
  while (url.size() > scheme_end && url.back() == '/') url.pop_back();
  HostPort parts;
  if (auto problem = split_host_port(url_authority(url), parts)) return bad(*problem);
  return url;
}

/// The JSON text of a request's parameters; InvalidArgument when a text field is not UTF-8.
inline Result<std::string> encode_params(const nlohmann::json& params) {
  try {
    return params.dump();
  } catch (const nlohmann::json::exception& e) {
    return not_utf8_error(e);
  }
}

/// What `f()` returns, or the Error for the exception it threw.
template <class F>
auto guarded(F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const std::exception& e) {
    return unexpected_exception(e.what());
  } catch (...) {
    return unexpected_exception("not a std::exception");
  }
}

/// A Client's settings, checked once; shared by the Client and its copies, never modified.
class ClientCore {
 public:
  explicit ClientCore(ClientOptions options)
      : api_key_(std::move(options.api_key)),
        timeout_(options.timeout),
        transport_(options.transport ? std::move(options.transport) : make_curl_transport()),
        retry_(std::move(options.retry)) {
    auto url = normalise_base_url(std::move(options.base_url));
    if (url)
      base_url_ = std::move(*url);
    else
      config_error_ = url.error();
    if (!config_error_ && api_key_.empty()) config_error_ = invalid_argument("api_key is empty");
    if (!config_error_ && !is_visible_ascii(api_key_))
      config_error_ = invalid_argument(
          "api_key contains a space, a control or a non-ASCII character (Postal's keys are "
          "letters and digits; check for a stray newline or quote)");
    if (!config_error_ && timeout_.count() <= 0)
      config_error_ = invalid_argument("timeout must be positive");
    if (!config_error_)
      if (auto problem = retry_options_problem(retry_)) config_error_ = invalid_argument(*problem);
  }

  /// The error every call reports when the options are unusable.
  const std::optional<Error>& config_error() const noexcept { return config_error_; }
  const std::shared_ptr<Transport>& transport() const noexcept { return transport_; }
  const RetryOptions& retry() const noexcept { return retry_; }
  std::chrono::milliseconds timeout() const noexcept { return timeout_; }

  /// The POST of `body` (JSON) to /api/v1/<endpoint>, with the API key.
  HttpRequest make_request(const char* endpoint, std::string body) const {
    HttpRequest request;
    request.method = "POST";
    constexpr std::string_view kApiPath = "/api/v1/";
    const std::string_view path(endpoint);
    request.url.reserve(base_url_.size() + kApiPath.size() + path.size());
    request.url.append(base_url_).append(kApiPath).append(path);
    request.headers.reserve(3);
    request.headers.add("Content-Type", "application/json");
    request.headers.add("Accept", "application/json");
    request.headers.add("X-Server-API-Key", api_key_);
    request.body = std::move(body);
    request.timeout = timeout_;
    return request;
  }

  /// Maps one transport outcome to the call's result (not yet redacted): Postal's envelope, then
  /// `parse` on its data. A SendResult (always read by parse_send_result) first tries
  /// decode_send_result_fast, which gives the same result without a JSON tree for Postal's
  /// success answer and hands everything else to the general path.
  template <class T, class Parse>
  Result<T> interpret(Result<HttpResponse> response, Parse parse) const {
    if constexpr (std::is_same_v<T, SendResult>) {
      if (response)
        if (auto fast = decode_send_result_fast(*response)) return Result<T>(std::move(*fast));
    }
    return interpret_general<T>(std::move(response), std::move(parse));
  }

  /// interpret without the fast path: the envelope through nlohmann's parser, then `parse`.
  template <class T, class Parse>
  Result<T> interpret_general(Result<HttpResponse> response, Parse parse) const {
    if (!response) return std::move(response.error());
    auto data = decode_envelope(*response, api_key_);
    if (!data) return std::move(data.error());
    Result<T> parsed = parse(*data);
    if (!parsed) {  // a success envelope whose data has the wrong shape: keep the evidence
      parsed.error().http_status = response->status;
      parsed.error().body = body_excerpt(response->body, api_key_);
    }
    return parsed;
  }

  /// One call: sends `body` to `endpoint`, retrying under the policy for `kind`.
  template <class T, class Parse>
  Result<T> call(CallKind kind, const char* endpoint, Result<std::string> body, Parse parse) const {
    if (config_error_) return *config_error_;
    if (!body) return redacted(std::move(body.error()));
    Result<HttpRequest> request =
        guarded([&]() -> Result<HttpRequest> { return make_request(endpoint, std::move(*body)); });
    if (!request) return redacted(std::move(request.error()));
    RetrySchedule schedule(retry_, kind);
    std::optional<Error> last;
    for (;;) {
      // Each attempt gets the call's timeout, cut to what is left of the retry deadline.
      const auto timeout = schedule.attempt_timeout(timeout_);
      if (!timeout) return last ? std::move(*last) : deadline_passed();
      request->timeout = *timeout;
      Result<T> result =
          guarded([&]() -> Result<T> { return interpret<T>(transport_->send(*request), parse); });
      if (result) return result;
      Error error = redacted(std::move(result.error()));
      const auto delay = schedule.after_failure(error);
      if (!delay) return error;
      if (!schedule.wait(*delay)) {
        error.message += RetrySchedule::kSleepThrew;
        return error;
      }
      last = std::move(error);
    }
  }

  /// Every error leaves the client through here: the API key is removed from it.
  Error redacted(Error error) const { return redact(std::move(error), api_key_); }

 private:
  static Error deadline_passed() {
    Error error;
    error.code = ErrorCode::Timeout;
    error.send_state = SendState::NotSent;
    error.message = "the retry deadline passed before the request could be sent";
    return error;
  }

  std::string base_url_;
  std::string api_key_;
  std::chrono::milliseconds timeout_;
  std::shared_ptr<Transport> transport_;
  RetryOptions retry_;
  std::optional<Error> config_error_;
};

}  // namespace detail
POSTAL_END_NAMESPACE
