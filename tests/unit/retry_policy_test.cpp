// The retry policy (ClientOptions::retry) on a scripted transport and a fake clock: which error
// classes are retried for reads and for sends, full-jitter backoff, Retry-After, the attempt
// limit and the deadline, and a MaybeSent send never repeated unless the caller opts in.
#include "support/catch.hpp"
#include "support/fake_clock.hpp"
#include "support/scripted_transport.hpp"

#include <postal/client.hpp>
#include <postal/detail/retry.hpp>
#include <postal/error.hpp>
#include <postal/options.hpp>
#include <postal/retry.hpp>

#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace {

using namespace std::chrono_literals;
using postal::ErrorCode;
using postal::SendState;
using postal_test::FakeClock;
using postal_test::ScriptedTransport;
using ms = std::chrono::milliseconds;

const std::string kApiKey = "RetryTestKey0123456789";
const std::string kDeliveries = R"([{"id":1,"status":"Sent","details":"ok","output":"250 OK",)"
                                R"("sent_with_ssl":true,"log_id":"L1","time":0.1,)"
                                R"("timestamp":1700000000.0}])";
const std::string kSent =
    R"({"message_id":"m@example.com","messages":{"a@example.com":{"id":5,"token":"t"}}})";

postal::Error transport_error(ErrorCode code, SendState state, std::string message) {
  postal::Error e;
  e.code = code;
  e.send_state = state;
  e.message = std::move(message);
  return e;
}

postal::HttpResponse status_response(int status, const char* retry_after = nullptr) {
  auto response = postal_test::http_response(status, "<html>busy</html>", "text/html");
  if (retry_after != nullptr) response.headers.add("Retry-After", retry_after);
  return response;
}

/// A client on a scripted transport whose retry policy runs on a fake clock.
struct Harness {
  explicit Harness(std::function<void(postal::RetryOptions&)> tweak = {}) {
    auto retry = clock.retry_options();
    if (tweak) tweak(retry);
    client.emplace(postal::ClientOptions{"https://postal.example.com", kApiKey,
                                         std::chrono::seconds(30), transport, retry});
  }
  FakeClock clock;
  std::shared_ptr<ScriptedTransport> transport = std::make_shared<ScriptedTransport>();
  std::optional<postal::Client> client;
};

postal::SendMessageRequest message() {
  postal::SendMessageRequest m;
  m.to = {"a@example.com"};
  m.from = "sales@example.com";
  m.subject = "Hi";
  m.plain_body = "Hello";
  return m;
}

}  // namespace

TEST_CASE("retry: reads retry every transient failure class, then succeed") {
  struct Case {
    const char* name;
    postal::Result<postal::HttpResponse> failure;
  };
  const std::vector<Case> cases = {
      {"connection refused", transport_error(ErrorCode::Transport, SendState::NotSent, "refused")},
      {"reset after write", transport_error(ErrorCode::Transport, SendState::MaybeSent, "reset")},
      {"timeout", transport_error(ErrorCode::Timeout, SendState::MaybeSent, "timed out")},
      {"429", status_response(429)},
      {"502", status_response(502)},
      {"503", status_response(503)},
      {"504", status_response(504)},
  };
  for (const auto& c : cases) {
    DYNAMIC_SECTION(c.name) {
      Harness h;
      h.transport->push(c.failure).push(c.failure).push(postal_test::success_response(kDeliveries));
      auto deliveries = h.client->get_deliveries(1);
      REQUIRE(deliveries.has_value());
      CHECK(deliveries->size() == 1);
      CHECK(h.transport->request_count() == 3);
      // Full jitter with the random source at 0.999: just under 200 ms, then 400 ms.
      CHECK(h.clock.sleeps() == std::vector<ms>{199ms, 399ms});
    }
  }
}

