/// @file
/// Remember webhook uuids so a replayed (or retried) request is noticed (spec §5).
#pragma once

#include <postal/error.hpp>
#include <postal/result.hpp>
#include <postal/version.hpp>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

POSTAL_BEGIN_NAMESPACE
namespace webhook {

/// Settings of a ReplayGuard.
struct ReplayGuardOptions {
  /// How long a uuid is remembered. Postal retries the same bytes (same uuid) up to 6 times
  /// over ~36 minutes plus polling delays, so the default of 2 hours covers every retry.
  std::chrono::seconds window = std::chrono::hours(2);
  /// At most this many uuids are remembered; beyond it the oldest are forgotten first (so a
  /// flood of events cannot exhaust memory). At least 1.
  std::size_t max_entries = 100000;
  /// The clock; empty means `std::chrono::steady_clock::now`.
  std::function<std::chrono::steady_clock::time_point()> clock;
};

/// Remembers the `uuid`s of webhook requests already handled, for a time window, in bounded
/// memory. Call it after the signature verified (never for unverified input).
///
/// Postal re-sends a request whose answer was not 2xx within 5 s, with the same uuid. If your
/// handling fails after `check_and_remember`, call `forget` so Postal's retry is accepted.
///
/// @code
/// postal::webhook::ReplayGuard guard;                      // shared by all request threads
/// auto fresh = guard.check_and_remember(event->uuid);
/// if (!fresh) return respond(200);                         // a duplicate: already handled
/// @endcode
///
/// @par Thread Safety
/// All member functions are safe to call concurrently.
class ReplayGuard {
 public:
  /// The clock a guard measures its window with.
  using Clock = std::chrono::steady_clock;

  /// A guard with the default window (2 hours) and bound (100000 uuids).
  ReplayGuard() : ReplayGuard(ReplayGuardOptions{}) {}
  /// A guard with these settings.
  explicit ReplayGuard(ReplayGuardOptions options) : options_(std::move(options)) {
    options_.max_entries = std::max<std::size_t>(options_.max_entries, 1);
  }

  /// Remembers `uuid` now (the options' clock). ErrorCode::Replay when it was already seen
  /// within the window; ErrorCode::InvalidArgument for an empty uuid.
  Result<void> check_and_remember(std::string_view uuid) {
    return check_and_remember(uuid, options_.clock ? options_.clock() : Clock::now());
  }

  /// Remembers `uuid` at time `now`. ErrorCode::Replay when it was already seen within the
  /// window before `now`; ErrorCode::InvalidArgument for an empty uuid.
  Result<void> check_and_remember(std::string_view uuid, Clock::time_point now) {
    try {
      return remember(uuid, now);
    } catch (const std::exception& ex) {  // e.g. bad_alloc: fail closed, Postal will retry
      Error e;
      e.send_state = SendState::NotSent;  // webhook errors concern no send
      e.code = ErrorCode::Replay;
      e.message = std::string("webhook uuid could not be recorded: ") + ex.what();
      return e;
    }
  }

  /// Forgets `uuid`, so its next delivery is accepted (call it when handling failed).
  void forget(std::string_view uuid) {
    try {
      const std::string key(uuid);
      std::lock_guard<std::mutex> lock(mutex_);
      seen_.erase(key);  // its entry in order_ is skipped when it comes up
    } catch (const std::exception&) {
      // Nothing was forgotten; the retry is then treated as a replay (fails closed).
    }
  }

  /// Whether `uuid` is remembered (seen within the window, not forgotten or evicted).
  bool contains(std::string_view uuid, Clock::time_point now) const {
    try {
      const std::string key(uuid);
      std::lock_guard<std::mutex> lock(mutex_);
      auto it = seen_.find(key);
      return it != seen_.end() && now - it->second < options_.window;
    } catch (const std::exception&) {
      return false;
    }
  }

  /// Number of uuids remembered (including some not yet expired lazily).
  std::size_t size() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return seen_.size();
  }

  /// Forgets everything.
  void clear() {
    std::lock_guard<std::mutex> lock(mutex_);
    seen_.clear();
    order_.clear();
  }

  /// The settings in use.
  const ReplayGuardOptions& options() const noexcept { return options_; }

 private:
  // check_and_remember without the exception guard.
  Result<void> remember(std::string_view uuid, Clock::time_point now) {
    if (uuid.empty()) {
      Error e;
      e.send_state = SendState::NotSent;  // webhook errors concern no send
      e.code = ErrorCode::InvalidArgument;
      e.message = "webhook uuid is empty";
      return e;
    }
    std::string key(uuid);
    std::lock_guard<std::mutex> lock(mutex_);
    expire(now);
    auto it = seen_.find(key);
    if (it != seen_.end()) {
      if (now - it->second < options_.window) {
        Error e;
        e.send_state = SendState::NotSent;  // webhook errors concern no send
        e.code = ErrorCode::Replay;
        e.message =
            "webhook " + key + " was already received " +
            std::to_string(
                std::chrono::duration_cast<std::chrono::seconds>(now - it->second).count()) +
            " s ago";
        return e;
      }
    }
    // Queue first: if the map insertion throws, the queue only holds a stale entry.
    order_.emplace_back(key, now);
    if (it != seen_.end()) {
      it->second = now;
    } else {
      seen_.emplace(std::move(key), now);
    }
    while (seen_.size() > options_.max_entries && !order_.empty()) pop_oldest();
    return {};
  }

  // Drops entries older than the window from the front (insertion order ≈ time order).
  void expire(Clock::time_point now) {
    while (!order_.empty() && now - order_.front().second >= options_.window) pop_oldest();
    // A queue entry whose uuid was forgotten or re-remembered is stale; drop such entries
    // when the queue has grown well beyond the map, so it stays bounded too.
    if (order_.size() > 2 * options_.max_entries) compact();
  }

  // Removes the oldest queue entry and, if it is still the live one, its uuid.
  void pop_oldest() {
    auto& [uuid, at] = order_.front();
    auto it = seen_.find(uuid);
    if (it != seen_.end() && it->second == at) seen_.erase(it);
    order_.pop_front();
  }

  // Rebuilds the queue without stale entries.
  void compact() {
    std::deque<std::pair<std::string, Clock::time_point>> live;
    for (auto& entry : order_) {
      auto it = seen_.find(entry.first);
      if (it != seen_.end() && it->second == entry.second) live.push_back(std::move(entry));
    }
    order_.swap(live);
  }

  ReplayGuardOptions options_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Clock::time_point> seen_;
  std::deque<std::pair<std::string, Clock::time_point>> order_;
};

}  // namespace webhook
POSTAL_END_NAMESPACE
