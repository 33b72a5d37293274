// postal::Client through a scripted transport: the exact request of each call (spec §1.1-1.4,
// §2.1-2.4), client-side validation that sends nothing, the API key kept out of every error,
// transport failures, copies, and Result<T>.
#include "support/catch.hpp"
#include "support/scripted_transport.hpp"

#include <postal/client.hpp>
#include <postal/detail/base64.hpp>
#include <postal/error.hpp>
#include <postal/models.hpp>
#include <postal/options.hpp>
#include <postal/result.hpp>
#include <postal/transport.hpp>

#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace {

using nlohmann::json;
using postal::ErrorCode;
using postal::SendState;
using postal_test::ScriptedTransport;

const std::string kBaseUrl = "https://postal.example.com";
const std::string kApiKey = "SECRETKEY1234567890abcdef";

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

/// A client on a scripted transport; `base_url` may be overridden per test.
struct Harness {
  explicit Harness(std::string base_url = kBaseUrl, std::string api_key = kApiKey)
      : client(postal::ClientOptions{std::move(base_url), std::move(api_key),
                                     std::chrono::seconds(5), transport,
                                     postal::RetryOptions::none()}) {}
  std::shared_ptr<ScriptedTransport> transport = std::make_shared<ScriptedTransport>();
  postal::Client client;

  /// The JSON body of the only request made.
  json only_request_body() const {
    REQUIRE(transport->request_count() == 1);
    return json::parse(transport->last_request().body);
  }
};

postal::SendMessageRequest valid_message() {
  postal::SendMessageRequest m;
  m.to = {"john@example.com"};
  m.from = "sales@example.com";
  m.subject = "Welcome";
  m.plain_body = "Hello John";
  return m;
}

postal::SendRawRequest valid_raw() {
  postal::SendRawRequest r;
  r.mail_from = "sales@example.com";
  r.rcpt_to = {"test1@example.com", "test2@example.com"};
  r.data = "From: sales@example.com\r\nTo: test1@example.com\r\nSubject: Hi\r\n\r\nHello";
  return r;
}

std::vector<std::string> addresses(std::size_t n) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < n; ++i) out.push_back("user" + std::to_string(i) + "@example.com");
  return out;
}

/// The call was refused by client-side validation: InvalidArgument, NotSent, nothing sent.
template <class T>
void check_rejected_before_sending(const postal::Result<T>& result,
                                   const ScriptedTransport& transport) {
  REQUIRE_FALSE(result.has_value());
  CHECK(result.error().code == ErrorCode::InvalidArgument);
  CHECK(result.error().send_state == SendState::NotSent);
  CHECK_FALSE(result.error().message.empty());
  CHECK(transport.request_count() == 0);
}

/// The API key appears in no field of the error, nor in describe() or the exception's what().
template <class T>
void check_key_absent(const postal::Result<T>& result, const std::string& key = kApiKey) {
  REQUIRE_FALSE(result.has_value());
  const auto& e = result.error();
  CHECK_FALSE(contains(e.message, key));
  CHECK_FALSE(contains(e.api_code, key));
  CHECK_FALSE(contains(e.body, key));
  CHECK_FALSE(contains(e.details.dump(), key));
  CHECK_FALSE(contains(e.describe(), key));
  bool thrown = false;
  try {
    (void)result.value();
  } catch (const postal::Exception& ex) {
    thrown = true;
    CHECK_FALSE(contains(ex.what(), key));
    CHECK_FALSE(contains(ex.error().details.dump(), key));
  }
  CHECK(thrown);
}

const char* const kMessageOnly = R"({"id":37171,"token":"Xk2bY7pQ9rT4mN1c"})";

}  // namespace

// ---------------------------------------------------------------------------------------------
// The request each call makes

TEST_CASE("send_message posts JSON with the API key to api/v1/send/message") {
  Harness h;
  h.transport->push(
      postal_test::http_response(200, postal_test::read_test_data("send_message_success.json")));
  auto sent = h.client.send_message(valid_message());
  REQUIRE(sent.has_value());
  REQUIRE(h.transport->request_count() == 1);
  const auto request = h.transport->last_request();
  CHECK(request.method == "POST");
  CHECK(request.url == "https://postal.example.com/api/v1/send/message");
  CHECK(request.headers.get("Content-Type") == std::string("application/json"));
  CHECK(request.headers.get("X-Server-API-Key") == kApiKey);
}

