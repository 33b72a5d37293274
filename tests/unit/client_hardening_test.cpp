// Hostile or unlucky input reaching the client: keys, servers and transports that misbehave.
#include <postal/postal.hpp>

#include "support/catch.hpp"
#include "support/scripted_transport.hpp"

#include <memory>
#include <stdexcept>
#include <string>

using postal_test::ScriptedTransport;

namespace {

postal::Client client_with(std::shared_ptr<postal::Transport> transport,
                           std::string key = "SECRETKEY1234567890abcdef") {
  postal::ClientOptions options;
  options.base_url = "https://postal.example.test";
  options.api_key = std::move(key);
  options.transport = std::move(transport);
  return postal::Client(options);
}

postal::SendMessageRequest minimal() {
  postal::SendMessageRequest m;
  m.to = {"john@example.net"};
  m.from = "sales@example.com";
  m.plain_body = "hi";
  return m;
}

std::string everything(const postal::Error& e) {
  return e.message + e.api_code + e.body + e.details.dump() + e.describe();
}

}  // namespace

TEST_CASE("an api_key with a space, control or non-ASCII character is refused before sending") {
  for (const std::string key : {" padded-key ", "key\twith-tab", "key-\xc3\xa9", "key\x7f"}) {
    auto transport = std::make_shared<ScriptedTransport>();
    auto sent = client_with(transport, key).send_message(minimal());
    REQUIRE_FALSE(sent);
    CHECK(sent.error().code == postal::ErrorCode::InvalidArgument);
    CHECK(sent.error().send_state == postal::SendState::NotSent);
    CHECK(everything(sent.error()).find(key) == std::string::npos);
    CHECK(transport->request_count() == 0);
  }
}

TEST_CASE("a zero or negative timeout is refused before sending") {
  auto transport = std::make_shared<ScriptedTransport>();
  postal::ClientOptions options;
  options.base_url = "https://postal.example.test";
  options.api_key = "key";
  options.timeout = std::chrono::milliseconds(0);
  options.transport = transport;
  auto sent = postal::Client(options).send_message(minimal());
  REQUIRE_FALSE(sent);
  CHECK(sent.error().code == postal::ErrorCode::InvalidArgument);
  CHECK(transport->request_count() == 0);
}

TEST_CASE("InvalidServerAPIKey's echoed token is dropped even when it differs from our key") {
  auto transport = std::make_shared<ScriptedTransport>();
  transport->push(postal_test::error_response(
      R"({"message":"The API token provided in X-Server-API-Key was not valid.","token":"SECRETKEY1234567890","code":"InvalidServerAPIKey"})"));
  auto sent = client_with(transport).send_message(minimal());
  REQUIRE_FALSE(sent);
  CHECK(sent.error().api_code == "InvalidServerAPIKey");
  CHECK(sent.error().details["token"] == "[REDACTED]");
}

TEST_CASE("a key echoed JSON- or Rails-escaped in a body is redacted too") {
  const std::string key = "abc<def>&gh/ij";
  auto transport = std::make_shared<ScriptedTransport>();
  transport->push(
      postal_test::http_response(500, R"({"error":"bad key abc\u003cdef\u003e\u0026gh\/ij"})"));
  transport->push(postal_test::http_response(500, "plain abc<def>&gh/ij"));
  auto client = client_with(transport, key);
  for (int i = 0; i < 2; ++i) {
    auto sent = client.send_message(minimal());
    REQUIRE_FALSE(sent);
    CHECK(sent.error().body.find("[REDACTED]") != std::string::npos);
    CHECK(sent.error().body.find("abc") == std::string::npos);
  }
}

TEST_CASE("deeply nested JSON from the server is a Decode error, not a crash") {
  auto transport = std::make_shared<ScriptedTransport>();
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  transport->push(postal_test::error_response(deep));
  transport->push(postal_test::http_response(200, R"({"status":"error","data":)" + deep + "}"));
  auto client = client_with(transport);
  for (int i = 0; i < 2; ++i) {
    auto sent = client.send_message(minimal());
    REQUIRE_FALSE(sent);
    CHECK(sent.error().code == postal::ErrorCode::Decode);
    CHECK(sent.error().body.size() < 2200);
  }
}

TEST_CASE("a success envelope whose data has the wrong shape keeps the status and body") {
  auto transport = std::make_shared<ScriptedTransport>();
  transport->push(postal_test::success_response(R"([1,2,3])"));
  auto sent = client_with(transport).send_message(minimal());
  REQUIRE_FALSE(sent);
  CHECK(sent.error().code == postal::ErrorCode::Decode);
  CHECK(sent.error().http_status == 200);
  CHECK(sent.error().body.find("[1,2,3]") != std::string::npos);
}

TEST_CASE("a transport that throws something other than std::exception is a MaybeSent error") {
  auto transport = std::make_shared<ScriptedTransport>(
      [](const postal::HttpRequest&) -> postal::Result<postal::HttpResponse> { throw 42; });
  auto sent = client_with(transport).send_message(minimal());
  REQUIRE_FALSE(sent);
  CHECK(sent.error().code == postal::ErrorCode::Transport);
  CHECK(sent.error().send_state == postal::SendState::MaybeSent);
}

TEST_CASE("an Error that does not say otherwise is MaybeSent") {
  postal::Error e;
  CHECK(e.send_state == postal::SendState::MaybeSent);
}

TEST_CASE("value() on an rvalue Result returns the value, safe in a range-for") {
  auto make = [] { return postal::Result<std::vector<int>>(std::vector<int>{1, 2, 3}); };
  int sum = 0;
  for (int v : make().value()) sum += v;
  CHECK(sum == 6);
}
