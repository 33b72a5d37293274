// postal-cpp: the Client, typed calls for Postal's Send API and Messages API.
#pragma once

#include <postal/models.hpp>
#include <postal/options.hpp>
#include <postal/result.hpp>
#include <postal/transport.hpp>
#include <postal/version.hpp>

#include <cstdint>
#include <memory>
#include <vector>

POSTAL_BEGIN_NAMESPACE

namespace detail {
class ClientCore;
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
/// `send_state == SendState::MaybeSent` may have been delivered: check before sending it again.
///
/// @par Retries
/// ClientOptions::retry decides (see RetryOptions): reads are retried after transient failures;
/// a send only when its request provably never reached Postal, unless you opt in.
class Client {
 public:
  /// Creates a client. A null `options.transport` selects the libcurl transport. Invalid options
  /// (e.g. a base_url without scheme) are reported by every call as ErrorCode::InvalidArgument.
  POSTAL_API explicit Client(ClientOptions options);

  /// Sends a message that Postal composes (POST /api/v1/send/message).
  POSTAL_API Result<SendResult> send_message(const SendMessageRequest& request) const;

  /// Sends a complete RFC 5322 message (POST /api/v1/send/raw); the SDK base64-encodes `data`.
  POSTAL_API Result<SendResult> send_raw(const SendRawRequest& request) const;

  /// Sends many messages, up to `options.max_in_flight` requests at once (HTTP/2 streams on one
  /// connection when the server offers HTTP/2, parallel HTTP/1.1 connections otherwise).
  /// One result per request, in input order; invalid items fail alone. Each item follows the
  /// retry policy of a single send. Blocks until every item is settled.
  POSTAL_API std::vector<Result<SendResult>> send_many(
      const std::vector<SendMessageRequest>& requests, BatchOptions options = {}) const;

  /// send_many for raw messages (POST /api/v1/send/raw each).
  POSTAL_API std::vector<Result<SendResult>> send_many(const std::vector<SendRawRequest>& requests,
                                                       BatchOptions options = {}) const;

  /// Reads a message with the requested expansions (POST /api/v1/messages/message).
  POSTAL_API Result<Message> get_message(std::int64_t id, Expansions expansions = {}) const;

  /// Lists a message's delivery attempts, oldest first (POST /api/v1/messages/deliveries).
  POSTAL_API Result<std::vector<Delivery>> get_deliveries(std::int64_t id) const;

  /// The transport this client (and its copies) use.
  POSTAL_API const std::shared_ptr<Transport>& transport() const noexcept;

 private:
  std::shared_ptr<const detail::ClientCore> core_;
};

POSTAL_END_NAMESPACE
