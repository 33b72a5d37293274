// postal-cpp internals: Client::send_many. The batch is a RequestFeed: the transport takes each
// request when it can start it, and a thread encodes the items a little ahead of it (a bounded
// ring, EncodeAhead), so the batch holds few request bodies beyond those in flight. The
// libcurl transport pulls from it as slots free (detail::FeedTransport); any other transport
// gets windows through Transport::send_all, which grow from max_in_flight (so a bad key is found
// after one window, not after the whole batch) up to a bounded size. Items go in rounds of new
// items; a failed item that the retry policy allows goes again first in the next round, once
// the requests in flight have ended and the policy's wait is over (a round ends early when the
// item's retry deadline would not wait for it).
#pragma once

#include <postal/detail/client_core.hpp>
#include <postal/detail/encode_ahead.hpp>
#include <postal/detail/request_feed.hpp>
#include <postal/detail/retry.hpp>
#include <postal/detail/send_body.hpp>
#include <postal/json.hpp>
#include <postal/models.hpp>
#include <postal/options.hpp>
#include <postal/result.hpp>
#include <postal/transport.hpp>
#include <postal/version.hpp>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

POSTAL_BEGIN_NAMESPACE
namespace detail {

/// The largest window (requests handed to Transport::send_all in one call), and the new items
/// of one round of retries.
inline std::size_t max_batch_window(std::size_t max_in_flight) noexcept {
  return std::clamp<std::size_t>(max_in_flight * 32, 256, 2048);
}

/// A window also ends once its request bodies hold this many bytes (large attachments).
inline constexpr std::size_t batch_window_bytes = std::size_t{64} << 20;

/// The most requests in flight at once, whatever BatchOptions::max_in_flight says.
inline constexpr std::size_t kMostInFlight = 2048;

template <class Request>
class SendBatch final : public RequestFeed {
 public:
  SendBatch(const ClientCore& core, const std::vector<Request>& requests,
            const BatchOptions& options)
      : core_(core),
        requests_(requests),
        options_(options),
        in_flight_((std::min)({options.max_in_flight, requests.size(), kMostInFlight})),
        round_size_(max_batch_window(in_flight_)),
        window_size_((std::min)(in_flight_, round_size_)) {
    results_.reserve(requests.size());
    for (std::size_t i = 0; i < requests.size(); ++i) results_.emplace_back(Error{});
    handed_out_.resize(requests.size());
  }

  std::vector<Result<SendResult>> run() && {
    if (core_.config_error()) return settle_all(*core_.config_error());
    if (options_.max_in_flight == 0)
      return settle_all(invalid_argument("BatchOptions::max_in_flight must be at least 1"));
    auto* feeder = dynamic_cast<FeedTransport*>(core_.transport().get());
    if (requests_.size() > in_flight_) {  // more than the first requests
      try {
        ahead_.emplace(core_, requests_, std::clamp<std::size_t>(in_flight_ * 4, 32, 512));
      } catch (...) {  // no thread: items are encoded as they are taken
      }
    }
    for (;;) {  // one pass per round of retries
      if (feeder != nullptr)
        send_feed(*feeder);
      else
        send_windows();
      if (waiting_.empty() || stop_reason_ || out_of_memory_) break;
      if (!tried_.at(waiting_.front()).schedule->wait(wait_)) {
        for (std::size_t index : waiting_) {  // the items end with their last errors
          Error& last = *tried_.at(index).last_error;
          last.message += RetrySchedule::kSleepThrew;
          settle(index, std::move(last));
        }
        waiting_.clear();
        stop_with("RetryOptions::sleep threw");  // and no later item is sent
        break;
      }
      ready_.insert(ready_.end(), waiting_.begin(), waiting_.end());
      waiting_.clear();
      wait_ = std::chrono::milliseconds(0);
      round_taken_ = 0;
    }
    ahead_.reset();  // the encoder thread ends
    if (out_of_memory_) stop_with("memory ran out while encoding a request");
    // Retries are not started after the batch stopped: those items end with their last errors.
    for (std::size_t index : waiting_) settle(index, std::move(*tried_.at(index).last_error));
    for (std::size_t index : ready_) settle(index, std::move(*tried_.at(index).last_error));
    if (next_ < requests_.size()) {
      stop_with("the transport stopped taking requests");
      for (; next_ < requests_.size(); ++next_) settle(next_, aborted());
    }
    return std::move(results_);
  }

