// postal-cpp: the Client, typed calls for Postal's Send API and Messages API.
#pragma once

#include <postal/detail/client_core.hpp>
#include <postal/detail/retry.hpp>
#include <postal/detail/send_batch.hpp>
#include <postal/detail/send_body.hpp>
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
#include <utility>
#include <vector>

POSTAL_BEGIN_NAMESPACE

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
/// `send_state == SendState::MaybeSent` may have been delivered: check before sending it again.
///
/// @par Retries
/// ClientOptions::retry decides (see RetryOptions): reads are retried after transient failures;
/// a send only when its request provably never reached Postal, unless you opt in.
class Client {
 public:
  /// Creates a client. A null `options.transport` selects the libcurl transport. Invalid options
  /// (e.g. a base_url without scheme) are reported by every call as ErrorCode::InvalidArgument.
  explicit Client(ClientOptions options)
      : core_(std::make_shared<const detail::ClientCore>(std::move(options))) {}

  /// Sends a message that Postal composes (POST /api/v1/send/message).
  Result<SendResult> send_message(const SendMessageRequest& request) const { return send(request); }

  /// Sends a complete RFC 5322 message (POST /api/v1/send/raw); the SDK base64-encodes `data`.
  Result<SendResult> send_raw(const SendRawRequest& request) const { return send(request); }

  /// Sends many messages, up to `options.max_in_flight` requests at once (HTTP/2 streams on one
  /// connection when the server offers HTTP/2, parallel HTTP/1.1 connections otherwise).
  /// One result per request, in input order; invalid items fail alone. Each item follows the
  /// retry policy of a single send. Blocks until every item is settled.
  std::vector<Result<SendResult>> send_many(const std::vector<SendMessageRequest>& requests,
                                            BatchOptions options = {}) const {
    return detail::SendBatch<SendMessageRequest>(*core_, requests, options).run();
  }

  /// send_many for raw messages (POST /api/v1/send/raw each).
  std::vector<Result<SendResult>> send_many(const std::vector<SendRawRequest>& requests,
                                            BatchOptions options = {}) const {
    return detail::SendBatch<SendRawRequest>(*core_, requests, options).run();
  }

  /// Reads a message with the requested expansions (POST /api/v1/messages/message).
  Result<Message> get_message(std::int64_t id, Expansions expansions = {}) const {
    if (id <= 0) return detail::invalid_argument("message id must be positive");
    nlohmann::json params{{"id", id}, {"_expansions", expansions.names()}};
    return core_->call<Message>(detail::CallKind::Read, "messages/message",
                                detail::encode_params(params),
                                [](const nlohmann::json& d) { return parse_message(d); });
  }

  /// Lists a message's delivery attempts, oldest first (POST /api/v1/messages/deliveries).
  Result<std::vector<Delivery>> get_deliveries(std::int64_t id) const {
    if (id <= 0) return detail::invalid_argument("message id must be positive");
    nlohmann::json params{{"id", id}};
    return core_->call<std::vector<Delivery>>(
        detail::CallKind::Read, "messages/deliveries", detail::encode_params(params),
        [](const nlohmann::json& d) { return parse_deliveries(d); });
  }

  /// The transport this client (and its copies) use.
  const std::shared_ptr<Transport>& transport() const noexcept { return core_->transport(); }

 private:
  template <class Request>
  Result<SendResult> send(const Request& request) const {
    return core_->call<SendResult>(detail::CallKind::Send, detail::send_endpoint(request),
                                   detail::send_body(request),
                                   [](const nlohmann::json& d) { return parse_send_result(d); });
  }

  std::shared_ptr<const detail::ClientCore> core_;
};

POSTAL_END_NAMESPACE
