// FakePostal reproduces Postal's wire behaviour (docs: /work/shared/spec/postal-api.md §1-2, §8).
// Every test drives FakePostal through Transport::send and checks the exact response bytes.
#include "support/catch.hpp"

#include <postal/detail/base64.hpp>
#include <postal/testing/fake_postal.hpp>
#include <postal/testing/ruby_compat.hpp>
#include <postal/testing/sha1.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace {

using Json = nlohmann::ordered_json;
using postal::DeliveryStatus;
using postal::HttpRequest;
using postal::HttpResponse;
using postal::testing::DeliveryAttempt;
using postal::testing::FakePostal;

constexpr const char* kBase = "https://postal.example.test";

HttpRequest api_request(const std::string& action, std::string body,
                        const std::string& content_type = "application/json",
                        const char* key = "test-api-key") {
  HttpRequest request;
  request.method = "POST";
  request.url = std::string(kBase) + "/api/v1/" + action;
  if (!content_type.empty()) request.headers.set("Content-Type", content_type);
  if (key) request.headers.set("X-Server-API-Key", key);
  request.body = std::move(body);
  return request;
}

HttpResponse exchange(FakePostal& fake, const HttpRequest& request) {
  auto result = fake.send(request);
  REQUIRE(result.has_value());
  return *result;
}

HttpResponse post(FakePostal& fake, const std::string& action, const Json& body,
                  const char* key = "test-api-key") {
  return exchange(fake, api_request(action, body.dump(), "application/json", key));
}

// The envelope with its `time` value replaced by T (after checking it is a float with at most
// three decimals), so whole bodies can be compared byte for byte.
std::string timeless(const std::string& body) {
  static const std::regex envelope(
      R"re(^(\{"status":"[a-z-]+","time":)(\d+\.\d{1,3})(,"flags":\{\},"data":.*\})$)re");
  std::smatch match;
  INFO(body);
  REQUIRE(std::regex_match(body, match, envelope));
  return match[1].str() + "T" + match[3].str();
}

bool matches(const std::string& text, const std::string& pattern) {
  return std::regex_match(text, std::regex(pattern));
}

Json data_of(const HttpResponse& response) {
  INFO(response.body);
  return Json::parse(response.body).at("data");
}

Json valid_message() {
  return Json{{"to", Json::array({"john@example.com"})},
              {"from", "sales@example.com"},
              {"subject", "Welcome"},
              {"plain_body", "Hello John"}};
}

std::int64_t send_one(FakePostal& fake, Json body = valid_message()) {
  const Json data = data_of(post(fake, "send/message", body));
  return data.at("messages").begin().value().at("id").get<std::int64_t>();
}

std::string raw_base64(const std::string& raw) { return postal::detail::base64_encode(raw); }

}  // namespace

// --- authentication (§1.3) -------------------------------------------------------------------

TEST_CASE("fake postal: a missing API key answers AccessDenied", "[fake_postal]") {
  FakePostal fake;
  const auto response = post(fake, "send/message", valid_message(), nullptr);
  CHECK(response.status == 200);
  CHECK(
      timeless(response.body) ==
      R"({"status":"error","time":T,"flags":{},"data":{"message":"Must be authenticated as a server.","code":"AccessDenied"}})");
}

TEST_CASE("fake postal: a whitespace-only API key answers AccessDenied", "[fake_postal]") {
  FakePostal fake;
  const auto response = post(fake, "messages/message", Json{{"id", 1}}, " \t ");
  CHECK(
      timeless(response.body) ==
      R"({"status":"error","time":T,"flags":{},"data":{"message":"Must be authenticated as a server.","code":"AccessDenied"}})");
}

TEST_CASE("fake postal: an unknown API key answers InvalidServerAPIKey echoing the token",
          "[fake_postal]") {
  FakePostal fake;
  const auto response = post(fake, "send/message", valid_message(), "wrong-key<&>");
  CHECK(response.status == 200);
  CHECK(
      timeless(response.body) ==
      R"({"status":"error","time":T,"flags":{},"data":{"message":"The API token provided in X-Server-API-Key was not valid.","token":"wrong-key\u003c\u0026\u003e","code":"InvalidServerAPIKey"}})");
}

TEST_CASE("fake postal: a suspended server answers ServerSuspended with only a code",
          "[fake_postal]") {
  FakePostal fake;
  fake.set_suspended(true);
  CHECK(timeless(post(fake, "send/message", valid_message()).body) ==
        R"({"status":"error","time":T,"flags":{},"data":{"code":"ServerSuspended"}})");
}

TEST_CASE("fake postal: an unknown key on a suspended server answers InvalidServerAPIKey",
          "[fake_postal]") {
  FakePostal fake;
  fake.set_suspended(true);
  CHECK(data_of(post(fake, "send/message", valid_message(), "nope")).at("code") ==
        "InvalidServerAPIKey");
}

TEST_CASE("fake postal: authentication runs before the action's parameter checks",
          "[fake_postal]") {
  FakePostal fake;
  CHECK(data_of(post(fake, "messages/message", Json::object(), "nope")).at("code") ==
        "InvalidServerAPIKey");
  CHECK(data_of(post(fake, "send/raw", Json::object(), nullptr)).at("code") == "AccessDenied");
}

TEST_CASE("fake postal: added keys authenticate and removed keys do not", "[fake_postal]") {
  FakePostal fake;
  fake.add_api_key("second-key");
  CHECK(data_of(post(fake, "send/message", valid_message(), "second-key")).contains("messages"));
  fake.remove_api_key("test-api-key");
  CHECK(data_of(post(fake, "send/message", valid_message())).at("code") == "InvalidServerAPIKey");
}

// --- envelope and encoding (§1.4) ------------------------------------------------------------

