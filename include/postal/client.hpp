// postal-cpp: the Client, typed calls for Postal's Send API and Messages API.
#pragma once

#include <postal/detail/envelope.hpp>
#include <postal/detail/redact.hpp>
#include <postal/detail/validate.hpp>
#include <postal/json.hpp>
#include <postal/models.hpp>
#include <postal/options.hpp>
#include <postal/result.hpp>
#include <postal/transport.hpp>
#include <postal/version.hpp>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

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
  while (url.size() > scheme_end && url.back() == '/') url.pop_back();
  if (url.size() == scheme_end || url[scheme_end] == '/') return bad("it has no host");
  return url;
}

}  // namespace detail

/// A Postal API client.
///
/// @code
/// postal::Client client({"https://postal.example.com", api_key});
/// postal::SendMessageRequest m;
/// m.to = {"john@example.com"};
/// m.from = "sales@example.com";
/// m.subject = "Welcome";
/// m.plain_body = "Hello";
/// auto sent = client.send_message(m);   // Result<SendResult>; or .value() to throw
/// @endcode
///
/// @par Thread safety
/// A Client is immutable after construction: one Client (or its copies, which share the
/// transport) may be used from many threads at once. Copies are cheap.
///
/// @par Errors
/// Every call returns a Result. Errors never contain the API key. A send that failed with
/// `send_state == SendState::MaybeSent` may have been delivered: check with get_message before
/// sending it again. The client never retries a send by itself.
class Client {
 public:
  /// Creates a client. A null `options.transport` selects the libcurl transport. Invalid options
  /// (e.g. a base_url without scheme) are reported by every call as ErrorCode::InvalidArgument.
  explicit Client(ClientOptions options) : state_(std::make_shared<State>(std::move(options))) {}

  /// Sends a message that Postal composes (POST /api/v1/send/message).
  Result<SendResult> send_message(const SendMessageRequest& request) const {
    if (auto e = detail::validate(request)) return redacted(std::move(*e));
    nlohmann::json params;
    to_json(params, request);
    return call<SendResult>("send/message", params,
                            [](const nlohmann::json& d) { return parse_send_result(d); });
  }

  /// Sends a complete RFC 5322 message (POST /api/v1/send/raw); the SDK base64-encodes `data`.
  Result<SendResult> send_raw(const SendRawRequest& request) const {
    if (auto e = detail::validate(request)) return redacted(std::move(*e));
    nlohmann::json params;
    to_json(params, request);
    return call<SendResult>("send/raw", params,
                            [](const nlohmann::json& d) { return parse_send_result(d); });
  }

  /// Reads a message with the requested expansions (POST /api/v1/messages/message).
  Result<Message> get_message(std::int64_t id, Expansions expansions = {}) const {
    if (id <= 0) return detail::invalid_argument("message id must be positive");
    nlohmann::json params{{"id", id}, {"_expansions", expansions.names()}};
    return call<Message>("messages/message", params,
                         [](const nlohmann::json& d) { return parse_message(d); });
  }

  /// Lists a message's delivery attempts, oldest first (POST /api/v1/messages/deliveries).
  Result<std::vector<Delivery>> get_deliveries(std::int64_t id) const {
    if (id <= 0) return detail::invalid_argument("message id must be positive");
    nlohmann::json params{{"id", id}};
    return call<std::vector<Delivery>>("messages/deliveries", params,
                                       [](const nlohmann::json& d) { return parse_deliveries(d); });
  }

  /// The transport this client (and its copies) use.
  const std::shared_ptr<Transport>& transport() const noexcept { return state_->transport; }

 private:
  struct State {
    explicit State(ClientOptions options)
        : api_key(std::move(options.api_key)),
          timeout(options.timeout),
          transport(options.transport ? std::move(options.transport) : make_curl_transport()) {
      auto url = detail::normalise_base_url(std::move(options.base_url));
      if (url)
        base_url = std::move(*url);
      else
        config_error = url.error();
      if (!config_error && api_key.empty())
        config_error = detail::invalid_argument("api_key is empty");
      if (!config_error && !detail::is_visible_ascii(api_key))
        config_error = detail::invalid_argument(
            "api_key contains a space, a control or a non-ASCII character (Postal's keys are "
            "letters and digits; check for a stray newline or quote)");
      if (!config_error && options.timeout.count() <= 0)
        config_error = detail::invalid_argument("timeout must be positive");
    }
    std::string base_url;
    std::string api_key;
    std::chrono::milliseconds timeout;
    std::shared_ptr<Transport> transport;
    std::optional<Error> config_error;
  };

  HttpRequest make_request(const char* endpoint, const nlohmann::json& params) const {
    HttpRequest request;
    request.method = "POST";
    request.url = state_->base_url + "/api/v1/" + endpoint;
    request.headers.add("Content-Type", "application/json");
    request.headers.add("Accept", "application/json");
    request.headers.add("X-Server-API-Key", state_->api_key);
    request.body = params.dump();
    request.timeout = state_->timeout;
    return request;
  }

  template <class T, class Parse>
  Result<T> call(const char* endpoint, const nlohmann::json& params, Parse parse) const {
    if (state_->config_error) return *state_->config_error;
    auto outcome = [&]() -> Result<T> {
      HttpRequest request;
      try {
        request = make_request(endpoint, params);
      } catch (const nlohmann::json::exception& e) {  // invalid UTF-8 in a text field
        return detail::invalid_argument(std::string("a text field is not valid UTF-8 (") +
                                        e.what() + ")");
      }
      auto response = state_->transport->send(request);
      if (!response) return response.error();
      auto data = detail::decode_envelope(*response, state_->api_key);
      if (!data) return data.error();
      Result<T> parsed = parse(*data);
      if (!parsed) {  // a success envelope whose data has the wrong shape: keep the evidence
        parsed.error().http_status = response->status;
        parsed.error().body = detail::body_excerpt(response->body, state_->api_key);
      }
      return parsed;
    };
    Result<T> result = [&]() -> Result<T> {
      try {
        return outcome();
      } catch (const std::exception& e) {  // a custom transport threw, or out of memory
        return unexpected_exception(e.what());
      } catch (...) {
        return unexpected_exception("not a std::exception");
      }
    }();
    if (!result) return redacted(std::move(result.error()));
    return result;
  }

  static Error unexpected_exception(const std::string& what) {
    Error error;
    error.code = ErrorCode::Transport;
    error.message = "unexpected exception during the request: " + what;
    error.send_state = SendState::MaybeSent;
    return error;
  }

  /// Every error leaves the client through here: the API key is removed from it.
  Error redacted(Error error) const { return detail::redact(std::move(error), state_->api_key); }

  std::shared_ptr<const State> state_;
};

POSTAL_END_NAMESPACE
