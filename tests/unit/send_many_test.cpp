// Client::send_many against the in-process FakePostal and scripted transports: input order,
// per-item errors, stop-on-authentication-error, the progress callback, the retry policy per
// item (NotSent retried, MaybeSent never by default, counted on the server), and transports
// that misbehave.
#include "support/catch.hpp"
#include "support/fake_clock.hpp"
#include "support/numbered_messages.hpp"
#include "support/scripted_transport.hpp"

#include <postal/client.hpp>
#include <postal/detail/send_body.hpp>
#include <postal/error.hpp>
#include <postal/options.hpp>
#include <postal/testing/fake_postal.hpp>

#include <chrono>
#include <cstddef>
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
using postal_test::ScriptedTransport;

using postal_test::numbered;
using postal_test::numbered_batch;
using postal_test::stored_subject;

postal::Client client_for(std::shared_ptr<postal::Transport> transport,
                          std::string key = "test-api-key",
                          postal::RetryOptions retry = postal::RetryOptions::none()) {
  return postal::Client(postal::ClientOptions{"https://postal.example.test", std::move(key), 10s,
                                              std::move(transport), std::move(retry)});
}

postal::Error transport_error(SendState state, std::string message) {
  postal::Error e;
  e.code = ErrorCode::Transport;
  e.send_state = state;
  e.message = std::move(message);
  return e;
}

}  // namespace

TEST_CASE("send_many: one result per request, in input order, invalid items failing alone") {
  auto fake = std::make_shared<FakePostal>();
  auto client = client_for(fake);
  auto batch = numbered_batch(40);
  batch[3].to.clear();                              // client-side: no recipient
  batch[17].from = "someone@unverified.test";       // Postal: UnauthenticatedFromAddress
  batch[25].subject = std::string("bad\xff utf8");  // client-side: not UTF-8
  postal::BatchOptions options;
  options.max_in_flight = 4;
  auto results = client.send_many(batch, options);
  REQUIRE(results.size() == batch.size());
  for (std::size_t i = 0; i < batch.size(); ++i) {
    INFO("item " << i);
    if (i == 3 || i == 25) {
      REQUIRE_FALSE(results[i].has_value());
      CHECK(results[i].error().code == ErrorCode::InvalidArgument);
      CHECK(results[i].error().send_state == SendState::NotSent);
    } else if (i == 17) {
      REQUIRE_FALSE(results[i].has_value());
      CHECK(results[i].error().api_code == "UnauthenticatedFromAddress");
    } else {
      REQUIRE(results[i].has_value());
      CHECK(stored_subject(*fake, *results[i]) == "Message " + std::to_string(i));
      CHECK(results[i]->messages.count("user" + std::to_string(i) + "@example.org") == 1);
    }
  }
  CHECK(fake->messages().size() == 37);
  CHECK(fake->request_count() == 38);  // the two invalid items never left
}

TEST_CASE("send_many: the progress callback counts every settled item up to the total") {
  auto fake = std::make_shared<FakePostal>();
  auto client = client_for(fake);
  std::vector<std::pair<std::size_t, std::size_t>> calls;
  postal::BatchOptions options;
  options.max_in_flight = 3;
  options.progress = [&](std::size_t done, std::size_t total) { calls.emplace_back(done, total); };
  auto batch = numbered_batch(25);
  batch[0].to.clear();
  auto results = client.send_many(batch, options);
  REQUIRE(calls.size() == 25);
  for (std::size_t i = 0; i < calls.size(); ++i) {
    CHECK(calls[i].first == i + 1);
    CHECK(calls[i].second == 25);
  }
}