TEST_CASE("fake postal: answers are HTTP 200 application/json envelopes in key order",
          "[fake_postal]") {
  FakePostal fake;
  const auto response = post(fake, "messages/message", Json{{"id", 1}});
  CHECK(response.status == 200);
  CHECK(response.headers.get("Content-Type") == "application/json; charset=utf-8");
  CHECK(
      timeless(response.body) ==
      R"({"status":"error","time":T,"flags":{},"data":{"message":"No message found matching provided ID","id":1,"code":"MessageNotFound"}})");
  CHECK(response.body.find("\":\"error\", ") == std::string::npos);  // compact
}

TEST_CASE("fake postal: JSON output escapes <, >, & and U+2028 like ActiveSupport",
          "[fake_postal]") {
  FakePostal fake;
  Json body = valid_message();
  body["subject"] = "a<b>&c/d \xC3\xA9 \xE2\x80\xA8";
  const auto id = send_one(fake, body);
  const auto response =
      post(fake, "messages/message", Json{{"id", id}, {"_expansions", Json::array({"details"})}});
  CHECK(response.body.find(R"("subject":"a\u003cb\u003e\u0026c/d )"
                           "\xC3\xA9"
                           R"( \u2028")") != std::string::npos);
}

TEST_CASE("fake postal: floats print like Ruby's Float#to_s", "[fake_postal]") {
  using postal::testing::detail::ruby_float_to_s;
  CHECK(ruby_float_to_s(0.0) == "0.0");
  CHECK(ruby_float_to_s(1.2) == "1.2");
  CHECK(ruby_float_to_s(100.0) == "100.0");
  CHECK(ruby_float_to_s(0.012) == "0.012");
  CHECK(ruby_float_to_s(0.0001) == "0.0001");
  CHECK(ruby_float_to_s(0.00001) == "1.0e-05");
  CHECK(ruby_float_to_s(1e16) == "1.0e+16");
  CHECK(ruby_float_to_s(-2.5) == "-2.5");
  CHECK(ruby_float_to_s(0.1 + 0.2) == "0.30000000000000004");
  CHECK(ruby_float_to_s(1713456789.123456) == "1713456789.123456");
}

TEST_CASE("fake postal: Base64.decode64 is as lenient as Ruby's", "[fake_postal]") {
  using postal::testing::detail::ruby_decode64;
  CHECK(ruby_decode64("aGVsbG8gd29ybGQh\n") == "hello world!");
  CHECK(ruby_decode64("aGV*sb G8") == "hello");
  CHECK(ruby_decode64("aGVsbG8=trailing") == "hello");
  CHECK(ruby_decode64("!!!") == "");
}