TEST_CASE("send_message body holds exactly the request's fields") {
  Harness h;
  h.transport->push(postal_test::success_response(R"({"message_id":"m@x","messages":{}})"));
  auto m = valid_message();
  m.cc = {"cc@example.com"};
  m.bcc = {"bcc@example.com"};
  m.reply_to = "help@example.com";
  m.html_body = "<p>Hello John</p>";
  m.tag = "welcome";
  m.headers = {{"X-Campaign", "spring"}};
  m.attachments = {{"example.txt", "text/plain", "hello world!"}};
  auto sent = h.client.send_message(m);
  REQUIRE(sent.has_value());
  CHECK(h.only_request_body() == json::parse(R"({
    "to": ["john@example.com"], "cc": ["cc@example.com"], "bcc": ["bcc@example.com"],
    "from": "sales@example.com", "subject": "Welcome", "reply_to": "help@example.com",
    "plain_body": "Hello John", "html_body": "<p>Hello John</p>", "tag": "welcome",
    "bounce": false, "headers": {"X-Campaign": "spring"},
    "attachments": [{"name": "example.txt", "content_type": "text/plain", "data": "aGVsbG8gd29ybGQh"}]
  })"));
}

TEST_CASE("send_message returns the message id and one message per recipient") {
  Harness h;
  h.transport->push(
      postal_test::http_response(200, postal_test::read_test_data("send_message_success.json")));
  auto m = valid_message();
  m.cc = {"cc@example.com"};
  m.bcc = {"bcc@example.com"};
  auto sent = h.client.send_message(m);
  REQUIRE(sent.has_value());
  CHECK(sent->message_id == "0f8a3c2e-6b1d-4d8e-9f3a-2c7b5e1d4a90@rp.postal.example.com");
  CHECK(sent->messages.size() == 3);
  CHECK(sent->messages.at("bcc@example.com").id == 37173);
}

TEST_CASE("send_raw posts the base64 of the raw bytes to api/v1/send/raw") {
  Harness h;
  h.transport->push(
      postal_test::http_response(200, postal_test::read_test_data("send_raw_success.json")));
  auto raw = valid_raw();
  raw.bounce = true;
  auto sent = h.client.send_raw(raw);
  REQUIRE(sent.has_value());
  const auto request = h.transport->last_request();
  CHECK(request.method == "POST");
  CHECK(request.url == "https://postal.example.com/api/v1/send/raw");
  CHECK(request.headers.get("Content-Type") == std::string("application/json"));
  CHECK(request.headers.get("X-Server-API-Key") == kApiKey);
  CHECK(h.only_request_body() ==
        json{{"mail_from", "sales@example.com"},
             {"rcpt_to", json::array({"test1@example.com", "test2@example.com"})},
             {"data", postal::detail::base64_encode(raw.data)},
             {"bounce", true}});
}

TEST_CASE("send_raw returns the raw message's id and its recipients") {
  Harness h;
  h.transport->push(
      postal_test::http_response(200, postal_test::read_test_data("send_raw_success.json")));
  auto sent = h.client.send_raw(valid_raw());
  REQUIRE(sent.has_value());
  CHECK(sent->message_id == "CAF=abc123@mail.example.com");
  CHECK(sent->messages.at("test2@example.com").token == "Po9iU8yT7rE6wQ5a");
}

TEST_CASE("get_message posts the id and an empty _expansions array by default") {
  Harness h;
  h.transport->push(postal_test::success_response(kMessageOnly));
  auto message = h.client.get_message(37171);
  REQUIRE(message.has_value());
  const auto request = h.transport->last_request();
  CHECK(request.method == "POST");
  CHECK(request.url == "https://postal.example.com/api/v1/messages/message");
  CHECK(request.headers.get("X-Server-API-Key") == kApiKey);
  const auto body = h.only_request_body();
  CHECK(body == json{{"id", 37171}, {"_expansions", json::array()}});
  CHECK(body.at("_expansions").is_array());
}

TEST_CASE("get_message with all expansions sends the nine names in Postal's order") {
  Harness h;
  h.transport->push(postal_test::success_response(kMessageOnly));
  auto message = h.client.get_message(37171, postal::Expansions::all());
  REQUIRE(message.has_value());
  CHECK(h.only_request_body().at("_expansions") ==
        json::array({"status", "details", "inspection", "plain_body", "html_body", "attachments",
                     "headers", "raw_message", "activity_entries"}));
}

TEST_CASE("get_message sends only the chosen expansions") {
  Harness h;
  h.transport->push(postal_test::success_response(kMessageOnly));
  postal::Expansions e;
  e.headers = true;
  e.status = true;
  auto message = h.client.get_message(37171, e);
  REQUIRE(message.has_value());
  CHECK(h.only_request_body().at("_expansions") == json::array({"status", "headers"}));
}