TEST_CASE("send_many: after an authentication error the rest fail fast, NotSent") {
  for (const char* scenario : {"InvalidServerAPIKey", "ServerSuspended"}) {
    DYNAMIC_SECTION(scenario) {
      auto fake = std::make_shared<FakePostal>();
      std::string key = "test-api-key";
      if (std::string(scenario) == "InvalidServerAPIKey")
        key = "wrong-key-123";
      else
        fake->set_suspended(true);
      auto client = client_for(fake, key);
      postal::BatchOptions options;
      options.max_in_flight = 4;
      auto results = client.send_many(numbered_batch(200), options);
      REQUIRE(results.size() == 200);
      // The first window (max_in_flight requests) reached the server; nothing after it.
      CHECK(fake->request_count() == 4);
      for (std::size_t i = 0; i < 4; ++i) CHECK(results[i].error().api_code == scenario);
      for (std::size_t i = 4; i < 200; ++i) {
        REQUIRE_FALSE(results[i].has_value());
        CHECK(results[i].error().code == ErrorCode::Aborted);
        CHECK(results[i].error().send_state == SendState::NotSent);
        CHECK(results[i].error().message.find(scenario) != std::string::npos);
      }
      CHECK(results[50].error().message.find(key) == std::string::npos);
    }
  }
}

TEST_CASE("send_many: stop_on_auth_error = false sends every item") {
  auto fake = std::make_shared<FakePostal>();
  auto client = client_for(fake, "wrong-key-123");
  postal::BatchOptions options;
  options.stop_on_auth_error = false;
  auto results = client.send_many(numbered_batch(50), options);
  CHECK(fake->request_count() == 50);
  for (const auto& r : results) CHECK(r.error().api_code == "InvalidServerAPIKey");
}

TEST_CASE("send_many: a progress callback that throws stops the batch like an auth error") {
  auto fake = std::make_shared<FakePostal>();
  auto client = client_for(fake);
  postal::BatchOptions options;
  options.max_in_flight = 2;
  options.progress = [](std::size_t done, std::size_t) {
    if (done == 1) throw std::runtime_error("UI gone");
  };
  auto results = client.send_many(numbered_batch(30), options);
  // The first window (2 items) was in flight and is settled from the server's answers.
  CHECK(results[0].has_value());
  CHECK(results[1].has_value());
  for (std::size_t i = 2; i < 30; ++i) {
    REQUIRE_FALSE(results[i].has_value());
    CHECK(results[i].error().code == ErrorCode::Aborted);
    CHECK(results[i].error().message.find("UI gone") != std::string::npos);
  }
  CHECK(fake->messages().size() == 2);
}

TEST_CASE("send_many: a window taken when the batch stopped is not sent") {
  // Item 2 is refused while the first window (4 items) is taken; the progress callback throws
  // on it, which stops the batch: items 0 and 1, taken already, are not sent either.
  auto fake = std::make_shared<FakePostal>();
  auto client = client_for(fake);
  auto batch = numbered_batch(10);
  batch[2].to.clear();
  postal::BatchOptions options;
  options.max_in_flight = 4;
  options.progress = [](std::size_t, std::size_t) { throw std::runtime_error("UI gone"); };
  const auto results = client.send_many(batch, options);
  CHECK(fake->request_count() == 0);
  CHECK(results[2].error().code == ErrorCode::InvalidArgument);
  for (std::size_t i : {0, 1, 3, 9}) {
    REQUIRE_FALSE(results[i].has_value());
    CHECK(results[i].error().code == ErrorCode::Aborted);
    CHECK(results[i].error().send_state == SendState::NotSent);
  }
}

TEST_CASE("send_many: NotSent failures are retried per item; MaybeSent ones never by default") {
  auto fake = std::make_shared<FakePostal>();
  FakeClock clock;
  auto client = client_for(fake, "test-api-key", clock.retry_options());
  // Faults apply to the next requests in arrival order. Item 0's first attempt is refused
  // (NotSent: retried after the others of its round).
  fake->fail_next(transport_error(SendState::NotSent, "connection refused"),
                  postal::testing::FaultTiming::BeforeProcessing);
  postal::BatchOptions options;
  options.max_in_flight = 1;
  auto results = client.send_many(numbered_batch(4), options);
  for (const auto& result : results) CHECK(result.has_value());
  CHECK(fake->request_count() == 5);
  CHECK(fake->messages().size() == 4);
  CHECK(clock.sleeps().size() == 1);

  // An item refused, then processed with its answer lost (MaybeSent: final), is not sent again.
  fake->fail_next(transport_error(SendState::NotSent, "connection refused"),
                  postal::testing::FaultTiming::BeforeProcessing);
  postal::Error lost_answer;
  lost_answer.code = ErrorCode::Timeout;
  lost_answer.send_state = SendState::MaybeSent;
  lost_answer.message = "timed out after the request was written";
  fake->fail_next(lost_answer, postal::testing::FaultTiming::AfterProcessing);
  results = client.send_many(numbered_batch(1), options);
  REQUIRE_FALSE(results[0].has_value());
  CHECK(results[0].error().code == ErrorCode::Timeout);
  CHECK(results[0].error().send_state == SendState::MaybeSent);
  CHECK(results[0].error().attempts == 2);
  CHECK(results[0].error().message.find("not retried") != std::string::npos);
  // Server side: it reached Postal twice (refused, then processed) and was not sent again.
  CHECK(fake->request_count() == 7);
  CHECK(fake->messages().size() == 5);
  CHECK(clock.sleeps().size() == 2);
}