  // RequestFeed: items waiting for a retry first, then new ones in input order. A round hands
  // out up to round_size_ new items; while an item waits for its retry, no new item starts
  // after the round, or once retry_due() (the retry comes first in the next round).
  bool next(HttpRequest& slot, std::size_t& id) noexcept override {
    std::optional<std::size_t> taken;  // an item out of the queues, not yet handed out or settled
    try {
      while (!stop_reason_ && !out_of_memory_) {
        if (!ready_.empty()) {
          taken = ready_.front();
          ready_.pop_front();
          Item& item = tried_.at(*taken);
          const auto timeout = item.schedule->attempt_timeout(core_.timeout());
          // Ends with its last error when its deadline passed while it waited, or (it was encoded
          // once: only memory can fail) when it cannot be encoded again.
          if (!timeout || encode(*taken, slot, *timeout)) {
            if (!timeout)
              item.last_error->message +=
                  " (not retried: its retry deadline passed while the batch sent other items)";
            const std::size_t index = *std::exchange(taken, std::nullopt);
            settle(index, std::move(*item.last_error));
            tried_.erase(index);
            continue;
          }
          id = hand_out(*std::exchange(taken, std::nullopt));
          return true;
        }
        if (next_ == requests_.size()) return false;
        if (!waiting_.empty() && (round_taken_ == round_size_ || retry_due())) return false;
        if (round_taken_ == round_size_) round_taken_ = 0;  // nothing to retry: go on
        taken = next_++;
        ++round_taken_;
        if (auto error = ahead_ ? ahead_->take(slot) : encode(*taken, slot, core_.timeout())) {
          error->send_state = SendState::NotSent;
          Error refused = core_.redacted(std::move(*error));
          settle(*std::exchange(taken, std::nullopt), std::move(refused));
          continue;
        }
        id = hand_out(*std::exchange(taken, std::nullopt));
        return true;
      }
    } catch (...) {  // out of memory: what was handed out still finishes; nothing more starts
      out_of_memory_ = true;
      if (taken) settle(*taken, no_memory(SendState::NotSent));
    }
    return false;
  }

  void finished(std::size_t id, Result<HttpResponse> outcome) noexcept override {
    if (!take_back(id)) return;  // not out: no outcome to take
    bool settled = false;
    try {
      Result<SendResult> result = guarded([&]() -> Result<SendResult> {
        return core_.interpret<SendResult>(
            std::move(outcome), [](const auto& data) { return parse_send_result(data); });
      });
      auto tried = tried_.find(id);
      if (result) {
        if (tried != tried_.end()) tried_.erase(tried);
        settled = true;
        settle(id, std::move(result));
        return;
      }
      Error error = core_.redacted(std::move(result.error()));
      // An item's retry schedule (and its deadline) starts when its first attempt has failed.
      if (tried == tried_.end()) tried = tried_.emplace(id, Item{}).first;
      Item& item = tried->second;
      if (!item.schedule) item.schedule.emplace(core_.retry(), CallKind::Send);
      std::optional<std::chrono::milliseconds> delay;
      if (stop_reason_)  // no retry after the batch stopped; the attempt still counts
        error.attempts = item.schedule->attempts() + 1;
      else
        delay = item.schedule->after_failure(error);
      if (delay) {
        item.last_error = std::move(error);
        waiting_.push_back(id);
        if (waiting_.size() == 1 ||
            item.schedule->deadline() < tried_.at(earliest_waiting_).schedule->deadline())
          earliest_waiting_ = id;
        wait_ = (std::max)(wait_, *delay);
        return;
      }
      tried_.erase(tried);
      const bool stops = options_.stop_on_auth_error && is_auth_error(error);
      settled = true;
      settle(id, std::move(error));
      if (stops && !stop_reason_) stop_after(id);
    } catch (...) {  // out of memory: the batch stops (run() says why)
      out_of_memory_ = true;
      if (!settled) settle(id, no_memory(SendState::MaybeSent));
    }
  }