TEST_CASE("retry: reads do not retry answers that will not change") {
  const std::vector<postal::Result<postal::HttpResponse>> finals = {
      postal_test::error_response(R"({"message":"No message found","code":"MessageNotFound"})"),
      postal_test::parameter_error_response(R"({"message":"id is missing"})"),
      postal_test::http_response(200, "not json"),
      status_response(500),
      status_response(404),
      status_response(401),
      transport_error(ErrorCode::ResponseTooLarge, SendState::MaybeSent, "too large"),
      transport_error(ErrorCode::InvalidArgument, SendState::NotSent, "bad header"),
  };
  for (const auto& answer : finals) {
    Harness h;
    h.transport->push(answer);
    auto read = h.client->get_message(1);
    REQUIRE_FALSE(read.has_value());
    INFO(read.error().describe());
    CHECK(h.transport->request_count() == 1);
    CHECK(h.clock.sleeps().empty());
    CHECK(read.error().attempts == 1);
  }
}

TEST_CASE("retry: a send is retried when its request provably never left") {
  Harness h;
  h.transport->push(transport_error(ErrorCode::Transport, SendState::NotSent, "DNS failed"))
      .push(transport_error(ErrorCode::Transport, SendState::NotSent, "TLS handshake failed"))
      .push(postal_test::success_response(kSent));
  auto sent = h.client->send_message(message());
  REQUIRE(sent.has_value());
  CHECK(sent->messages.at("a@example.com").id == 5);
  CHECK(h.transport->request_count() == 3);
  // Every attempt carries the same request.
  const auto requests = h.transport->requests();
  CHECK(requests[0].body == requests[2].body);
}

TEST_CASE("retry: a MaybeSent send is never retried by default, and says why") {
  const std::vector<postal::Result<postal::HttpResponse>> maybe_sent = {
      transport_error(ErrorCode::Timeout, SendState::MaybeSent, "timed out after the write"),
      transport_error(ErrorCode::Transport, SendState::MaybeSent, "connection reset"),
      status_response(502),
      status_response(503, "1"),
      status_response(504),
  };
  for (const auto& answer : maybe_sent) {
    Harness h;
    h.transport->push(answer).push(postal_test::success_response(kSent));
    auto sent = h.client->send_message(message());
    REQUIRE_FALSE(sent.has_value());
    INFO(sent.error().describe());
    CHECK(sent.error().send_state == SendState::MaybeSent);
    CHECK(sent.error().message.find("may have reached Postal, so it was not retried") !=
          std::string::npos);
    CHECK(h.transport->request_count() == 1);
    CHECK(h.clock.sleeps().empty());
  }
}

TEST_CASE("retry: retry_maybe_sent_sends opts in to retrying MaybeSent sends") {
  Harness h([](postal::RetryOptions& r) { r.retry_maybe_sent_sends = true; });
  h.transport->push(transport_error(ErrorCode::Timeout, SendState::MaybeSent, "timed out"))
      .push(status_response(503))
      .push(postal_test::success_response(kSent));
  auto sent = h.client->send_message(message());
  REQUIRE(sent.has_value());
  CHECK(h.transport->request_count() == 3);
}

TEST_CASE("retry: Postal's own refusals of a send are final") {
  Harness h;
  h.transport->push(postal_test::error_response(
      R"({"message":"The API token provided in X-Server-API-Key was not valid.","code":"InvalidServerAPIKey"})"));
  auto sent = h.client->send_message(message());
  REQUIRE_FALSE(sent.has_value());
  CHECK(sent.error().api_code == "InvalidServerAPIKey");
  CHECK(sent.error().send_state == SendState::NotSent);
  CHECK(h.transport->request_count() == 1);
}

TEST_CASE("retry: a 429 on a send is NotSent and retried after Retry-After") {
  Harness h;
  h.transport->push(status_response(429, "7")).push(postal_test::success_response(kSent));
  auto sent = h.client->send_message(message());
  REQUIRE(sent.has_value());
  CHECK(h.transport->request_count() == 2);
  CHECK(h.clock.sleeps() == std::vector<ms>{7000ms});  // longer than the 200 ms backoff
}

TEST_CASE("retry: Retry-After is kept in the error when the call gives up") {
  Harness h([](postal::RetryOptions& r) { r.max_attempts = 1; });
  h.transport->push(status_response(503, "120"));
  auto read = h.client->get_message(1);
  REQUIRE_FALSE(read.has_value());
  REQUIRE(read.error().retry_after.has_value());
  CHECK(*read.error().retry_after == 120s);
}

