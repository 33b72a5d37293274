// RemoteKeySet over loopback HTTP: FakePostal's /.well-known/jwks.json served by
// tests/support/fake_postal_server.hpp and fetched with the libcurl transport. Fetch once and
// cache, refresh on a key rotation, rate limiting against forged KIDs, failures that keep the
// cached keys, typed errors, and the https-only rule for JWKS URLs.
#include "support/catch.hpp"
#include "support/fake_postal_server.hpp"

#include <postal/testing/fake_postal.hpp>
#include <postal/testing/webhook_signer.hpp>
#include <postal/transport.hpp>
#include <postal/webhook.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace {

using postal::ErrorCode;
using postal::testing::FakePostal;
using postal::testing::WebhookRequest;
using postal::webhook::RemoteKeySet;
using postal::webhook::RemoteKeySetOptions;
namespace wh = postal::webhook;

/// RSA test keys, generated once per run (slot 0, 1, ...).
const std::string& private_key(int slot) {
  static std::mutex mutex;
  static std::map<int, std::string> keys;
  std::lock_guard<std::mutex> lock(mutex);
  auto it = keys.find(slot);
  if (it == keys.end())
    it = keys.emplace(slot, postal::testing::generate_test_key(2048).value().private_pem).first;
  return it->second;
}

/// A clock the test moves by hand.
struct ManualClock {
  std::shared_ptr<std::atomic<std::int64_t>> seconds =
      std::make_shared<std::atomic<std::int64_t>>(1000000);
  void advance(std::int64_t by) { *seconds += by; }
  std::function<std::chrono::steady_clock::time_point()> function() const {
    auto s = seconds;
    return [s] { return std::chrono::steady_clock::time_point(std::chrono::seconds(s->load())); };
  }
};

/// FakePostal signing with key 0, served on loopback, and a RemoteKeySet on its JWKS URL.
struct Setup {
  std::shared_ptr<FakePostal> fake = make_fake();
  postal_support::FakePostalServer server{fake};
  ManualClock clock;
  RemoteKeySet keys{postal::make_curl_transport(), server.base_url() + "/.well-known/jwks.json",
                    options()};

  static std::shared_ptr<FakePostal> make_fake() {
    auto fake = std::make_shared<FakePostal>();
    fake->set_signing_key(private_key(0));
    return fake;
  }
  RemoteKeySetOptions options() const {
    RemoteKeySetOptions o;
    o.timeout = std::chrono::seconds(5);
    o.clock = clock.function();
    return o;
  }
  /// How many times the fake was asked for its JWKS.
  std::size_t jwks_requests() const {
    std::size_t count = 0;
    for (const auto& request : fake->requests())
      if (request.url.find("/.well-known/jwks.json") != std::string::npos) ++count;
    return count;
  }
  /// A webhook from the fake, as Postal would send it now.
  WebhookRequest webhook() {
    fake->record_send_limit_approaching(455, 500);
    auto hooks = fake->take_webhooks();
    REQUIRE(hooks.size() == 1);
    return hooks.front();
  }
};

/// The webhook with its KID header replaced (a forgery naming a key nobody published).
WebhookRequest with_kid(WebhookRequest hook, const std::string& kid) {
  hook.headers.set("X-Postal-Signature-KID", kid);
  return hook;
}

std::string forged_kid(int n) {
  std::string kid = std::to_string(n);
  return std::string(64 - kid.size(), 'f') + kid;
}

}  // namespace

TEST_CASE("remote keys: the JWKS fetched from FakePostal verifies its webhooks", "[remote_keys]") {
  Setup s;
  const auto hook = s.webhook();
  const auto event = s.keys.verify_and_parse(hook.body, hook.headers);
  INFO((event ? std::string() : event.error().describe()));
  REQUIRE(event);
  CHECK(event->type == wh::EventType::SendLimitApproaching);
  CHECK(event->as<wh::SendLimitEvent>()->volume == 455);
  CHECK(s.jwks_requests() == 1);
}

