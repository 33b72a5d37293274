// The libcurl transport over real loopback TCP: what reaches the server, what comes back, and how
// each kind of network failure is reported (ErrorCode and SendState).
#include "support/catch.hpp"
#include "support/raw_http_server.hpp"

#include <postal/transport.hpp>
#include <postal/version.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdlib>
#include <memory>
#include <new>
#include <string>
#include <thread>
#include <utility>
#include <vector>

// Allocation failure injection, for this test program only: when it is >= 0 on a thread, that
// many more operator new calls succeed there and the next one throws std::bad_alloc (once).
// Every non-aligned form is replaced, so that all of them share one allocator (sanitizers check
// that a block goes back to the family it came from).
thread_local long g_allocations_before_failure = -1;

// GCC >= 11 sees free() on a block from operator new once these are inlined (-O2); here both
// sides are malloc/free by construction.
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 11
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
void* operator new(std::size_t size) {
  if (g_allocations_before_failure >= 0 && g_allocations_before_failure-- == 0)
    throw std::bad_alloc();
  if (void* block = std::malloc(size == 0 ? 1 : size)) return block;
  throw std::bad_alloc();
}
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  try {
    return operator new(size);
  } catch (...) {
    return nullptr;
  }
}
void* operator new[](std::size_t size) { return operator new(size); }
void* operator new[](std::size_t size, const std::nothrow_t& tag) noexcept {
  return operator new(size, tag);
}
void operator delete(void* block) noexcept { std::free(block); }
void operator delete(void* block, std::size_t) noexcept { std::free(block); }
void operator delete(void* block, const std::nothrow_t&) noexcept { std::free(block); }
void operator delete[](void* block) noexcept { std::free(block); }
void operator delete[](void* block, std::size_t) noexcept { std::free(block); }
void operator delete[](void* block, const std::nothrow_t&) noexcept { std::free(block); }
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 11
#pragma GCC diagnostic pop
#endif

namespace {

using postal::ErrorCode;
using postal::HttpRequest;
using postal::SendState;
using postal_support::FullBacklogListener;
using postal_support::RawHttpServer;
using Mode = RawHttpServer::Mode;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// Stands for the API key: it must never show up in an error message.
const std::string kApiKey = "SENTINEL-api-key-5f0c1e2d9b8a7364";

HttpRequest post_to(const std::string& url, std::chrono::milliseconds timeout = 10s) {
  HttpRequest request;
  request.method = "POST";
  request.url = url;
  request.headers = {{"Content-Type", "application/json"}, {"X-Server-API-Key", kApiKey}};
  request.body = R"({"to":["rachel@example.com"],"from":"app@example.com"})";
  request.timeout = timeout;
  return request;
}

// post_to's request, as a POST or as a GET (without the body).
HttpRequest post_or_get(const std::string& url, const std::string& method) {
  HttpRequest request = post_to(url);
  request.method = method;
  if (method == "GET") request.body.clear();
  return request;
}

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// The value of a header line in a raw request, or "" when absent (first match, exact name).
std::string raw_header(const std::string& raw_request, const std::string& name) {
  const std::string key = "\r\n" + name + ": ";
  const auto at = raw_request.find(key);
  if (at == std::string::npos) return std::string();
  const auto start = at + key.size();
  return raw_request.substr(start, raw_request.find("\r\n", start) - start);
}

// An echo server: the body of each reply is the request-target.
std::string echo_target(const std::string& raw_request) {
  return RawHttpServer::response(200, RawHttpServer::target_of(raw_request));
}

}  // namespace

TEST_CASE("curl transport: a 200 response returns its status, headers and body") {
  RawHttpServer server(
      Mode::ReplyAndClose,
      RawHttpServer::response(200, R"({"status":"success"})",
                              {{"Content-Type", "application/json"}, {"X-Request-Id", "abc-123"}}));
  auto reply = postal::make_curl_transport()->send(post_to(server.url("/api/v1/send/message")));
  REQUIRE(reply.has_value());
  CHECK(reply->status == 200);
  CHECK(reply->body == R"({"status":"success"})");
  CHECK(reply->headers.get("content-type") == "application/json");
  CHECK(reply->headers.get("X-Request-Id") == "abc-123");
  CHECK(reply->headers.get("Content-Length") == "20");
}

TEST_CASE(
    "curl transport: the request's method, target, body and headers reach the server exactly") {
  RawHttpServer server(Mode::ReplyAndClose, RawHttpServer::response(200, "{}"));
  HttpRequest request = post_to(server.url("/api/v1/send/message?x=1"));
  request.headers.add("X-Custom", "a value; with = signs");
  request.headers.add("X-Empty", "");
  request.body = std::string("{\"plain_body\":\"caf\xC3\xA9\"}\0tail", 27);
  REQUIRE(postal::make_curl_transport()->send(request).has_value());

  REQUIRE(server.request_count() == 1);
  const std::string raw = server.requests().front();
  CHECK(raw.rfind("POST /api/v1/send/message?x=1 HTTP/1.1\r\n", 0) == 0);
  CHECK(raw_header(raw, "Content-Type") == "application/json");
  CHECK(raw_header(raw, "X-Server-API-Key") == kApiKey);
  CHECK(raw_header(raw, "X-Custom") == "a value; with = signs");
  CHECK(raw.find("\r\nX-Empty:") != std::string::npos);
  CHECK(raw_header(raw, "Content-Length") == std::to_string(request.body.size()));
  CHECK(RawHttpServer::body_of(raw) == request.body);
}

TEST_CASE("curl transport: the default User-Agent is postal-cpp/<version>") {
  RawHttpServer server(Mode::ReplyAndClose, RawHttpServer::response(200, "{}"));
  REQUIRE(postal::make_curl_transport()->send(post_to(server.url())).has_value());
  REQUIRE(server.request_count() == 1);
  CHECK(raw_header(server.requests().front(), "User-Agent") ==
        std::string("postal-cpp/") + POSTAL_VERSION_STRING);
}