TEST_CASE("get_message sends the id as a JSON integer") {
  Harness h;
  h.transport->push(postal_test::success_response(R"({"id":1099511627776,"token":"t"})"));
  auto message = h.client.get_message(1099511627776);
  REQUIRE(message.has_value());
  const auto body = h.only_request_body();
  CHECK(body.at("id").is_number_integer());
  CHECK(body.at("id").get<std::int64_t>() == 1099511627776);
  CHECK(contains(h.transport->last_request().body, "\"id\":1099511627776"));
  CHECK(message->id == 1099511627776);
}

TEST_CASE("get_message returns the message with every expansion") {
  Harness h;
  h.transport->push(
      postal_test::http_response(200, postal_test::read_test_data("message_all_expansions.json")));
  auto message = h.client.get_message(37171, postal::Expansions::all());
  REQUIRE(message.has_value());
  CHECK(message->id == 37171);
  REQUIRE(message->details.has_value());
  CHECK(message->details->size == std::optional<std::int64_t>(1432));
  CHECK(message->html_body == "<p>Hello John</p>");
  REQUIRE(message->attachments.has_value());
  CHECK(message->attachments->at(0).data == "hello world!");
}

TEST_CASE("get_deliveries posts only the id to api/v1/messages/deliveries") {
  Harness h;
  h.transport->push(
      postal_test::http_response(200, postal_test::read_test_data("deliveries.json")));
  auto deliveries = h.client.get_deliveries(37171);
  REQUIRE(deliveries.has_value());
  const auto request = h.transport->last_request();
  CHECK(request.method == "POST");
  CHECK(request.url == "https://postal.example.com/api/v1/messages/deliveries");
  CHECK(request.headers.get("Content-Type") == std::string("application/json"));
  CHECK(request.headers.get("X-Server-API-Key") == kApiKey);
  const auto body = h.only_request_body();
  CHECK(body == json{{"id", 37171}});
  CHECK(body.at("id").is_number_integer());
}

TEST_CASE("get_deliveries returns the attempts oldest first") {
  Harness h;
  h.transport->push(
      postal_test::http_response(200, postal_test::read_test_data("deliveries.json")));
  auto deliveries = h.client.get_deliveries(37171);
  REQUIRE(deliveries.has_value());
  REQUIRE(deliveries->size() == 2);
  CHECK((*deliveries)[0].status == postal::DeliveryStatus::SoftFail);
  CHECK((*deliveries)[1].status == postal::DeliveryStatus::Sent);
}

TEST_CASE("base_url path prefix is kept") {
  Harness h("https://example.com/postal");
  h.transport->push(postal_test::success_response(kMessageOnly));
  auto message = h.client.get_message(1);
  REQUIRE(message.has_value());
  CHECK(h.transport->last_request().url == "https://example.com/postal/api/v1/messages/message");
}

TEST_CASE("base_url trailing slashes are trimmed") {
  SECTION("one slash") {
    Harness h("https://postal.example.com/");
    h.transport->push(postal_test::success_response(kMessageOnly));
    auto message = h.client.get_message(1);
    REQUIRE(message.has_value());
    CHECK(h.transport->last_request().url == "https://postal.example.com/api/v1/messages/message");
  }
  SECTION("slash after a path prefix") {
    Harness h("https://example.com/postal/");
    h.transport->push(postal_test::success_response(kMessageOnly));
    auto message = h.client.get_message(1);
    REQUIRE(message.has_value());
    CHECK(h.transport->last_request().url == "https://example.com/postal/api/v1/messages/message");
  }
  SECTION("several slashes") {
    Harness h("https://postal.example.com///");
    h.transport->push(postal_test::success_response(kMessageOnly));
    auto message = h.client.get_message(1);
    REQUIRE(message.has_value());
    CHECK(h.transport->last_request().url == "https://postal.example.com/api/v1/messages/message");
  }
}

TEST_CASE("base_url with http and a port is accepted") {
  std::string base_url;
  SECTION("IPv4 address") { base_url = "http://127.0.0.1:5000"; }
  SECTION("IPv6 address") { base_url = "http://[::1]:5000"; }
  SECTION("IPv6 address with an IPv4 tail") { base_url = "https://[::ffff:192.0.2.1]"; }
  SECTION("IPv6 address with a zone") { base_url = "http://[fe80::1%25eth0]:5000"; }
  SECTION("IPv6 address with a zone index") { base_url = "http://[fe80::1%1]:5000"; }
  SECTION("IPv6 address with an escaped zone index") { base_url = "http://[fe80::1%251]"; }
  SECTION("host name and path") { base_url = "http://postal.internal:65535/postal"; }
  Harness h(base_url);
  h.transport->push(postal_test::success_response(kMessageOnly));
  auto message = h.client.get_message(1);
  REQUIRE(message.has_value());
  CHECK(h.transport->last_request().url == base_url + "/api/v1/messages/message");
}

