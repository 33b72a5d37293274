// postal-cpp internals: Client::send_many. Items go to Transport::send_all in windows that
// grow from max_in_flight (so a bad key is found after one window, not after the whole batch)
// up to a bounded size (so a batch of 100 000 never holds 100 000 request bodies). Failed items
// that the retry policy allows are tried again in rounds within their window.
#pragma once

#include <postal/detail/client_core.hpp>
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
#include <future>
#include <optional>
#include <string>
#include <utility>
#include <vector>

POSTAL_BEGIN_NAMESPACE
namespace detail {

/// The largest window: requests handed to the transport in one send_all call. Large windows
/// keep the transport busy (it idles only while one window ends and the next is encoded).
inline std::size_t max_batch_window(std::size_t max_in_flight) noexcept {
  return std::clamp<std::size_t>(max_in_flight * 32, 256, 2048);
}

/// A window also ends once its request bodies hold this many bytes (large attachments).
inline constexpr std::size_t batch_window_bytes = std::size_t{64} << 20;

template <class Request>
class SendBatch {
 public:
  SendBatch(const ClientCore& core, const std::vector<Request>& requests,
            const BatchOptions& options)
      : core_(core), requests_(requests), options_(options) {
    results_.reserve(requests.size());
    for (std::size_t i = 0; i < requests.size(); ++i) results_.emplace_back(Error{});
  }

  std::vector<Result<SendResult>> run() && {
    if (core_.config_error()) return settle_all(*core_.config_error());
    if (options_.max_in_flight == 0)
      return settle_all(invalid_argument("BatchOptions::max_in_flight must be at least 1"));
    const std::size_t largest = max_batch_window(options_.max_in_flight);
    // The first window finds a bad key early; windows then grow (saturating) up to `largest`.
    std::size_t size = (std::min)(options_.max_in_flight, largest);
    Window current = build(0, (std::min)(requests_.size(), size), {});
    // The requests of the window sent last: the window after the next is written into them, so
    // that their memory is reused rather than freed and taken again (with page faults) per window.
    std::vector<HttpRequest> spare;
    while (current.begin < requests_.size()) {
      // The next window is encoded on a worker thread while this one is on the wire.
      size = size > largest / 4 ? largest : size * 4;
      const std::size_t next_end = (std::min)(requests_.size(), current.end + size);
      std::future<Window> next = build_async(current.end, next_end, std::move(spare));
      send(current);
      spare = std::move(current.requests);
      for (HttpRequest& request : spare)  // only small bodies' memory is worth keeping
        if (request.body.capacity() > send_body_copy_limit) std::string().swap(request.body);
      current = next.valid() ? next.get() : build(current.end, next_end, std::move(spare));
      if (stop_reason_) {
        for (std::size_t i = current.begin; i < requests_.size(); ++i) settle(i, aborted());
        break;
      }
    }
    return std::move(results_);
  }

 private:
  // An item's retry schedule (and its deadline) starts when its first attempt has failed: a
  // window may hold thousands of items, and the time an item waits for its turn is not its own.
  struct Item {
    std::size_t index;
    std::optional<RetrySchedule> schedule;
    std::optional<Error> last_error;
  };

  /// Items [begin, end) of the batch, encoded: the requests to send (by index), and the
  /// items refused before sending. `end` is cut short when the bodies reach batch_window_bytes.
  struct Window {
    std::size_t begin = 0;
    std::size_t end = 0;
    std::vector<HttpRequest> requests;
    std::vector<std::size_t> indices;
    std::vector<std::pair<std::size_t, Error>> refused;
  };

  // Pure: reads only the requests and the core, so it may run on another thread. Takes the
  // requests of `spare` (sent ones) for their memory.
  Window build(std::size_t begin, std::size_t end, std::vector<HttpRequest> spare) const {
    Window window;
    window.begin = begin;
    window.end = begin;
    try {
      window.requests.reserve(end - begin);
      window.indices.reserve(end - begin);
      std::size_t bytes = 0;
      std::string scratch;  // the encoding buffer, reused by every request of the window
      for (std::size_t i = begin; i < end && bytes < batch_window_bytes; ++i, ++window.end) {
        Result<HttpRequest> request = guarded([&]() -> Result<HttpRequest> {
          // make_request gives every request of a batch the same method, URL and headers, so a
          // spare one serves as well; it may have got a shorter timeout for a retry
          // (keep_within_deadlines), which is reset.
          HttpRequest out;
          if (spare.empty()) {
            out = core_.make_request(send_endpoint(requests_[i]), std::string());
          } else {
            out = std::move(spare.back());
            spare.pop_back();
            out.timeout = core_.timeout();
          }
          if (auto error = write_body(requests_[i], scratch, out.body)) return std::move(*error);
          return out;
        });
        if (!request) {
          Error error = std::move(request.error());
          error.send_state = SendState::NotSent;
          window.refused.emplace_back(i, core_.redacted(std::move(error)));
          continue;
        }
        bytes += request->body.capacity();  // a reused body may hold more than its size
        window.requests.push_back(std::move(*request));
        window.indices.push_back(i);
      }
    } catch (...) {  // out of memory: nothing of this window was sent; it ends where it got to
      window.requests.clear();
      window.indices.clear();
      window.refused.clear();
      window.end = window.begin;
      if (window.end < end) {
        window.refused.emplace_back(window.begin,
                                    unexpected_exception("could not encode the request"));
        window.refused.back().second.send_state = SendState::NotSent;
        window.end = window.begin + 1;
      }
    }
    return window;
  }

