// The libcurl transport keeps a pooled handle's options between POSTs with a body and sets only
// the per-request ones again: nothing of one request may reach the next (method, headers, body,
// Content-Length, User-Agent), whatever kinds of request follow each other on one handle, through
// `send` and `send_all`, after failures too.
#include "support/catch.hpp"
#include "support/raw_http_server.hpp"

#include <postal/transport.hpp>
#include <postal/version.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace {

using postal::HttpRequest;
using postal_support::RawHttpServer;
using Mode = RawHttpServer::Mode;
using namespace std::chrono_literals;

const std::string kUserAgent = std::string("User-Agent: postal-cpp/") + POSTAL_VERSION_STRING;

HttpRequest make(std::string method, const std::string& url, std::string body,
                 postal::Headers headers) {
  HttpRequest request;
  request.method = std::move(method);
  request.url = url;
  request.headers = std::move(headers);
  request.body = std::move(body);
  request.timeout = 10s;
  return request;
}

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

/// The head of a raw request (up to the blank line), lines ending in "\r\n".
std::string head_of(const std::string& raw) { return raw.substr(0, raw.find("\r\n\r\n") + 2); }

struct Step {
  HttpRequest request;
  bool expect_success;
};

/// Checks what the server received for `request` (its `raw` bytes).
void check_raw(const HttpRequest& request, const std::string& raw) {
  const std::string head = head_of(raw);
  INFO(head);
  CHECK(head.rfind(request.method + " ", 0) == 0);
  const bool user_agent_given = request.headers.contains("User-Agent");
  if (user_agent_given)
    CHECK(has(head, "User-Agent: " + *request.headers.get("User-Agent") + "\r\n"));
  else
    CHECK(has(head, kUserAgent + "\r\n"));
  CHECK(head.find("User-Agent:") == head.rfind("User-Agent:"));  // one, never two
  for (const auto& [name, value] : request.headers) CHECK(has(head, name + ": " + value + "\r\n"));
  // Only the headers of this request (and libcurl's own) are there.
  for (const std::string name : {"X-Only-First", "X-Server-API-Key", "Content-Type"})
    if (!request.headers.contains(name)) CHECK_FALSE(has(head, name + ":"));
  CHECK_FALSE(has(head, "Expect:"));
  CHECK_FALSE(has(head, "Transfer-Encoding"));
  if (!request.body.empty() || request.method == "POST") {
    CHECK(has(head, "Content-Length: " + std::to_string(request.body.size()) + "\r\n"));
  } else {
    CHECK_FALSE(has(head, "Content-Length"));
  }
  CHECK(RawHttpServer::body_of(raw) == request.body);
}

}  // namespace

TEST_CASE("curl handle reuse: mixed requests on one pooled handle each go out as given") {
  RawHttpServer server(Mode::KeepAlive, [](const std::string& raw) {
    // No body after the head of an answer to HEAD (the connection is kept).
    return RawHttpServer::response(200, raw.rfind("HEAD ", 0) == 0 ? "" : "ok");
  });
  const std::string refused = "http://127.0.0.1:" + std::to_string(RawHttpServer::refused_port());
  const std::string url = server.url("/api/v1/send/message");
  const postal::Headers json = {{"Content-Type", "application/json"},
                                {"X-Server-API-Key", "KeyOfTheFirstKind123"}};
  const std::vector<Step> steps = {
      {make("POST", url, R"({"a":1})", {{"X-Only-First", "1"}, {"Content-Type", "text/x"}}), true},
      {make("POST", url, R"({"second":"a longer body"})", json), true},
      {make("POST", url, "x", {}), true},
      {make("GET", url, "", {{"Accept", "application/json"}}), true},
      {make("POST", url, "after a GET", json), true},
      {make("HEAD", url, "", {}), true},
      {make("POST", url, "after a HEAD", json), true},
      {make("PUT", url, "put body", json), true},
      {make("POST", url, "after a PUT", json), true},
      {make("DELETE", url, "", {}), true},
      {make("POST", url, "", json), true},  // a POST without a body
      {make("POST", url, "after an empty POST", json), true},
      {make("POST", url, "own agent", {{"User-Agent", "custom/1"}}), true},
      {make("POST", url, "default agent again", json), true},
      // The same names with another key: the transport's shared header list must not serve it.
      {make("POST", url, "another key",
            {{"Content-Type", "application/json"}, {"X-Server-API-Key", "KeyOfTheOtherKind456"}}),
       true},
      {make("POST", url, "the first key again", json), true},
      {make("POST", refused + "/x", "to a closed port", json), false},
      {make("POST", url, "after a failure", json), true},
      {make("PATCH", url, "", json), true},
      {make("POST", url, "last", {}), true},
  };

  for (const bool batch : {false, true}) {
    INFO((batch ? "send_all" : "send"));
    // One idle handle: every request runs on the same one, in both modes.
    postal::CurlOptions options;
    options.max_idle_connections = 1;
    auto transport = postal::make_curl_transport(options);
    const std::size_t before = server.request_count();
    std::size_t expected = before;
    for (std::size_t i = 0; i < steps.size(); ++i) {
      const Step& step = steps[i];
      INFO("step " << i << ": " << step.request.method << " " << step.request.body);
      postal::Result<postal::HttpResponse> reply =
          batch ? std::move(transport->send_all({step.request}, 1).front())
                : transport->send(step.request);
      REQUIRE(reply.has_value() == step.expect_success);
      if (!step.expect_success) continue;
      CHECK(reply->status == 200);
      CHECK(reply->body == (step.request.method == "HEAD" ? "" : "ok"));
      ++expected;
      REQUIRE(server.wait_for_requests(expected, 5s));
      const auto raw = server.requests();
      REQUIRE(raw.size() == expected);
      check_raw(step.request, raw.back());
    }
  }
}