TEST_CASE("base_url with an IPv6 address and no port is accepted") {
  Harness h("https://[2001:db8::1]/");
  h.transport->push(postal_test::success_response(kMessageOnly));
  REQUIRE(h.client.get_message(1).has_value());
  CHECK(h.transport->last_request().url == "https://[2001:db8::1]/api/v1/messages/message");
}

TEST_CASE("request timeout comes from the options") {
  auto transport = std::make_shared<ScriptedTransport>();
  postal::ClientOptions options;
  options.base_url = kBaseUrl;
  options.api_key = kApiKey;
  options.timeout = std::chrono::milliseconds(1234);
  options.transport = transport;
  postal::Client client(options);
  transport->push(postal_test::success_response(kMessageOnly));
  auto message = client.get_message(1);
  REQUIRE(message.has_value());
  CHECK(transport->last_request().timeout == std::chrono::milliseconds(1234));
}

// ---------------------------------------------------------------------------------------------
// Client-side validation: InvalidArgument, NotSent, no request

TEST_CASE("send_message without recipients is rejected before sending") {
  Harness h;
  auto m = valid_message();
  m.to.clear();
  check_rejected_before_sending(h.client.send_message(m), *h.transport);
}

TEST_CASE("send_message with more than 50 addresses in a list is rejected before sending") {
  Harness h;
  auto m = valid_message();
  SECTION("51 To") { m.to = addresses(51); }
  SECTION("51 Cc") { m.cc = addresses(51); }
  SECTION("51 Bcc") { m.bcc = addresses(51); }
  check_rejected_before_sending(h.client.send_message(m), *h.transport);
}

TEST_CASE("send_message with 50 addresses in each list is sent") {
  Harness h;
  h.transport->push(postal_test::success_response(R"({"message_id":"m@x","messages":{}})"));
  auto m = valid_message();
  m.to = addresses(50);
  m.cc = addresses(50);
  m.bcc = addresses(50);
  auto sent = h.client.send_message(m);
  REQUIRE(sent.has_value());
  const auto body = h.only_request_body();
  CHECK(body.at("to").size() == 50);
  CHECK(body.at("cc").size() == 50);
  CHECK(body.at("bcc").size() == 50);
}

TEST_CASE("send_message with a blank body is rejected before sending") {
  Harness h;
  auto m = valid_message();
  SECTION("no body at all") { m.plain_body.reset(); }
  SECTION("whitespace-only plain body") { m.plain_body = " \t\r\n "; }
  SECTION("form feed and vertical tab only") { m.plain_body = "\f\v"; }
  SECTION("whitespace-only plain and html bodies") {
    m.plain_body = "  ";
    m.html_body = "\n";
  }
  SECTION("empty html body alone") {
    m.plain_body.reset();
    m.html_body = "";
  }
  check_rejected_before_sending(h.client.send_message(m), *h.transport);
}

TEST_CASE("send_message with only an html body is sent") {
  Harness h;
  h.transport->push(postal_test::success_response(R"({"message_id":"m@x","messages":{}})"));
  auto m = valid_message();
  m.plain_body.reset();
  m.html_body = "<p>Hi</p>";
  auto sent = h.client.send_message(m);
  CHECK(sent.has_value());
  CHECK(h.transport->request_count() == 1);
}

TEST_CASE("send_message without a from address is rejected before sending") {
  Harness h;
  auto m = valid_message();
  SECTION("empty") { m.from = ""; }
  SECTION("blank") { m.from = "   "; }
  check_rejected_before_sending(h.client.send_message(m), *h.transport);
}