TEST_CASE("fake postal: SHA-1 matches the FIPS 180 vectors", "[fake_postal]") {
  using postal::testing::detail::sha1_hex;
  CHECK(sha1_hex("") == "da39a3ee5e6b4b0d3255bfef95601890afd80709");
  CHECK(sha1_hex("abc") == "a9993e364706816aba3e25717850c26c9cd0d89d");
  CHECK(sha1_hex("hello world!") == "430ce34d020724ed75a196dfc2ad67c77772d169");
  CHECK(sha1_hex(std::string(1000000, 'a')) == "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
}

// --- transport-level behaviour (§1.1, §1.2, §1.5) ---------------------------------------------

TEST_CASE("fake postal: an unknown path answers HTTP 404 with Rails' HTML page", "[fake_postal]") {
  FakePostal fake;
  const auto response = exchange(fake, api_request("messages/list", "{}"));
  CHECK(response.status == 404);
  CHECK(response.headers.get("Content-Type") == "text/html; charset=utf-8");
  CHECK(response.body.find("The page you were looking for doesn't exist.") != std::string::npos);
}

TEST_CASE("fake postal: a 404 asked for as JSON gets Rails' JSON error body", "[fake_postal]") {
  FakePostal fake;
  auto request = api_request("nothing/here", "{}");
  request.headers.set("Accept", "application/json");
  const auto response = exchange(fake, request);
  CHECK(response.status == 404);
  CHECK(response.body == R"({"status":404,"error":"Not Found"})");
}

TEST_CASE("fake postal: DELETE and OPTIONS on an API path answer 404", "[fake_postal]") {
  FakePostal fake;
  for (const char* method : {"DELETE", "OPTIONS"}) {
    auto request = api_request("send/message", valid_message().dump());
    request.method = method;
    CHECK(exchange(fake, request).status == 404);
  }
  CHECK(fake.messages().empty());
}

TEST_CASE("fake postal: GET, PUT and PATCH are routed like POST", "[fake_postal]") {
  FakePostal fake;
  for (const char* method : {"GET", "PUT", "PATCH"}) {
    auto request = api_request("send/message", valid_message().dump());
    request.method = method;
    CHECK(data_of(exchange(fake, request)).contains("message_id"));
  }
  CHECK(fake.messages().size() == 3);
}

TEST_CASE("fake postal: a .json suffix, and with set_path_prefix(nullopt) any prefix, are accepted",
          "[fake_postal]") {
  FakePostal fake;
  CHECK(exchange(fake, api_request("send/message.json", valid_message().dump())).status == 200);
  fake.set_path_prefix(std::nullopt);
  auto request = api_request("send/message.json", valid_message().dump());
  request.url = "http://127.0.0.1:9/postal/api/v1/send/message.json";
  CHECK(data_of(exchange(fake, request)).contains("message_id"));
}

TEST_CASE("fake postal: set_path_prefix restricts what may precede /api/v1/", "[fake_postal]") {
  FakePostal fake;
  auto request = api_request("send/message", valid_message().dump());
  request.url = std::string(kBase) + "/not-postal/api/v1/send/message";
  CHECK(exchange(fake, request).status == 404);  // the default: Postal's own routing
  fake.set_path_prefix(std::string("/postal/"));
  CHECK(exchange(fake, request).status == 404);
  request.url = std::string(kBase) + "/postal/api/v1/send/message";
  CHECK(exchange(fake, request).status == 200);
  CHECK(exchange(fake, api_request("send/message", valid_message().dump())).status == 404);
}

TEST_CASE("fake postal: a malformed JSON body answers HTTP 400", "[fake_postal]") {
  FakePostal fake;
  const auto response = exchange(fake, api_request("send/message", "{\"to\": ["));
  CHECK(response.status == 400);
  CHECK(response.headers.get("Content-Type") == "text/html; charset=utf-8");
  CHECK(fake.messages().empty());
}

TEST_CASE("fake postal: JSON nested deeper than Ruby's limit of 100 answers HTTP 400, no crash",
          "[fake_postal]") {
  FakePostal fake;
  const std::string hostile =
      "{\"to\":" + std::string(100000, '[') + std::string(100000, ']') + "}";
  CHECK(exchange(fake, api_request("send/message", hostile)).status == 400);
  // 100 levels are parsed: the object and 99 arrays.
  const std::string deep = "{\"to\":" + std::string(99, '[') + std::string(99, ']') + "}";
  CHECK(exchange(fake, api_request("send/message", deep)).status == 200);
  const std::string too_deep = "{\"to\":" + std::string(100, '[') + std::string(100, ']') + "}";
  CHECK(exchange(fake, api_request("send/message", too_deep)).status == 400);
  CHECK(fake.messages().empty());
}

TEST_CASE("fake postal: a form-encoded params field carries the JSON parameters", "[fake_postal]") {
  FakePostal fake;
  const std::string params = valid_message().dump();
  std::string encoded;
  for (unsigned char c : params) {
    static constexpr char hex[] = "0123456789ABCDEF";
    if (std::isalnum(c)) {
      encoded.push_back(static_cast<char>(c));
    } else {
      encoded += {'%', hex[c >> 4], hex[c & 15]};
    }
  }
  const auto response = exchange(
      fake, api_request("send/message", "params=" + encoded, "application/x-www-form-urlencoded"));
  CHECK(data_of(response).at("messages").contains("john@example.com"));
}

TEST_CASE("fake postal: a params field in the query string is accepted", "[fake_postal]") {
  FakePostal fake;
  auto request = api_request("messages/message", "", "");
  request.url += "?params=%7B%22id%22%3A42%7D";
  CHECK(data_of(exchange(fake, request)).at("id") == 42);
}

TEST_CASE("fake postal: a params field that is not JSON answers HTTP 500", "[fake_postal]") {
  FakePostal fake;
  const auto response = exchange(
      fake, api_request("send/message", "params=%7Bnot", "application/x-www-form-urlencoded"));
  CHECK(response.status == 500);
}

TEST_CASE("fake postal: the JSON content type match is case-sensitive", "[fake_postal]") {
  FakePostal fake;
  const auto response =
      exchange(fake, api_request("send/message", valid_message().dump(), "Application/JSON"));
  CHECK(data_of(response).at("code") == "NoRecipients");  // the body was ignored
}

TEST_CASE("fake postal: null entries in JSON arrays are dropped as Rails' deep_munge does",
          "[fake_postal]") {
  FakePostal fake;
  Json body = valid_message();
  body["to"] = Json::array({nullptr});
  CHECK(data_of(post(fake, "send/message", body)).at("code") == "NoRecipients");
}

// --- send/message (§2.1) -----------------------------------------------------------------------

TEST_CASE("fake postal: send/message without recipients and from answers NoRecipients first",
          "[fake_postal]") {
  FakePostal fake;
  CHECK(
      timeless(post(fake, "send/message", Json::object()).body) ==
      R"({"status":"error","time":T,"flags":{},"data":{"message":"There are no recipients defined to receive this message","code":"NoRecipients"}})");
}

TEST_CASE("fake postal: send/message with 51 To addresses answers TooManyToAddresses",
          "[fake_postal]") {
  FakePostal fake;
  Json body = valid_message();
  body["to"] = Json::array();
  for (int i = 0; i < 51; ++i) body["to"].push_back("user" + std::to_string(i) + "@example.com");
  CHECK(
      timeless(post(fake, "send/message", body).body) ==
      R"j({"status":"error","time":T,"flags":{},"data":{"message":"The maximum number of To addresses has been reached (maximum 50)","code":"TooManyToAddresses"}})j");
  body["to"].erase(50);
  CHECK(data_of(post(fake, "send/message", body)).at("messages").size() == 50);
}

TEST_CASE("fake postal: send/message limits CC and BCC to 50 each", "[fake_postal]") {
  FakePostal fake;
  Json many = Json::array();
  for (int i = 0; i < 51; ++i) many.push_back("u" + std::to_string(i) + "@example.com");
  Json body = valid_message();
  body["cc"] = many;
  CHECK(data_of(post(fake, "send/message", body)).at("message") ==
        "The maximum number of CC addresses has been reached (maximum 50)");
  body.erase("cc");
  body["bcc"] = many;
  CHECK(data_of(post(fake, "send/message", body)).at("message") ==
        "The maximum number of BCC addresses has been reached (maximum 50)");
}

TEST_CASE("fake postal: send/message with whitespace-only bodies answers NoContent",
          "[fake_postal]") {
  FakePostal fake;
  Json body = valid_message();
  body["plain_body"] = " \n\t ";
  body["html_body"] = "";
  CHECK(
      timeless(post(fake, "send/message", body).body) ==
      R"({"status":"error","time":T,"flags":{},"data":{"message":"There is no content defined for this e-mail","code":"NoContent"}})");
}

TEST_CASE("fake postal: send/message checks NoContent before FromAddressMissing", "[fake_postal]") {
  FakePostal fake;
  CHECK(data_of(post(fake, "send/message", Json{{"to", "a@example.com"}})).at("code") ==
        "NoContent");
}

TEST_CASE("fake postal: send/message with a blank from answers FromAddressMissing",
          "[fake_postal]") {
  FakePostal fake;
  Json body = valid_message();
  body["from"] = "   ";
  CHECK(
      timeless(post(fake, "send/message", body).body) ==
      R"({"status":"error","time":T,"flags":{},"data":{"message":"The From address is missing and is required","code":"FromAddressMissing"}})");
}

TEST_CASE("fake postal: send/message from an unverified domain answers UnauthenticatedFromAddress",
          "[fake_postal]") {
  FakePostal fake;
  Json body = valid_message();
  body["from"] = "Eve <eve@evil.test>";
  CHECK(
      timeless(post(fake, "send/message", body).body) ==
      R"({"status":"error","time":T,"flags":{},"data":{"message":"The From address is not authorised to send mail from this server","code":"UnauthenticatedFromAddress"}})");
  fake.add_verified_domain("evil.test");
  CHECK(data_of(post(fake, "send/message", body)).contains("messages"));
}

TEST_CASE("fake postal: the From domain check strips names and comments and ignores case",
          "[fake_postal]") {
  FakePostal fake;
  Json body = valid_message();
  body["from"] = "\"Sales (EU)\" <Sales@EXAMPLE.com> (team)";
  CHECK(data_of(post(fake, "send/message", body)).contains("messages"));
}

TEST_CASE("fake postal: send/message with an unnamed attachment answers AttachmentMissingName",
          "[fake_postal]") {
  FakePostal fake;
  Json body = valid_message();
  body["attachments"] = Json::array({Json{{"data", "aGVsbG8="}}});
  CHECK(
      timeless(post(fake, "send/message", body).body) ==
      R"({"status":"error","time":T,"flags":{},"data":{"message":"An attachment is missing a name","code":"AttachmentMissingName"}})");
}

TEST_CASE("fake postal: send/message with an empty attachment answers AttachmentMissingData",
          "[fake_postal]") {
  FakePostal fake;
  Json body = valid_message();
  body["attachments"] = Json::array({Json{{"name", "a.txt"}, {"data", "===="}}});
  CHECK(
      timeless(post(fake, "send/message", body).body) ==
      R"({"status":"error","time":T,"flags":{},"data":{"message":"An attachment is missing data","code":"AttachmentMissingData"}})");
}

TEST_CASE("fake postal: send/message skips attachment entries that are not objects",
          "[fake_postal]") {
  FakePostal fake;
  Json body = valid_message();
  body["attachments"] = Json::array({"junk", 5, Json{{"name", "a.txt"}, {"data", "aGk="}}});
  const auto id = send_one(fake, body);
  const auto data = data_of(post(fake, "messages/message",
                                 Json{{"id", id}, {"_expansions", Json::array({"attachments"})}}));
  REQUIRE(data.at("attachments").size() == 1);
  CHECK(data.at("attachments")[0].at("content_type") == "application/octet-stream");
}

TEST_CASE("fake postal: send/message success has the exact shape and key order", "[fake_postal]") {
  FakePostal fake;
  Json body = valid_message();
  body["to"] = Json::array({"John <john@example.com>"});
  body["cc"] = Json::array({"cc@example.com"});
  body["bcc"] = Json::array({"bcc@example.com"});
  const auto response = post(fake, "send/message", body);
  CHECK(response.status == 200);
  const std::string token = "[A-Za-z0-9]{16}";
  CHECK(matches(
      timeless(response.body),
      R"(\{"status":"success","time":T,"flags":\{\},"data":\{"message_id":"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}@rp\.postal\.example\.test","messages":\{)"
      R"("john@example\.com":\{"id":1,"token":")" +
          token + R"("\},"cc@example\.com":\{"id":2,"token":")" + token +
          R"("\},"bcc@example\.com":\{"id":3,"token":")" + token + R"("\}\}\}\})"));
}

