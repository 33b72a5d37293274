// Client::send_many on a transport that pulls its requests (detail::FeedTransport, the libcurl
// transport's path): items are handed out in input order and no more than max_in_flight at
// once, a failed item goes again before any new one (after the policy's wait), and a transport
// that throws or stops taking requests leaves every other item with a clear NotSent error (one
// that returns with requests unended leaves those MaybeSent).
#include "support/catch.hpp"
#include "support/fake_clock.hpp"
#include "support/numbered_messages.hpp"

#include <postal/client.hpp>
#include <postal/detail/request_feed.hpp>
#include <postal/error.hpp>
#include <postal/options.hpp>
#include <postal/testing/fake_postal.hpp>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace {

using namespace std::chrono_literals;
using postal::ErrorCode;
using postal::SendState;
using postal::testing::FakePostal;
using postal_test::FakeClock;
using postal_test::numbered_batch;
using postal_test::stored_subject;

/// A FeedTransport over FakePostal: keeps up to max_in_flight requests "in flight" and ends the
/// oldest first, asking the feed for more after each end. Records what it was handed.
class PullingTransport : public postal::Transport, public postal::detail::FeedTransport {
 public:
  explicit PullingTransport(std::shared_ptr<FakePostal> fake) : fake_(std::move(fake)) {}

  postal::Result<postal::HttpResponse> send(const postal::HttpRequest& request) override {
    return fake_->send(request);
  }

  void send_feed(postal::detail::RequestFeed& feed, std::size_t max_in_flight) override {
    ++feeds;
    struct Taken {
      std::size_t id;
      std::unique_ptr<postal::HttpRequest> request;
      std::size_t hold = 0;  // answers of later requests that go before this one's
    };
    std::deque<Taken> in_flight;
    for (;;) {
      while (in_flight.size() < max_in_flight) {
        if (stop_after_pulls && pulled.size() == *stop_after_pulls) break;
        Taken next{0, std::make_unique<postal::HttpRequest>()};
        if (!feed.next(*next.request, next.id)) break;
        pulled.push_back(next.id);
        if (hold_for) next.hold = hold_for(next.id);
        in_flight.push_back(std::move(next));
        most_in_flight = (std::max)(most_in_flight, in_flight.size());
        if (drop_after_pulls && pulled.size() == *drop_after_pulls) return;  // breaks the contract
        if (throw_after_pulls && pulled.size() == *throw_after_pulls) {
          for (auto& taken : in_flight)  // the contract: every request taken is finished
            feed.finished(taken.id, postal::Error(ErrorCode::Transport, "network gone",
                                                  SendState::MaybeSent));
          throw std::runtime_error("boom");
        }
      }
      if (in_flight.empty()) return;
      auto answered = std::find_if(in_flight.begin(), in_flight.end(),
                                   [](const Taken& taken) { return taken.hold == 0; });
      if (answered == in_flight.end()) answered = in_flight.begin();
      for (auto it = in_flight.begin(); it != answered; ++it) --it->hold;
      Taken oldest = std::move(*answered);
      in_flight.erase(answered);
      if (before_answer) before_answer();
      if (before_answer_of) before_answer_of(oldest.id);
      feed.finished(oldest.id, fake_->send(*oldest.request));
      if (finish_twice)  // a broken transport: the second outcome must be ignored
        feed.finished(oldest.id, postal::Error(ErrorCode::Transport, "late", SendState::MaybeSent));
    }
  }

  std::vector<std::size_t> pulled;  // item ids in the order handed out
  std::size_t most_in_flight = 0;
  int feeds = 0;                                 // send_feed calls
  std::optional<std::size_t> throw_after_pulls;  // throws once this many were handed out
  std::optional<std::size_t> stop_after_pulls;   // returns early (a broken transport)
  std::optional<std::size_t> drop_after_pulls;   // returns at once, its requests in flight unended
  bool finish_twice = false;                     // reports every outcome twice (the second: error)
  std::function<void()> before_answer;           // runs before each request is answered
  std::function<void(std::size_t id)> before_answer_of;  // then this, with the item's id
  std::function<std::size_t(std::size_t id)> hold_for;   // answers to let pass before an item's

 private:
  std::shared_ptr<FakePostal> fake_;
};

struct Setup {
  std::shared_ptr<FakePostal> fake = std::make_shared<FakePostal>();
  std::shared_ptr<PullingTransport> transport = std::make_shared<PullingTransport>(fake);
  FakeClock clock;
  postal::Client client() const {
    return postal::Client(postal::ClientOptions{"https://postal.example.test", "test-api-key", 10s,
                                                transport, clock.retry_options()});
  }
};

/// send_many of `count` items at 3 in flight; items 0 and 1 must have been sent.
std::vector<postal::Result<postal::SendResult>> three_in_flight(Setup& s, std::size_t count) {
  postal::BatchOptions options;
  options.max_in_flight = 3;
  auto results = s.client().send_many(numbered_batch(count), options);
  REQUIRE(results.size() == count);
  CHECK(results[0].has_value());
  CHECK(results[1].has_value());
  return results;
}