TEST_CASE("retry: a Retry-After beyond the deadline ends the call at once") {
  Harness h;  // deadline 60 s
  h.transport->push(status_response(503, "120")).push(postal_test::success_response(kDeliveries));
  auto read = h.client->get_deliveries(1);
  REQUIRE_FALSE(read.has_value());
  CHECK(read.error().http_status == 503);
  CHECK(read.error().message.find("would pass the retry deadline") != std::string::npos);
  CHECK(h.transport->request_count() == 1);
  CHECK(h.clock.sleeps().empty());
}

TEST_CASE("retry: the deadline bounds the whole call, and cuts each attempt's timeout") {
  Harness h([](postal::RetryOptions& r) {
    r.max_attempts = 100;
    r.deadline = 10s;
    r.initial_backoff = 1s;
    r.max_backoff = 1s;
  });
  std::vector<ms> timeouts;
  h.transport->set_handler([&](const postal::HttpRequest& request) -> ScriptedTransport::Answer {
    timeouts.push_back(request.timeout);
    h.clock.advance(request.timeout < 2s ? request.timeout : ms(2s));  // each attempt takes 2 s
    return transport_error(ErrorCode::Timeout, SendState::MaybeSent, "timed out");
  });
  auto read = h.client->get_message(1);
  REQUIRE_FALSE(read.has_value());
  // 2 s per attempt + ~1 s wait: attempts start at 0, 3, 6 and 9 s; the last gets what is left.
  CHECK(h.transport->request_count() == 4);
  CHECK(read.error().attempts == 4);
  REQUIRE(timeouts.size() == 4);
  CHECK(timeouts[0] == 10s);  // the 30 s timeout, cut to the deadline
  CHECK(timeouts[3] < 2s);
  CHECK(h.clock.elapsed() <= 10s);
  CHECK(read.error().describe().find("(after 4 attempts)") != std::string::npos);
}

TEST_CASE("retry: max_attempts bounds the attempts; backoff doubles up to max_backoff") {
  Harness h([](postal::RetryOptions& r) {
    r.max_attempts = 6;
    r.initial_backoff = 100ms;
    r.max_backoff = 500ms;
  });
  h.transport->set_handler(
      [](const postal::HttpRequest&) -> ScriptedTransport::Answer { return status_response(502); });
  auto read = h.client->get_deliveries(3);
  REQUIRE_FALSE(read.has_value());
  CHECK(h.transport->request_count() == 6);
  CHECK(read.error().attempts == 6);
  CHECK(h.clock.sleeps() == std::vector<ms>{99ms, 199ms, 399ms, 499ms, 499ms});
}

TEST_CASE("retry: full jitter draws the wait from [0, cap]") {
  for (double r : {0.25, 0.5}) {
    FakeClock clock(r);
    auto transport = std::make_shared<ScriptedTransport>();
    postal::Client client(postal::ClientOptions{"https://postal.example.com", kApiKey, 30s,
                                                transport, clock.retry_options()});
    transport->push(status_response(503)).push(status_response(503)).push(status_response(503));
    (void)client.get_message(1);
    CHECK(clock.sleeps() ==
          std::vector<ms>{ms(static_cast<long>(200 * r)), ms(static_cast<long>(400 * r))});
  }
}

TEST_CASE("retry: on_retry sees each redacted failure; its exceptions change nothing") {
  std::vector<std::pair<std::size_t, ms>> seen;
  std::vector<std::string> messages;
  Harness h([&](postal::RetryOptions& r) {
    r.on_retry = [&](const postal::RetryEvent& event) {
      seen.emplace_back(event.attempt, event.delay);
      messages.push_back(event.error.message);
      throw std::runtime_error("logger failed");
    };
  });
  h.transport
      ->push(transport_error(ErrorCode::Transport, SendState::NotSent, "refused, key=" + kApiKey))
      .push(transport_error(ErrorCode::Transport, SendState::NotSent, "refused"))
      .push(postal_test::success_response(kDeliveries));
  auto read = h.client->get_deliveries(1);
  REQUIRE(read.has_value());
  CHECK(seen == std::vector<std::pair<std::size_t, ms>>{{1, 199ms}, {2, 399ms}});
  REQUIRE(messages.size() == 2);
  CHECK(messages[0].find(kApiKey) == std::string::npos);
}