TEST_CASE("fake postal: message ids increase from 1 and tokens are distinct", "[fake_postal]") {
  FakePostal fake;
  std::set<std::string> tokens;
  for (std::int64_t expected = 1; expected <= 5; ++expected) {
    const auto data = data_of(post(fake, "send/message", valid_message()));
    const auto& ref = data.at("messages").at("john@example.com");
    CHECK(ref.at("id") == expected);
    tokens.insert(ref.at("token").get<std::string>());
  }
  CHECK(tokens.size() == 5);
}

TEST_CASE("fake postal: a string to is split on commas", "[fake_postal]") {
  FakePostal fake;
  Json body = valid_message();
  body["to"] = "a@example.com,b@example.com,   C <c@example.com>";
  const auto messages = data_of(post(fake, "send/message", body)).at("messages");
  std::vector<std::string> keys;
  for (const auto& item : messages.items()) keys.push_back(item.key());
  CHECK(keys == std::vector<std::string>{"a@example.com", "b@example.com", "c@example.com"});
}

TEST_CASE("fake postal: a repeated recipient keeps its first position and its last message",
          "[fake_postal]") {
  FakePostal fake;
  Json body = valid_message();
  body["to"] = Json::array({"a@example.com", "b@example.com"});
  body["cc"] = Json::array({"A <a@example.com>"});
  const auto response = post(fake, "send/message", body);
  CHECK(matches(timeless(response.body),
                R"(.*"messages":\{"a@example\.com":\{"id":3,.*\},"b@example\.com":\{"id":2,.*)"));
  CHECK(fake.messages().size() == 3);
}

TEST_CASE("fake postal: bounce is true for any value but false and null", "[fake_postal]") {
  FakePostal fake;
  const std::vector<std::pair<Json, bool>> cases = {
      {true, true}, {0, true}, {"false", true}, {false, false}, {nullptr, false}};
  for (const auto& [value, expected] : cases) {
    Json body = valid_message();
    body["bounce"] = value;
    const auto id = send_one(fake, body);
    CHECK(fake.find_message(id)->bounce == expected);
  }
}