TEST_CASE("curl transport: a request's own User-Agent replaces the default") {
  RawHttpServer server(Mode::ReplyAndClose, RawHttpServer::response(200, "{}"));
  HttpRequest request = post_to(server.url());
  request.headers.set("User-Agent", "my-app/2.0");
  REQUIRE(postal::make_curl_transport()->send(request).has_value());
  REQUIRE(server.request_count() == 1);
  const std::string raw = server.requests().front();
  CHECK(raw_header(raw, "User-Agent") == "my-app/2.0");
  CHECK(raw.find("postal-cpp/") == std::string::npos);
}

TEST_CASE(
    "curl transport: a large body is sent at once, without Expect: 100-continue or a default "
    "Content-Type") {
  RawHttpServer server(Mode::ReplyAndClose, RawHttpServer::response(200, "{}"));
  HttpRequest request = post_to(server.url());
  request.headers.erase("Content-Type");
  request.body.assign(300000, 'x');
  REQUIRE(postal::make_curl_transport()->send(request).has_value());
  REQUIRE(server.request_count() == 1);
  const std::string raw = server.requests().front();
  CHECK(raw.find("\r\nExpect:") == std::string::npos);
  CHECK(raw.find("\r\nContent-Type:") == std::string::npos);
  CHECK(RawHttpServer::body_of(raw) == request.body);
}

TEST_CASE("curl transport: methods other than POST are sent as given") {
  RawHttpServer server(Mode::KeepAlive, RawHttpServer::response(200, "{}"));
  auto transport = postal::make_curl_transport();
  HttpRequest get = post_to(server.url("/get"));
  get.method = "GET";
  get.body.clear();
  HttpRequest remove = post_to(server.url("/delete"));
  remove.method = "DELETE";
  REQUIRE(transport->send(get).has_value());
  REQUIRE(transport->send(remove).has_value());
  const auto raw = server.requests();
  REQUIRE(raw.size() == 2);
  CHECK(raw[0].rfind("GET /get HTTP/1.1\r\n", 0) == 0);
  CHECK(raw[1].rfind("DELETE /delete HTTP/1.1\r\n", 0) == 0);
  CHECK(RawHttpServer::body_of(raw[1]) == remove.body);
}

TEST_CASE("curl transport: a refused connection is a Transport error that was not sent") {
  const int port = RawHttpServer::refused_port();
  const auto start = Clock::now();
  auto reply = postal::make_curl_transport()->send(
      post_to("http://127.0.0.1:" + std::to_string(port) + "/api/v1/send/message"));
  CHECK(seconds_since(start) < 2.0);
  REQUIRE_FALSE(reply.has_value());
  CHECK(reply.error().code == ErrorCode::Transport);
  CHECK(reply.error().send_state == SendState::NotSent);
  CHECK(reply.error().http_status == 0);
  CHECK(reply.error().message.find("127.0.0.1") != std::string::npos);
}

TEST_CASE(
    "curl transport: a server that never answers times out at the request deadline, maybe sent") {
  RawHttpServer server(Mode::NeverAnswer, std::string());
  const auto start = Clock::now();
  auto reply = postal::make_curl_transport()->send(post_to(server.url(), 1s));
  const double elapsed = seconds_since(start);
  CHECK(elapsed >= 0.9);
  CHECK(elapsed < 2.0);
  REQUIRE_FALSE(reply.has_value());
  CHECK(reply.error().code == ErrorCode::Timeout);
  CHECK(reply.error().send_state == SendState::MaybeSent);
  CHECK(reply.error().http_status == 0);
  CHECK(server.request_count() == 1);
}

TEST_CASE(
    "curl transport: a connect timeout, before any byte was written, is a Timeout that was not "
    "sent") {
  FullBacklogListener listener;
  postal::CurlOptions options;
  options.connect_timeout = 300ms;
  const auto start = Clock::now();
  auto reply = postal::make_curl_transport(options)->send(post_to(listener.url(), 5s));
  CHECK(seconds_since(start) < 2.0);
  REQUIRE_FALSE(reply.has_value());
  CHECK(reply.error().code == ErrorCode::Timeout);
  CHECK(reply.error().send_state == SendState::NotSent);
}

TEST_CASE("curl transport: a URL libcurl cannot read is an InvalidArgument, not sent") {
  for (const std::string url : {"http://[zz]:8080/api/v1/send/message",
                                "http://postal.example.com:8080:8080/api/v1/send/message"}) {
    auto reply = postal::make_curl_transport()->send(post_to(url));
    REQUIRE_FALSE(reply.has_value());
    CHECK(reply.error().code == ErrorCode::InvalidArgument);  // not retried: it cannot pass
    CHECK(reply.error().send_state == SendState::NotSent);
  }
}

TEST_CASE("curl transport: HTTP 500 and 502 with HTML bodies are responses, not errors") {
  const std::string page500 = "<html><body><h1>Internal Server Error</h1></body></html>";
  const std::string page502 = "<html><head><title>502 Bad Gateway</title></head></html>";
  RawHttpServer error500(Mode::ReplyAndClose,
                         RawHttpServer::response(500, page500, {{"Content-Type", "text/html"}}));
  RawHttpServer error502(Mode::ReplyAndClose,
                         RawHttpServer::response(502, page502, {{"Content-Type", "text/html"}}));
  auto transport = postal::make_curl_transport();

  auto first = transport->send(post_to(error500.url()));
  REQUIRE(first.has_value());
  CHECK(first->status == 500);
  CHECK(first->body == page500);
  CHECK(first->headers.get("Content-Type") == "text/html");

  auto second = transport->send(post_to(error502.url()));
  REQUIRE(second.has_value());
  CHECK(second->status == 502);
  CHECK(second->body == page502);
}

TEST_CASE(
    "curl transport: a body cut short by a closed connection is a Transport error, maybe sent") {
  RawHttpServer server(Mode::ReplyAndClose,
                       "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n0123456789");
  auto reply = postal::make_curl_transport()->send(post_to(server.url()));
  REQUIRE_FALSE(reply.has_value());
  CHECK(reply.error().code == ErrorCode::Transport);
  CHECK(reply.error().send_state == SendState::MaybeSent);
  CHECK(reply.error().http_status == 0);
}