 private:
  struct Item {
    std::optional<RetrySchedule> schedule;
    std::optional<Error> last_error;
  };

  // Whether the round must end now for the waiting item whose retry deadline comes first: what
  // is left of it would not cover the requests in flight (one timeout at worst) and the wait.
  bool retry_due() const {
    const auto needed = core_.timeout() + wait_;
    const auto left = tried_.at(earliest_waiting_).schedule->attempt_timeout(needed);
    return !left || *left < needed;
  }

  // An Error that allocates nothing (its message fits std::string's inline buffer).
  static Error no_memory(SendState state) noexcept {
    Error error;
    error.code = ErrorCode::Transport;
    error.send_state = state;
    error.message = "out of memory";
    return error;
  }

  std::optional<Error> encode(std::size_t index, HttpRequest& slot,
                              std::chrono::milliseconds timeout) {
    return encode_send_request(core_, requests_[index], slot, timeout, scratch_);
  }

  void send_feed(FeedTransport& feeder) {
    try {
      feeder.send_feed(*this, in_flight_);
    } catch (const std::exception& e) {
      stop_with(std::string("the transport failed: ") + e.what());
    } catch (...) {
      stop_with("the transport failed");
    }
    settle_unreported();
  }

  std::size_t hand_out(std::size_t id) noexcept {
    handed_out_[id] = true;
    ++out_now_;
    return id;
  }

  // Whether `id` was out with the transport; it no longer is.
  bool take_back(std::size_t id) noexcept {
    if (id >= handed_out_.size() || !handed_out_[id]) return false;
    handed_out_[id] = false;
    --out_now_;
    return true;
  }

  // A request the transport took and never reported (FeedTransport's contract says it cannot
  // happen) still gets an outcome: it may have been written, so MaybeSent, and not retried.
  void settle_unreported() {
    for (std::size_t id = 0; out_now_ > 0 && id < handed_out_.size(); ++id) {
      if (!take_back(id)) continue;
      tried_.erase(id);
      Error error = no_memory(SendState::MaybeSent);
      try {
        error.message =
            "the transport gave no outcome for this request (it returned or failed while the "
            "request was in flight); it may have reached the server";
      } catch (...) {  // out of memory: the item still ends, as "out of memory"
      }
      settle(id, std::move(error));
    }
  }

  // For transports without FeedTransport: windows through Transport::send_all until the feed
  // gives nothing more. Window sizes grow (saturating) from max_in_flight up to the round size.
  void send_windows() {
    std::vector<HttpRequest> window;
    std::vector<std::size_t> ids;
    for (;;) {
      window.reserve(window_size_);  // before any item is taken: it cannot be lost to a throw
      ids.resize(window_size_);
      std::size_t count = 0;
      std::size_t bytes = 0;
      while (count < window_size_ && bytes < batch_window_bytes) {
        if (count == window.size()) window.emplace_back();
        if (!next(window[count], ids[count])) break;
        bytes += window[count].body.capacity();
        ++count;
      }
      if (count == 0) return;
      window.resize(count);
      if (stop_reason_) {  // stopped while the window was taken (by the progress callback)
        for (std::size_t k = 0; k < count; ++k) {
          take_back(ids[k]);
          auto tried = tried_.find(ids[k]);  // a retry ends with its last error
          const bool retry = tried != tried_.end() && tried->second.last_error;
          settle(ids[k], retry ? std::move(*tried->second.last_error) : aborted());
        }
        return;
      }
      auto responses = send_all(window);
      for (std::size_t k = 0; k < count; ++k) finished(ids[k], std::move(responses[k]));
      for (HttpRequest& request : window)  // only small bodies' memory is worth keeping
        if (request.body.capacity() > send_body_copy_limit) std::string().swap(request.body);
      window_size_ = window_size_ > round_size_ / 4 ? round_size_ : window_size_ * 4;
    }
  }