TEST_CASE("fake postal: send/message stores tag, envelope and a MIME message per recipient",
          "[fake_postal]") {
  FakePostal fake;
  Json body = valid_message();
  body["from"] = "Shop <sales@example.com>";
  body["tag"] = "welcome";
  body["html_body"] = "<p>Hello</p>";
  const auto id = send_one(fake, body);
  const auto message = *fake.find_message(id);
  CHECK(message.rcpt_to == "john@example.com");
  CHECK(message.mail_from == "sales@example.com");
  CHECK(message.tag == "welcome");
  CHECK(message.subject == "Welcome");
  CHECK(message.status == DeliveryStatus::Pending);
  CHECK(message.api_key == "test-api-key");
  CHECK(message.raw_message.find("\r\nMessage-ID: <" + *message.message_id + ">\r\n") !=
        std::string::npos);
  CHECK(message.raw_message.rfind("Received: from api (", 0) == 0);
  CHECK(message.raw_message.find("Content-Type: multipart/alternative") != std::string::npos);
}

TEST_CASE("fake postal: an X-Postal-Tag header gives the tag when none is given", "[fake_postal]") {
  FakePostal fake;
  Json body = valid_message();
  body["headers"] = Json{{"X-Postal-Tag", "from-header"}};
  CHECK(fake.find_message(send_one(fake, body))->tag == "from-header");
  body["tag"] = "explicit";
  CHECK(fake.find_message(send_one(fake, body))->tag == "explicit");
}

TEST_CASE("fake postal: a non-string recipient answers HTTP 500", "[fake_postal]") {
  FakePostal fake;
  Json body = valid_message();
  body["to"] = Json::array({5});
  CHECK(post(fake, "send/message", body).status == 500);
}

// --- send/raw (§2.2) ---------------------------------------------------------------------------

TEST_CASE("fake postal: send/raw parameter errors come in the order rcpt_to, mail_from, data",
          "[fake_postal]") {
  FakePostal fake;
  CHECK(
      timeless(post(fake, "send/raw", Json::object()).body) ==
      R"({"status":"parameter-error","time":T,"flags":{},"data":{"message":"`rcpt_to` parameter is required but is missing"}})");
  CHECK(
      timeless(post(fake, "send/raw", Json{{"rcpt_to", Json::array()}}).body) ==
      R"({"status":"parameter-error","time":T,"flags":{},"data":{"message":"`mail_from` parameter is required but is missing"}})");
  CHECK(
      timeless(
          post(fake, "send/raw", Json{{"rcpt_to", Json::array()}, {"mail_from", "a@example.com"}})
              .body) ==
      R"({"status":"parameter-error","time":T,"flags":{},"data":{"message":"`data` parameter is required but is missing"}})");
}

TEST_CASE("fake postal: send/raw treats a string rcpt_to as missing", "[fake_postal]") {
  FakePostal fake;
  const Json body{{"rcpt_to", "a@example.com"}, {"mail_from", "a@example.com"}, {"data", "eA=="}};
  CHECK(data_of(post(fake, "send/raw", body)).at("message") ==
        "`rcpt_to` parameter is required but is missing");
}

TEST_CASE("fake postal: send/raw from an unverified domain answers a code-only error",
          "[fake_postal]") {
  FakePostal fake;
  const Json body{{"rcpt_to", Json::array({"a@example.com"})},
                  {"mail_from", "a@example.com"},
                  {"data", raw_base64("From: eve@evil.test\r\n\r\nhi")}};
  CHECK(timeless(post(fake, "send/raw", body).body) ==
        R"({"status":"error","time":T,"flags":{},"data":{"code":"UnauthenticatedFromAddress"}})");
}

TEST_CASE("fake postal: send/raw needs every From address verified", "[fake_postal]") {
  FakePostal fake;
  Json body{{"rcpt_to", Json::array({"a@example.com"})},
            {"mail_from", "a@example.com"},
            {"data", raw_base64("From: A <a@example.com>, eve@evil.test\r\n\r\nhi")}};
  CHECK(data_of(post(fake, "send/raw", body)).at("code") == "UnauthenticatedFromAddress");
  body["data"] = raw_base64("Subject: no from\r\n\r\nhi");
  CHECK(data_of(post(fake, "send/raw", body)).at("code") == "UnauthenticatedFromAddress");
}

TEST_CASE("fake postal: send/raw without a Message-ID answers message_id null", "[fake_postal]") {
  FakePostal fake;
  const Json body{{"rcpt_to", Json::array({"x@example.net"})},
                  {"mail_from", "a@example.com"},
                  {"data", raw_base64("From: a@example.com\r\nSubject: Hi\r\n\r\nbody")}};
  CHECK(matches(
      timeless(post(fake, "send/raw", body).body),
      R"(\{"status":"success","time":T,"flags":\{\},"data":\{"message_id":null,"messages":\{"x@example\.net":\{"id":1,"token":"[A-Za-z0-9]{16}"\}\}\}\})"));
}

TEST_CASE("fake postal: send/raw answers the Message-ID and keys recipients as given, once each",
          "[fake_postal]") {
  FakePostal fake;
  const std::string raw =
      "From: a@example.com\r\nMessage-ID: <CAF=abc123@mail.example.com>\r\n\r\nbody";
  const Json body{{"rcpt_to", {"Test1 <t1@example.com>", "t2@example.com", "t2@example.com"}},
                  {"mail_from", "a@example.com"},
                  {"data", raw_base64(raw)}};
  const auto data = data_of(post(fake, "send/raw", body));
  CHECK(data.at("message_id") == "CAF=abc123@mail.example.com");
  CHECK(data.at("messages").size() == 2);
  CHECK(data.at("messages").contains("Test1 <t1@example.com>"));
  CHECK(fake.find_message(1)->raw_message == raw);
}