TEST_CASE("retry: RetryOptions::none() makes one attempt") {
  Harness h([](postal::RetryOptions& r) { r = postal::RetryOptions::none(); });
  h.transport->push(status_response(503)).push(postal_test::success_response(kDeliveries));
  auto read = h.client->get_deliveries(1);
  REQUIRE_FALSE(read.has_value());
  CHECK(h.transport->request_count() == 1);
}

TEST_CASE("retry: unusable RetryOptions are an InvalidArgument before anything is sent") {
  const std::vector<std::function<void(postal::RetryOptions&)>> tweaks = {
      [](postal::RetryOptions& r) { r.max_attempts = 0; },
      [](postal::RetryOptions& r) { r.deadline = 0ms; },
      [](postal::RetryOptions& r) { r.initial_backoff = -1ms; },
      [](postal::RetryOptions& r) { r.max_backoff = -5ms; },
      [](postal::RetryOptions& r) { r.max_backoff = std::chrono::hours(25); },
  };
  for (const auto& tweak : tweaks) {
    Harness h(tweak);
    auto read = h.client->get_message(1);
    REQUIRE_FALSE(read.has_value());
    CHECK(read.error().code == ErrorCode::InvalidArgument);
    CHECK(read.error().message.find("retry") != std::string::npos);
    CHECK(h.transport->request_count() == 0);
  }
}