TEST_CASE("send_message with CR, LF or NUL in any header field is rejected before sending") {
  using Mutation = std::function<void(postal::SendMessageRequest&, const std::string&)>;
  const std::vector<std::pair<std::string, Mutation>> fields{
      {"to",
       [](auto& m, const auto& br) {
         m.to = {"ok@example.com", "x@example.com" + br};
       }},
      {"cc", [](auto& m, const auto& br) { m.cc = {"x@example.com" + br + "Bcc: v@example.com"}; }},
      {"bcc", [](auto& m, const auto& br) { m.bcc = {"x@example.com" + br}; }},
      {"from", [](auto& m, const auto& br) { m.from = "sales@example.com" + br + "Bcc: v@x"; }},
      {"sender", [](auto& m, const auto& br) { m.sender = "s@example.com" + br; }},
      {"reply_to", [](auto& m, const auto& br) { m.reply_to = "r@example.com" + br + "X: y"; }},
      {"subject", [](auto& m, const auto& br) { m.subject = "Hi" + br + "Bcc: v@example.com"; }},
      {"tag", [](auto& m, const auto& br) { m.tag = "tag" + br; }},
      {"header value",
       [](auto& m, const auto& br) {
         m.headers = {{"X-Campaign", "a" + br + "Bcc: v@x"}};
       }},
      {"header name",
       [](auto& m, const auto& br) {
         m.headers = {{"X-Campaign" + br + "Bcc", "a"}};
       }},
      {"attachment name",
       [](auto& m, const auto& br) {
         m.attachments = {{"a.txt" + br + "Content-Type: text/html", "text/plain", "data"}};
       }},
      {"attachment content type",
       [](auto& m, const auto& br) {
         m.attachments = {{"a.txt", "text/plain" + br + "X-Evil: 1", "data"}};
       }},
  };
  const std::vector<std::pair<std::string, std::string>> line_breaks{
      {"CR", "\r"}, {"LF", "\n"}, {"CRLF", "\r\n"}, {"NUL", std::string(1, '\0')}};
  for (const auto& [field, mutate] : fields) {
    for (const auto& [label, line_break] : line_breaks) {
      SECTION(field + " with " + label) {
        Harness h;
        auto m = valid_message();
        mutate(m, line_break);
        check_rejected_before_sending(h.client.send_message(m), *h.transport);
      }
    }
  }
}

TEST_CASE("send_message with an invalid header name is rejected before sending") {
  Harness h;
  auto m = valid_message();
  SECTION("colon") { m.headers = {{"X-Bad:Name", "v"}}; }
  SECTION("space") { m.headers = {{"X Bad", "v"}}; }
  SECTION("empty") { m.headers = {{"", "v"}}; }
  check_rejected_before_sending(h.client.send_message(m), *h.transport);
}

TEST_CASE("send_message with an attachment without a name is rejected before sending") {
  Harness h;
  auto m = valid_message();
  SECTION("empty name") { m.attachments = {{"", "text/plain", "data"}}; }
  SECTION("blank name") { m.attachments = {{"  ", "text/plain", "data"}}; }
  check_rejected_before_sending(h.client.send_message(m), *h.transport);
}

TEST_CASE("send_message with an attachment without data is rejected before sending") {
  Harness h;
  auto m = valid_message();
  m.attachments = {{"a.txt", "text/plain", ""}};
  check_rejected_before_sending(h.client.send_message(m), *h.transport);
}

TEST_CASE("send_message with invalid UTF-8 in the subject is rejected before sending") {
  Harness h;
  auto m = valid_message();
  m.subject = std::string("Caf") + '\xE9';  // Latin-1, not UTF-8
  check_rejected_before_sending(h.client.send_message(m), *h.transport);
}

TEST_CASE("send_raw without recipients is rejected before sending") {
  Harness h;
  auto raw = valid_raw();
  raw.rcpt_to.clear();
  check_rejected_before_sending(h.client.send_raw(raw), *h.transport);
}

TEST_CASE(
    "send_raw with a blank mail_from, or one with CR, LF or NUL, is rejected before sending") {
  Harness h;
  auto raw = valid_raw();
  SECTION("empty") { raw.mail_from = ""; }
  SECTION("blank") { raw.mail_from = " \t"; }
  SECTION("CR") { raw.mail_from = "sales@example.com\r"; }
  SECTION("LF") { raw.mail_from = "sales@example.com\nRCPT TO:<x@y>"; }
  SECTION("NUL") { raw.mail_from = std::string("sales@example.com\0x", 19); }
  check_rejected_before_sending(h.client.send_raw(raw), *h.transport);
}

TEST_CASE("send_raw with empty data is rejected before sending") {
  Harness h;
  auto raw = valid_raw();
  raw.data.clear();
  check_rejected_before_sending(h.client.send_raw(raw), *h.transport);
}

TEST_CASE("send_raw with CR, LF or NUL in a recipient is rejected before sending") {
  Harness h;
  auto raw = valid_raw();
  SECTION("CR") { raw.rcpt_to = {"test1@example.com\r"}; }
  SECTION("LF") { raw.rcpt_to = {"test1@example.com", "test2@example.com\nRCPT TO:<x@y>"}; }
  SECTION("NUL") { raw.rcpt_to = {std::string("test1@example.com\0x@y", 21)}; }
  check_rejected_before_sending(h.client.send_raw(raw), *h.transport);
}

