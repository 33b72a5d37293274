// send_many and the retry policy through the real stack: postal::Client → libcurl (multi) →
// loopback TCP → FakePostal. Requests are counted on the server side.
#include <postal/detail/request_feed.hpp>
#include <postal/postal.hpp>
#include <postal/testing/fake_postal.hpp>

#include "support/catch.hpp"
#include "support/fake_clock.hpp"
#include "support/fake_postal_server.hpp"
#include "support/numbered_messages.hpp"
#include "support/raw_http_server.hpp"

#include <chrono>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace {

using namespace std::chrono_literals;
using postal::ErrorCode;
using postal::SendState;
using postal_test::FakeClock;

constexpr const char* kKey = "BatchLoopbackKey0123456789";

struct Served {
  std::shared_ptr<postal::testing::FakePostal> fake =
      std::make_shared<postal::testing::FakePostal>();
  postal_support::FakePostalServer server{fake};
  FakeClock clock;
  Served() { fake->add_api_key(kKey); }
  postal::Client client(std::string key = kKey, postal::CurlOptions curl = {}) const {
    return postal::Client(postal::ClientOptions{server.base_url(), std::move(key), 10s,
                                                postal::make_curl_transport(curl),
                                                clock.retry_options()});
  }
};

using postal_test::numbered;
using postal_test::numbered_batch;

postal::Error lost_answer() {
  postal::Error e;
  e.code = ErrorCode::Timeout;
  e.send_state = SendState::MaybeSent;
  e.message = "the answer was lost";
  return e;
}

}  // namespace

TEST_CASE("send_many over loopback: 1000 items at 32 in flight, in order, each sent once") {
  Served s;
  auto client = s.client();
  std::size_t last_done = 0, calls = 0;
  postal::BatchOptions options;
  options.max_in_flight = 32;
  options.progress = [&](std::size_t done, std::size_t total) {
    CHECK(total == 1000);
    CHECK(done == last_done + 1);
    last_done = done;
    ++calls;
  };
  auto results = client.send_many(numbered_batch(1000), options);
  REQUIRE(results.size() == 1000);
  std::set<std::int64_t> ids;
  for (std::size_t i = 0; i < results.size(); ++i) {
    INFO("item " << i << ": " << (results[i] ? "" : results[i].error().describe()));
    REQUIRE(results[i].has_value());
    const auto& ref = results[i]->messages.at("user" + std::to_string(i) + "@example.org");
    auto stored = s.fake->find_message(ref.id);
    REQUIRE(stored.has_value());
    CHECK(stored->subject.value_or("") == "Message " + std::to_string(i));
    ids.insert(ref.id);
  }
  CHECK(ids.size() == 1000);
  CHECK(s.fake->messages().size() == 1000);
  CHECK(s.fake->request_count() == 1000);
  CHECK(calls == 1000);
}

TEST_CASE("send_many over loopback: the curl transport pulls requests; a huge max_in_flight") {
  // send_many finds the curl transport's pull interface (its streaming path)...
  CHECK(dynamic_cast<postal::detail::FeedTransport*>(postal::make_curl_transport().get()) !=
        nullptr);
  // ...and a max_in_flight far beyond the batch (or any machine) is capped, not allocated.
  Served s;
  postal::BatchOptions options;
  options.max_in_flight = static_cast<std::size_t>(-1);
  auto results = s.client().send_many(numbered_batch(10), options);
  for (const auto& r : results) CHECK(r.has_value());
  CHECK(s.fake->request_count() == 10);
}

TEST_CASE("send_many over loopback: mixed valid and invalid items, and stop on auth error") {
  Served s;
  auto batch = numbered_batch(30);
  batch[5].to.clear();
  batch[9].from = "x@unverified.test";
  auto results = s.client().send_many(batch);
  REQUIRE_FALSE(results[5].has_value());
  REQUIRE_FALSE(results[9].has_value());
  CHECK(results[5].error().code == ErrorCode::InvalidArgument);
  CHECK(results[9].error().api_code == "UnauthenticatedFromAddress");
  CHECK(s.fake->messages().size() == 28);

  Served denied;
  postal::BatchOptions options;
  options.max_in_flight = 8;
  auto refused = denied.client("WrongKey0123456789").send_many(numbered_batch(500), options);
  CHECK(denied.fake->request_count() == 8);  // one window, then nothing
  CHECK(refused[0].error().api_code == "InvalidServerAPIKey");
  CHECK(refused[499].error().code == ErrorCode::Aborted);
  CHECK(refused[499].error().send_state == SendState::NotSent);
}

TEST_CASE("retry over loopback: a send whose answer was lost is never sent again") {
  Served s;
  s.fake->fail_next(lost_answer(), postal::testing::FaultTiming::AfterProcessing);
  auto sent = s.client().send_message(numbered(1));
  REQUIRE_FALSE(sent.has_value());
  INFO(sent.error().describe());
  CHECK(sent.error().send_state == SendState::MaybeSent);
  CHECK(sent.error().message.find("not retried") != std::string::npos);
  CHECK(s.fake->request_count() == 1);
  CHECK(s.fake->messages().size() == 1);  // created once, by the only request
  CHECK(s.clock.sleeps().empty());

  // The same inside send_many.
  s.fake->fail_next(lost_answer(), postal::testing::FaultTiming::AfterProcessing);
  postal::BatchOptions one;
  one.max_in_flight = 1;
  auto results = s.client().send_many(numbered_batch(3), one);
  CHECK_FALSE(results[0].has_value());
  CHECK(results[1].has_value());
  CHECK(s.fake->request_count() == 4);
  CHECK(s.fake->messages().size() == 4);
}