TEST_CASE(
    "curl transport: a connection closed without any response is a Transport error, maybe sent") {
  RawHttpServer server(Mode::ReplyAndClose, std::string());
  auto reply = postal::make_curl_transport()->send(post_to(server.url()));
  REQUIRE_FALSE(reply.has_value());
  CHECK(reply.error().code == ErrorCode::Transport);
  CHECK(reply.error().send_state == SendState::MaybeSent);
}

TEST_CASE("curl transport: a 302 redirect is returned as is and never followed") {
  RawHttpServer target(Mode::KeepAlive, RawHttpServer::response(200, "{}"));
  RawHttpServer redirector(
      Mode::ReplyAndClose,
      RawHttpServer::response(302, "", {{"Location", target.url("/api/v1/send/message")}}));
  auto reply = postal::make_curl_transport()->send(post_to(redirector.url()));
  REQUIRE(reply.has_value());
  CHECK(reply->status == 302);
  CHECK(reply->headers.get("Location") == target.url("/api/v1/send/message"));
  CHECK(target.connections() == 0);
}

TEST_CASE(
    "curl transport: an interim 100 Continue is skipped: status and headers are the final "
    "response's") {
  RawHttpServer server(Mode::ReplyAndClose,
                       "HTTP/1.1 100 Continue\r\nX-Interim: yes\r\n\r\n" +
                           RawHttpServer::response(200, "done", {{"X-Final", "yes"}}));
  auto reply = postal::make_curl_transport()->send(post_to(server.url()));
  REQUIRE(reply.has_value());
  CHECK(reply->status == 200);
  CHECK(reply->body == "done");
  CHECK(reply->headers.get("X-Final") == "yes");
  CHECK_FALSE(reply->headers.contains("X-Interim"));
}

TEST_CASE(
    "curl transport: response header lines are read as RFC 9112 says: folded values joined, "
    "names and values trimmed, a field without a name skipped") {
  // libcurl itself refuses a line without a colon, and (7.88) a folded line before any field;
  // fuzz/response_head_fuzz.cpp covers those in the reader.
  RawHttpServer server(Mode::ReplyAndClose,
                       "HTTP/1.1 503 Service Unavailable\r\n"
                       "Retry-After:   120 \t\r\n"
                       "X-Folded: first\r\n"
                       "   second\r\n"
                       "\tthird\r\n"
                       "X-Empty-Then-Folded:\r\n"
                       " only\r\n"
                       ": a value without a name\r\n"
                       "X-Colons: a:b:c\r\n"
                       "Content-Length: 2\r\n"
                       "\r\n"
                       "no");
  auto reply = postal::make_curl_transport()->send(post_to(server.url()));
  INFO((reply ? std::string() : reply.error().message));
  REQUIRE(reply.has_value());
  CHECK(reply->status == 503);
  CHECK(reply->body == "no");
  const std::vector<std::pair<std::string, std::string>> expected{
      {"Retry-After", "120"},
      {"X-Folded", "first second third"},
      {"X-Empty-Then-Folded", "only"},
      {"X-Colons", "a:b:c"},
      {"Content-Length", "2"}};
  CHECK(std::vector<std::pair<std::string, std::string>>(reply->headers.begin(),
                                                         reply->headers.end()) == expected);
}

TEST_CASE("curl transport: a 200 body that is not JSON is returned byte for byte") {
  const std::string body = std::string("<html>not json\0\xff\r\n</html>", 24);
  RawHttpServer server(Mode::ReplyAndClose,
                       RawHttpServer::response(200, body, {{"Content-Type", "text/html"}}));
  auto reply = postal::make_curl_transport()->send(post_to(server.url()));
  REQUIRE(reply.has_value());
  CHECK(reply->status == 200);
  CHECK(reply->body == body);
}

TEST_CASE("curl transport: sequential requests reuse one keep-alive connection") {
  RawHttpServer server(Mode::KeepAlive, echo_target);
  auto transport = postal::make_curl_transport();
  for (int i = 0; i < 20; ++i) {
    const std::string path = "/request/" + std::to_string(i);
    auto reply = transport->send(post_to(server.url(path)));
    REQUIRE(reply.has_value());
    REQUIRE(reply->body == path);
  }
  CHECK(server.request_count() == 20);
  CHECK(server.connections() == 1);
}

TEST_CASE("curl transport: with max_idle_connections 0 no connection is kept between requests") {
  RawHttpServer server(Mode::KeepAlive, echo_target);
  postal::CurlOptions options;
  options.max_idle_connections = 0;
  auto transport = postal::make_curl_transport(options);
  for (int i = 0; i < 3; ++i) REQUIRE(transport->send(post_to(server.url())).has_value());
  CHECK(server.connections() == 3);
}

TEST_CASE("curl transport: many threads can send through one transport at once") {
  RawHttpServer server(Mode::KeepAlive, echo_target);
  auto transport = postal::make_curl_transport();
  std::atomic<int> succeeded{0};
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        const std::string path = "/thread/" + std::to_string(t) + "/" + std::to_string(i);
        HttpRequest request = post_to(server.url(path));
        // Each thread its own key: the transport's shared header list must not mix them up.
        request.headers.set("X-Server-API-Key", "key-of-thread-" + std::to_string(t));
        auto reply = transport->send(request);
        if (reply.has_value() && reply->status == 200 && reply->body == path)
          ++succeeded;
        else
          ++wrong;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  CHECK(wrong.load() == 0);
  CHECK(succeeded.load() == 400);
  CHECK(server.request_count() == 400);
  CHECK(server.connections() <= 8 + 16);  // one per thread at a time, plus idle ones replaced
  int mixed_up = 0;
  for (const std::string& raw : server.requests()) {
    const auto thread = raw.substr(raw.find("/thread/") + 8, 1);
    const auto head = raw.substr(0, raw.find("\r\n\r\n") + 2);
    const std::string key = "X-Server-API-Key: key-of-thread-" + thread + "\r\n";
    if (head.find(key) == std::string::npos ||
        head.find("X-Server-API-Key:") != head.rfind("X-Server-API-Key:"))
      ++mixed_up;
  }
  CHECK(mixed_up == 0);
}