TEST_CASE("remote keys: keys are fetched once, then served from the cache", "[remote_keys]") {
  Setup s;
  for (int i = 0; i < 5; ++i) {
    const auto hook = s.webhook();
    CHECK(s.keys.verify(hook.body, hook.headers));
  }
  const auto keys = s.keys.keys();
  REQUIRE(keys);
  CHECK(keys->size() == 1);
  CHECK(keys->find(s.fake->signing_key_kid()) != nullptr);
  CHECK(s.jwks_requests() == 1);
}

TEST_CASE("remote keys: no API key or credential is sent to the JWKS endpoint", "[remote_keys]") {
  Setup s;
  REQUIRE(s.keys.keys());
  const auto requests = s.fake->requests();
  REQUIRE(requests.size() == 1);
  CHECK(requests[0].method == "GET");
  CHECK(!requests[0].headers.contains("X-Server-API-Key"));
  CHECK(!requests[0].headers.contains("Authorization"));
}

TEST_CASE("remote keys: a key rotation is picked up by one refresh on the unknown KID",
          "[remote_keys]") {
  Setup s;
  const auto before = s.webhook();
  REQUIRE(s.keys.verify(before.body, before.headers));
  s.clock.advance(600);  // rotations happen long after start-up
  s.fake->set_signing_key(private_key(1));
  const auto after = s.webhook();
  const auto event = s.keys.verify_and_parse(after.body, after.headers);
  INFO((event ? std::string() : event.error().describe()));
  CHECK(event);
  CHECK(s.jwks_requests() == 2);
  // The old key is no longer published, so it no longer verifies.
  CHECK(s.keys.verify(before.body, before.headers).error().code == ErrorCode::UnknownKey);
}

TEST_CASE("remote keys: a flood of unknown KIDs fetches at most once per interval",
          "[remote_keys]") {
  Setup s;
  const auto genuine = s.webhook();
  REQUIRE(s.keys.verify(genuine.body, genuine.headers));
  s.clock.advance(301);
  for (int i = 0; i < 50; ++i) {
    const auto forged = with_kid(genuine, forged_kid(i));
    CHECK(s.keys.verify(forged.body, forged.headers).error().code == ErrorCode::UnknownKey);
  }
  CHECK(s.jwks_requests() == 2);
  s.clock.advance(200);  // 200 s after the refresh: still inside the 300 s interval
  for (int i = 50; i < 100; ++i) {
    const auto forged = with_kid(genuine, forged_kid(i));
    CHECK(s.keys.verify(forged.body, forged.headers).error().code == ErrorCode::UnknownKey);
  }
  CHECK(s.jwks_requests() == 2);
  s.clock.advance(100);  // 300 s after the refresh
  const auto forged = with_kid(genuine, forged_kid(100));
  CHECK(s.keys.verify(forged.body, forged.headers).error().code == ErrorCode::UnknownKey);
  CHECK(s.jwks_requests() == 3);
  CHECK(s.keys.verify(genuine.body, genuine.headers));
}

TEST_CASE("remote keys: concurrent first uses share one fetch", "[remote_keys]") {
  Setup s;
  const auto hook = s.webhook();
  std::atomic<int> verified{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i)
    threads.emplace_back([&] {
      if (s.keys.verify(hook.body, hook.headers)) ++verified;
    });
  for (auto& thread : threads) thread.join();
  CHECK(verified == 8);
  CHECK(s.jwks_requests() == 1);
}

TEST_CASE("remote keys: a failed refresh keeps serving the cached keys", "[remote_keys]") {
  Setup s;
  REQUIRE(s.keys.keys());
  s.fake->fail_next(postal::HttpResponse{503, {}, "maintenance"});
  const auto refreshed = s.keys.refresh();
  REQUIRE(!refreshed);
  CHECK(refreshed.error().code == ErrorCode::Http);
  CHECK(refreshed.error().http_status == 503);
  const auto hook = s.webhook();
  CHECK(s.keys.verify(hook.body, hook.headers));
  CHECK(s.keys.keys().value().size() == 1);
}