TEST_CASE("fake postal: send/raw with no recipients succeeds with no messages", "[fake_postal]") {
  FakePostal fake;
  const Json body{{"rcpt_to", Json::array()},
                  {"mail_from", "a@example.com"},
                  {"data", raw_base64("From: a@example.com\r\nMessage-ID: <x@y>\r\n\r\nhi")}};
  CHECK(timeless(post(fake, "send/raw", body).body) ==
        R"({"status":"success","time":T,"flags":{},"data":{"message_id":null,"messages":{}}})");
}

TEST_CASE("fake postal: send/raw parses bodies and attachments of the stored message",
          "[fake_postal]") {
  FakePostal fake;
  const std::string raw =
      "From: a@example.com\r\nSubject: =?UTF-8?B?SMOpbGxv?=\r\nMIME-Version: 1.0\r\n"
      "Content-Type: multipart/mixed; boundary=\"outer\"\r\n\r\n"
      "--outer\r\nContent-Type: multipart/alternative; boundary=inner\r\n\r\n"
      "--inner\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: "
      "quoted-printable\r\n\r\n"
      "Caf=C3=A9 line=\r\n continues\r\n"
      "--inner\r\nContent-Type: text/html\r\n\r\n<b>Hi</b>\r\n--inner--\r\n"
      "--outer\r\nContent-Type: text/plain; name=\"example.txt\"\r\nContent-Transfer-Encoding: "
      "base64\r\n"
      "Content-Disposition: attachment; "
      "filename=\"example.txt\"\r\n\r\naGVsbG8gd29ybGQh\r\n--outer--\r\n";
  const Json body{{"rcpt_to", Json::array({"x@example.net"})},
                  {"mail_from", "a@example.com"},
                  {"data", raw_base64(raw)}};
  REQUIRE(data_of(post(fake, "send/raw", body)).at("messages").size() == 1);
  const auto data = data_of(post(
      fake, "messages/message",
      Json{{"id", 1}, {"_expansions", {"details", "plain_body", "html_body", "attachments"}}}));
  CHECK(data.at("details").at("subject") == "H\xC3\xA9llo");
  CHECK(data.at("details").at("size") == std::to_string(raw.size()));
  CHECK(data.at("plain_body") == "Caf\xC3\xA9 line continues");
  CHECK(data.at("html_body") == "<b>Hi</b>");
  CHECK(
      data.at("attachments").dump() ==
      R"([{"filename":"example.txt","content_type":"text/plain","data":"aGVsbG8gd29ybGQh\n","size":12,"hash":"430ce34d020724ed75a196dfc2ad67c77772d169"}])");
}

// --- messages/message (§2.3) ---------------------------------------------------------------------

TEST_CASE("fake postal: messages/message without an id answers the id parameter-error",
          "[fake_postal]") {
  FakePostal fake;
  for (const Json& id : {Json(nullptr), Json(false), Json(""), Json::array()}) {
    CHECK(
        timeless(post(fake, "messages/message", Json{{"id", id}}).body) ==
        R"({"status":"parameter-error","time":T,"flags":{},"data":{"message":"`id` parameter is required but is missing"}})");
  }
}

TEST_CASE("fake postal: messages/message for an unknown id answers MessageNotFound",
          "[fake_postal]") {
  FakePostal fake;
  CHECK(
      timeless(post(fake, "messages/message", Json{{"id", 123}}).body) ==
      R"({"status":"error","time":T,"flags":{},"data":{"message":"No message found matching provided ID","id":123,"code":"MessageNotFound"}})");
}

TEST_CASE("fake postal: a non-integer id answers HTTP 500", "[fake_postal]") {
  FakePostal fake;
  send_one(fake);
  for (const Json& id : {Json("1"), Json(1.0), Json::array({1})}) {
    const auto response = post(fake, "messages/message", Json{{"id", id}});
    CHECK(response.status == 500);
    CHECK(response.headers.get("Content-Type") == "text/html; charset=utf-8");
  }
}

TEST_CASE("fake postal: messages/message without _expansions answers only id and token",
          "[fake_postal]") {
  FakePostal fake;
  const auto id = send_one(fake);
  const auto token = fake.find_message(id)->token;
  CHECK(timeless(post(fake, "messages/message", Json{{"id", id}}).body) ==
        R"({"status":"success","time":T,"flags":{},"data":{"id":1,"token":")" + token + R"("}})");
  CHECK(
      timeless(post(fake, "messages/message", Json{{"id", id}, {"_expansions", "status"}}).body) ==
      R"({"status":"success","time":T,"flags":{},"data":{"id":1,"token":")" + token + R"("}})");
}

TEST_CASE("fake postal: _expansions true answers all nine expansions in Postal's order",
          "[fake_postal]") {
  FakePostal fake;
  const auto id = send_one(fake);
  const auto data =
      data_of(post(fake, "messages/message", Json{{"id", id}, {"_expansions", true}}));
  std::vector<std::string> keys;
  for (const auto& item : data.items()) keys.push_back(item.key());
  CHECK(keys == std::vector<std::string>{"id", "token", "status", "details", "inspection",
                                         "plain_body", "html_body", "attachments", "headers",
                                         "raw_message", "activity_entries"});
}

TEST_CASE("fake postal: an _expansions array picks expansions in the fixed order",
          "[fake_postal]") {
  FakePostal fake;
  const auto id = send_one(fake);
  const auto data = data_of(post(
      fake, "messages/message", Json{{"id", id}, {"_expansions", {"headers", "bogus", "status"}}}));
  std::vector<std::string> keys;
  for (const auto& item : data.items()) keys.push_back(item.key());
  CHECK(keys == std::vector<std::string>{"id", "token", "status", "headers"});
}

