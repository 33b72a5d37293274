// postal-cpp internals: the retry decision (which failures are tried again), full-jitter backoff,
// Retry-After parsing, and the per-call bookkeeping of attempts and deadline.
#pragma once

#include <postal/error.hpp>
#include <postal/retry.hpp>
#include <postal/version.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <thread>

POSTAL_BEGIN_NAMESPACE
namespace detail {

/// Whether a call reads (safe to repeat) or sends (repeating may deliver twice).
enum class CallKind { Read, Send };

/// A failure that may pass: no response, a timeout, or HTTP 429/502/503/504.
inline bool is_transient(const Error& error) noexcept {
  switch (error.code) {
    case ErrorCode::Transport:
    case ErrorCode::Timeout:
      return true;
    case ErrorCode::Http:
      return error.http_status == 429 || error.http_status == 502 || error.http_status == 503 ||
             error.http_status == 504;
    default:
      return false;
  }
}

/// Whether the policy allows trying this failure again (attempts and deadline aside).
inline bool is_retryable(const Error& error, CallKind kind, const RetryOptions& options) noexcept {
  if (!is_transient(error)) return false;
  if (kind == CallKind::Read) return true;
  return error.send_state == SendState::NotSent || options.retry_maybe_sent_sends;
}

/// Postal's authentication failures: every further request with the same key fails alike.
inline bool is_auth_error(const Error& error) noexcept {
  return error.code == ErrorCode::Api &&
         (error.api_code == "InvalidServerAPIKey" || error.api_code == "AccessDenied" ||
          error.api_code == "ServerSuspended");
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
inline std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) noexcept {
  y -= m <= 2 ? 1 : 0;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

/// The value of a Retry-After header as a wait from `now`: delta-seconds ("120") or an
/// IMF-fixdate ("Wed, 21 Oct 2026 07:28:00 GMT"; a date in the past is no wait). nullopt when
/// it is neither.
inline std::optional<std::chrono::milliseconds> parse_retry_after(
    std::string_view value, std::chrono::system_clock::time_point now) {
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  if (value.empty()) return std::nullopt;
  auto digits = [](std::string_view s) {
    return !s.empty() &&
           std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  auto number = [](std::string_view s) {
    std::int64_t n = 0;
    for (char c : s) n = std::min<std::int64_t>(n * 10 + (c - '0'), 1'000'000'000);  // ~31 years
    return n;
  };
  if (digits(value)) return std::chrono::milliseconds(number(value) * 1000);

  // IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT" (29 characters).
  if (value.size() != 29 || value[3] != ',' || value[4] != ' ' || value[7] != ' ' ||
      value[11] != ' ' || value[16] != ' ' || value[19] != ':' || value[22] != ':' ||
      value.substr(25) != " GMT")
    return std::nullopt;
  const std::string_view day = value.substr(5, 2), year = value.substr(12, 4),
                         hour = value.substr(17, 2), minute = value.substr(20, 2),
                         second = value.substr(23, 2), month_name = value.substr(8, 3);
  if (!digits(day) || !digits(year) || !digits(hour) || !digits(minute) || !digits(second))
    return std::nullopt;
  static constexpr std::string_view months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  unsigned month = 0;
  for (unsigned i = 0; i < 12; ++i)
    if (months[i] == month_name) month = i + 1;
  const auto d = number(day), h = number(hour), mi = number(minute), s = number(second);
  if (month == 0 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) return std::nullopt;
  const std::int64_t epoch_seconds =
      days_from_civil(number(year), month, static_cast<unsigned>(d)) * 86400 + h * 3600 + mi * 60 +
      s;
  // In seconds, capped like delta-seconds: a date centuries ahead must not overflow the clock.
  const auto now_seconds =
      std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  if (epoch_seconds <= now_seconds) return std::chrono::milliseconds(0);
  const std::int64_t wait = std::min<std::int64_t>(epoch_seconds - now_seconds, 1'000'000'000);
  return std::chrono::milliseconds(wait * 1000);
}

/// The attempts of one call (one item of a batch) under a RetryOptions: counts them, keeps the
/// deadline, and decides after each failure whether to wait and try again.
class RetrySchedule {
 public:
  using Clock = std::chrono::steady_clock;
  /// The longest wait before a retry: a longer Retry-After ends the call (even without a
  /// deadline) instead of blocking it for years.
  static constexpr std::chrono::milliseconds kLongestWait{24 * 60 * 60 * 1000};

  RetrySchedule(const RetryOptions& options, CallKind kind)
      : options_(&options), kind_(kind), deadline_(deadline_from(now(), options.deadline)) {}

  /// When the call's retries end (RetryOptions::deadline after it started, saturating at
  /// Clock::time_point::max()).
  Clock::time_point deadline() const noexcept { return deadline_; }

  /// The timeout of the next attempt: `timeout`, cut to what is left of the deadline (rounded
  /// up to whole milliseconds); nullopt when nothing is left.
  std::optional<std::chrono::milliseconds> attempt_timeout(
      std::chrono::milliseconds timeout) const {
    const auto at = now();
    if (deadline_ <= at) return std::nullopt;
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline_ - at);
    return (std::min)(timeout, left);
  }

  /// Records that an attempt ended with `error`; sets error.attempts. The wait before the next
  /// attempt, or nullopt when the error is final (then `error` says why it was not retried,
  /// where that is not obvious).
  std::optional<std::chrono::milliseconds> after_failure(Error& error) {
    ++attempts_;
    error.attempts = attempts_;
    if (!is_retryable(error, kind_, *options_)) {
      if (kind_ == CallKind::Send && error.send_state == SendState::MaybeSent)
        error.message +=
            " (this send may have reached Postal, so it was not retried: make sure the message "
            "was not delivered before sending it again)";
      return std::nullopt;
    }
    if (attempts_ >= options_->max_attempts) return std::nullopt;
    if (error.retry_after && *error.retry_after > kLongestWait) {  // a wait that is a hang
      error.message += " (not retried: the server asked to wait " +
                       std::to_string(error.retry_after->count() / 1000) +
                       " s, longer than the 24 hours a retry ever waits)";
      return std::nullopt;
    }
    auto delay = backoff(attempts_);
    if (error.retry_after) delay = (std::max)(delay, *error.retry_after);
    if (now() + delay >= deadline_) {
      error.message += " (not retried: the wait of " + std::to_string(delay.count()) +
                       " ms would pass the retry deadline)";
      return std::nullopt;
    }
    if (options_->on_retry) {
      try {
        options_->on_retry(RetryEvent{error, attempts_, delay});
      } catch (...) {  // a logging hook must not change the outcome
      }
    }
    return delay;
  }

  /// What the last error of a call gets when the sleep hook threw.
  static constexpr const char* kSleepThrew = " (not retried: RetryOptions::sleep threw)";

  /// Waits `delay` with the options' sleep. False when that hook threw (a shutdown or a
  /// cancellation, say): the call then ends with its last error, plus kSleepThrew, instead of
  /// trying again.
  bool wait(std::chrono::milliseconds delay) const {
    if (delay.count() <= 0) return true;
    if (!options_->sleep) {
      std::this_thread::sleep_for(delay);
      return true;
    }
    try {
      options_->sleep(delay);
      return true;
    } catch (...) {
      return false;
    }
  }

  std::size_t attempts() const noexcept { return attempts_; }

 private:
  // The hooks `now` and `random` fall back to the defaults when they throw: every call must
  // still end with a Result, and a batch must keep the results it has.
  Clock::time_point now() const {
    if (options_->now) {
      try {
        return options_->now();
      } catch (...) {
      }
    }
    return Clock::now();
  }

  // `start + deadline`, saturating: a deadline of centuries (or milliseconds::max()) is none.
  static Clock::time_point deadline_from(Clock::time_point start,
                                         std::chrono::milliseconds deadline) {
    const auto room =
        std::chrono::duration_cast<std::chrono::milliseconds>((Clock::time_point::max)() - start);
    return deadline >= room ? (Clock::time_point::max)() : start + deadline;
  }

  // Full jitter: uniform in [0, min(max_backoff, initial_backoff * 2^(retry - 1))].
  std::chrono::milliseconds backoff(std::size_t retry) const {
    std::int64_t cap = options_->initial_backoff.count();
    for (std::size_t i = 1; i < retry && cap < options_->max_backoff.count(); ++i) cap *= 2;
    cap = (std::max<std::int64_t>)(0, (std::min)(cap, options_->max_backoff.count()));
    std::optional<double> drawn;
    if (options_->random) {
      try {
        drawn = options_->random();
      } catch (...) {
      }
    }
    double r = drawn ? *drawn : default_random();
    if (!(r >= 0.0)) r = 0.0;  // NaN too
    if (r > 1.0) r = 1.0;
    return std::chrono::milliseconds(static_cast<std::int64_t>(r * static_cast<double>(cap)));
  }

  static double default_random() {
    thread_local std::mt19937_64 engine{std::random_device{}()};
    return std::uniform_real_distribution<double>(0.0, 1.0)(engine);
  }

  const RetryOptions* options_;
  CallKind kind_;
  Clock::time_point deadline_;
  std::size_t attempts_ = 0;
};

/// The InvalidArgument error for unusable RetryOptions, if they are.
inline std::optional<std::string> retry_options_problem(const RetryOptions& options) {
  if (options.max_attempts < 1) return "retry.max_attempts must be at least 1";
  if (options.deadline.count() <= 0) return "retry.deadline must be positive";
  if (options.initial_backoff.count() < 0 || options.max_backoff.count() < 0)
    return "retry backoffs must not be negative";
  if (options.initial_backoff > std::chrono::hours(24) ||
      options.max_backoff > std::chrono::hours(24))
    return "retry backoffs must be at most 24 hours";
  return std::nullopt;
}

}  // namespace detail
POSTAL_END_NAMESPACE