TEST_CASE("curl transport: send_all returns results in input order, with per-request errors") {
  RawHttpServer server(Mode::KeepAlive, echo_target);
  const std::string refused = "http://127.0.0.1:" + std::to_string(RawHttpServer::refused_port());
  std::vector<HttpRequest> requests;
  for (int i = 0; i < 100; ++i) {
    const std::string path = "/item/" + std::to_string(i);
    requests.push_back(post_to((i % 7 == 3 ? refused : server.url("")) + path));
  }
  auto results = postal::make_curl_transport()->send_all(requests, 8);

  REQUIRE(results.size() == requests.size());
  for (int i = 0; i < 100; ++i) {
    INFO("request " << i);
    const auto& result = results[static_cast<std::size_t>(i)];
    if (i % 7 == 3) {
      REQUIRE_FALSE(result.has_value());
      CHECK(result.error().code == ErrorCode::Transport);
      CHECK(result.error().send_state == SendState::NotSent);
    } else {
      REQUIRE(result.has_value());
      CHECK(result->status == 200);
      CHECK(result->body == "/item/" + std::to_string(i));
    }
  }
  CHECK(server.request_count() == 86);
  CHECK(server.max_concurrent_connections() <= 8);
}

TEST_CASE("curl transport: send_all runs one request at a time when max_in_flight is 0 or 1") {
  RawHttpServer server(Mode::KeepAlive, echo_target);
  std::vector<HttpRequest> requests;
  for (int i = 0; i < 5; ++i) requests.push_back(post_to(server.url("/" + std::to_string(i))));
  auto transport = postal::make_curl_transport();
  for (std::size_t limit : {std::size_t{0}, std::size_t{1}}) {
    auto results = transport->send_all(requests, limit);
    REQUIRE(results.size() == 5);
    for (std::size_t i = 0; i < 5; ++i) {
      REQUIRE(results[i].has_value());
      CHECK(results[i]->body == "/" + std::to_string(i));
    }
  }
  CHECK(server.max_concurrent_connections() == 1);
  CHECK(server.connections() == 1);  // kept alive within and across batches
  CHECK(transport->send_all({}, 4).empty());
}

TEST_CASE("curl transport: send_all times out a silent server at each request's deadline") {
  RawHttpServer silent(Mode::NeverAnswer, std::string());
  RawHttpServer server(Mode::KeepAlive, echo_target);
  const std::vector<HttpRequest> requests = {post_to(silent.url(), 500ms),
                                             post_to(server.url("/fast"), 5s)};
  const auto start = Clock::now();
  auto results = postal::make_curl_transport()->send_all(requests, 2);
  CHECK(seconds_since(start) < 2.0);
  REQUIRE(results.size() == 2);
  REQUIRE_FALSE(results[0].has_value());
  CHECK(results[0].error().code == ErrorCode::Timeout);
  CHECK(results[0].error().send_state == SendState::MaybeSent);
  REQUIRE(results[1].has_value());
  CHECK(results[1]->body == "/fast");
}

TEST_CASE(
    "curl transport: an https URL to a plain HTTP port fails the TLS handshake and is not sent") {
  RawHttpServer server(Mode::SpeakFirst, RawHttpServer::response(400, "plain HTTP here"));
  const std::string url = "https://127.0.0.1:" + std::to_string(server.port()) + "/";
  auto reply = postal::make_curl_transport()->send(post_to(url));
  REQUIRE_FALSE(reply.has_value());
  CHECK(reply.error().code == ErrorCode::Transport);
  CHECK(reply.error().send_state == SendState::NotSent);
  CHECK(server.request_count() == 0);
}

TEST_CASE("curl transport: TLS verification of peer and host is on by default") {
  const postal::CurlOptions options;
  CHECK(options.verify_peer);
  CHECK(options.verify_host);
  CHECK(options.proxy.empty());
  CHECK(options.max_response_bytes == std::size_t{64} << 20);
  CHECK(options.max_idle_time > 0s);
}

TEST_CASE(
    "curl transport: a header value or URL with a line break or NUL is rejected before anything "
    "is sent") {
  RawHttpServer server(Mode::KeepAlive, RawHttpServer::response(200, "{}"));
  HttpRequest request = post_to(server.url());
  // A NUL would cut the header line short where libcurl copies it as a C string.
  SECTION("CRLF in a header value") { request.headers.add("X-Injected", "x\r\nX-Evil: 1"); }
  SECTION("NUL in a header value") {
    request.headers.add("X-Injected", std::string("key\0rest", 8));
  }
  SECTION("LF in the URL") { request.url += "\nX-Evil: 1"; }
  SECTION("NUL in the URL") { request.url += std::string("\0/other", 7); }
  auto reply = postal::make_curl_transport()->send(request);
  REQUIRE_FALSE(reply.has_value());
  CHECK(reply.error().code == ErrorCode::InvalidArgument);
  CHECK(reply.error().send_state == SendState::NotSent);
  CHECK(server.connections() == 0);
}

TEST_CASE(
    "curl transport: the header list kept from the last request lets no unchecked field through") {
  // The transport keeps the header list it built last and skips checking fields it was built
  // for; any other fields, however close to those, are checked again.
  RawHttpServer server(Mode::KeepAlive, RawHttpServer::response(200, "{}"));
  auto transport = postal::make_curl_transport();
  HttpRequest valid = post_to(server.url());
  valid.headers.add("X-Injected", "x");
  REQUIRE(transport->send(valid).has_value());  // its list is now the one kept

  HttpRequest bad = post_to(server.url());
  SECTION("the same name, a value with CRLF") { bad.headers.add("X-Injected", "x\r\nX-Evil: 1"); }
  SECTION("the same value, an invalid name") { bad.headers.add("X Injected", "x"); }
  SECTION("one more field, with a line break") {
    bad.headers.add("X-Injected", "x");
    bad.headers.add("X-More", "y\n");
  }
  auto rejected = [&](const HttpRequest& request) {
    auto reply = transport->send(request);
    REQUIRE_FALSE(reply.has_value());
    CHECK(reply.error().code == ErrorCode::InvalidArgument);
    CHECK(reply.error().send_state == SendState::NotSent);
  };
  rejected(bad);
  REQUIRE(transport->send(valid).has_value());  // the kept list still serves its own fields
  // With fields the kept list matches, the rest of the request is still checked.
  HttpRequest bad_url = valid;
  bad_url.url += "\nX-Evil: 1";
  rejected(bad_url);
  HttpRequest bad_method = valid;
  bad_method.method = "PO ST";
  rejected(bad_method);
  const auto received = server.requests();
  CHECK(received.size() == 2);
  for (const auto& raw : received) CHECK(raw.find("X-Evil") == std::string::npos);
}