TEST_CASE("fake postal: status, details and inspection have Postal's field types",
          "[fake_postal]") {
  FakePostal fake;
  const auto id = send_one(fake);
  const auto response =
      post(fake, "messages/message",
           Json{{"id", id}, {"_expansions", {"status", "details", "inspection"}}});
  const auto message = *fake.find_message(id);
  const std::string timestamp = postal::testing::detail::ruby_float_to_s(message.timestamp);
  CHECK(
      timeless(response.body) ==
      R"({"status":"success","time":T,"flags":{},"data":{"id":1,"token":")" + message.token +
          R"(","status":{"status":"Pending","last_delivery_attempt":null,"held":false,"hold_expiry":null},)"
          R"("details":{"rcpt_to":"john@example.com","mail_from":"sales@example.com","subject":"Welcome","message_id":")" +
          *message.message_id + R"(","timestamp":)" + timestamp +
          R"(,"direction":"outgoing","size":")" + std::to_string(message.raw_message.size()) +
          R"(","bounce":false,"bounce_for_id":0,"tag":null,"received_with_ssl":true},)"
          R"("inspection":{"inspected":false,"spam":false,"spam_score":0.0,"threat":false,"threat_details":null}}})");
  CHECK(matches(timestamp, R"(\d{10}\.\d{1,6})"));
}

TEST_CASE("fake postal: bodies and headers expansions reflect the built message", "[fake_postal]") {
  FakePostal fake;
  Json body = valid_message();
  body["html_body"] = "<p>Hello John</p>";
  body["headers"] = Json{{"X-Campaign", "spring"}};
  const auto id = send_one(fake, body);
  const auto data =
      data_of(post(fake, "messages/message",
                   Json{{"id", id}, {"_expansions", {"plain_body", "html_body", "headers"}}}));
  CHECK(data.at("plain_body") == "Hello John");
  CHECK(data.at("html_body") == "<p>Hello John</p>");
  const auto& headers = data.at("headers");
  CHECK(headers.at("received")[0].get<std::string>().rfind("from api", 0) == 0);
  CHECK(headers.at("to") == Json::array({"john@example.com"}));
  CHECK(headers.at("subject") == Json::array({"Welcome"}));
  CHECK(headers.at("mime-version") == Json::array({"1.0"}));
  CHECK(headers.at("x-campaign") == Json::array({"spring"}));
  CHECK(headers.at("message-id")[0] == "<" + *fake.find_message(id)->message_id + ">");
}

TEST_CASE("fake postal: attachments carry Base64.encode64 data, size and SHA-1 hash",
          "[fake_postal]") {
  FakePostal fake;
  Json body = valid_message();
  body["attachments"] = Json::array({Json{
      {"name", "example.txt"}, {"content_type", "text/plain"}, {"data", "aGVsbG8gd29ybGQh"}}});
  const auto id = send_one(fake, body);
  const auto response = post(fake, "messages/message",
                             Json{{"id", id}, {"_expansions", Json::array({"attachments"})}});
  CHECK(
      response.body.find(
          R"("attachments":[{"filename":"example.txt","content_type":"text/plain","data":"aGVsbG8gd29ybGQh\n","size":12,"hash":"430ce34d020724ed75a196dfc2ad67c77772d169"}])") !=
      std::string::npos);
}

TEST_CASE("fake postal: raw_message is Base64.encode64 of the stored bytes", "[fake_postal]") {
  FakePostal fake;
  const auto id = send_one(fake);
  const auto data = data_of(post(fake, "messages/message",
                                 Json{{"id", id}, {"_expansions", Json::array({"raw_message"})}}));
  const std::string encoded = data.at("raw_message");
  CHECK(encoded == postal::detail::base64_encode(fake.find_message(id)->raw_message, 60));
  CHECK(encoded.back() == '\n');
  std::size_t start = 0;
  for (std::size_t nl = encoded.find('\n'); nl != std::string::npos;
       nl = encoded.find('\n', start)) {
    CHECK(nl - start <= 60);
    if (nl + 1 < encoded.size()) CHECK(nl - start == 60);
    start = nl + 1;
  }
}

TEST_CASE("fake postal: activity entries list recorded loads and clicks", "[fake_postal]") {
  FakePostal fake;
  const auto id = send_one(fake);
  fake.record_load(id, "198.51.100.7", std::string("Mozilla/5.0"));
  fake.record_click(id, "https://example.com/", "198.51.100.8");
  const auto response = post(fake, "messages/message",
                             Json{{"id", id}, {"_expansions", Json::array({"activity_entries"})}});
  CHECK(matches(
      timeless(response.body),
      R"(.*"activity_entries":\{"loads":\[\{"ip_address":"198\.51\.100\.7","user_agent":"Mozilla/5\.0","timestamp":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"\}\],)"
      R"("clicks":\[\{"url":"https://example\.com/","ip_address":"198\.51\.100\.8","user_agent":null,"timestamp":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"\}\]\}\}\})"));
}

TEST_CASE("fake postal: a Held delivery holds the message for 7 days", "[fake_postal]") {
  FakePostal fake;
  const auto id = send_one(fake);
  DeliveryAttempt held;
  held.status = DeliveryStatus::Held;
  held.details = "Server is in development mode.";
  fake.record_delivery(id, held);
  const auto status = data_of(post(fake, "messages/message",
                                   Json{{"id", id}, {"_expansions", Json::array({"status"})}}))
                          .at("status");
  CHECK(status.at("status") == "Held");
  CHECK(status.at("held") == true);
  const double expiry = status.at("hold_expiry");
  const double last = status.at("last_delivery_attempt");
  CHECK(std::abs(expiry - last - 7 * 24 * 3600.0) < 1.0);
  fake.record_delivery(id, {DeliveryStatus::Sent, "sent", "250 OK"});
  const auto after = data_of(post(fake, "messages/message",
                                  Json{{"id", id}, {"_expansions", Json::array({"status"})}}))
                         .at("status");
  CHECK(after.at("status") == "Sent");
  CHECK(after.at("held") == false);
  CHECK(after.at("hold_expiry").is_null());
}

