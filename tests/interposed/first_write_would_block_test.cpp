// A request whose first write to the socket would block (send() fails with EAGAIN, and libcurl
// sends it a moment later) has still reached the server: a failure after that is MaybeSent, and
// the send is not retried. libcurl 7.88 leaves such a request out of CURLINFO_REQUEST_SIZE, which
// once made a timeout after it read as "nothing written": NotSent, retried, the mail sent twice.
//
// This program defines send() itself, ahead of libc's (the executable's symbols come first for
// libcurl too), and makes the first write to the armed port fail once with EAGAIN.
#include "support/catch.hpp"
#include "support/fake_clock.hpp"
#include "support/raw_http_server.hpp"

#include <postal/postal.hpp>

#include <arpa/inet.h>
#include <dlfcn.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <string>
#include <vector>

namespace {

std::atomic<int> armed_port{0};      // the next write to this peer port fails with EAGAIN
std::atomic<int> writes_refused{0};  // how many writes were made to fail

int peer_port(int fd) {
  sockaddr_storage peer{};
  socklen_t length = sizeof peer;
  if (getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &length) != 0) return -1;
  if (peer.ss_family == AF_INET) return ntohs(reinterpret_cast<sockaddr_in*>(&peer)->sin_port);
  if (peer.ss_family == AF_INET6) return ntohs(reinterpret_cast<sockaddr_in6*>(&peer)->sin6_port);
  return -1;
}

}  // namespace

extern "C" ssize_t send(int fd, const void* buffer, size_t length, int flags) {
  using Send = ssize_t (*)(int, const void*, size_t, int);
  static const auto real = reinterpret_cast<Send>(dlsym(RTLD_NEXT, "send"));
  int port = armed_port.load();
  if (port != 0 && peer_port(fd) == port && armed_port.compare_exchange_strong(port, 0)) {
    ++writes_refused;
    errno = EAGAIN;
    return -1;
  }
  return real(fd, buffer, length, flags);
}

namespace {

using namespace std::chrono_literals;
using postal::ErrorCode;
using postal::SendState;
using postal_support::RawHttpServer;
using Mode = RawHttpServer::Mode;

postal::SendMessageRequest message() {
  postal::SendMessageRequest m;
  m.to = {"rachel@example.com"};
  m.from = "app@example.com";
  m.plain_body = "Hello";
  return m;
}

// A client of `server` whose retries wait on a fake clock (no real sleeping); every attempt
// times out after `timeout` of real time.
postal::Client client_of(const RawHttpServer& server, const postal_test::FakeClock& clock,
                         std::chrono::milliseconds timeout) {
  postal::ClientOptions options;
  options.base_url = server.url("");
  options.api_key = "SENTINEL-api-key-5f0c1e2d9b8a7364";
  options.timeout = timeout;
  options.retry = clock.retry_options();
  return postal::Client(options);
}

void arm(const RawHttpServer& server) {
  writes_refused = 0;
  armed_port = server.port();
}

}  // namespace

namespace {

// Sends `request` through a new curl transport, its first write refused once: it must time out
// MaybeSent, after exactly one request reached the server.
void check_timeout_after_blocked_write(postal::HttpRequest request) {
  RawHttpServer server(Mode::NeverAnswer, std::string());
  arm(server);
  request.url = server.url(request.url);
  request.timeout = 500ms;
  auto reply = postal::make_curl_transport()->send(request);
  REQUIRE(writes_refused == 1);  // the EAGAIN happened: otherwise this test proves nothing
  REQUIRE_FALSE(reply.has_value());
  CHECK(reply.error().code == ErrorCode::Timeout);
  CHECK(reply.error().send_state == SendState::MaybeSent);
  CHECK(server.request_count() == 1);
}

}  // namespace

TEST_CASE("first write would block: the transport's timeout afterwards is MaybeSent") {
  postal::HttpRequest request;
  request.method = "POST";
  request.url = "/api/v1/send/message";
  request.headers = {{"Content-Type", "application/json"}};
  request.body = R"({"to":["rachel@example.com"],"from":"app@example.com"})";
  check_timeout_after_blocked_write(request);
}

TEST_CASE("first write would block: send_message times out MaybeSent and is not sent again") {
  RawHttpServer server(Mode::NeverAnswer, std::string());
  postal_test::FakeClock clock;
  const postal::Client client = client_of(server, clock, 500ms);
  arm(server);
  auto sent = client.send_message(message());
  REQUIRE(writes_refused == 1);
  REQUIRE_FALSE(sent.has_value());
  CHECK(sent.error().code == ErrorCode::Timeout);
  CHECK(sent.error().send_state == SendState::MaybeSent);
  CHECK(sent.error().attempts == 1);
  CHECK(server.request_count() == 1);
  CHECK(clock.sleeps().empty());
}

TEST_CASE("first write would block: a send_many item times out MaybeSent and is not sent again") {
  RawHttpServer server(Mode::NeverAnswer, std::string());
  postal_test::FakeClock clock;
  const postal::Client client = client_of(server, clock, 500ms);
  arm(server);
  auto results = client.send_many(std::vector<postal::SendMessageRequest>{message()});
  REQUIRE(writes_refused == 1);
  REQUIRE(results.size() == 1);
  REQUIRE_FALSE(results[0].has_value());
  CHECK(results[0].error().code == ErrorCode::Timeout);
  CHECK(results[0].error().send_state == SendState::MaybeSent);
  CHECK(server.request_count() == 1);
  CHECK(clock.sleeps().empty());
}

TEST_CASE("first write would block: a body-less DELETE's timeout afterwards is MaybeSent") {
  // Not a POST: no body for libcurl to count either. The pre-request callback still marks it
  // as written, so a caller is not told that a DELETE which reached the server never left.
  postal::HttpRequest request;
  request.method = "DELETE";
  request.url = "/api/v1/things/1";
  check_timeout_after_blocked_write(request);
}