TEST_CASE("curl handle reuse: alternating send and send_all on one transport") {
  RawHttpServer server(Mode::KeepAlive, RawHttpServer::response(200, "ok"));
  postal::CurlOptions options;
  options.max_idle_connections = 2;
  auto transport = postal::make_curl_transport(options);
  const std::string url = server.url("/api/v1/send/message");
  std::size_t expected = 0;
  for (int round = 0; round < 6; ++round) {
    INFO("round " << round);
    const HttpRequest single =
        make("POST", url, "single " + std::to_string(round), {{"X-Round", "s"}});
    REQUIRE(transport->send(single).has_value());
    ++expected;
    std::vector<HttpRequest> batch;
    for (int k = 0; k < 3; ++k)
      batch.push_back(make("POST", url, "batch " + std::to_string(round * 10 + k),
                           {{"X-Round", "b" + std::to_string(k)}}));
    for (const auto& result : transport->send_all(batch, 3)) REQUIRE(result.has_value());
    expected += batch.size();
    REQUIRE(server.wait_for_requests(expected, 5s));
  }
  const auto raw = server.requests();
  REQUIRE(raw.size() == expected);
  for (const auto& request : raw) {
    const std::string head = head_of(request);
    const std::string body = RawHttpServer::body_of(request);
    INFO(head << body);
    CHECK(head.rfind("POST ", 0) == 0);
    CHECK(has(head, "Content-Length: " + std::to_string(body.size()) + "\r\n"));
    // Each body came with its own header, and only that one.
    const bool single = body.rfind("single ", 0) == 0;
    if (single) {
      CHECK(has(head, "X-Round: s\r\n"));
    } else {
      const char k = body.back();
      CHECK(has(head, std::string("X-Round: b") + k + "\r\n"));
    }
    CHECK(head.find("X-Round") == head.rfind("X-Round"));
    CHECK(has(head, kUserAgent + "\r\n"));
    CHECK(head.find("User-Agent:") == head.rfind("User-Agent:"));  // one, never two
  }
}

TEST_CASE("curl handle reuse: a batch wider than the idle pool passes handles between transfers") {
  // With 8 in flight and one idle handle kept, transfers that end hand their handles to the next
  // ones within the batch (not through the pool): every request still goes out as given, whatever
  // kind of request the handle carried before, and the pool works for the batch after.
  RawHttpServer server(Mode::KeepAlive, [](const std::string& raw) {
    return RawHttpServer::response(200, raw.rfind("HEAD ", 0) == 0 ? "" : "ok");
  });
  postal::CurlOptions options;
  options.max_idle_connections = 1;
  auto transport = postal::make_curl_transport(options);
  const std::string url = server.url("/api/v1/send/message");
  const postal::Headers json = {{"Content-Type", "application/json"}};
  std::size_t expected = 0;
  for (int round = 0; round < 2; ++round) {
    std::vector<HttpRequest> batch;
    for (int i = 0; i < 48; ++i) {
      const std::string tag = std::to_string(round) + "-" + std::to_string(i);
      switch (i % 4) {
        case 0:
          batch.push_back(make("POST", url + "?" + tag, "post " + tag, json));
          break;
        case 1:
          batch.push_back(make("GET", url + "?" + tag, "", {{"X-Only-First", tag}}));
          break;
        case 2:
          batch.push_back(make("PUT", url + "?" + tag, "put " + tag, {{"User-Agent", "mine"}}));
          break;
        default:
          batch.push_back(make("POST", url + "?" + tag, "plain " + tag, {}));
          break;
      }
    }
    const auto results = transport->send_all(batch, 8);
    REQUIRE(results.size() == batch.size());
    for (std::size_t i = 0; i < results.size(); ++i) {
      INFO("request " << i);
      REQUIRE(results[i].has_value());
      CHECK(results[i]->status == 200);
      CHECK(results[i]->body == "ok");
    }
    expected += batch.size();
    REQUIRE(server.wait_for_requests(expected, 5s));
    const auto raw = server.requests();
    REQUIRE(raw.size() == expected);
    // The server saw them in any order: match each by the tag in its request line.
    for (const HttpRequest& request : batch) {
      const std::string path = request.url.substr(request.url.find("/api/"));
      std::size_t matches = 0;
      for (const auto& received : raw) {
        if (received.rfind(request.method + " " + path + " ", 0) != 0) continue;
        ++matches;
        check_raw(request, received);
      }
      CHECK(matches == 1);
    }
  }
}
