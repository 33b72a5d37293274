// FakePostal over loopback HTTP (tests/support/fake_postal_server.cpp), driven with cpp-httplib's
// client so the server is checked independently of the SDK's own transport.
#include "support/fake_postal_server.hpp"
#include "support/catch.hpp"

#include <httplib.h>

#include <postal/testing/fake_postal.hpp>

#include <memory>
#include <regex>
#include <string>

namespace {

using postal::testing::FakePostal;

const httplib::Headers kAuth{{"X-Server-API-Key", "test-api-key"}};

std::string timeless(const std::string& body) {
  static const std::regex envelope(
      R"re(^(\{"status":"[a-z-]+","time":)(\d+\.\d{1,3})(,"flags":\{\},"data":.*\})$)re");
  std::smatch match;
  INFO(body);
  REQUIRE(std::regex_match(body, match, envelope));
  return match[1].str() + "T" + match[3].str();
}

}  // namespace

TEST_CASE("fake postal server: send/message over HTTP answers Postal's envelope byte for byte",
          "[fake_postal_server]") {
  auto fake = std::make_shared<FakePostal>();
  postal_support::FakePostalServer server(fake);
  httplib::Client client("127.0.0.1", server.port());
  const auto response = client.Post(
      "/api/v1/send/message", kAuth,
      R"({"to":["John <john@example.com>"],"from":"sales@example.com","subject":"Hi","plain_body":"Hello"})",
      "application/json");
  REQUIRE(response);
  CHECK(response->status == 200);
  CHECK(response->get_header_value("Content-Type") == "application/json; charset=utf-8");
  const auto token = fake->find_message(1).value().token;
  const auto message_id = fake->find_message(1).value().message_id.value();
  CHECK(timeless(response->body) ==
        R"({"status":"success","time":T,"flags":{},"data":{"message_id":")" + message_id +
            R"(","messages":{"john@example.com":{"id":1,"token":")" + token + R"("}}}})");
}

TEST_CASE("fake postal server: an error envelope crosses HTTP unchanged", "[fake_postal_server]") {
  auto fake = std::make_shared<FakePostal>();
  postal_support::FakePostalServer server(fake);
  httplib::Client client("127.0.0.1", server.port());
  const auto response =
      client.Post("/api/v1/messages/message", httplib::Headers{{"X-Server-API-Key", "bad<key>"}},
                  R"({"id":1})", "application/json");
  REQUIRE(response);
  CHECK(response->status == 200);
  CHECK(
      timeless(response->body) ==
      R"({"status":"error","time":T,"flags":{},"data":{"message":"The API token provided in X-Server-API-Key was not valid.","token":"bad\u003ckey\u003e","code":"InvalidServerAPIKey"}})");
}

TEST_CASE("fake postal server: an unknown path answers 404 with an HTML page",
          "[fake_postal_server]") {
  auto fake = std::make_shared<FakePostal>();
  postal_support::FakePostalServer server(fake);
  httplib::Client client("127.0.0.1", server.port());
  const auto response = client.Post("/api/v1/messages/list", kAuth, "{}", "application/json");
  REQUIRE(response);
  CHECK(response->status == 404);
  CHECK(response->get_header_value("Content-Type") == "text/html; charset=utf-8");
  CHECK(response->body.find("The page you were looking for doesn't exist.") != std::string::npos);
  CHECK_FALSE(response->has_header("X-Postal-Fake-Forwarded"));
  CHECK(fake->request_count() == 1);  // handed over once, not again by the error handler
}

TEST_CASE("fake postal server: methods without a route reach FakePostal too",
          "[fake_postal_server]") {
  auto fake = std::make_shared<FakePostal>();
  postal_support::FakePostalServer server(fake);
  httplib::Client client("127.0.0.1", server.port());
  const auto options = client.Options("/api/v1/send/message");
  REQUIRE(options);
  CHECK(options->status == 404);
  const auto deleted = client.Delete("/api/v1/send/message");
  REQUIRE(deleted);
  CHECK(deleted->status == 404);
  CHECK(fake->request_count() == 2);
  CHECK(fake->requests().at(0).method == "OPTIONS");
}

TEST_CASE("fake postal server: the request reaches FakePostal with URL, headers and body",
          "[fake_postal_server]") {
  auto fake = std::make_shared<FakePostal>();
  fake->set_path_prefix(std::string("/prefix"));
  postal_support::FakePostalServer server(fake);
  httplib::Client client("127.0.0.1", server.port());
  const auto response = client.Post("/prefix/api/v1/messages/deliveries?x=1", kAuth, R"({"id":7})",
                                    "application/json");
  REQUIRE(response);
  const auto request = fake->requests().at(0);
  CHECK(request.method == "POST");
  CHECK(request.url == server.base_url() + "/prefix/api/v1/messages/deliveries?x=1");
  CHECK(request.headers.get("x-server-api-key") == "test-api-key");
  CHECK(request.body == R"({"id":7})");
  CHECK_FALSE(request.headers.contains("REMOTE_ADDR"));
  CHECK(
      timeless(response->body) ==
      R"({"status":"error","time":T,"flags":{},"data":{"message":"No message found matching provided ID","id":7,"code":"MessageNotFound"}})");
}

TEST_CASE("fake postal server: an injected proxy page passes through verbatim",
          "[fake_postal_server]") {
  auto fake = std::make_shared<FakePostal>();
  fake->fail_next(postal::HttpResponse{
      502, {{"Content-Type", "text/html"}, {"Retry-After", "5"}}, "<html>Bad Gateway</html>"});
  postal_support::FakePostalServer server(fake);
  httplib::Client client("127.0.0.1", server.port());
  const auto response = client.Post("/api/v1/send/message", kAuth, "{}", "application/json");
  REQUIRE(response);
  CHECK(response->status == 502);
  CHECK(response->body == "<html>Bad Gateway</html>");
  CHECK(response->get_header_value("Content-Type") == "text/html");
  CHECK(response->get_header_value("Retry-After") == "5");
}

TEST_CASE("fake postal server: an injected transport error breaks the connection",
          "[fake_postal_server]") {
  auto fake = std::make_shared<FakePostal>();
  postal::Error reset;
  reset.code = postal::ErrorCode::Transport;
  fake->fail_next(reset);
  postal_support::FakePostalServer server(fake);
  httplib::Client client("127.0.0.1", server.port());
  const auto response = client.Post("/api/v1/send/message", kAuth, "{}", "application/json");
  CHECK_FALSE(response);
}

TEST_CASE("fake postal server: stop is idempotent and frees the port", "[fake_postal_server]") {
  auto fake = std::make_shared<FakePostal>();
  postal_support::FakePostalServer server(fake);
  CHECK(server.port() > 0);
  CHECK(server.base_url() == "http://127.0.0.1:" + std::to_string(server.port()));
  server.stop();
  server.stop();
  httplib::Client client("127.0.0.1", server.port());
  client.set_connection_timeout(1);
  CHECK_FALSE(client.Get("/api/v1/send/message"));
}