  // One result per request whatever the transport does: after an exception, or an answer of the
  // wrong length (which cannot be matched to the requests), every request is MaybeSent.
  std::vector<Result<HttpResponse>> send_all(const std::vector<HttpRequest>& requests) const {
    std::vector<Result<HttpResponse>> responses;
    std::optional<Error> failure;
    try {
      responses = core_.transport()->send_all(requests, in_flight_);
    } catch (const std::exception& e) {
      failure = unexpected_exception(e.what());
    } catch (...) {
      failure = unexpected_exception("not a std::exception");
    }
    if (!failure && responses.size() != requests.size())
      failure = unexpected_exception("the transport's send_all returned " +
                                     std::to_string(responses.size()) + " results for " +
                                     std::to_string(requests.size()) + " requests");
    if (failure) return std::vector<Result<HttpResponse>>(requests.size(), *failure);
    return responses;
  }

  void settle(std::size_t index, Result<SendResult> result) {
    results_[index] = std::move(result);
    ++done_;
    if (!options_.progress || progress_failed_) return;
    try {
      options_.progress(done_, results_.size());
    } catch (const std::exception& e) {
      progress_failed_ = true;
      stop_with("the progress callback threw: " + std::string(e.what()));
    } catch (...) {
      progress_failed_ = true;
      stop_with("the progress callback threw");
    }
  }

  std::vector<Result<SendResult>> settle_all(const Error& error) {
    for (std::size_t i = 0; i < results_.size(); ++i) settle(i, error);
    return std::move(results_);
  }

  void stop_after(std::size_t index) {
    const Error& cause = results_[index].error();
    stop_with("item " + std::to_string(index) + " was refused with " + cause.api_code + " (" +
              cause.message + ") and stop_on_auth_error is set");
  }

  void stop_with(std::string reason) {
    if (!stop_reason_) stop_reason_ = std::move(reason);
  }

  Error aborted() const {
    Error error;
    error.code = ErrorCode::Aborted;
    error.send_state = SendState::NotSent;
    error.message = "not sent: the batch stopped early, because " + *stop_reason_;
    return core_.redacted(std::move(error));  // the reason may quote a callback's exception
  }

  const ClientCore& core_;
  const std::vector<Request>& requests_;
  const BatchOptions& options_;
  std::vector<Result<SendResult>> results_;
  std::size_t done_ = 0;
  bool progress_failed_ = false;
  std::optional<std::string> stop_reason_;
  std::size_t in_flight_;              // max_in_flight, within the batch and kMostInFlight
  std::size_t round_size_;             // new items handed out per round of retries
  std::size_t round_taken_ = 0;        // new items handed out in this round
  std::size_t next_ = 0;               // the first item never handed out
  std::vector<bool> handed_out_;       // items taken by the transport, no outcome yet
  std::size_t out_now_ = 0;            // how many of handed_out_ are set
  std::map<std::size_t, Item> tried_;  // items that failed once, while they may be retried
  std::vector<std::size_t> waiting_;   // failed in this round, retried after `wait_`
  std::size_t earliest_waiting_ = 0;   // of waiting_, the one whose retry deadline comes first
  std::deque<std::size_t> ready_;      // waited, to be sent again before any new item
  std::chrono::milliseconds wait_{0};  // the longest wait asked for in this round
  std::size_t window_size_;            // the next send_all window (without FeedTransport)
  std::string scratch_;                // the encoding buffer, reused by every request
  bool out_of_memory_ = false;
  std::optional<EncodeAhead<Request>> ahead_;  // new items encoded on a thread, when worth it
};

}  // namespace detail
POSTAL_END_NAMESPACE