TEST_CASE("retry: Retry-After parsing (delta-seconds and IMF-fixdate)") {
  using postal::detail::parse_retry_after;
  // 2026-11-26 08:00:00 UTC
  const auto now = std::chrono::system_clock::time_point(std::chrono::seconds(1795680000));
  CHECK(parse_retry_after("0", now) == ms(0));
  CHECK(parse_retry_after(" 30 ", now) == ms(30000));
  CHECK(parse_retry_after("Thu, 26 Nov 2026 08:00:42 GMT", now) == ms(42000));
  CHECK(parse_retry_after("Thu, 26 Nov 2026 07:00:00 GMT", now) == ms(0));  // in the past
  CHECK(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now) == ms(0));
  CHECK(parse_retry_after("Fri, 01 Jan 2027 00:00:00 GMT", now) ==
        ms((1798761600LL - 1795680000LL) * 1000));
  CHECK(parse_retry_after("99999999999999999999", now) == ms(1'000'000'000LL * 1000));
  // A date centuries ahead is capped like delta-seconds (no clock overflow).
  CHECK(parse_retry_after("Sat, 01 Jan 2300 00:00:00 GMT", now) == ms(1'000'000'000LL * 1000));
  CHECK_FALSE(parse_retry_after("", now).has_value());
  CHECK_FALSE(parse_retry_after("-5", now).has_value());
  CHECK_FALSE(parse_retry_after("1.5", now).has_value());
  CHECK_FALSE(parse_retry_after("soon", now).has_value());
  CHECK_FALSE(parse_retry_after("Thu, 26 Foo 2026 08:00:42 GMT", now).has_value());
  CHECK_FALSE(parse_retry_after("Thu, 26 Nov 2026 25:00:42 GMT", now).has_value());
  CHECK_FALSE(parse_retry_after("Thu, 26 Nov 2026 08:00:42 UTC", now).has_value());
}

TEST_CASE("retry: a Retry-After of more than 24 hours ends the call, even without a deadline") {
  Harness h([](postal::RetryOptions& r) { r.deadline = ms::max(); });
  h.transport->push(status_response(503, "86401"))
      .push(status_response(503, "86400"))
      .push(postal_test::success_response(kDeliveries));
  auto read = h.client->get_deliveries(1);
  REQUIRE_FALSE(read.has_value());
  CHECK(read.error().message.find("asked to wait 86401 s, longer than the 24 hours") !=
        std::string::npos);
  CHECK(h.transport->request_count() == 1);
  CHECK(h.clock.sleeps().empty());

  auto again = h.client->get_deliveries(1);  // 24 hours exactly is still waited
  REQUIRE(again.has_value());
  CHECK(h.clock.sleeps() == std::vector<ms>{86400000ms});
}

TEST_CASE("retry: a sleep hook that throws ends the call with its last error") {
  int sleeps = 0;
  Harness h([&](postal::RetryOptions& r) {
    r.sleep = [&](ms) {
      ++sleeps;
      throw std::runtime_error("shutting down");
    };
  });
  h.transport->push(transport_error(ErrorCode::Transport, SendState::NotSent, "refused"))
      .push(postal_test::success_response(kSent));
  auto sent = h.client->send_message(message());
  REQUIRE_FALSE(sent.has_value());
  CHECK(sent.error().code == ErrorCode::Transport);
  CHECK(sent.error().send_state == SendState::NotSent);
  CHECK(sent.error().message.find("refused (not retried: RetryOptions::sleep threw)") !=
        std::string::npos);
  CHECK(sent.error().attempts == 1);
  CHECK(sleeps == 1);
  CHECK(h.transport->request_count() == 1);
}

TEST_CASE("retry: in send_many, a sleep hook that throws keeps the results already made") {
  Harness h([](postal::RetryOptions& r) {
    r.sleep = [](ms) { throw std::runtime_error("shutting down"); };
  });
  h.transport->push(postal_test::success_response(kSent))
      .push(transport_error(ErrorCode::Transport, SendState::NotSent, "refused"))
      .push(postal_test::success_response(kSent));
  const std::vector<postal::SendMessageRequest> batch(3, message());
  std::vector<postal::Result<postal::SendResult>> results;
  REQUIRE_NOTHROW(results = h.client->send_many(batch));
  REQUIRE(results.size() == 3);
  CHECK(results[0].has_value());
  REQUIRE_FALSE(results[1].has_value());
  CHECK(results[1].error().send_state == SendState::NotSent);
  CHECK(results[1].error().message.find("not retried: RetryOptions::sleep threw") !=
        std::string::npos);
  CHECK(results[2].has_value());
  CHECK(h.transport->request_count() == 3);

  // A batch longer than a round (256 new items at one in flight): item 0 is refused, the rest
  // of its round is sent, then the sleep throws: the batch stops, and the items of the next
  // round are not sent.
  h.transport->push(transport_error(ErrorCode::Transport, SendState::NotSent, "refused"));
  for (int i = 1; i < 256; ++i) h.transport->push(postal_test::success_response(kSent));
  const std::vector<postal::SendMessageRequest> long_batch(300, message());
  postal::BatchOptions one_at_a_time;
  one_at_a_time.max_in_flight = 1;
  REQUIRE_NOTHROW(results = h.client->send_many(long_batch, one_at_a_time));
  REQUIRE(results.size() == 300);
  REQUIRE_FALSE(results[0].has_value());
  CHECK(results[0].error().message.find("not retried: RetryOptions::sleep threw") !=
        std::string::npos);
  for (std::size_t i = 1; i < 256; ++i) CHECK(results[i].has_value());
  for (std::size_t i = 256; i < 300; ++i) {
    REQUIRE_FALSE(results[i].has_value());
    CHECK(results[i].error().code == ErrorCode::Aborted);
    CHECK(results[i].error().send_state == SendState::NotSent);
    CHECK(results[i].error().message.find("because RetryOptions::sleep threw") !=
          std::string::npos);
  }
  CHECK(h.transport->request_count() == 3 + 256);
}

TEST_CASE("retry: now and random hooks that throw fall back to the defaults") {
  Harness h([](postal::RetryOptions& r) {
    r.now = []() -> std::chrono::steady_clock::time_point { throw std::runtime_error("no clock"); };
    r.random = []() -> double { throw std::runtime_error("no entropy"); };
  });
  h.transport->push(transport_error(ErrorCode::Transport, SendState::NotSent, "refused"))
      .push(postal_test::success_response(kDeliveries));
  auto read = h.client->get_deliveries(1);
  REQUIRE(read.has_value());
  CHECK(h.transport->request_count() == 2);  // retried, with the default clock
  // A draw of the default random source in [0, 200 ms]; a draw under 1 ms is no wait at all.
  REQUIRE(h.clock.sleeps().size() <= 1);
  for (const auto slept : h.clock.sleeps()) CHECK(slept <= 200ms);
}
