/// @file
/// Settings of a Client (ClientOptions) and of one send_many call (BatchOptions).
#pragma once

#include <postal/retry.hpp>
#include <postal/transport.hpp>
#include <postal/version.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

POSTAL_BEGIN_NAMESPACE

/// Settings of a Client; a plain aggregate with safe defaults.
///
/// @code
/// postal::ClientOptions options;
/// options.base_url = "https://postal.example.com";
/// if (const char* key = std::getenv("POSTAL_API_KEY")) options.api_key = key;
/// postal::Client client(options);
/// @endcode
struct ClientOptions {
  /// Where Postal's web server is, such as "https://postal.example.com". The scheme is required; a
  /// path prefix is kept ("https://example.com/postal" → ".../postal/api/v1/...").
  std::string base_url;
  /// The server's API key, sent as X-Server-API-Key. Never appears in errors or logs. Must be
  /// visible ASCII (no spaces or line breaks), as Postal's keys are.
  std::string api_key;
  /// Deadline for one whole HTTP exchange; must be positive.
  std::chrono::milliseconds timeout{std::chrono::seconds(30)};
  /// How requests travel. nullptr: the libcurl transport with default CurlOptions.
  std::shared_ptr<Transport> transport{};
  /// When a failed request is tried again (see RetryOptions: reads after transient failures,
  /// sends only when they provably never left). RetryOptions::none() turns retrying off.
  RetryOptions retry{};
};

/// Settings of one Client::send_many call.
///
/// @code
/// postal::BatchOptions batch;
/// batch.max_in_flight = 16;
/// batch.progress = [](std::size_t done, std::size_t total) { show(done, total); };
/// auto results = client.send_many(requests, batch);  // one Result per request, in order
/// @endcode
struct BatchOptions {
  /// The most requests in flight at once (HTTP/2 streams or HTTP/1.1 connections). Must be at
  /// least 1.
  std::size_t max_in_flight = 8;
  /// After the first item refused with `AccessDenied`, `InvalidServerAPIKey` or
  /// `ServerSuspended`, the items not yet handed to the transport are not sent: they fail with
  /// ErrorCode::Aborted, NotSent.
  bool stop_on_auth_error = true;
  /// Called after each item is settled, with the number settled so far and the total, from the
  /// calling thread. An exception from it stops the batch like an authentication error.
  std::function<void(std::size_t done, std::size_t total)> progress{};
};

POSTAL_END_NAMESPACE