TEST_CASE("curl transport: the API key in a request header never appears in an error message") {
  auto transport = postal::make_curl_transport();
  const std::string refused = "http://127.0.0.1:" + std::to_string(RawHttpServer::refused_port());
  RawHttpServer silent(Mode::NeverAnswer, std::string());
  RawHttpServer truncated(Mode::ReplyAndClose,
                          "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n0123456789");
  RawHttpServer hangup(Mode::ReplyAndClose, std::string());
  RawHttpServer plain(Mode::SpeakFirst, RawHttpServer::response(400, "plain"));
  HttpRequest injected = post_to(refused);
  injected.headers.add("X-Other", kApiKey + "\n");

  std::vector<postal::Error> errors;
  auto collect = [&](const postal::Result<postal::HttpResponse>& reply) {
    REQUIRE_FALSE(reply.has_value());
    errors.push_back(reply.error());
  };
  collect(transport->send(post_to(refused + "/a")));
  collect(transport->send(post_to(silent.url(), 200ms)));
  collect(transport->send(post_to(truncated.url())));
  collect(transport->send(post_to(hangup.url())));
  collect(transport->send(post_to("https://127.0.0.1:" + std::to_string(plain.port()))));
  collect(transport->send(injected));
  collect(transport->send(post_to("http://user:" + kApiKey + "@127.0.0.1:1/")));
  for (const auto& result : transport->send_all({post_to(refused), post_to(truncated.url())}, 2))
    collect(result);

  REQUIRE(errors.size() == 9);
  for (const auto& error : errors) {
    INFO(error.describe());
    CHECK_FALSE(error.message.empty());
    CHECK(error.describe().find(kApiKey) == std::string::npos);
    CHECK(error.describe().find("SENTINEL") == std::string::npos);
  }
}

TEST_CASE("curl transport: a header value that libcurl's own message would quote is redacted") {
  // The host name equals a header value, and curl's text names the host it could not resolve.
  const std::string host = "sentinel-api-key-5f0c1e2d9b8a7364.invalid";
  HttpRequest request = post_to("http://" + host + "/", 5s);
  request.headers.set("X-Server-API-Key", host);
  auto reply = postal::make_curl_transport()->send(request);
  REQUIRE_FALSE(reply.has_value());
  INFO(reply.error().describe());
  CHECK(reply.error().describe().find(host) == std::string::npos);
  CHECK(reply.error().message.find("[REDACTED]") != std::string::npos);
}

namespace {

// A keep-alive server that answers every request but the `hang_up_at`-th (1-based), which it
// reads in full and then closes the connection without a byte of response: the request reached
// the server (which may have acted on it), yet libcurl sees a reused connection die.
// With `exit_at_hang_up`, it also stops listening first, as a server process that exits.
class HangUpServer {
 public:
  explicit HangUpServer(std::size_t hang_up_at, bool exit_at_hang_up = false)
      : server_(Mode::KeepAlive, [this, hang_up_at, exit_at_hang_up](const std::string& raw) {
          if (++seen_ != hang_up_at) return echo_target(raw);
          if (exit_at_hang_up) server_.stop_listening();
          return std::string();  // close without answering
        }) {}

  RawHttpServer& server() { return server_; }

 private:
  std::atomic<std::size_t> seen_{0};
  RawHttpServer server_;
};

// Sends `request` alone, through `send` or through `send_all`.
postal::Result<postal::HttpResponse> send_one(postal::Transport& transport,
                                              const HttpRequest& request, bool batch) {
  if (!batch) return transport.send(request);
  auto results = transport.send_all({request}, 4);
  REQUIRE(results.size() == 1);
  return std::move(results.front());
}

}  // namespace

TEST_CASE(
    "curl transport: a POST whose reused connection dies unanswered is never resent, maybe sent") {
  for (const bool batch : {false, true}) {
    INFO((batch ? "send_all" : "send"));
    HangUpServer hang_up(2);
    RawHttpServer& server = hang_up.server();
    auto transport = postal::make_curl_transport();
    REQUIRE(send_one(*transport, post_to(server.url("/first")), batch).has_value());
    auto second = send_one(*transport, post_to(server.url("/second")), batch);
    server.stop();
    CHECK(server.request_count() == 2);  // not 3: libcurl did not silently send it again
    REQUIRE_FALSE(second.has_value());
    CHECK(second.error().code == ErrorCode::Transport);
    CHECK(second.error().send_state == SendState::MaybeSent);
    CHECK(second.error().message.find("may have reached the server") != std::string::npos);
  }
}

TEST_CASE(
    "curl transport: a request the server read before it exited is maybe sent, though the "
    "reconnect is refused") {
  for (const bool batch : {false, true}) {
    for (const char* method : {"POST", "GET"}) {
      INFO((batch ? "send_all " : "send ") << method);
      HangUpServer hang_up(2, true);
      RawHttpServer& server = hang_up.server();
      auto transport = postal::make_curl_transport();
      HttpRequest request = post_or_get(server.url("/second"), method);
      REQUIRE(send_one(*transport, post_to(server.url("/first")), batch).has_value());
      auto second = send_one(*transport, request, batch);
      server.stop();
      CHECK(server.request_count() == 2);
      REQUIRE_FALSE(second.has_value());
      INFO(second.error().describe());
      CHECK(second.error().send_state == SendState::MaybeSent);
    }
  }
}