TEST_CASE("retry over loopback: a refused connection is retried (NotSent), then given up") {
  FakeClock clock;
  const std::string url =
      "http://127.0.0.1:" + std::to_string(postal_support::RawHttpServer::refused_port());
  postal::Client client(
      postal::ClientOptions{url, kKey, 5s, postal::make_curl_transport(), clock.retry_options()});
  auto sent = client.send_message(numbered(0));
  REQUIRE_FALSE(sent.has_value());
  CHECK(sent.error().code == ErrorCode::Transport);
  CHECK(sent.error().send_state == SendState::NotSent);
  CHECK(sent.error().attempts == 3);
  CHECK(clock.sleeps().size() == 2);
  auto many = client.send_many(numbered_batch(4));
  for (const auto& r : many) CHECK(r.error().attempts == 3);

  // Retries go in rounds (256 new items at 8 in flight), not a few items at a time: round 1
  // sends items 0-255; round 2 their retries and items 256-299; round 3 the last attempts of
  // 0-255 and the second of 256-299; round 4 the last of those. Three waits in all.
  const auto sleeps_before = clock.sleeps().size();
  postal::BatchOptions options;
  options.max_in_flight = 8;
  auto outage = client.send_many(numbered_batch(300), options);
  for (const auto& r : outage) CHECK(r.error().attempts == 3);
  CHECK(clock.sleeps().size() - sleeps_before == 3);
}

TEST_CASE("retry over loopback: a read waits out a 503's Retry-After, then succeeds") {
  Served s;
  auto client = s.client();
  auto sent = client.send_message(numbered(7));
  REQUIRE(sent.has_value());
  postal::HttpResponse busy;
  busy.status = 503;
  busy.headers.add("Retry-After", "3");
  busy.headers.add("Content-Type", "text/html");
  busy.body = "<h1>Service Unavailable</h1>";
  s.fake->fail_next(busy);
  auto message = client.get_message(sent->messages.begin()->second.id);
  REQUIRE(message.has_value());
  CHECK(s.clock.sleeps() == std::vector<std::chrono::milliseconds>{3000ms});
}

TEST_CASE("retry over loopback: a response over the size cap fails cleanly and is not retried") {
  Served s;
  auto sent = s.client().send_message([] {
    auto m = numbered(1);
    m.plain_body = std::string(50000, 'p');
    return m;
  }());
  REQUIRE(sent.has_value());
  postal::CurlOptions small;
  small.max_response_bytes = 4096;
  const auto before = s.fake->request_count();
  auto message = s.client(kKey, small)
                     .get_message(sent->messages.begin()->second.id, postal::Expansions::all());
  REQUIRE_FALSE(message.has_value());
  CHECK(message.error().code == ErrorCode::ResponseTooLarge);
  CHECK(message.error().message.find("4096 bytes") != std::string::npos);
  CHECK(s.fake->request_count() == before + 1);
}

TEST_CASE("retry over loopback: a read whose headers pass libcurl's 300 KiB is not retried") {
  // Before, this was a Transport error, which reads retry: three attempts for the same answer.
  postal_support::RawHttpServer bloated(
      postal_support::RawHttpServer::Mode::KeepAlive,
      "HTTP/1.1 200 OK\r\n" + postal_support::RawHttpServer::filler_header_lines(400 * 1024) +
          "Content-Length: 2\r\n\r\n{}");
  FakeClock clock;
  postal::Client client(postal::ClientOptions{
      bloated.url(""), kKey, 5s, postal::make_curl_transport(), clock.retry_options()});
  auto message = client.get_message(1);
  REQUIRE_FALSE(message.has_value());
  INFO(message.error().describe());
  CHECK(message.error().code == ErrorCode::ResponseTooLarge);
  CHECK(message.error().attempts == 1);
  CHECK(bloated.request_count() == 1);
  CHECK(clock.sleeps().empty());
}

TEST_CASE("redirect over loopback: a send answered 301 is not followed, and the error says where") {
  // An http:// base_url that the server sends to https:// is the usual cause.
  Served s;  // where the redirect points: must see no request, and no API key
  const std::string target = s.server.base_url();
  postal_support::RawHttpServer redirector(
      postal_support::RawHttpServer::Mode::KeepAlive,
      postal_support::RawHttpServer::response(301, "",
                                              {{"Location", target + "/api/v1/send/message"}}));
  postal::Client client(postal::ClientOptions{
      redirector.url(""), kKey, 5s, postal::make_curl_transport(), s.clock.retry_options()});
  auto sent = client.send_message(numbered(1));
  REQUIRE_FALSE(sent.has_value());
  const postal::Error& e = sent.error();
  INFO(e.describe());
  CHECK(e.code == ErrorCode::Http);
  CHECK(e.http_status == 301);
  CHECK(e.attempts == 1);
  const std::string origin = target.substr(0, target.find('/', std::string("http://").size()));
  CHECK(e.message.find("a redirect to " + origin + ", not followed") != std::string::npos);
  CHECK(e.describe().find(kKey) == std::string::npos);
  CHECK(redirector.request_count() == 1);
  CHECK(s.fake->request_count() == 0);
}