TEST_CASE("a message id that is not positive is rejected before sending") {
  Harness h;
  SECTION("get_message 0") { check_rejected_before_sending(h.client.get_message(0), *h.transport); }
  SECTION("get_message -1") {
    check_rejected_before_sending(h.client.get_message(-1, postal::Expansions::all()),
                                  *h.transport);
  }
  SECTION("get_deliveries 0") {
    check_rejected_before_sending(h.client.get_deliveries(0), *h.transport);
  }
  SECTION("get_deliveries -5") {
    check_rejected_before_sending(h.client.get_deliveries(-5), *h.transport);
  }
}

TEST_CASE("an unusable base_url makes every call fail before sending") {
  std::string base_url;
  SECTION("no scheme") { base_url = "postal.example.com"; }
  SECTION("other scheme") { base_url = "ftp://postal.example.com"; }
  SECTION("query") { base_url = "https://postal.example.com/?server=1"; }
  SECTION("fragment") { base_url = "https://postal.example.com/#top"; }
  SECTION("empty") { base_url = ""; }
  SECTION("no host") { base_url = "https://"; }
  SECTION("no host, a port") { base_url = "https://:8443"; }
  SECTION("user info") { base_url = "https://admin:s3cr3t@postal.example.com"; }
  SECTION("user info, '/' in the password") {
    base_url = "https://admin:s3cr3t/pass@postal.example.com";
  }
  SECTION("port not a number") { base_url = "https://postal.example.com:https"; }
  SECTION("port 0") { base_url = "https://postal.example.com:0"; }
  SECTION("port above 65535") { base_url = "https://postal.example.com:99999/postal"; }
  SECTION("empty port") { base_url = "https://postal.example.com:"; }
  SECTION("IPv6 address not closed") { base_url = "http://[::1:8080"; }
  SECTION("text after the IPv6 address") { base_url = "http://[::1]8080"; }
  SECTION("empty IPv6 address") { base_url = "http://[]:8080"; }
  SECTION("IPv6 address that is not one") { base_url = "http://[postal.example.com]"; }
  SECTION("bracket outside an IPv6 address") { base_url = "http://postal]example.com"; }
  SECTION("empty IPv6 zone") { base_url = "http://[fe80::1%25]"; }
  Harness h(base_url);
  const auto refused = h.client.get_message(1);
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error().message.find("s3cr3t") == std::string::npos);
  CHECK(refused.error().message.find("admin") == std::string::npos);
  check_rejected_before_sending(h.client.send_message(valid_message()), *h.transport);
  check_rejected_before_sending(h.client.send_raw(valid_raw()), *h.transport);
  check_rejected_before_sending(h.client.get_message(1), *h.transport);
  check_rejected_before_sending(h.client.get_deliveries(1), *h.transport);
}

TEST_CASE("an empty api_key makes every call fail before sending") {
  Harness h(kBaseUrl, "");
  check_rejected_before_sending(h.client.send_message(valid_message()), *h.transport);
  check_rejected_before_sending(h.client.send_raw(valid_raw()), *h.transport);
  check_rejected_before_sending(h.client.get_message(1), *h.transport);
  check_rejected_before_sending(h.client.get_deliveries(1), *h.transport);
}

// ---------------------------------------------------------------------------------------------
// The API key never appears in an error

TEST_CASE("the API key echoed in InvalidServerAPIKey's token is not in the error") {
  Harness h;
  h.transport->push(postal_test::error_response(
      R"({"message":"The API token provided in X-Server-API-Key was not valid.","token":")" +
      kApiKey + R"(","code":"InvalidServerAPIKey"})"));
  auto sent = h.client.send_message(valid_message());
  REQUIRE_FALSE(sent.has_value());
  CHECK(sent.error().api_code == "InvalidServerAPIKey");
  check_key_absent(sent);
}

TEST_CASE("the API key in an HTTP 500 body is not in the error") {
  Harness h;
  h.transport->push(postal_test::http_response(
      500, "<html><body>NoMethodError for key " + kApiKey + " in send#message</body></html>",
      "text/html"));
  auto sent = h.client.send_message(valid_message());
  REQUIRE_FALSE(sent.has_value());
  CHECK(sent.error().code == ErrorCode::Http);
  check_key_absent(sent);
}

