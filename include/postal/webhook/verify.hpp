/// @file
/// Verify a Postal webhook's RSA signature over the raw body bytes (spec §4).
#pragma once

#include <postal/detail/json_read.hpp>
#include <postal/error.hpp>
#include <postal/result.hpp>
#include <postal/transport.hpp>
#include <postal/version.hpp>
#include <postal/webhook/keys.hpp>

#include <nlohmann/json.hpp>

#include <chrono>
#include <cmath>
#include <exception>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

POSTAL_BEGIN_NAMESPACE
namespace webhook {

/// Header names Postal signs with (spec §4.1). Compared case-insensitively.
inline constexpr const char* signature_kid_header = "X-Postal-Signature-KID";
/// RSA PKCS#1 v1.5 with SHA-1, base64 (Postal < 3.2 sends only this one).
inline constexpr const char* signature_sha1_header = "X-Postal-Signature";
/// RSA PKCS#1 v1.5 with SHA-256, base64 (Postal 3.2+).
inline constexpr const char* signature_sha256_header = "X-Postal-Signature-256";

/// How strict `verify` is. The defaults suit Postal 3.2+.
struct VerifyOptions {
  /// Accept a request that carries only `X-Postal-Signature` (SHA-1; Postal < 3.2). Never
  /// used when `X-Postal-Signature-256` is present: that result is final.
  bool allow_sha1 = false;
  /// Reject requests whose envelope `timestamp` is older than this (ErrorCode::Replay).
  /// The timestamp is when the event was queued and stays the same across Postal's retries
  /// (6 attempts over ~36 minutes), so a value under ~40 minutes rejects late retries.
  std::optional<std::chrono::seconds> max_age;
  /// With `max_age`: how far in the future the timestamp may be (clock skew) before the
  /// request is rejected as ErrorCode::Replay.
  std::chrono::seconds future_skew{300};
  /// The clock for `max_age`; empty means `std::chrono::system_clock::now`.
  std::function<std::chrono::system_clock::time_point()> clock;
};

namespace detail {

/// The signature check alone (no max_age): KID selection, SHA-256 / SHA-1 policy, RSA verify.
/// Defined in src/openssl_verify.cpp.
POSTAL_API Result<void> verify_signature(std::string_view raw_body, const Headers& headers,
                                         const KeySet& keys, bool allow_sha1);

/// The max_age / future_skew check of an envelope timestamp (seconds since the epoch).
inline Result<void> check_age(double timestamp, const VerifyOptions& options) {
  if (!options.max_age) return {};
  const auto now = options.clock ? options.clock() : std::chrono::system_clock::now();
  const double now_s = std::chrono::duration<double>(now.time_since_epoch()).count();
  const double age = now_s - timestamp;
  Error e;
  e.send_state = SendState::NotSent;  // webhook errors concern no send
  e.code = ErrorCode::Replay;
  if (!std::isfinite(timestamp)) {
    e.message = "webhook timestamp is not a finite number";
    return e;
  }
  if (age > static_cast<double>(options.max_age->count())) {
    e.message = "webhook is too old: timestamp " + std::to_string(timestamp) + " is " +
                std::to_string(static_cast<long long>(age)) + " s old, max_age is " +
                std::to_string(options.max_age->count()) + " s";
    return e;
  }
  if (-age > static_cast<double>(options.future_skew.count())) {
    e.message = "webhook timestamp " + std::to_string(timestamp) + " is " +
                std::to_string(static_cast<long long>(-age)) + " s in the future (allowed skew " +
                std::to_string(options.future_skew.count()) + " s)";
    return e;
  }
  return {};
}

/// The Error for an exception during verification (e.g. out of memory): never believed.
inline Error verification_failure(const std::exception& ex) {
  Error e;
  e.send_state = SendState::NotSent;  // webhook errors concern no send
  e.code = ErrorCode::Signature;
  e.message = std::string("webhook verification failed: ") + ex.what();
  return e;
}

/// Reads just the envelope `timestamp` for max_age, tolerantly. Decode error when absent.
inline Result<void> check_body_age(std::string_view raw_body, const VerifyOptions& options) {
  if (!options.max_age) return {};
  const auto json = nlohmann::json::parse(raw_body.begin(), raw_body.end(), nullptr, false);
  const auto timestamp = postal::detail::read_double(json, "timestamp");
  if (!timestamp) {
    Error e;
    e.send_state = SendState::NotSent;  // webhook errors concern no send
    e.code = ErrorCode::Decode;
    e.message = "webhook body has no numeric \"timestamp\" to check max_age against";
    return e;
  }
  return check_age(*timestamp, options);
}

}  // namespace detail

/// Verifies a webhook request: its signature over the raw body bytes, then (optionally) its age.
///
/// Policy (fail closed; every error has `send_state` NotSent):
/// - header names in any case; values trimmed of surrounding spaces and tabs;
/// - `X-Postal-Signature-KID` present: only that key is tried; unknown → ErrorCode::UnknownKey.
///   Absent: every key in `keys` is tried;
/// - `X-Postal-Signature-256` present: its result is final (no fallback to SHA-1);
/// - only `X-Postal-Signature`: accepted only with `options.allow_sha1`;
/// - no key, no signature header, an empty or non-base64 (strict) value, or a length that is not
///   the key size → ErrorCode::Signature;
/// - with `options.max_age`: a stale or future envelope `timestamp` → ErrorCode::Replay.
///
/// Pass the body exactly as received: a re-serialised JSON body never verifies.
///
/// @code
/// auto ok = postal::webhook::verify(request.body, request.headers, keys);
/// if (!ok) return respond(401, ok.error().message);
/// @endcode
///
/// @par Thread Safety
/// Safe to call concurrently with the same keys. Never throws.
inline Result<void> verify(std::string_view raw_body, const Headers& headers, const KeySet& keys,
                           const VerifyOptions& options = {}) {
  try {
    auto signature = detail::verify_signature(raw_body, headers, keys, options.allow_sha1);
    if (!signature) return signature;
    return detail::check_body_age(raw_body, options);
  } catch (const std::exception& ex) {
    return detail::verification_failure(ex);
  }
}

}  // namespace webhook
POSTAL_END_NAMESPACE