TEST_CASE("send_many: with retry_maybe_sent_sends a lost answer is sent again (a duplicate)") {
  auto fake = std::make_shared<FakePostal>();
  FakeClock clock;
  auto retry = clock.retry_options();
  retry.retry_maybe_sent_sends = true;
  auto client = client_for(fake, "test-api-key", retry);
  postal::Error lost_answer;
  lost_answer.code = ErrorCode::Timeout;
  lost_answer.send_state = SendState::MaybeSent;
  lost_answer.message = "timed out";
  fake->fail_next(lost_answer, postal::testing::FaultTiming::AfterProcessing);
  auto results = client.send_many(numbered_batch(1));
  REQUIRE(results[0].has_value());
  CHECK(fake->messages().size() == 2);  // what the opt-in risks, and why it is off by default
}

TEST_CASE("send_many: a transport with only send() works, sequentially") {
  auto transport = std::make_shared<ScriptedTransport>(
      [](const postal::HttpRequest& request) -> ScriptedTransport::Answer {
        const auto to = nlohmann::json::parse(request.body).at("to").at(0).get<std::string>();
        return postal_test::success_response(R"({"message_id":"x@example.com","messages":{")" + to +
                                             R"(":{"id":1,"token":"t"}}})");
      });
  auto client = client_for(transport);
  postal::BatchOptions options;
  options.max_in_flight = 16;
  auto results = client.send_many(numbered_batch(100), options);
  REQUIRE(transport->request_count() == 100);
  for (std::size_t i = 0; i < 100; ++i) {
    REQUIRE(results[i].has_value());
    CHECK(results[i]->messages.count("user" + std::to_string(i) + "@example.org") == 1);
  }
}

namespace {
/// A transport whose send_all misbehaves: throws, or answers the wrong number of results.
class BrokenBatchTransport : public postal::Transport {
 public:
  explicit BrokenBatchTransport(bool throws) : throws_(throws) {}
  postal::Result<postal::HttpResponse> send(const postal::HttpRequest&) override {
    return postal_test::success_response("{}");
  }
  std::vector<postal::Result<postal::HttpResponse>> send_all(
      const std::vector<postal::HttpRequest>&, std::size_t) override {
    if (throws_) throw std::runtime_error("socket layer exploded");
    return {postal_test::success_response(R"({"message_id":null,"messages":{}})")};
  }

 private:
  bool throws_;
};
}  // namespace

TEST_CASE("send_many: a send_all that throws or miscounts leaves every item MaybeSent") {
  for (bool throws : {true, false}) {
    auto client = client_for(std::make_shared<BrokenBatchTransport>(throws));
    auto results = client.send_many(numbered_batch(5));
    REQUIRE(results.size() == 5);
    for (const auto& r : results) {
      REQUIRE_FALSE(r.has_value());
      CHECK(r.error().send_state == SendState::MaybeSent);
      CHECK(r.error().message.find(throws ? "socket layer exploded" : "returned 1 results for 5") !=
            std::string::npos);
    }
  }
}

