// postal-cpp: the libcurl transport. Pooled easy handles (keep-alive), a shared TLS session and
// DNS cache, `send` on curl_easy_perform, `send_all` and send_many's pull (send_feed) on the
// multi interface.
#include "curl_exchange.hpp"

#include <postal/detail/request_feed.hpp>
#include <postal/transport.hpp>

#include <curl/curl.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <memory>
#include <mutex>
#include <new>
#include <optional>
#include <utility>
#include <vector>

POSTAL_BEGIN_NAMESPACE
namespace {

// curl_global_init is not thread-safe and must run once; it is never undone (other code in the
// process may use libcurl after us).
CURLcode global_init() {
  static std::once_flag once;
  static CURLcode result = CURLE_FAILED_INIT;
  std::call_once(once, [] { result = curl_global_init(CURL_GLOBAL_DEFAULT); });
  return result;
}

// An Error built without allocating (the message fits the small-string buffer), for the paths
// where an allocation has just failed.
Error internal_error(SendState state, const char* what) {
  Error out;
  out.code = ErrorCode::Transport;
  out.send_state = state;
  out.message = what;
  return out;
}

const char* describe_current_exception() noexcept {
  try {
    throw;
  } catch (const std::bad_alloc&) {
    return "out of memory";
  } catch (...) {
    return "internal error";
  }
}

// TLS sessions and DNS answers shared by every handle of one transport, guarded by one mutex
// per kind of data, as libcurl-share(3) asks for handles used from many threads. Connections are
// not shared (no CURL_LOCK_DATA_CONNECT), on purpose: a single exchange uses only its handle's
// own connections and a batch only its multi handle's, so an HTTP/1.1 single exchange never
// meets a batch's HTTP/2 connection (libcurl 8.x may put a transfer that asks for HTTP/1.1 on
// an HTTP/2 connection it finds in a shared cache; CurlExchange::prepare sets each transfer's
// HTTP version).
class CurlShare {
 public:
  CurlShare() : share_(curl_share_init()) {
    if (share_ == nullptr) return;  // works without sharing, only slower
    curl_share_setopt(share_, CURLSHOPT_LOCKFUNC, &CurlShare::lock);
    curl_share_setopt(share_, CURLSHOPT_UNLOCKFUNC, &CurlShare::unlock);
    curl_share_setopt(share_, CURLSHOPT_USERDATA, static_cast<void*>(this));
    curl_share_setopt(share_, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
    curl_share_setopt(share_, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
  }
  ~CurlShare() {
    if (share_ != nullptr) curl_share_cleanup(share_);
  }
  CurlShare(const CurlShare&) = delete;
  CurlShare& operator=(const CurlShare&) = delete;

  CURLSH* get() const noexcept { return share_; }

 private:
  std::mutex& mutex_for(curl_lock_data data) noexcept {
    const auto index = static_cast<std::size_t>(data);
    return mutexes_[index < mutexes_.size() ? index : 0];
  }
  static void lock(CURL*, curl_lock_data data, curl_lock_access, void* self) {
    static_cast<CurlShare*>(self)->mutex_for(data).lock();
  }
  static void unlock(CURL*, curl_lock_data data, void* self) {
    static_cast<CurlShare*>(self)->mutex_for(data).unlock();
  }

  std::array<std::mutex, CURL_LOCK_DATA_LAST> mutexes_;
  CURLSH* share_;
};

// How an IdlePool makes, clears and closes its handles.
struct EasyHandles {
  using Handle = CURL;
  static CURL* create() noexcept { return curl_easy_init(); }
  // An idle handle must hold no pointer into a request that is gone.
  static void recycle(CURL* handle) noexcept { detail::CurlExchange::release_handle(handle); }
  static void destroy(CURL* handle) noexcept { curl_easy_cleanup(handle); }
};

struct MultiHandles {
  using Handle = CURLM;
  static CURLM* create() noexcept { return curl_multi_init(); }
  static void recycle(CURLM*) noexcept {}  // every easy handle has left it
  static void destroy(CURLM* handle) noexcept { curl_multi_cleanup(handle); }
};

// Idle libcurl handles kept for reuse: a reused handle keeps its open connections. A handle is
// lent to one thread at a time.
template <typename Kind>
class IdlePool {
 public:
  using Handle = typename Kind::Handle;

  explicit IdlePool(std::size_t max_idle) : max_idle_(max_idle) {}
  ~IdlePool() {
    for (Handle* handle : idle_) Kind::destroy(handle);
  }
  IdlePool(const IdlePool&) = delete;
  IdlePool& operator=(const IdlePool&) = delete;

  // A handle, or nullptr when libcurl cannot make one.
  Handle* acquire() {
    {
      std::lock_guard<std::mutex> guard(mutex_);
      if (!idle_.empty()) {
        Handle* handle = idle_.back();  // the most recently used: its connection is warm
        idle_.pop_back();
        return handle;
      }
    }
    return Kind::create();
  }

  // Closes a handle that is not fit for reuse.
  static void discard(Handle* handle) noexcept { Kind::destroy(handle); }

  void release(Handle* handle) noexcept {
    Kind::recycle(handle);
    {
      std::lock_guard<std::mutex> guard(mutex_);
      if (idle_.size() < max_idle_) {
        try {
          idle_.push_back(handle);
          return;
        } catch (...) {  // no room to remember it: close it
        }
      }
    }
    Kind::destroy(handle);
  }

 private:
  std::size_t max_idle_;
  std::mutex mutex_;
  std::vector<Handle*> idle_;
};

// A handle borrowed from a pool (an IdlePool or BatchHandles), returned when the lease ends.
template <typename Pool>
class Lease {
 public:
  using Handle = typename Pool::Handle;

  explicit Lease(Pool& pool) : pool_(&pool), handle_(pool.acquire()) {}
  ~Lease() {
    if (handle_ != nullptr) pool_->release(handle_);
  }
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;

  Handle* get() const noexcept { return handle_; }
  explicit operator bool() const noexcept { return handle_ != nullptr; }
  /// Closes the handle instead of returning it (after libcurl reported it broken).
  void discard() noexcept {
    if (handle_ != nullptr) Pool::discard(handle_);
    handle_ = nullptr;
  }

 private:
  Pool* pool_;
  Handle* handle_;
};

// The easy handles of one send_all. A transfer that ends hands its handle to the next transfer
// through here rather than through the IdlePool: a burst of finished transfers larger than the
// pool's idle limit would otherwise close handles only for the next transfers to make new ones
// (with 64 in flight, most transfers paid for a curl_easy_init and a full setup). The handles go
// back to the pool when the batch ends.
class BatchHandles {
 public:
  using Handle = CURL;

  BatchHandles(IdlePool<EasyHandles>& pool, std::size_t in_flight) : pool_(pool) {
    spare_.reserve(in_flight);
  }
  ~BatchHandles() {
    for (CURL* handle : spare_) pool_.release(handle);
  }
  BatchHandles(const BatchHandles&) = delete;
  BatchHandles& operator=(const BatchHandles&) = delete;

  // Closes a handle that is not fit for reuse.
  static void discard(CURL* handle) noexcept { EasyHandles::destroy(handle); }

  CURL* acquire() {
    if (spare_.empty()) return pool_.acquire();
    CURL* handle = spare_.back();
    spare_.pop_back();
    return handle;
  }

  void release(CURL* handle) noexcept {
    if (spare_.size() == spare_.capacity()) {  // (never, with at most in_flight handles out)
      pool_.release(handle);
      return;
    }
    EasyHandles::recycle(handle);
    spare_.push_back(handle);  // within the reserved capacity: allocates nothing
  }

 private:
  IdlePool<EasyHandles>& pool_;
  std::vector<CURL*> spare_;
};

// Idle multi handles kept; each holds the connections of its past batches.
constexpr std::size_t kMaxIdleMultiHandles = 2;

// libcurl (7.88, Debian 12's, among others) allocates each transfer's receive buffer
// (CURLOPT_BUFFERSIZE, 16 KiB by default) when the transfer starts and frees it when it ends.
// When many transfers end at once while the heap grows (send_many keeps every result), those
// freed buffers pile up at the top of glibc's heap beyond its trim threshold (128 KiB): the heap
// is cut back and grown again, and the new pages fault in (at 16 in flight about once per request
// over HTTP and 4 times over HTTPS/1.1, a seventh to a quarter of the client's CPU). So a batch
// keeps its transfers' buffers within 64 KiB in all and at 8 KiB each: 8 KiB up to 8 in flight,
// 4 KiB at 16, libcurl's minimum of 1 KiB from 64 on. A smaller buffer only means more reads for
// a large answer (26 MB over loopback: 12-17 ms at 16 KiB, about the same at 8 KiB, 13-22 ms at
// 4 KiB, 45 ms at 1 KiB); Postal's answers to sends are a few hundred bytes.
//
// Over HTTP/2 libcurl keeps a transfer's buffer when the transfer ends while others share its
// connection, refuses a new size while it holds one, and curl_easy_reset sets the default size
// back without resizing a buffer it holds: a reset handle would read 16 KiB into a smaller
// buffer. So a handle given a smaller buffer gets the default size back as its transfer ends,
// which libcurl accepts only when it holds no buffer, or is closed (InFlight). Once a batch
// transfer has ended over HTTP/2, the transport asks for smaller buffers no more (their buffers
// are rarely freed there, and HTTP/2 did not show the faults): it closes at most the handles of
// the first transfers it ran over HTTP/2.
constexpr std::size_t kBatchReceiveBufferBytes = std::size_t{64} << 10;  // all transfers
constexpr std::size_t kMostReceiveBufferBytes = std::size_t{8} << 10;    // one transfer
constexpr std::size_t kLeastReceiveBufferBytes = std::size_t{1} << 10;   // libcurl's minimum

long batch_receive_buffer(std::size_t in_flight) {
  return static_cast<long>(std::clamp(kBatchReceiveBufferBytes / in_flight,
                                      kLeastReceiveBufferBytes, kMostReceiveBufferBytes));
}

class CurlTransport final : public Transport, public detail::FeedTransport {
 public:
  explicit CurlTransport(CurlOptions options)
      : init_result_(global_init()),  // before config_, which asks libcurl for its version
        config_(std::move(options)),
        easy_pool_(config_.options.max_idle_connections),
        multi_pool_(std::min(kMaxIdleMultiHandles, config_.options.max_idle_connections)) {}

  // Both paths run each request through a detail::CurlExchange (checks, options, callbacks and
  // classification); they differ only in who drives libcurl: curl_easy_perform or a multi.
  Result<HttpResponse> send(const HttpRequest& request) override {
    bool started = false;
    try {
      if (init_result_ != CURLE_OK) return init_failure(request);
      Lease<IdlePool<EasyHandles>> easy(easy_pool_);
      detail::CurlExchange exchange(request, config_);
      if (!easy)
        return exchange.error(ErrorCode::Transport, SendState::NotSent,
                              "could not create a libcurl handle");
      if (auto invalid = exchange.prepare(easy.get(), share_.get(), false))
        return std::move(*invalid);
      started = true;
      return exchange.finish(curl_easy_perform(easy.get()));
    } catch (...) {
      return internal_error(started ? SendState::MaybeSent : SendState::NotSent,
                            describe_current_exception());
    }
  }

  // Exactly one result per request, in input order. Every slot exists before the first request
  // leaves; if even that allocation fails, std::bad_alloc propagates and nothing was sent.
  std::vector<Result<HttpResponse>> send_all(const std::vector<HttpRequest>& requests,
                                             std::size_t max_in_flight) override {
    Batch batch(requests);
    try {
      if (init_result_ != CURLE_OK)
        fail_rest(batch, [this](const HttpRequest& r) { return init_failure(r); });
      else
        run(batch, std::max<std::size_t>(1, std::min(max_in_flight, requests.size())));
    } catch (...) {
      batch.fail_unsettled(describe_current_exception());
    }
    return std::move(batch.results);
  }

  // send_many's path: requests are pulled from the feed as transfers end, each into a request
  // slot of this call (at most max_in_flight + 1 of them, reused).
  void send_feed(detail::RequestFeed& feed, std::size_t max_in_flight) override {
    const std::size_t limit = std::max<std::size_t>(1, max_in_flight);
    FeedSource source(feed, limit);
    if (init_result_ != CURLE_OK)
      fail_rest(source, [this](const HttpRequest& r) { return init_failure(r); });
    else
      run(source, limit);
  }

 private:
  enum class Progress : unsigned char { Waiting, Started, Settled };

  // run()'s requests when they are those of a send_all, and their results.
  struct Batch {
    explicit Batch(const std::vector<HttpRequest>& all)
        : requests(all), progress(all.size(), Progress::Waiting) {
      results.reserve(all.size());
      for (std::size_t i = 0; i < all.size(); ++i)
        results.emplace_back(internal_error(SendState::NotSent, "not attempted"));
    }

    // The next request (`slot` is unused: the requests are the caller's), or nullptr.
    const HttpRequest* take(std::size_t& id, std::unique_ptr<HttpRequest>&) noexcept {
      if (next == requests.size()) return nullptr;
      id = next++;
      return &requests[id];
    }
    void started(std::size_t i) noexcept { progress[i] = Progress::Started; }
    void settle(std::size_t i, Result<HttpResponse> result) {
      results[i] = std::move(result);
      progress[i] = Progress::Settled;
    }
    void give_back(std::unique_ptr<HttpRequest>) noexcept {}

    // After an exception: what is known of each request that has no result yet. Allocates
    // nothing (the messages fit std::string's inline buffer).
    void fail_unsettled(const char* failure) noexcept {
      for (std::size_t i = 0; i < results.size(); ++i) {
        if (progress[i] == Progress::Settled) continue;
        // Handed to libcurl: may have reached the server.
        results[i] = internal_error(
            progress[i] == Progress::Started ? SendState::MaybeSent : SendState::NotSent, failure);
      }
    }

    const std::vector<HttpRequest>& requests;
    std::vector<Result<HttpResponse>> results;
    std::vector<Progress> progress;
    std::size_t next = 0;
  };

  // run()'s requests when they come from a RequestFeed: each is written into a slot owned by
  // its transfer, which comes back here for the next request once the transfer has ended.
  class FeedSource {
   public:
    FeedSource(detail::RequestFeed& feed, std::size_t limit) : feed_(feed) {
      spare_.reserve(limit + 1);
    }

    const HttpRequest* take(std::size_t& id, std::unique_ptr<HttpRequest>& slot) {
      if (spare_.empty()) {
        slot = std::make_unique<HttpRequest>();
      } else {
        slot = std::move(spare_.back());
        spare_.pop_back();
      }
      if (feed_.next(*slot, id)) return slot.get();
      give_back(std::move(slot));
      return nullptr;
    }
    void started(std::size_t) noexcept {}
    void settle(std::size_t id, Result<HttpResponse> result) noexcept {
      feed_.finished(id, std::move(result));
    }
    void give_back(std::unique_ptr<HttpRequest> slot) noexcept {
      if (!slot || spare_.size() == spare_.capacity()) return;
      // Only a small body's memory is worth keeping for the next request (not an attachment).
      if (slot->body.capacity() > kKeptBodyBytes) std::string().swap(slot->body);
      spare_.push_back(std::move(slot));
    }

   private:
    static constexpr std::size_t kKeptBodyBytes = std::size_t{256} << 10;

    detail::RequestFeed& feed_;
    std::vector<std::unique_ptr<HttpRequest>> spare_;
  };

  // One transfer on the multi handle. Leaving the multi comes before the handle's return to the
  // pool (destructor body first, then members in reverse order); `slot`, when it holds the
  // request, goes last.
  struct InFlight {
    InFlight(CURLM* owner, std::size_t position, const HttpRequest& request,
             const detail::CurlConfig& config, BatchHandles& handles)
        : multi(owner), index(position), easy(handles), exchange(request, config) {}
    ~InFlight() {
      if (added) curl_multi_remove_handle(multi, easy.get());
      // Never back to a pool with a buffer smaller than its size after a reset (see
      // batch_receive_buffer): libcurl takes the default size only when it holds no buffer.
      if (small_buffer && curl_easy_setopt(easy.get(), CURLOPT_BUFFERSIZE,
                                           static_cast<long>(CURL_MAX_WRITE_SIZE)) != CURLE_OK)
        easy.discard();
    }
    InFlight(const InFlight&) = delete;
    InFlight& operator=(const InFlight&) = delete;

    std::unique_ptr<HttpRequest> slot;  // the request, when it is not the caller's
    CURLM* multi;
    std::size_t index;
    Lease<BatchHandles> easy;
    detail::CurlExchange exchange;
    bool added = false;
    bool small_buffer = false;  // given a receive buffer below libcurl's default
  };

  // Settles every request the source still has with `failure(request)` (nothing is sent).
  template <typename Source, typename Failure>
  static void fail_rest(Source& source, Failure failure) {
    std::size_t id = 0;
    std::unique_ptr<HttpRequest> slot;
    while (const HttpRequest* request = source.take(id, slot)) {
      try {
        source.settle(id, failure(*request));
      } catch (...) {  // the message could not be made: taken, so settled all the same
        source.settle(id, internal_error(SendState::NotSent, describe_current_exception()));
        throw;
      }
      source.give_back(std::move(slot));
    }
  }

  // Ends a transfer: its outcome to the source, its slot back for the next request.
  template <typename Source>
  static void settle(Source& source, InFlight& transfer, Result<HttpResponse> outcome) {
    source.settle(transfer.index, std::move(outcome));
    source.give_back(std::move(transfer.slot));  // the request object itself does not move
  }

  // Drives the source's requests through one multi handle, up to `limit` at once, until the
  // source has none left and none is in flight. Every request taken from the source is settled,
  // also when this throws.
  template <typename Source>
  void run(Source& source, std::size_t limit) {
    Lease<IdlePool<MultiHandles>> multi_lease(multi_pool_);
    CURLM* multi = multi_lease.get();
    if (multi != nullptr) {
      curl_multi_setopt(multi, CURLMOPT_MAX_HOST_CONNECTIONS, static_cast<long>(limit));
      curl_multi_setopt(multi, CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX);
    }
    BatchHandles handles(easy_pool_, limit);  // outlives `active`: its transfers return handles
    const long receive_buffer = batch_receive_buffer(limit);
    std::vector<std::unique_ptr<InFlight>> active;
    active.reserve(limit);
    try {
      bool more = true;  // the source may have a request to start (asked again after each end)
      for (;;) {
        while (multi != nullptr && more && active.size() < limit) {
          std::size_t id = 0;
          std::unique_ptr<HttpRequest> slot;
          const HttpRequest* request = source.take(id, slot);
          if (request == nullptr) {
            more = false;
            break;
          }
          std::unique_ptr<InFlight> transfer;
          try {
            transfer = std::make_unique<InFlight>(multi, id, *request, config_, handles);
          } catch (...) {
            source.settle(id, internal_error(SendState::NotSent, describe_current_exception()));
            throw;
          }
          transfer->slot = std::move(slot);
          std::optional<Error> failed;
          try {
            failed = start(*transfer, multi,
                           multiplexed_.load(std::memory_order_relaxed) ? 0L : receive_buffer);
          } catch (...) {  // not handed to libcurl (that step throws nothing)
            settle(source, *transfer,
                   internal_error(SendState::NotSent, describe_current_exception()));
            throw;
          }
          if (failed) {
            settle(source, *transfer, std::move(*failed));
            continue;
          }
          source.started(id);
          active.push_back(std::move(transfer));  // within the reserved capacity
        }
        if (multi == nullptr)  // no usable multi handle: the rest fail unsent
          fail_rest(source, [this](const HttpRequest& r) { return batch_failure(r); });
        if (active.empty() && (!more || multi == nullptr)) return;

        int running = 0;
        const CURLMcode performed = curl_multi_perform(multi, &running);
        bool finished_any = false;
        int queued = 0;
        while (CURLMsg* message = curl_multi_info_read(multi, &queued)) {
          if (message->msg != CURLMSG_DONE) continue;
          auto done = std::find_if(active.begin(), active.end(), [&](const auto& transfer) {
            return transfer->easy.get() == message->easy_handle;
          });
          if (done == active.end()) continue;
          if (!multiplexed_.load(std::memory_order_relaxed)) {
            long version = 0;
            if (curl_easy_getinfo(message->easy_handle, CURLINFO_HTTP_VERSION, &version) ==
                    CURLE_OK &&
                version >= CURL_HTTP_VERSION_2_0)
              multiplexed_.store(true, std::memory_order_relaxed);
          }
          settle(source, **done, (*done)->exchange.finish(message->data.result));
          active.erase(done);  // leaves the multi; `message` is dead from here on
          finished_any = true;
          more = true;
        }
        if (performed != CURLM_OK) {
          while (!active.empty()) {  // one at a time: a throw leaves only unsettled ones here
            InFlight& transfer = *active.back();
            Error failed = transfer.exchange.error(
                ErrorCode::Transport, SendState::MaybeSent,
                std::string("libcurl multi interface failed: ") + curl_multi_strerror(performed));
            settle(source, transfer, std::move(failed));
            active.pop_back();  // its easy handle leaves the multi handle
          }
          multi_lease.discard();  // not handed to the next batch
          multi = nullptr;        // the remaining requests fail unsent
          continue;
        }
        if (!finished_any) wait(multi);
      }
    } catch (...) {  // the transfers in flight may have reached the server
      for (const auto& transfer : active)
        source.settle(transfer->index,
                      internal_error(SendState::MaybeSent, describe_current_exception()));
      throw;
    }
  }

  // Prepares a transfer and hands it to the multi handle; the Error when it cannot start.
  // `receive_buffer`: the size of libcurl's receive buffer, or 0 for its default.
  std::optional<Error> start(InFlight& transfer, CURLM* multi, long receive_buffer) {
    if (!transfer.easy)
      return transfer.exchange.error(ErrorCode::Transport, SendState::NotSent,
                                     "could not create a libcurl handle");
    if (auto invalid = transfer.exchange.prepare(transfer.easy.get(), share_.get(), true))
      return invalid;
    // Refused while the handle holds a buffer (of the default size: see ~InFlight).
    if (receive_buffer > 0)
      transfer.small_buffer =
          curl_easy_setopt(transfer.easy.get(), CURLOPT_BUFFERSIZE, receive_buffer) == CURLE_OK;
    if (curl_multi_add_handle(multi, transfer.easy.get()) != CURLM_OK)
      return transfer.exchange.error(ErrorCode::Transport, SendState::NotSent,
                                     "could not start the transfer");
    transfer.added = true;
    return std::nullopt;
  }

  // Sleeps until a socket is ready or libcurl's next timer (so deadlines fire on time).
  static void wait(CURLM* multi) {
#if LIBCURL_VERSION_NUM >= 0x074200
    curl_multi_poll(multi, nullptr, 0, 1000, nullptr);
#else
    curl_multi_wait(multi, nullptr, 0, 1000, nullptr);
#endif
  }

  Error batch_failure(const HttpRequest& request) const {
    detail::CurlExchange exchange(request, config_);
    return exchange.error(ErrorCode::Transport, SendState::NotSent,
                          "the libcurl multi interface is unavailable; not attempted");
  }

  Error init_failure(const HttpRequest& request) const {
    detail::CurlExchange exchange(request, config_);
    return exchange.error(
        ErrorCode::Transport, SendState::NotSent,
        std::string("libcurl initialisation failed: ") + curl_easy_strerror(init_result_));
  }

  CURLcode init_result_;
  const detail::CurlConfig config_;
  CurlShare share_;  // outlives both pools: handles detach from it when they are destroyed
  IdlePool<EasyHandles> easy_pool_;
  IdlePool<MultiHandles> multi_pool_;
  // A batch transfer ended over HTTP/2 (or later): batches keep libcurl's default receive buffer
  // from then on (see batch_receive_buffer), so that they do not close handles call after call.
  std::atomic<bool> multiplexed_{false};
};

}  // namespace

std::shared_ptr<Transport> make_curl_transport(CurlOptions options) {
  return std::make_shared<CurlTransport>(std::move(options));
}

POSTAL_END_NAMESPACE