  std::future<Window> build_async(std::size_t begin, std::size_t end,
                                  std::vector<HttpRequest> spare) const {
    if (begin >= end || stop_reason_) return {};
    try {
      return std::async(std::launch::async, [this, begin, end, spare = std::move(spare)]() mutable {
        return build(begin, end, std::move(spare));
      });
    } catch (...) {  // no thread available: the caller builds it in line
      return {};
    }
  }

  void send(Window& window) {
    for (auto& [index, error] : window.refused) settle(index, std::move(error));
    std::vector<Item> items;
    items.reserve(window.indices.size());
    for (std::size_t index : window.indices)
      items.push_back(Item{index, std::nullopt, std::nullopt});
    std::vector<HttpRequest> requests = std::move(window.requests);
    window.requests.clear();
    window.requests.reserve(requests.size());
    send_rounds(requests, items, window.requests);
  }

  // Sends the window, then its retries in rounds, until every item is settled. The requests of
  // settled items go to `finished` (for their memory).
  void send_rounds(std::vector<HttpRequest>& requests, std::vector<Item>& items,
                   std::vector<HttpRequest>& finished) {
    while (!items.empty()) {
      if (stop_reason_) {  // stopped (e.g. by the progress callback) before this round
        for (auto& item : items)
          settle(item.index, item.last_error ? std::move(*item.last_error) : aborted());
        return;
      }
      keep_within_deadlines(requests, items);
      if (items.empty()) return;
      auto responses = send_all(requests);
      std::vector<HttpRequest> again_requests;
      std::vector<Item> again_items;
      std::chrono::milliseconds wait{0};
      for (std::size_t k = 0; k < items.size(); ++k) {
        Item& item = items[k];
        Result<SendResult> result = guarded([&]() -> Result<SendResult> {
          return core_.interpret<SendResult>(
              std::move(responses[k]), [](const auto& data) { return parse_send_result(data); });
        });
        if (result) {
          settle(item.index, std::move(result));
          finished.push_back(std::move(requests[k]));
          continue;
        }
        Error error = core_.redacted(std::move(result.error()));
        if (!item.schedule) item.schedule.emplace(core_.retry(), CallKind::Send);
        std::optional<std::chrono::milliseconds> delay;
        if (stop_reason_)  // no retry after the batch stopped; the attempt still counts
          error.attempts = item.schedule->attempts() + 1;
        else
          delay = item.schedule->after_failure(error);
        if (delay) {
          wait = (std::max)(wait, *delay);
          item.last_error = std::move(error);
          again_requests.push_back(std::move(requests[k]));
          again_items.push_back(std::move(item));
          continue;
        }
        const bool stops = options_.stop_on_auth_error && is_auth_error(error);
        settle(item.index, std::move(error));
        finished.push_back(std::move(requests[k]));
        if (stops && !stop_reason_) stop_after(item.index);
      }
      if (stop_reason_) {  // retries are not started after the batch stopped
        for (auto& item : again_items) settle(item.index, std::move(*item.last_error));
        return;
      }
      if (!again_items.empty() && !again_items.front().schedule->wait(wait)) {
        for (auto& item : again_items) {  // the items end with their last errors
          item.last_error->message += RetrySchedule::kSleepThrew;
          settle(item.index, std::move(*item.last_error));
        }
        stop_with("RetryOptions::sleep threw");  // and no later window is sent
        return;
      }
      requests = std::move(again_requests);
      items = std::move(again_items);
    }
  }

  // Retried items whose deadline passed while the round waited end with their last error; the
  // others get what is left of their deadline as the attempt's timeout.
  void keep_within_deadlines(std::vector<HttpRequest>& requests, std::vector<Item>& items) {
    std::size_t kept = 0;
    for (std::size_t k = 0; k < items.size(); ++k) {
      if (items[k].schedule) {
        const auto timeout = items[k].schedule->attempt_timeout(core_.timeout());
        if (!timeout) {
          settle(items[k].index, items[k].last_error ? std::move(*items[k].last_error) : aborted());
          continue;
        }
        requests[k].timeout = *timeout;
      }
      if (kept != k) {
        requests[kept] = std::move(requests[k]);
        items[kept] = std::move(items[k]);
      }
      ++kept;
    }
    requests.resize(kept);
    items.erase(items.begin() + static_cast<std::ptrdiff_t>(kept), items.end());
  }

  // One result per request whatever the transport does: after an exception, or an answer of the
  // wrong length (which cannot be matched to the requests), every request is MaybeSent.
  std::vector<Result<HttpResponse>> send_all(const std::vector<HttpRequest>& requests) const {
    std::vector<Result<HttpResponse>> responses;
    std::optional<Error> failure;
    try {
      responses = core_.transport()->send_all(requests, options_.max_in_flight);
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
};

}  // namespace detail
POSTAL_END_NAMESPACE