/// send_many of `count` items at 8 in flight, each answer taking `per_answer` of the fake clock;
/// item 0's first attempt is refused (NotSent: it may be retried).
std::vector<postal::Result<postal::SendResult>> slow_batch(Setup& s,
                                                           std::chrono::milliseconds per_answer,
                                                           std::size_t count) {
  s.transport->before_answer = [&s, per_answer] { s.clock.advance(per_answer); };
  s.fake->fail_next(postal::Error(ErrorCode::Transport, "connection refused", SendState::NotSent));
  postal::BatchOptions options;
  options.max_in_flight = 8;
  return s.client().send_many(numbered_batch(count), options);
}

}  // namespace

TEST_CASE("send_many on a pulling transport: input order, at most max_in_flight at once") {
  Setup s;
  auto batch = numbered_batch(100);
  batch[17].to.clear();  // refused while encoding: never handed out
  postal::BatchOptions options;
  options.max_in_flight = 7;
  const auto results = s.client().send_many(batch, options);
  REQUIRE(results.size() == 100);
  CHECK(s.transport->feeds == 1);
  CHECK(s.transport->most_in_flight == 7);
  REQUIRE(s.transport->pulled.size() == 99);
  for (std::size_t k = 0; k < 99; ++k) CHECK(s.transport->pulled[k] == (k < 17 ? k : k + 1));
  for (std::size_t i = 0; i < 100; ++i) {
    if (i == 17) {
      REQUIRE_FALSE(results[i].has_value());
      CHECK(results[i].error().code == ErrorCode::InvalidArgument);
      continue;
    }
    REQUIRE(results[i].has_value());
    CHECK(stored_subject(*s.fake, *results[i]) == "Message " + std::to_string(i));
  }
}

TEST_CASE("send_many on a pulling transport: a failed item goes again after its round") {
  // A round hands out 256 new items (32 x max_in_flight, at least 256); item 0 fails at once
  // and may be retried: the round's other items go, then the requests in flight end, the wait
  // passes (one sleep), and item 0 goes first in the next round, before item 256.
  Setup s;
  s.fake->fail_next(postal::Error(ErrorCode::Transport, "connection refused", SendState::NotSent));
  postal::BatchOptions options;
  options.max_in_flight = 4;
  const auto results = s.client().send_many(numbered_batch(300), options);
  for (std::size_t i = 0; i < 300; ++i) {
    REQUIRE(results[i].has_value());
    CHECK(stored_subject(*s.fake, *results[i]) == "Message " + std::to_string(i));
  }
  const auto& pulled = s.transport->pulled;
  REQUIRE(pulled.size() == 301);
  for (std::size_t k = 0; k < 256; ++k) CHECK(pulled[k] == k);
  CHECK(pulled[256] == 0);
  for (std::size_t k = 257; k < 301; ++k) CHECK(pulled[k] == k - 1);
  CHECK(s.transport->feeds == 2);
  CHECK(s.clock.sleeps().size() == 1);
  CHECK(s.fake->messages().size() == 300);
}

TEST_CASE("send_many on a pulling transport that throws: the rest are Aborted, NotSent") {
  Setup s;
  s.transport->throw_after_pulls = 5;
  const auto results = three_in_flight(s, 12);  // items 0 and 1 ended before the throw
  for (std::size_t i = 2; i < 5; ++i) {         // in flight at the throw: finished by the transport
    REQUIRE_FALSE(results[i].has_value());
    CHECK(results[i].error().message.find("network gone") != std::string::npos);
    CHECK(results[i].error().send_state == SendState::MaybeSent);
  }
  for (std::size_t i = 5; i < 12; ++i) {
    REQUIRE_FALSE(results[i].has_value());
    CHECK(results[i].error().code == ErrorCode::Aborted);
    CHECK(results[i].error().send_state == SendState::NotSent);
    CHECK(results[i].error().message.find("the transport failed: boom") != std::string::npos);
  }
  CHECK(s.fake->request_count() == 2);
}

TEST_CASE("send_many on a pulling transport that stops taking requests: the rest are Aborted") {
  Setup s;
  s.transport->stop_after_pulls = 6;
  const auto results = s.client().send_many(numbered_batch(10));
  for (std::size_t i = 0; i < 6; ++i) CHECK(results[i].has_value());
  for (std::size_t i = 6; i < 10; ++i) {
    REQUIRE_FALSE(results[i].has_value());
    CHECK(results[i].error().code == ErrorCode::Aborted);
    CHECK(results[i].error().send_state == SendState::NotSent);
    CHECK(results[i].error().message.find("the transport stopped taking requests") !=
          std::string::npos);
  }
  CHECK(s.fake->request_count() == 6);
}