TEST_CASE("send_many: bad options and an empty batch") {
  auto fake = std::make_shared<FakePostal>();
  auto client = client_for(fake);
  postal::BatchOptions zero;
  zero.max_in_flight = 0;
  auto results = client.send_many(numbered_batch(3), zero);
  REQUIRE(results.size() == 3);
  for (const auto& r : results) CHECK(r.error().code == ErrorCode::InvalidArgument);
  CHECK(client.send_many(std::vector<postal::SendMessageRequest>{}).empty());
  auto unusable = client_for(fake, "");
  auto refused = unusable.send_many(numbered_batch(2));
  CHECK(refused[1].error().code == ErrorCode::InvalidArgument);
  CHECK(fake->request_count() == 0);
}

TEST_CASE("send_many: raw messages") {
  auto fake = std::make_shared<FakePostal>();
  auto client = client_for(fake);
  std::vector<postal::SendRawRequest> raws;
  for (int i = 0; i < 5; ++i) {
    postal::SendRawRequest raw;
    raw.mail_from = "sales@example.com";
    raw.rcpt_to = {"r" + std::to_string(i) + "@example.org"};
    raw.data = "From: sales@example.com\r\nTo: r" + std::to_string(i) +
               "@example.org\r\nSubject: Raw " + std::to_string(i) + "\r\n\r\nHello\r\n";
    raws.push_back(raw);
  }
  auto results = client.send_many(raws);
  for (int i = 0; i < 5; ++i) {
    REQUIRE(results[i].has_value());
    CHECK(stored_subject(*fake, *results[i]) == "Raw " + std::to_string(i));
  }
}

TEST_CASE("send_many: a transport whose send throws fails only that item (MaybeSent)") {
  std::size_t calls = 0;
  auto transport = std::make_shared<ScriptedTransport>(
      [&](const postal::HttpRequest&) -> ScriptedTransport::Answer {
        if (++calls == 2) throw std::runtime_error("driver crashed");
        return postal_test::success_response(
            R"({"message_id":"x@example.com","messages":{"a@example.org":{"id":1,"token":"t"}}})");
      });
  auto results = client_for(transport).send_many(numbered_batch(4));
  CHECK(results[0].has_value());
  REQUIRE_FALSE(results[1].has_value());
  CHECK(results[1].error().send_state == SendState::MaybeSent);
  CHECK(results[1].error().message.find("driver crashed") != std::string::npos);
  CHECK(results[2].has_value());
  CHECK(results[3].has_value());
}

TEST_CASE("send_many: a progress callback that throws on a refused item sends nothing more") {
  auto fake = std::make_shared<FakePostal>();
  auto client = client_for(fake);
  auto batch = numbered_batch(10);
  batch[0].to.clear();  // settled before the window is sent
  postal::BatchOptions options;
  options.max_in_flight = 16;  // one window holds the whole batch
  options.progress = [](std::size_t, std::size_t) { throw std::runtime_error("cancelled"); };
  auto results = client.send_many(batch, options);
  CHECK(fake->request_count() == 0);
  CHECK(results[0].error().code == ErrorCode::InvalidArgument);
  for (std::size_t i = 1; i < 10; ++i) CHECK(results[i].error().code == ErrorCode::Aborted);
}

TEST_CASE("send_many: huge max_in_flight values and extreme retry deadlines end normally") {
  auto transport = std::make_shared<ScriptedTransport>(
      [](const postal::HttpRequest&) -> ScriptedTransport::Answer {
        return postal_test::success_response(R"({"message_id":null,"messages":{}})");
      });
  for (std::size_t in_flight : {std::size_t{1} << 62, SIZE_MAX}) {
    postal::BatchOptions options;
    options.max_in_flight = in_flight;
    auto results = client_for(transport).send_many(numbered_batch(300), options);
    REQUIRE(results.size() == 300);
    for (const auto& r : results) CHECK(r.has_value());
  }
  for (auto deadline : {std::chrono::milliseconds(1), std::chrono::milliseconds::max()}) {
    FakeClock clock;
    auto retry = clock.retry_options();
    retry.deadline = deadline;
    auto refusing = std::make_shared<ScriptedTransport>();  // every request: NotSent Transport
    auto client = client_for(refusing, "test-api-key", retry);
    auto results = client.send_many(numbered_batch(3));
    for (const auto& r : results) {
      REQUIRE_FALSE(r.has_value());
      CHECK(r.error().code == ErrorCode::Transport);
      CHECK(r.error().attempts == (deadline.count() == 1 ? 1u : 3u));
    }
    auto single = client.send_message(numbered(0));
    REQUIRE_FALSE(single.has_value());
    CHECK(single.error().attempts == (deadline.count() == 1 ? 1u : 3u));
  }
}

