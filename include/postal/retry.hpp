/// @file
/// When the client tries a request again, and when it never does.
#pragma once

#include <postal/error.hpp>
#include <postal/version.hpp>

#include <chrono>
#include <cstddef>
#include <functional>

POSTAL_BEGIN_NAMESPACE

/// What `RetryOptions::on_retry` is told before the client waits and tries again.
struct RetryEvent {
  const Error& error;               ///< the failure of the attempt that just ended (redacted)
  std::size_t attempt;              ///< that attempt's number, from 1
  std::chrono::milliseconds delay;  ///< how long the client now waits
};

/// The retry policy of a Client (ClientOptions::retry).
///
/// Postal has no idempotency key: a send repeated after its request reached Postal can deliver
/// the mail twice. So:
/// - Reads (`get_message`, `get_deliveries`) are retried after transport errors, timeouts, and
///   HTTP 429, 502, 503 and 504.
/// - Sends (`send_message`, `send_raw`, each item of `send_many`) are retried only after those
///   failures when the error proves the request never reached Postal (`SendState::NotSent`: DNS,
///   connection refused, TLS handshake, a 429 from a proxy). A `MaybeSent` send is never retried
///   unless `retry_maybe_sent_sends` is set; its error says so.
/// - Postal's own answers (`ErrorCode::Api`, `Parameter`), `Decode`, `InvalidArgument` and any
///   other HTTP status are final.
///
/// The wait before retry k (k = 1, 2, ...) is "full jitter": a uniformly random duration in
/// [0, min(max_backoff, initial_backoff * 2^(k-1))], but at least the server's `Retry-After`
/// (a Retry-After of more than 24 hours is not waited: the call ends with that error).
/// Retrying stops after `max_attempts` attempts, or when the next attempt could not start
/// before `deadline` (counted from the call's start; each attempt's timeout is also cut to what
/// is left of it). The last error is then returned, with `Error::attempts` set.
///
/// @code
/// postal::ClientOptions options;
/// options.retry.max_attempts = 5;
/// options.retry.on_retry = [](const postal::RetryEvent& e) { log(e.error.describe()); };
/// // or: options.retry = postal::RetryOptions::none();
/// @endcode
struct RetryOptions {
  /// Attempts in all, the first included; 1 turns retrying off. Must be at least 1.
  std::size_t max_attempts = 3;
  /// The cap of the first backoff; doubled for each further retry. 0 to 24 hours.
  std::chrono::milliseconds initial_backoff{200};
  /// The largest backoff drawn (a longer Retry-After is still honoured). 0 to 24 hours.
  std::chrono::milliseconds max_backoff{10000};
  /// The time budget of one call, retries and waits included (in send_many: of one item, from
  /// the end of its first attempt). Must be positive; a huge value (e.g.
  /// milliseconds::max()) means no deadline.
  std::chrono::milliseconds deadline{60000};
  /// Also retry a send that failed with `SendState::MaybeSent` (a timeout after the request
  /// was written, a 502/503/504, a reset connection). Only for mail where a duplicate is
  /// harmless: the retried request may deliver the message a second time.
  bool retry_maybe_sent_sends = false;

  /// The clock deadlines are measured on. Empty (or when it throws):
  /// std::chrono::steady_clock::now.
  std::function<std::chrono::steady_clock::time_point()> now{};
  /// Waits between attempts. Empty: std::this_thread::sleep_for. Tests inject a fake clock
  /// through `now` and `sleep` so that nothing really waits. When it throws (to stop waiting at
  /// shutdown, say), the call is not retried: it returns its last error. In send_many the items
  /// that were waiting end with theirs, the batch stops (the items not yet sent end Aborted,
  /// NotSent), and the results already made are kept.
  std::function<void(std::chrono::milliseconds)> sleep{};
  /// A random number in [0, 1) for the jitter. Empty (or when it throws): a per-thread
  /// std::mt19937_64.
  std::function<double()> random{};
  /// Called before each wait (to log retries, for example). Must not throw (an exception is
  /// ignored). When `sleep` then throws, the retry it announced does not happen (the call's error
  /// says "not retried: RetryOptions::sleep threw"). Like `now`, `sleep` and `random`, it is
  /// called from every thread using the Client: it must be thread-safe.
  std::function<void(const RetryEvent&)> on_retry{};

  /// A policy that never retries (max_attempts = 1).
  static RetryOptions none() {
    RetryOptions options;
    options.max_attempts = 1;
    return options;
  }
};

POSTAL_END_NAMESPACE
