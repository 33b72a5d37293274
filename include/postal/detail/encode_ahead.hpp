// postal-cpp internals: send_many's encoder thread. It encodes the items of a batch in input
// order into a small ring of request objects, ahead of the transport, so that the thread that
// drives the transport only swaps a finished request into its slot. The ring is bounded in items
// and in bytes, and its request objects (and their memory) are reused.
#pragma once

#include <postal/detail/client_core.hpp>
#include <postal/detail/send_body.hpp>
#include <postal/error.hpp>
#include <postal/transport.hpp>
#include <postal/version.hpp>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

POSTAL_BEGIN_NAMESPACE
namespace detail {

/// Writes `request` into `slot` with `timeout`: a slot that held a request of the same batch
/// keeps its method, URL and headers (the same for every item) and its memory. The
/// InvalidArgument of a request that cannot be sent as given, or the Error of an exception.
template <class Request>
std::optional<Error> encode_send_request(const ClientCore& core, const Request& request,
                                         HttpRequest& slot, std::chrono::milliseconds timeout,
                                         std::string& scratch) {
  return guarded([&]() -> std::optional<Error> {
    if (slot.url.empty()) slot = core.make_request(send_endpoint(request), std::string());
    slot.timeout = timeout;
    return write_body(request, scratch, slot.body);
  });
}

template <class Request>
class EncodeAhead {
 public:
  /// Bodies encoded and not yet taken hold at most about this many bytes (attachments).
  static constexpr std::size_t kMostBytesAhead = std::size_t{8} << 20;

  /// Starts the thread (std::system_error when none can be made).
  EncodeAhead(const ClientCore& core, const std::vector<Request>& requests, std::size_t depth)
      : core_(core),
        requests_(requests),
        ring_((std::max)(depth, std::size_t{2})),
        kept_body_bytes_(kMostBytesAhead / ring_.size()) {
    thread_ = std::thread([this] { work(); });
  }
  ~EncodeAhead() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    space_.notify_one();
    thread_.join();
  }
  EncodeAhead(const EncodeAhead&) = delete;
  EncodeAhead& operator=(const EncodeAhead&) = delete;

  /// The next item in input order (waits until it is encoded), swapped into `slot`; the Error
  /// (NotSent) when it could not be encoded. Call it once for each item, no more.
  std::optional<Error> take(HttpRequest& slot) {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      if (produced_ == consumed_) {
        consumer_waiting_ = true;
        filled_.wait(lock, [this] { return produced_ > consumed_; });
        consumer_waiting_ = false;
      }
    }
    Entry& entry = ring_[consumed_ % ring_.size()];  // the worker does not touch it now
    std::optional<Error> error = std::move(entry.refused);
    entry.refused.reset();
    if (!error) std::swap(slot, entry.request);  // the slot's old request goes back for reuse
    // An entry keeps a taken body's memory for its next item up to kMostBytesAhead / ring size,
    // so all of them together about kMostBytesAhead (16 KiB each in a ring of 512; never an
    // attachment).
    if (entry.request.body.capacity() > kept_body_bytes_) std::string().swap(entry.request.body);
    bool wake = false;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      ++consumed_;
      bytes_ahead_ -= entry.bytes;
      if (worker_waiting_ && low_water()) {
        worker_waiting_ = false;
        wake = true;
      }
    }
    if (wake) space_.notify_one();
    return error;
  }

 private:
  struct Entry {
    HttpRequest request;
    std::optional<Error> refused;
    std::size_t bytes = 0;
  };

  // Room for one more item: the worker goes on without waiting.
  bool room() const noexcept {
    const std::size_t ahead = produced_ - consumed_;
    return ahead == 0 || (ahead < ring_.size() && bytes_ahead_ < kMostBytesAhead);
  }
  // The worker, once it had to wait, waits until half the ring is free (one wake-up for many
  // items, not one per item).
  bool low_water() const noexcept {
    const std::size_t ahead = produced_ - consumed_;
    return ahead == 0 || (ahead <= ring_.size() / 2 && bytes_ahead_ <= kMostBytesAhead / 2);
  }

  void work() noexcept {
    std::string scratch;
    for (std::size_t i = 0; i < requests_.size(); ++i) {
      {
        std::unique_lock<std::mutex> lock(mutex_);
        if (!stopping_ && !room()) {
          worker_waiting_ = true;
          space_.wait(lock, [this] { return stopping_ || !worker_waiting_; });
        }
        if (stopping_) return;
      }
      Entry& entry = ring_[i % ring_.size()];  // the taker does not touch it now
      try {
        entry.refused =
            encode_send_request(core_, requests_[i], entry.request, core_.timeout(), scratch);
      } catch (...) {  // out of memory: an Error that allocates nothing
        entry.refused.emplace();
        entry.refused->code = ErrorCode::Transport;
        entry.refused->message = "out of memory";
      }
      if (entry.refused) entry.refused->send_state = SendState::NotSent;
      entry.bytes = entry.request.body.capacity();
      bool wake = false;
      {
        std::lock_guard<std::mutex> lock(mutex_);
        ++produced_;
        bytes_ahead_ += entry.bytes;
        wake = consumer_waiting_;
      }
      if (wake) filled_.notify_one();
    }
  }

  const ClientCore& core_;
  const std::vector<Request>& requests_;
  std::vector<Entry> ring_;
  std::size_t kept_body_bytes_;  // the most memory an entry keeps of a body it took back
  std::mutex mutex_;
  std::condition_variable filled_;  // the taker waits for an item
  std::condition_variable space_;   // the worker waits for room
  std::size_t produced_ = 0;
  std::size_t consumed_ = 0;
  std::size_t bytes_ahead_ = 0;
  bool consumer_waiting_ = false;
  bool worker_waiting_ = false;
  bool stopping_ = false;
  std::thread thread_;  // last: started once every other member is ready
};

}  // namespace detail
POSTAL_END_NAMESPACE