TEST_CASE("curl transport: proxy credentials never appear in an error message") {
  const std::string password = "S3cretProxyPass";
  for (const std::string& proxy :
       {"htpp://alice:" + password + "@127.0.0.1:1", "http://alice:" + password + "@127.0.0.1:1",
        "alice:" + password + "@127.0.0.1:1",
        std::string("http://alice:S3cret%50roxyPass@127.0.0.1:1")}) {
    postal::CurlOptions options;
    options.proxy = proxy;
    auto transport = postal::make_curl_transport(options);
    const HttpRequest request = post_to("http://127.0.0.1:9/api/v1/send/message");
    std::vector<postal::Result<postal::HttpResponse>> replies;
    replies.push_back(transport->send(request));
    for (auto& reply : transport->send_all({request, request}, 2))
      replies.push_back(std::move(reply));
    for (const auto& reply : replies) {
      REQUIRE_FALSE(reply.has_value());
      INFO(reply.error().describe());
      CHECK_FALSE(reply.error().message.empty());
      CHECK(reply.error().describe().find(password) == std::string::npos);
      CHECK(reply.error().describe().find("S3cret%50roxyPass") == std::string::npos);
      CHECK(reply.error().send_state == SendState::NotSent);
    }
  }
}

TEST_CASE("curl transport: proxy credentials reach the proxy URL-decoded, in Proxy-Authorization") {
  RawHttpServer proxy(Mode::ReplyAndClose, RawHttpServer::response(200, "via proxy"));
  postal::CurlOptions options;
  options.proxy = "http://alice:S3cret%40Proxy%3APass@127.0.0.1:" + std::to_string(proxy.port());
  auto reply = postal::make_curl_transport(options)->send(
      post_to("http://postal.example.invalid/api/v1/send/message"));
  REQUIRE(reply.has_value());
  CHECK(reply->body == "via proxy");
  REQUIRE(proxy.request_count() == 1);
  const std::string raw = proxy.requests().front();
  CHECK(raw.rfind("POST http://postal.example.invalid/api/v1/send/message HTTP/1.1\r\n", 0) == 0);
  // base64("alice:S3cret@Proxy:Pass")
  CHECK(raw_header(raw, "Proxy-Authorization") == "Basic YWxpY2U6UzNjcmV0QFByb3h5OlBhc3M=");
}

TEST_CASE("curl transport: a CONNECT to a proxy carries the User-Agent, never the API key") {
  // The proxy refuses the tunnel; what matters is what it was asked.
  RawHttpServer proxy(Mode::ReplyAndClose, RawHttpServer::response(403, "no tunnel"));
  postal::CurlOptions options;
  options.proxy = "http://127.0.0.1:" + std::to_string(proxy.port());
  HttpRequest request = post_to("https://postal.example.invalid/api/v1/send/message");
  request.headers.set("X-Server-API-Key", "SecretKeyNeverForTheProxy");
  auto reply = postal::make_curl_transport(options)->send(request);
  REQUIRE_FALSE(reply.has_value());
  REQUIRE(proxy.request_count() == 1);
  const std::string raw = proxy.requests().front();
  CHECK(raw.rfind("CONNECT postal.example.invalid:443 HTTP/1.1\r\n", 0) == 0);
  CHECK(raw_header(raw, "User-Agent") == std::string("postal-cpp/") + POSTAL_VERSION_STRING);
  CHECK(raw.find("SecretKeyNeverForTheProxy") == std::string::npos);
  CHECK(raw.find("X-Server-API-Key") == std::string::npos);
}

TEST_CASE("curl transport: a timeout of zero or less is rejected before anything is sent") {
  RawHttpServer server(Mode::KeepAlive, RawHttpServer::response(200, "{}"));
  auto transport = postal::make_curl_transport();
  for (const auto timeout : {0ms, -1ms, -30000ms}) {
    INFO(timeout.count() << " ms");
    const HttpRequest request = post_to(server.url(), timeout);
    auto reply = transport->send(request);
    REQUIRE_FALSE(reply.has_value());
    CHECK(reply.error().code == ErrorCode::InvalidArgument);
    CHECK(reply.error().send_state == SendState::NotSent);
    CHECK(reply.error().message.find("timeout") != std::string::npos);
    auto batch = transport->send_all({request, post_to(server.url())}, 2);
    REQUIRE(batch.size() == 2);
    REQUIRE_FALSE(batch[0].has_value());
    CHECK(batch[0].error().code == ErrorCode::InvalidArgument);
    CHECK(batch[0].error().send_state == SendState::NotSent);
    CHECK(batch[1].has_value());
  }
  CHECK(server.request_count() == 3);  // only the valid request of each batch

  for (const auto connect_timeout : {0ms, -5ms}) {
    postal::CurlOptions options;
    options.connect_timeout = connect_timeout;
    auto reply = postal::make_curl_transport(options)->send(post_to(server.url()));
    REQUIRE_FALSE(reply.has_value());
    CHECK(reply.error().code == ErrorCode::InvalidArgument);
    CHECK(reply.error().send_state == SendState::NotSent);
    CHECK(reply.error().message.find("connect_timeout") != std::string::npos);
  }
  CHECK(server.request_count() == 3);
}

TEST_CASE("curl transport: a response larger than max_response_bytes fails, maybe sent") {
  postal::CurlOptions options;
  options.max_response_bytes = 1000;
  auto transport = postal::make_curl_transport(options);
  const std::string big(5000, 'x');
  std::vector<std::string> many_headers;
  std::string headers_only = "HTTP/1.1 200 OK\r\n";
  for (int i = 0; i < 100; ++i)
    headers_only += "X-Filler-" + std::to_string(i) + ": abcdefghij\r\n";
  headers_only += "Content-Length: 0\r\n\r\n";
  // Announced by Content-Length; read until the connection closes; header lines alone.
  RawHttpServer announced(Mode::ReplyAndClose, RawHttpServer::response(200, big));
  RawHttpServer unannounced(Mode::ReplyAndClose,
                            "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" + big);
  RawHttpServer header_flood(Mode::ReplyAndClose, headers_only);
  RawHttpServer small(Mode::KeepAlive, RawHttpServer::response(200, std::string(800, 'y')));

  std::vector<postal::Result<postal::HttpResponse>> replies;
  for (const RawHttpServer* server : {&announced, &unannounced, &header_flood})
    replies.push_back(transport->send(post_to(server->url())));
  for (auto& reply : transport->send_all({post_to(announced.url()), post_to(unannounced.url())}, 2))
    replies.push_back(std::move(reply));
  for (const auto& reply : replies) {
    REQUIRE_FALSE(reply.has_value());
    INFO(reply.error().describe());
    CHECK(reply.error().code == ErrorCode::ResponseTooLarge);
    CHECK(reply.error().send_state == SendState::MaybeSent);
    CHECK(reply.error().message.find("response exceeded the limit of 1000 bytes") !=
          std::string::npos);
  }

  auto fits = transport->send(post_to(small.url()));
  REQUIRE(fits.has_value());
  CHECK(fits->body.size() == 800);
}