TEST_CASE("send_many on a pulling transport: a slow round ends early for a retry's deadline") {
  // Each answer takes 250 ms of the fake clock, 8 at a time. Item 0 is refused at once; its
  // retry deadline is 60 s from then, and a whole round (256 new items) would take 64 s. The
  // round ends once what is left of the deadline would no longer cover the requests in flight
  // (one 10 s timeout at worst) and the wait: item 0 goes again in time, and is sent.
  Setup s;
  const auto results = slow_batch(s, 250ms, 300);
  REQUIRE(results[0].has_value());
  CHECK(stored_subject(*s.fake, *results[0]) == "Message 0");
  const auto& pulled = s.transport->pulled;
  const auto retry = std::find(pulled.begin() + 1, pulled.end(), std::size_t{0});
  REQUIRE(retry != pulled.end());
  const auto position = static_cast<std::size_t>(retry - pulled.begin());
  CHECK(position < 256);  // before the round's 256 new items were all handed out
  CHECK(position > 150);  // and not at once: the round went on while the deadline allowed
  for (std::size_t i = 1; i < 300; ++i) CHECK(results[i].has_value());
}

TEST_CASE("send_many on a pulling transport: a retry whose deadline passed says so") {
  // Each answer takes 2 s: when the round ends for item 0, the 8 requests in flight take 16 s
  // more, past its deadline. It ends with its error, and the message says why.
  Setup s;
  const auto results = slow_batch(s, 2s, 100);
  REQUIRE_FALSE(results[0].has_value());
  CHECK(results[0].error().attempts == 1);
  CHECK(results[0].error().send_state == SendState::NotSent);
  CHECK(results[0].error().message.find("not retried: its retry deadline passed") !=
        std::string::npos);
  for (std::size_t i = 1; i < 100; ++i) CHECK(results[i].has_value());
}

TEST_CASE("send_many on a pulling transport that drops its requests in flight: MaybeSent") {
  // Against FeedTransport's contract, the transport returns with 3 requests taken and never
  // ended: they may have been written, so they end MaybeSent (not retried), and the rest Aborted.
  Setup s;
  s.transport->drop_after_pulls = 5;
  const auto results = three_in_flight(s, 9);
  for (std::size_t i = 2; i < 5; ++i) {
    REQUIRE_FALSE(results[i].has_value());
    CHECK(results[i].error().code == ErrorCode::Transport);
    CHECK(results[i].error().send_state == SendState::MaybeSent);
    CHECK(results[i].error().message.find("gave no outcome") != std::string::npos);
  }
  for (std::size_t i = 5; i < 9; ++i) {
    REQUIRE_FALSE(results[i].has_value());
    CHECK(results[i].error().code == ErrorCode::Aborted);
  }
  CHECK(s.transport->feeds == 1);
  CHECK(s.fake->request_count() == 2);
}

TEST_CASE("send_many on a pulling transport: a round ends for the earliest retry deadline") {
  // Answers take 250 ms each, 8 in flight, mostly oldest first. Item 0 is refused at once (its
  // retry deadline: 60 s later) and goes again near the end of that time, in the next round.
  // There the first new item (Y) is refused before item 0's retry, which is answered four answers
  // late and refused again: Y waits first, with a deadline a minute ahead, item 0 second, with a
  // few seconds left. The round must end for item 0, not run on for Y's deadline, so that item
  // 0's third attempt goes in time.
  Setup s;
  s.transport->before_answer = [&s] { s.clock.advance(250ms); };
  const postal::Error refused(ErrorCode::Transport, "connection refused", SendState::NotSent);
  std::size_t item0_pulls = 0;
  std::optional<std::size_t> y;
  s.transport->hold_for = [&](std::size_t id) -> std::size_t {
    if (id == 0) ++item0_pulls;
    if (id != 0 && item0_pulls == 2 && !y) y = id;  // the first new item after item 0's retry
    return id == 0 && item0_pulls == 2 ? 4 : 0;
  };
  bool y_refused = false;
  s.transport->before_answer_of = [&](std::size_t id) {
    const bool first_y = y && id == *y && !std::exchange(y_refused, true);
    if ((id == 0 && item0_pulls <= 2) || first_y) s.fake->fail_next(refused);
  };
  postal::BatchOptions options;
  options.max_in_flight = 8;
  const auto results = s.client().send_many(numbered_batch(600), options);
  REQUIRE(y);
  CHECK(y_refused);
  CHECK(item0_pulls == 3);
  REQUIRE(results[0].has_value());
  CHECK(stored_subject(*s.fake, *results[0]) == "Message 0");
  REQUIRE(results[*y].has_value());
  for (std::size_t i = 1; i < 600; ++i) CHECK(results[i].has_value());
}

TEST_CASE("send_many on a pulling transport that reports an outcome twice: the first counts") {
  Setup s;
  s.transport->finish_twice = true;
  std::size_t progress_calls = 0;
  postal::BatchOptions options;
  options.max_in_flight = 4;
  options.progress = [&](std::size_t done, std::size_t total) {
    ++progress_calls;
    CHECK(done <= total);
  };
  const auto results = s.client().send_many(numbered_batch(20), options);
  for (std::size_t i = 0; i < 20; ++i) {
    REQUIRE(results[i].has_value());
    CHECK(stored_subject(*s.fake, *results[i]) == "Message " + std::to_string(i));
  }
  CHECK(progress_calls == 20);
  CHECK(s.fake->request_count() == 20);
}