// --- messages/deliveries (§2.4) ----------------------------------------------------------------

TEST_CASE("fake postal: messages/deliveries is empty before any attempt", "[fake_postal]") {
  FakePostal fake;
  const auto id = send_one(fake);
  CHECK(timeless(post(fake, "messages/deliveries", Json{{"id", id}}).body) ==
        R"({"status":"success","time":T,"flags":{},"data":[]})");
}

TEST_CASE("fake postal: messages/deliveries lists attempts by timestamp with Postal's types",
          "[fake_postal]") {
  FakePostal fake;
  const auto id = send_one(fake);
  DeliveryAttempt later{DeliveryStatus::Sent, "sent successfully", " 200 ", false, 2.2, "5678",
                        1713456791.234567};
  DeliveryAttempt earlier{DeliveryStatus::SoftFail, "no server found", "404", true, 1.2, "1234",
                          1713456790.123456};
  DeliveryAttempt bare;
  bare.status = DeliveryStatus::HardFail;
  bare.timestamp = 1713456792.5;
  CHECK(fake.record_delivery(id, later) == 1);
  CHECK(fake.record_delivery(id, earlier) == 2);
  CHECK(fake.record_delivery(id, bare) == 3);
  CHECK(
      timeless(post(fake, "messages/deliveries", Json{{"id", id}}).body) ==
      R"({"status":"success","time":T,"flags":{},"data":[)"
      R"({"id":2,"status":"SoftFail","details":"no server found","output":"404","sent_with_ssl":true,"log_id":"1234","time":1.2,"timestamp":1713456790.123456},)"
      R"({"id":1,"status":"Sent","details":"sent successfully","output":"200","sent_with_ssl":false,"log_id":"5678","time":2.2,"timestamp":1713456791.234567},)"
      R"({"id":3,"status":"HardFail","details":null,"output":null,"sent_with_ssl":false,"log_id":null,"time":null,"timestamp":1713456792.5}]})");
}

TEST_CASE("fake postal: messages/deliveries for an unknown id answers MessageNotFound",
          "[fake_postal]") {
  FakePostal fake;
  CHECK(data_of(post(fake, "messages/deliveries", Json{{"id", 9}})).at("code") ==
        "MessageNotFound");
}

TEST_CASE("fake postal: recording on an unknown message throws", "[fake_postal]") {
  FakePostal fake;
  CHECK_THROWS_AS(fake.record_delivery(42), std::out_of_range);
  CHECK_THROWS_AS(fake.record_load(42, "192.0.2.1"), std::out_of_range);
}

// --- faults, counters, threads -------------------------------------------------------------------

TEST_CASE("fake postal: fail_next answers the given response once, creating nothing",
          "[fake_postal]") {
  FakePostal fake;
  HttpResponse bad_gateway{502, {{"Content-Type", "text/html"}}, "<html>502 Bad Gateway</html>"};
  fake.fail_next(bad_gateway);
  const auto first = exchange(fake, api_request("send/message", valid_message().dump()));
  CHECK(first.status == 502);
  CHECK(first.body == "<html>502 Bad Gateway</html>");
  CHECK(fake.messages().empty());
  CHECK(exchange(fake, api_request("send/message", valid_message().dump())).status == 200);
  CHECK(fake.messages().size() == 1);
}

TEST_CASE("fake postal: a transport fault after processing still creates the mail",
          "[fake_postal]") {
  FakePostal fake;
  postal::Error timeout;
  timeout.code = postal::ErrorCode::Timeout;
  timeout.send_state = postal::SendState::MaybeSent;
  fake.fail_next(timeout, postal::testing::FaultTiming::AfterProcessing);
  const auto result = fake.send(api_request("send/message", valid_message().dump()));
  REQUIRE_FALSE(result.has_value());
  CHECK(result.error().code == postal::ErrorCode::Timeout);
  CHECK(fake.messages().size() == 1);
}

TEST_CASE("fake postal: request_count counts every handled request", "[fake_postal]") {
  FakePostal fake;
  (void)fake.send(api_request("send/message", valid_message().dump()));
  (void)fake.send(api_request("no/such", ""));
  (void)fake.send(api_request("send/message", "{", "application/json"));
  CHECK(fake.request_count() == 3);
  CHECK(fake.requests().at(1).url == std::string(kBase) + "/api/v1/no/such");
}

TEST_CASE("fake postal: concurrent sends get distinct message ids", "[fake_postal]") {
  FakePostal fake;
  constexpr int kThreads = 8;
  constexpr int kEach = 25;
  std::vector<std::vector<std::int64_t>> ids(kThreads);
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        auto result = fake.send(api_request("send/message", valid_message().dump()));
        if (!result || result->status != 200) {
          ++failures;
          continue;
        }
        const auto data = Json::parse(result->body).at("data");
        ids[static_cast<std::size_t>(t)].push_back(
            data.at("messages").at("john@example.com").at("id").get<std::int64_t>());
      }
    });
  }
  for (auto& thread : threads) thread.join();
  CHECK(failures == 0);
  std::set<std::int64_t> all;
  for (const auto& list : ids) all.insert(list.begin(), list.end());
  CHECK(all.size() == static_cast<std::size_t>(kThreads * kEach));
  CHECK(*all.begin() == 1);
  CHECK(*all.rbegin() == kThreads * kEach);
  CHECK(fake.request_count() == static_cast<std::size_t>(kThreads * kEach));
}