TEST_CASE("remote keys: a broken connection after the first fetch keeps the cached keys",
          "[remote_keys]") {
  Setup s;
  REQUIRE(s.keys.keys());
  const auto hook = s.webhook();
  postal::Error reset;
  reset.code = ErrorCode::Transport;
  reset.message = "connection reset";
  s.fake->fail_next(reset);  // the loopback server aborts the response
  const auto refreshed = s.keys.refresh();
  REQUIRE(!refreshed);
  CHECK(refreshed.error().code == ErrorCode::Transport);
  CHECK(s.keys.verify(hook.body, hook.headers));
  CHECK(s.jwks_requests() == 2);
}

TEST_CASE("remote keys: an expired cache is fetched again, and kept if that fails",
          "[remote_keys]") {
  Setup s;
  REQUIRE(s.keys.keys());
  s.clock.advance(24 * 3600);
  REQUIRE(s.keys.keys());
  CHECK(s.jwks_requests() == 2);
  s.clock.advance(24 * 3600);
  s.fake->fail_next(postal::HttpResponse{500, {}, "oops"});
  CHECK(s.keys.keys());
  CHECK(s.jwks_requests() == 3);
}

TEST_CASE("remote keys: a JWKS endpoint answering 500 is an Http error", "[remote_keys]") {
  Setup s;
  s.fake->fail_next(postal::HttpResponse{500, {}, "Internal Server Error"});
  const auto keys = s.keys.keys();
  REQUIRE(!keys);
  CHECK(keys.error().code == ErrorCode::Http);
  CHECK(keys.error().http_status == 500);
  CHECK(keys.error().body == "Internal Server Error");
}

TEST_CASE("remote keys: a JWKS endpoint answering something other than a JWKS is a Decode error",
          "[remote_keys]") {
  Setup s;
  postal::HttpResponse page{200, {}, "<html>Welcome to nginx!</html>"};
  page.headers.set("Content-Type", "text/html");
  s.fake->fail_next(page);
  const auto hook = s.webhook();
  const auto event = s.keys.verify_and_parse(hook.body, hook.headers);
  REQUIRE(!event);
  CHECK(event.error().code == ErrorCode::Decode);
  CHECK(event.error().http_status == 200);
}

TEST_CASE("remote keys: a JWKS without an RSA signing key is a Decode error", "[remote_keys]") {
  Setup s;
  s.fake->fail_next(postal::HttpResponse{200, {}, R"({"keys":[]})"});
  const auto keys = s.keys.keys();
  REQUIRE(!keys);
  CHECK(keys.error().code == ErrorCode::Decode);
}

TEST_CASE("remote keys: while no key was fetched, attempts are spaced by retry_interval",
          "[remote_keys]") {
  Setup s;
  s.fake->fail_next(postal::HttpResponse{502, {}, "Bad Gateway"});
  CHECK(s.keys.keys().error().code == ErrorCode::Http);
  CHECK(s.keys.keys().error().code == ErrorCode::Http);  // the same error, no new request
  CHECK(s.jwks_requests() == 1);
  s.clock.advance(10);
  CHECK(s.keys.keys());
  CHECK(s.jwks_requests() == 2);
}

TEST_CASE("remote keys: plain http to a non-loopback host is rejected with InvalidArgument",
          "[remote_keys]") {
  auto fake = std::make_shared<FakePostal>();
  for (const char* url :
       {"http://postal.example.com/.well-known/jwks.json",
        "http://127.0.0.1.evil.test/.well-known/jwks.json", "http://10.0.0.1/.well-known/jwks.json",
        "http://evil.test/?host=127.0.0.1", "ftp://postal.example.com/jwks.json",
        "postal.example.com/.well-known/jwks.json"}) {
    RemoteKeySet keys(fake, url);
    INFO(url);
    CHECK(keys.keys().error().code == ErrorCode::InvalidArgument);
    CHECK(keys.refresh().error().code == ErrorCode::InvalidArgument);
  }
  CHECK(fake->request_count() == 0);
}