TEST_CASE("the API key in a 200 body that is not JSON is not in the error") {
  Harness h;
  h.transport->push(postal_test::http_response(200, "debug: api key=" + kApiKey, "text/plain"));
  auto message = h.client.get_message(1);
  REQUIRE_FALSE(message.has_value());
  CHECK(message.error().code == ErrorCode::Decode);
  check_key_absent(message);
}

TEST_CASE("the API key in an error envelope message code and data keys is not in the error") {
  Harness h;
  h.transport->push(postal_test::error_response(R"({"message":"bad key )" + kApiKey + R"(",")" +
                                                kApiKey + R"(":[")" + kApiKey + R"("],"code":"X)" +
                                                kApiKey + R"("})"));
  auto deliveries = h.client.get_deliveries(1);
  REQUIRE_FALSE(deliveries.has_value());
  check_key_absent(deliveries);
}

TEST_CASE("the API key in a transport error or exception is not in the error") {
  Harness h;
  SECTION("error value") {
    postal::Error error;
    error.code = ErrorCode::Transport;
    error.message = "could not send header X-Server-API-Key: " + kApiKey;
    h.transport->push(error);
  }
  SECTION("exception") {
    h.transport->set_handler([](const postal::HttpRequest& request) -> ScriptedTransport::Answer {
      throw std::runtime_error("boom with " + request.headers.get("X-Server-API-Key").value_or(""));
    });
  }
  auto sent = h.client.send_message(valid_message());
  check_key_absent(sent);
}

TEST_CASE("an API key cut by the body excerpt limit leaves no fragment in the error") {
  // The key straddles the 2 KiB excerpt limit: 20 of its 25 characters fall inside the excerpt.
  Harness h;
  h.transport->push(postal_test::http_response(
      500, std::string(2048 - 20, 'x') + kApiKey + "</html>", "text/html"));
  auto sent = h.client.send_message(valid_message());
  REQUIRE_FALSE(sent.has_value());
  CHECK(sent.error().code == ErrorCode::Http);
  CHECK_FALSE(contains(sent.error().body, kApiKey.substr(0, 16)));
}

// ---------------------------------------------------------------------------------------------
// Transport failures

TEST_CASE("a transport that throws becomes a Transport error that may have sent") {
  Harness h;
  h.transport->set_handler([](const postal::HttpRequest&) -> ScriptedTransport::Answer {
    throw std::runtime_error("socket exploded");
  });
  postal::Result<postal::SendResult> sent = postal::Error{};
  CHECK_NOTHROW(sent = h.client.send_message(valid_message()));
  REQUIRE_FALSE(sent.has_value());
  CHECK(sent.error().code == ErrorCode::Transport);
  CHECK(sent.error().send_state == SendState::MaybeSent);
  CHECK(contains(sent.error().message, "socket exploded"));
}

TEST_CASE("a transport Timeout error passes through unchanged") {
  Harness h;
  postal::Error timeout;
  timeout.code = ErrorCode::Timeout;
  timeout.message = "operation timed out after 5000 ms";
  timeout.send_state = SendState::MaybeSent;
  h.transport->push(timeout);
  auto sent = h.client.send_message(valid_message());
  REQUIRE_FALSE(sent.has_value());
  CHECK(sent.error().code == ErrorCode::Timeout);
  // A MaybeSent send says plainly that it may have been delivered.
  CHECK(sent.error().message.rfind("operation timed out after 5000 ms (this send may have "
                                   "reached Postal, so it was not retried",
                                   0) == 0);
  CHECK(sent.error().send_state == SendState::MaybeSent);
  CHECK(sent.error().attempts == 1);
  CHECK(sent.error().http_status == 0);
}

TEST_CASE("a transport connection error passes through unchanged") {
  Harness h;
  postal::Error refused;
  refused.code = ErrorCode::Transport;
  refused.message = "could not connect to postal.example.com: connection refused";
  refused.send_state = SendState::NotSent;
  h.transport->push(refused);
  auto deliveries = h.client.get_deliveries(7);
  REQUIRE_FALSE(deliveries.has_value());
  CHECK(deliveries.error().code == ErrorCode::Transport);
  CHECK(deliveries.error().message ==
        "could not connect to postal.example.com: connection refused");
  CHECK(deliveries.error().send_state == SendState::NotSent);
  CHECK(deliveries.error().http_status == 0);
  CHECK(deliveries.error().body.empty());
}

// ---------------------------------------------------------------------------------------------
// Copies and threads