TEST_CASE("send_many: requests written into the memory of sent ones carry their own body") {
  // Windows of 1, 4, 16, 64, 256, ... items at one in flight; from the third window on, requests
  // reuse those of the window before the last. Bodies of very different sizes follow each other
  // (a reused body far too large is let go; one above 256 KiB takes the encoding buffer over),
  // and refused items sit between them.
  auto transport = std::make_shared<ScriptedTransport>([](const postal::HttpRequest&) {
    return postal_test::success_response(R"({"message_id":"m","messages":{}})");
  });
  auto client = client_for(transport);
  std::vector<postal::SendMessageRequest> batch = numbered_batch(700);
  for (std::size_t i = 0; i < batch.size(); ++i) {
    const std::size_t size = i % 97 == 5 ? (300u << 10) : (i * 7919) % 6000;
    batch[i].plain_body = std::string(size, static_cast<char>('a' + i % 26)) + "\n\"end\"";
    if (i % 50 == 7) batch[i].to.clear();  // refused before sending
  }
  postal::BatchOptions options;
  options.max_in_flight = 1;
  const auto results = client.send_many(batch, options);
  REQUIRE(results.size() == batch.size());
  std::vector<std::string> expected;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    INFO("item " << i);
    CHECK(results[i].has_value() == (i % 50 != 7));
    if (i % 50 != 7) expected.push_back(postal::detail::encode_send_body_text(batch[i]));
  }
  const auto requests = transport->requests();
  REQUIRE(requests.size() == expected.size());
  std::size_t wrong = 0;
  for (std::size_t k = 0; k < requests.size(); ++k) {
    if (requests[k].body != expected[k] || requests[k].url != requests[0].url ||
        requests[k].headers.get("X-Server-API-Key") != std::optional<std::string>("test-api-key"))
      ++wrong;
  }
  CHECK(wrong == 0);
}

TEST_CASE("send_many: a request written into a retried one gets the full timeout again") {
  // Item 0 is refused twice (NotSent, retried) and its second attempt takes 55 s: its last
  // attempt gets what is left of the 60 s retry deadline as its timeout. Retries go in rounds
  // of up to 256 new items at one in flight, so item 0's attempts open rounds 2 and 3; more than
  // a window of items follow its last attempt, written into the request objects used before,
  // item 0's short one included, and must go out with the client's 10 s.
  FakeClock clock;
  int item0_calls = 0;
  auto transport = std::make_shared<ScriptedTransport>(
      [&](const postal::HttpRequest& request) -> ScriptedTransport::Answer {
        if (request.body.find("\"Message 0\"") != std::string::npos && ++item0_calls <= 2) {
          // The deadline counts from the first failure: the second one uses up 55 s of it.
          if (item0_calls == 2) clock.advance(55s);
          return transport_error(SendState::NotSent, "connection refused");
        }
        return postal_test::success_response(R"({"message_id":"m","messages":{}})");
      });
  auto client = client_for(transport, "test-api-key", clock.retry_options());
  postal::BatchOptions options;
  options.max_in_flight = 1;
  const auto results = client.send_many(numbered_batch(800), options);
  for (const auto& result : results) CHECK(result.has_value());
  const auto requests = transport->requests();
  REQUIRE(requests.size() == 802);
  CHECK(requests[0].timeout == 10s);
  std::size_t short_timeouts = 0;
  std::size_t item0_attempts = 0;
  for (std::size_t k = 0; k < requests.size(); ++k) {
    const bool item0 = requests[k].body == requests[0].body;
    if (item0) ++item0_attempts;
    if (requests[k].timeout == 10s) continue;
    ++short_timeouts;
    CHECK(item0);
    CHECK(requests[k].timeout < 10s);
    CHECK(requests.size() - k > 257);  // more than a window of 256 items came after it
  }
  CHECK(item0_attempts == 3);
  CHECK(short_timeouts == 1);
}