TEST_CASE("curl transport: large answers arrive whole at every width of send_all, and after it") {
  // A batch sets smaller libcurl receive buffers the more transfers it has in flight (down to
  // 1 KiB from 64 on), and a send on a handle a batch used gets libcurl's default back: answers
  // far larger than any of those buffers still arrive whole, each to its own request, and the
  // response size limit still holds to the byte.
  constexpr std::size_t kAnswerBytes = 200000;
  auto answer_for = [](const std::string& target) {
    std::string body;
    while (body.size() < kAnswerBytes) body += target + ";";
    body.resize(kAnswerBytes);
    return body;
  };
  RawHttpServer server(Mode::KeepAlive, [&](const std::string& raw) {
    return RawHttpServer::response(200, answer_for(RawHttpServer::target_of(raw)));
  });
  auto batch_of = [&](const std::string& name, int count) {
    std::vector<HttpRequest> requests;
    for (int i = 0; i < count; ++i)
      requests.push_back(post_to(server.url("/" + name + "/" + std::to_string(i))));
    return requests;
  };
  // The limit counts the header lines too: each answer is this many bytes in all.
  const std::size_t answer_size =
      RawHttpServer::response(200, std::string(kAnswerBytes, 'x')).size();
  postal::CurlOptions options;
  options.max_idle_connections = 64;
  options.max_response_bytes = answer_size;  // exactly enough
  auto transport = postal::make_curl_transport(options);
  for (std::size_t width : {std::size_t{1}, std::size_t{16}, std::size_t{64}}) {
    INFO("width " << width);
    const auto requests = batch_of("w" + std::to_string(width), 64);
    const auto results = transport->send_all(requests, width);
    REQUIRE(results.size() == requests.size());
    for (std::size_t i = 0; i < results.size(); ++i) {
      INFO("request " << i);
      REQUIRE(results[i].has_value());
      CHECK(results[i]->status == 200);
      CHECK(results[i]->body == answer_for(requests[i].url.substr(server.url("").size())));
    }
  }
  const auto single = transport->send(post_to(server.url("/single")));
  REQUIRE(single.has_value());
  CHECK(single->body == answer_for("/single"));

  options.max_response_bytes = answer_size - 1;  // one byte short
  auto strict = postal::make_curl_transport(options);
  for (const auto& result : strict->send_all(batch_of("strict", 64), 64)) {
    REQUIRE_FALSE(result.has_value());
    CHECK(result.error().code == ErrorCode::ResponseTooLarge);
  }
}

TEST_CASE("curl transport: max_response_bytes and max_idle_time are checked before sending") {
  RawHttpServer server(Mode::KeepAlive, RawHttpServer::response(200, "{}"));
  postal::CurlOptions no_bytes;
  no_bytes.max_response_bytes = 0;
  postal::CurlOptions negative_idle;
  negative_idle.max_idle_time = -1s;
  for (const auto& options : {no_bytes, negative_idle}) {
    auto reply = postal::make_curl_transport(options)->send(post_to(server.url()));
    REQUIRE_FALSE(reply.has_value());
    CHECK(reply.error().code == ErrorCode::InvalidArgument);
    CHECK(reply.error().send_state == SendState::NotSent);
  }
  CHECK(server.connections() == 0);
}

TEST_CASE("curl transport: a connection idle for longer than max_idle_time is not reused") {
  RawHttpServer server(Mode::KeepAlive, echo_target);
  postal::CurlOptions options;
  options.max_idle_time = 0s;  // libcurl counts whole seconds: reused only when idle under 1 s
  auto transport = postal::make_curl_transport(options);
  REQUIRE(transport->send(post_to(server.url("/1"))).has_value());
  REQUIRE(transport->send(post_to(server.url("/2"))).has_value());
  CHECK(server.connections() == 1);
  std::this_thread::sleep_for(1200ms);
  REQUIRE(transport->send(post_to(server.url("/3"))).has_value());
  CHECK(server.connections() == 2);
}

TEST_CASE(
    "curl transport: when memory runs out, send_all still returns one result per request and send "
    "an error") {
  RawHttpServer server(Mode::KeepAlive, echo_target);
  auto transport = postal::make_curl_transport();
  bool completed = false;
  for (long allocations = 0; allocations < 5000 && !completed; ++allocations) {
    INFO("allocation " << allocations << " fails");
    const std::string prefix = "/" + std::to_string(allocations);
    const std::vector<std::string> paths = {prefix + "/a", prefix + "/b", prefix + "/c"};
    std::vector<HttpRequest> requests;
    for (const auto& path : paths) requests.push_back(post_to(server.url(path)));
    const std::size_t before = server.request_count();
    std::vector<postal::Result<postal::HttpResponse>> results;
    bool threw = false;
    g_allocations_before_failure = allocations;
    try {
      results = transport->send_all(requests, 2);
    } catch (const std::bad_alloc&) {
      threw = true;
    }
    completed = g_allocations_before_failure >= 0;  // no allocation failed: the loop is over
    g_allocations_before_failure = -1;
    if (threw) {  // only allowed before any request left
      CHECK(server.request_count() == before);
      continue;
    }
    REQUIRE(results.size() == requests.size());
    for (std::size_t i = 0; i < results.size(); ++i) {
      if (results[i].has_value()) {
        CHECK(results[i]->body == paths[i]);
      } else {
        CHECK(results[i].error().code == ErrorCode::Transport);
      }
    }

    const HttpRequest single = post_to(server.url(prefix + "/single"));
    g_allocations_before_failure = allocations;
    auto reply = transport->send(single);  // never throws
    g_allocations_before_failure = -1;
    if (!reply.has_value()) CHECK(reply.error().code == ErrorCode::Transport);
  }
  CHECK(completed);
}

