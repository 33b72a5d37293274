// postal-cpp internals: the pull interface between send_many and a transport that can start a
// request whenever one of its slots frees (the libcurl transport). send_many then encodes each
// request just in time, into a slot the transport reuses, and holds no more than max_in_flight
// request bodies. Not part of the public Transport interface: other transports get send_many
// through Transport::send_all.
#pragma once

#include <postal/result.hpp>
#include <postal/transport.hpp>
#include <postal/version.hpp>

#include <cstddef>

POSTAL_BEGIN_NAMESPACE
namespace detail {

/// Requests handed out one at a time, and the outcome of each taken back.
class RequestFeed {
 public:
  /// Writes the next request into `slot` (whose memory it may reuse: a slot holds either nothing
  /// or an earlier request of this feed) and names it `id`. False when no request may start
  /// now: the feed is done, or it waits for the requests in flight to end.
  virtual bool next(HttpRequest& slot, std::size_t& id) noexcept = 0;
  /// The outcome of request `id`; called once for every request next() handed out, before the
  /// transport returns or throws. The slot may be reused once this returns.
  virtual void finished(std::size_t id, Result<HttpResponse> outcome) noexcept = 0;

 protected:
  RequestFeed() = default;
  RequestFeed(const RequestFeed&) = default;
  RequestFeed& operator=(const RequestFeed&) = default;
  virtual ~RequestFeed() = default;
};

/// A transport that pulls requests from a RequestFeed (found by dynamic_cast on the Transport).
class FeedTransport {
 public:
  /// Starts requests from `feed`, up to `max_in_flight` at once, until feed.next() is false
  /// with none in flight. Every request taken is finished, also when this throws.
  virtual void send_feed(RequestFeed& feed, std::size_t max_in_flight) = 0;

 protected:
  FeedTransport() = default;
  FeedTransport(const FeedTransport&) = default;
  FeedTransport& operator=(const FeedTransport&) = default;
  virtual ~FeedTransport() = default;
};

}  // namespace detail
POSTAL_END_NAMESPACE