TEST_CASE("client copies share the transport") {
  Harness h;
  h.transport->set_handler([](const postal::HttpRequest&) -> ScriptedTransport::Answer {
    return postal_test::success_response(kMessageOnly);
  });
  postal::Client copy = h.client;
  CHECK(copy.transport() == h.client.transport());
  CHECK(copy.transport().get() == h.transport.get());
  auto first = h.client.get_message(1);
  auto second = copy.get_message(2);
  CHECK(first.has_value());
  CHECK(second.has_value());
  const auto requests = h.transport->requests();
  REQUIRE(requests.size() == 2);
  CHECK(json::parse(requests[0].body).at("id") == 1);
  CHECK(json::parse(requests[1].body).at("id") == 2);
  CHECK(requests[1].headers.get("X-Server-API-Key") == kApiKey);
}

TEST_CASE("one client is usable from many threads at once") {
  Harness h;
  h.transport->set_handler([](const postal::HttpRequest&) -> ScriptedTransport::Answer {
    return postal_test::success_response(kMessageOnly);
  });
  std::atomic<int> successes{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&h, &successes, t] {
      const postal::Client copy = h.client;
      for (int i = 1; i <= 25; ++i) {
        auto message = (i % 2 == 0 ? h.client : copy).get_message(t * 100 + i);
        if (message && message->id == 37171) ++successes;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  CHECK(successes.load() == 200);
  CHECK(h.transport->request_count() == 200);
}

// ---------------------------------------------------------------------------------------------
// Result<T>

TEST_CASE("Result value_or returns the value when there is one") {
  postal::Result<int> result = 5;
  CHECK(result.has_value());
  CHECK(static_cast<bool>(result));
  CHECK(result.value_or(7) == 5);
  CHECK(result.value() == 5);
  CHECK(*result == 5);
}

TEST_CASE("Result value_or returns the fallback on an error") {
  postal::Error error;
  error.code = ErrorCode::Timeout;
  postal::Result<std::string> result = error;
  CHECK_FALSE(result.has_value());
  CHECK_FALSE(static_cast<bool>(result));
  CHECK(result.value_or("fallback") == "fallback");
  CHECK(std::move(result).value_or("moved") == "moved");
}

TEST_CASE("Result operator arrow reaches the value's members") {
  postal::Result<postal::MessageRef> result = postal::MessageRef{42, "tok"};
  CHECK(result->id == 42);
  CHECK(result->token == "tok");
  result->token = "changed";
  CHECK(result.value().token == "changed");
  const auto& const_result = result;
  CHECK(const_result->token == "changed");
}

TEST_CASE("Result value moves out of an rvalue result") {
  postal::Result<std::vector<int>> result = std::vector<int>{1, 2, 3};
  std::vector<int> taken = std::move(result).value();
  CHECK(taken == std::vector<int>{1, 2, 3});
}

TEST_CASE("Result value throws Exception when an error is held") {
  postal::Error error;
  error.code = ErrorCode::Decode;
  error.message = "bad";
  postal::Result<int> result = error;
  CHECK_THROWS_AS(result.value(), postal::Exception);
  CHECK(result.error().code == ErrorCode::Decode);
}

TEST_CASE("Result void holds success or an error") {
  postal::Result<void> ok;
  CHECK(ok.has_value());
  CHECK(static_cast<bool>(ok));
  CHECK_NOTHROW(ok.value());

  postal::Error error;
  error.code = ErrorCode::InvalidArgument;
  error.message = "nope";
  postal::Result<void> failed = error;
  CHECK_FALSE(failed.has_value());
  CHECK_FALSE(static_cast<bool>(failed));
  CHECK(failed.error().code == ErrorCode::InvalidArgument);
  bool thrown = false;
  try {
    failed.value();
  } catch (const postal::Exception& e) {
    thrown = true;
    CHECK(e.code() == ErrorCode::InvalidArgument);
    CHECK(e.error().message == "nope");
  }
  CHECK(thrown);
}

TEST_CASE("Error's constructor for custom transports sets kind, message and send state") {
  postal::Error timeout(postal::ErrorCode::Timeout, "no answer");
  CHECK(timeout.code == postal::ErrorCode::Timeout);
  CHECK(timeout.message == "no answer");
  CHECK(timeout.send_state == postal::SendState::MaybeSent);  // never taken as safe to resend
  CHECK(timeout.http_status == 0);
  CHECK(timeout.details.is_null());

  postal::Error refused(postal::ErrorCode::Transport, "connection refused",
                        postal::SendState::NotSent);
  CHECK(refused.send_state == postal::SendState::NotSent);
  postal::Error copy = refused;
  postal::Error moved = std::move(copy);
  CHECK(moved.message == "connection refused");
  CHECK(moved.describe() == "Transport: connection refused [NotSent]");
}