TEST_CASE("curl transport: a response header line over libcurl's limit is not 'Out of memory'") {
  // libcurl refuses a status or header line over 100 KiB whatever max_response_bytes says, and
  // reports it as CURLE_OUT_OF_MEMORY without detail.
  const std::string huge(150 * 1024, 'h');
  RawHttpServer huge_line(Mode::ReplyAndClose,
                          "HTTP/1.1 200 OK\r\nX-Huge: " + huge + "\r\nContent-Length: 0\r\n\r\n");
  RawHttpServer huge_status(Mode::ReplyAndClose,
                            "HTTP/1.1 200 " + huge + "\r\nContent-Length: 0\r\n\r\n");
  RawHttpServer huge_after_continue(
      Mode::ReplyAndClose,
      "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 " + huge + "\r\nContent-Length: 0\r\n\r\n");
  for (const RawHttpServer* server : {&huge_line, &huge_status, &huge_after_continue}) {
    for (const char* method : {"POST", "GET"}) {
      HttpRequest request = post_or_get(server->url(), method);
      auto reply = postal::make_curl_transport()->send(request);
      REQUIRE_FALSE(reply.has_value());
      INFO(method << ": " << reply.error().describe());
      CHECK(reply.error().send_state == SendState::MaybeSent);
      // libcurl 7.88 says only "Out of memory" (then the transport explains it); a libcurl that
      // names the line itself may be reported as it says.
      const std::string& message = reply.error().message;
      CHECK((message.find("header") != std::string::npos ||
             message.find("status") != std::string::npos));
      if (message.find("Out of memory") != std::string::npos ||
          message.find("out of memory") != std::string::npos) {
        CHECK(reply.error().code == ErrorCode::ResponseTooLarge);
        CHECK(message.find("status or header line over its 100 KiB limit") != std::string::npos);
      }
    }
  }
}

// An answer with 400 KiB of header lines of 1 KB each: over libcurl's 300 KiB in all, while no
// line is over its 100 KiB a line.
std::string answer_with_400_kib_of_headers() {
  return "HTTP/1.1 200 OK\r\n" + RawHttpServer::filler_header_lines(400 * 1024) +
         "Content-Length: 0\r\n\r\n";
}

TEST_CASE("curl transport: response headers over libcurl's 300 KiB in all are ResponseTooLarge") {
  RawHttpServer many(Mode::ReplyAndClose, answer_with_400_kib_of_headers());
  for (const char* method : {"POST", "GET"}) {
    HttpRequest request = post_or_get(many.url(), method);
    auto reply = postal::make_curl_transport()->send(request);
    REQUIRE_FALSE(reply.has_value());
    INFO(method << ": " << reply.error().describe());
    CHECK(reply.error().code == ErrorCode::ResponseTooLarge);
    CHECK(reply.error().send_state == SendState::MaybeSent);
    CHECK(reply.error().message.find("300 KiB") != std::string::npos);
    CHECK(reply.error().message.find("may have reached the server") != std::string::npos);
  }
}

TEST_CASE("curl transport: headers over 300 KiB after libcurl's own resend of a GET") {
  // libcurl keeps the first error message of a transfer: here the reset of the reused
  // connection, not the header limit that ends the resent request.
  std::atomic<int> seen{0};
  const std::string bloated = answer_with_400_kib_of_headers();
  RawHttpServer server(Mode::KeepAlive, [&](const std::string&) -> std::string {
    switch (++seen) {
      case 1:
        return RawHttpServer::response(200, "ok");
      case 2:
        return RawHttpServer::reset_reply();  // libcurl fails "connection reset", sends again
      default:
        return bloated;
    }
  });
  auto transport = postal::make_curl_transport();
  const HttpRequest get = post_or_get(server.url(), "GET");
  REQUIRE(transport->send(get).has_value());
  auto reply = transport->send(get);
  REQUIRE_FALSE(reply.has_value());
  INFO(reply.error().describe());
  CHECK(server.request_count() == 3);  // libcurl's resend happened
  CHECK(reply.error().code == ErrorCode::ResponseTooLarge);
  CHECK(reply.error().send_state == SendState::MaybeSent);
  CHECK(reply.error().message.find("300 KiB") != std::string::npos);
}

TEST_CASE("curl transport: a proxy's CONNECT answer over 300 KiB is not the response") {
  // The request never reached the server: not ResponseTooLarge (which would say it may have, and
  // would not be retried), for a GET (whose request size counts the CONNECT) as for a POST.
  RawHttpServer proxy(Mode::ReplyAndClose, "HTTP/1.1 200 Connection established\r\n" +
                                               RawHttpServer::filler_header_lines(400 * 1024) +
                                               "\r\n");
  postal::CurlOptions options;
  options.proxy = "http://127.0.0.1:" + std::to_string(proxy.port());
  for (const char* method : {"GET", "POST"}) {
    auto reply = postal::make_curl_transport(options)->send(
        post_or_get("https://postal.example.invalid/api/v1/send/message", method));
    REQUIRE_FALSE(reply.has_value());
    INFO(method << ": " << reply.error().describe());
    CHECK(reply.error().code == ErrorCode::Transport);
  }
}

TEST_CASE("curl transport: user info in the request URL never reaches an error message") {
  // libcurl reads "s3cr\et-pass" as the password (a backslash does not end the user info).
  const std::string port = std::to_string(RawHttpServer::refused_port());
  for (const std::string& url : {"http://deploy:s3cr\\et-pass@127.0.0.1:" + port + "/x",
                                 "http://deploy:s3cr3t-pass@127.0.0.1:" + port + "/x"}) {
    HttpRequest request = post_to(url);
    auto reply = postal::make_curl_transport()->send(request);
    REQUIRE_FALSE(reply.has_value());
    INFO(reply.error().describe());
    CHECK(reply.error().message.find("s3cr") == std::string::npos);
    CHECK(reply.error().message.find("deploy") == std::string::npos);
    CHECK(reply.error().message.find("POST http://127.0.0.1:" + port + ": ") == 0);
  }
}