TEST_CASE("remote keys: a JWKS URL with credentials is rejected with InvalidArgument",
          "[remote_keys]") {
  auto fake = std::make_shared<FakePostal>();
  for (const char* url : {"http://localhost@evil.test/.well-known/jwks.json",
                          "https://admin:s3cr3t@postal.example.com/.well-known/jwks.json",
                          "https://admin:s3cr3t/pass@postal.example.com/.well-known/jwks.json"}) {
    RemoteKeySet keys(fake, url);
    INFO(url);
    CHECK(keys.keys().error().code == ErrorCode::InvalidArgument);
    CHECK(keys.keys().error().message.find("s3cr3t") == std::string::npos);
    CHECK(keys.refresh().error().describe().find("s3cr3t") == std::string::npos);
  }
  CHECK(fake->request_count() == 0);
}

TEST_CASE("remote keys: a JWKS URL without a host, with a bad port or IPv6 address is rejected",
          "[remote_keys]") {
  // The same reading of host and port as ClientOptions::base_url (detail::split_host_port).
  auto fake = std::make_shared<FakePostal>();
  const std::pair<const char*, const char*> cases[] = {
      {"https:///.well-known/jwks.json", "it has no host"},
      {"https://postal.example.com:0/.well-known/jwks.json", "port must be a number"},
      {"https://postal.example.com:65536/jwks.json", "port must be a number"},
      {"https://postal.example.com:/jwks.json", "port must be a number"},
      {"http://127.0.0.1:80a/jwks.json", "port must be a number"},
      {"http://[::1/jwks.json", "no closing ]"},
      {"http://[::1]5000/jwks.json", "text after the IPv6 address"},
      {"https://[]/jwks.json", "IPv6 address is not one"},
      {"https://]/jwks.json", "bracket outside"}};
  for (const auto& [url, why] : cases) {
    RemoteKeySet keys(fake, url);
    INFO(url);
    REQUIRE_FALSE(keys.keys());
    CHECK(keys.keys().error().code == ErrorCode::InvalidArgument);
    CHECK(keys.keys().error().message.find(why) != std::string::npos);
  }
  CHECK(fake->request_count() == 0);
}

TEST_CASE("remote keys: https and plain http to loopback hosts are accepted", "[remote_keys]") {
  auto fake = std::make_shared<FakePostal>();
  fake->set_signing_key(private_key(0));
  for (const char* url :
       {"https://postal.example.com/.well-known/jwks.json",
        "HTTPS://postal.example.com:8443/.well-known/jwks.json",
        "http://127.0.0.1:8080/.well-known/jwks.json", "http://localhost/.well-known/jwks.json",
        "http://[::1]:5000/.well-known/jwks.json"}) {
    RemoteKeySet keys(fake, url);
    INFO(url);
    CHECK(keys.keys());
  }
}

TEST_CASE("remote keys: for_server appends /.well-known/jwks.json to the base URL",
          "[remote_keys]") {
  CHECK(RemoteKeySet::for_server(nullptr, "https://postal.example.com/").url() ==
        "https://postal.example.com/.well-known/jwks.json");
  CHECK(RemoteKeySet::for_server(nullptr, "https://example.com/postal").url() ==
        "https://example.com/postal/.well-known/jwks.json");
  Setup s;
  RemoteKeySet keys = RemoteKeySet::for_server(postal::make_curl_transport(), s.server.base_url());
  const auto hook = s.webhook();
  CHECK(keys.verify(hook.body, hook.headers));
}

TEST_CASE("remote keys: copies share one cache", "[remote_keys]") {
  Setup s;
  RemoteKeySet copy = s.keys;
  REQUIRE(s.keys.keys());
  REQUIRE(copy.keys());
  CHECK(s.jwks_requests() == 1);
}
