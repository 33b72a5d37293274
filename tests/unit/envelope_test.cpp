// Postal's response envelope (spec §1.4-1.5) → data or a typed Error, and every error code and
// text of spec §1.3 and §2 as a Client reports it.
#include "support/catch.hpp"
#include "support/scripted_transport.hpp"

#include <postal/client.hpp>
#include <postal/detail/envelope.hpp>
#include <postal/error.hpp>
#include <postal/options.hpp>
#include <postal/result.hpp>

#include <nlohmann/json.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace {

using nlohmann::json;
using postal::ErrorCode;
using postal::SendState;
using postal_test::ScriptedTransport;

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

/// A client on a scripted transport.
struct Harness {
  std::shared_ptr<ScriptedTransport> transport = std::make_shared<ScriptedTransport>();
  postal::Client client{postal::ClientOptions{
      "https://postal.example.com", "ApiKeyForEnvelopeTests1", std::chrono::seconds(5), transport}};
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
  r.rcpt_to = {"test1@example.com"};
  r.data = "From: sales@example.com\r\nTo: test1@example.com\r\nSubject: Hi\r\n\r\nHello";
  return r;
}

/// The checks every Postal "error" envelope must pass: Api, Postal's code and text, nothing
/// left of code/message in details, NotSent.
void check_api_error(const postal::Error& e, const std::string& code, const std::string& message) {
  CHECK(e.code == ErrorCode::Api);
  CHECK(e.api_code == code);
  CHECK(e.message == message);
  CHECK(e.http_status == 200);
  CHECK(e.send_state == SendState::NotSent);
  CHECK(e.details.is_object());
  CHECK_FALSE(e.details.contains("code"));
  CHECK_FALSE(e.details.contains("message"));
}

postal::HttpResponse response(int status, std::string body) {
  return postal_test::http_response(status, std::move(body));
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// detail::decode_envelope

TEST_CASE("a success envelope yields its data object") {
  auto data = postal::detail::decode_envelope(
      response(200, R"({"status":"success","time":0.012,"flags":{},"data":{"id":1,"token":"t"}})"));
  REQUIRE(data.has_value());
  CHECK(*data == json{{"id", 1}, {"token", "t"}});
}

TEST_CASE("a success envelope yields its data array") {
  auto data = postal::detail::decode_envelope(
      response(200, postal_test::read_test_data("deliveries.json")));
  REQUIRE(data.has_value());
  REQUIRE(data->is_array());
  CHECK(data->size() == 2);
}

TEST_CASE("an error envelope is an Api error with Postal's code and message") {
  auto data = postal::detail::decode_envelope(response(
      200,
      R"({"status":"error","time":0.003,"flags":{},"data":{"message":"There are no recipients defined to receive this message","code":"NoRecipients"}})"));
  REQUIRE_FALSE(data.has_value());
  check_api_error(data.error(), "NoRecipients",
                  "There are no recipients defined to receive this message");
  CHECK(data.error().details.empty());
}

TEST_CASE("an error envelope keeps the extra data keys in details") {
  auto data = postal::detail::decode_envelope(response(
      200,
      R"({"status":"error","time":0.002,"flags":{},"data":{"message":"The API token provided in X-Server-API-Key was not valid.","token":"abc123","code":"InvalidServerAPIKey"}})"));
  REQUIRE_FALSE(data.has_value());
  check_api_error(data.error(), "InvalidServerAPIKey",
                  "The API token provided in X-Server-API-Key was not valid.");
  CHECK(data.error().details == json{{"token", "abc123"}});
}

TEST_CASE("an error envelope in Moonrope's order with a null time is read the same way") {
  auto data = postal::detail::decode_envelope(response(
      200,
      R"({"status":"error","time":null,"flags":{},"data":{"code":"AccessDenied","message":"Must be authenticated as a server.","action":"message","controller":"send"}})"));
  REQUIRE_FALSE(data.has_value());
  check_api_error(data.error(), "AccessDenied", "Must be authenticated as a server.");
  CHECK(data.error().details == json{{"action", "message"}, {"controller", "send"}});
}

TEST_CASE("a parameter-error envelope is a Parameter error with Postal's message") {
  auto data = postal::detail::decode_envelope(response(
      200,
      R"({"status":"parameter-error","time":0.001,"flags":{},"data":{"message":"`id` parameter is required but is missing"}})"));
  REQUIRE_FALSE(data.has_value());
  const auto& e = data.error();
  CHECK(e.code == ErrorCode::Parameter);
  CHECK(e.message == "`id` parameter is required but is missing");
  CHECK(e.api_code.empty());
  CHECK(e.details.empty());
  CHECK(e.send_state == SendState::NotSent);
}

TEST_CASE("a non-200 answer is an Http error with its status and body") {
  const std::string body = "<html><body>Bad Gateway</body></html>";
  auto data = postal::detail::decode_envelope(
      postal_test::http_response(502, body, "text/html; charset=utf-8"));
  REQUIRE_FALSE(data.has_value());
  CHECK(data.error().code == ErrorCode::Http);
  CHECK(data.error().http_status == 502);
  CHECK(data.error().body == body);
  CHECK_FALSE(data.error().message.empty());
}

TEST_CASE("a non-200 answer carrying a valid envelope is still an Http error") {
  auto data = postal::detail::decode_envelope(
      response(201, R"({"status":"success","time":0.0,"flags":{},"data":{}})"));
  REQUIRE_FALSE(data.has_value());
  CHECK(data.error().code == ErrorCode::Http);
  CHECK(data.error().http_status == 201);
}

TEST_CASE("a redirect says where it points, without user info or path, and is not followed") {
  auto answer = [](int status, std::optional<std::string> location) {
    postal::HttpResponse r = response(status, "<html>Moved</html>");
    if (location) r.headers.add("Location", *location);
    auto data = postal::detail::decode_envelope(r);
    REQUIRE_FALSE(data.has_value());
    CHECK(data.error().code == ErrorCode::Http);
    CHECK(data.error().http_status == status);
    CHECK(data.error().send_state == (status < 400 ? SendState::MaybeSent : SendState::NotSent));
    return data.error().message;
  };
  CHECK(answer(301, "https://user:pw@postal.example.com:8443/api/v1/send/message?x=1") ==
        "Postal answered HTTP 301 (expected 200 with a JSON envelope): a redirect to "
        "https://postal.example.com:8443, not followed (set ClientOptions::base_url to that "
        "address)");
  CHECK(answer(308, "https://evil.example\r\nINFO ok/") ==
        "Postal answered HTTP 308 (expected 200 with a JSON envelope): a redirect to "
        "https://evil.example??INFO ok, not followed (set ClientOptions::base_url to that "
        "address)");
  CHECK(contains(answer(302, "/login"), "a redirect to another path of the same server"));
  // Relative, though "://" appears later: nothing of its path or query is shown (it may hold a
  // token, and the part before "://" is no scheme).
  CHECK(answer(302, "/login?next=https://postal.example.com/api") == answer(302, "/login"));
  CHECK(answer(302, "/session/new?key=ApiKeyForEnvelopeTests1&return_to=https://x") ==
        answer(302, "/login"));
  // User info is dropped at the last '@' before the path, a backslash in it included (libcurl
  // reads "pa\ss" as the password).
  CHECK(contains(answer(301, "https://deploy:s3cr\\et-pass@postal.example.com/x"),
                 "a redirect to https://postal.example.com,"));
  CHECK_FALSE(contains(answer(301, "https://deploy:s3cr\\et-pass@postal.example.com/x"), "s3cr"));
  // Scheme-relative: another host.
  CHECK(contains(answer(301, "//other.example.net/api/v1"), "a redirect to //other.example.net,"));
  // Raw bytes from the header: a bare C1 byte (NEL, CSI in Latin-1) or broken UTF-8 is '?'.
  CHECK(contains(answer(301,
                        "https://postal.example.com\x85INFO\x9B"
                        "2J/x"),
                 "a redirect to https://postal.example.com?INFO?2J,"));
  // A host longer than any host name is left out, never cut (a cut would defeat redaction).
  CHECK(contains(answer(301, "https://" + std::string(300, 'k') + "/x"),
                 "a redirect to https://(a host name too long to show),"));
  CHECK(contains(answer(307, std::nullopt), ": a redirect, not followed"));
  CHECK(answer(404, std::nullopt) ==
        "Postal answered HTTP 404 (expected 200 with a JSON envelope)");
}

TEST_CASE("a 5xx answer may have sent") {
  for (int status : {500, 502, 503, 504}) {
    auto data = postal::detail::decode_envelope(response(status, "error"));
    REQUIRE_FALSE(data.has_value());
    CHECK(data.error().code == ErrorCode::Http);
    CHECK(data.error().http_status == status);
    CHECK(data.error().send_state == SendState::MaybeSent);
  }
}

TEST_CASE("a 404 answer proves nothing was sent") {
  auto data = postal::detail::decode_envelope(postal_test::http_response(
      404, "<!DOCTYPE html><html><head><title>The page you were looking for doesn't exist (404)",
      "text/html; charset=utf-8"));
  REQUIRE_FALSE(data.has_value());
  CHECK(data.error().code == ErrorCode::Http);
  CHECK(data.error().http_status == 404);
  CHECK(data.error().send_state == SendState::NotSent);
}

TEST_CASE("a 10 KB error page is cut to about 2 KiB in the error body") {
  std::string page = "<!DOCTYPE html><html><body>";
  while (page.size() < 10 * 1024) page += "We're sorry, but something went wrong. ";
  page += "</body></html>";
  auto data = postal::detail::decode_envelope(
      postal_test::http_response(500, page, "text/html; charset=utf-8"));
  REQUIRE_FALSE(data.has_value());
  const auto& body = data.error().body;
  CHECK(body.size() >= 2048);
  CHECK(body.size() <= 2048 + 64);
  CHECK(body.compare(0, 2048, page, 0, 2048) == 0);
}

TEST_CASE("a 200 answer that is not JSON is a Decode error that may have sent") {
  for (const char* body : {"<html>OK</html>", "", "{\"status\":\"success\""}) {
    auto data = postal::detail::decode_envelope(response(200, body));
    REQUIRE_FALSE(data.has_value());
    CHECK(data.error().code == ErrorCode::Decode);
    CHECK(data.error().http_status == 200);
    CHECK(data.error().send_state == SendState::MaybeSent);
    CHECK(data.error().body == body);
  }
}

TEST_CASE("a 200 JSON answer without a status string is a Decode error") {
  for (const char* body : {R"({"data":{"id":1}})", R"([1,2,3])", R"("success")",
                           R"({"status":500,"error":"Internal Server Error"})"}) {
    auto data = postal::detail::decode_envelope(response(200, body));
    REQUIRE_FALSE(data.has_value());
    CHECK(data.error().code == ErrorCode::Decode);
  }
}

TEST_CASE("an unknown envelope status is a Decode error") {
  for (const char* status : {"access-denied", "validation-error", "not-found", "SUCCESS"}) {
    auto data = postal::detail::decode_envelope(
        response(200, postal_test::envelope(status, R"({"message":"x"})")));
    REQUIRE_FALSE(data.has_value());
    CHECK(data.error().code == ErrorCode::Decode);
    CHECK(contains(data.error().message, status));
  }
}

TEST_CASE("a success envelope without data is a Decode error") {
  auto data = postal::detail::decode_envelope(
      response(200, R"({"status":"success","time":0.012,"flags":{}})"));
  REQUIRE_FALSE(data.has_value());
  CHECK(data.error().code == ErrorCode::Decode);
}

TEST_CASE("an error envelope without data still is an Api error") {
  auto data = postal::detail::decode_envelope(
      response(200, R"({"status":"error","time":0.012,"flags":{}})"));
  REQUIRE_FALSE(data.has_value());
  CHECK(data.error().code == ErrorCode::Api);
  CHECK(data.error().send_state == SendState::NotSent);
  CHECK_FALSE(data.error().message.empty());
}

// ---------------------------------------------------------------------------------------------
// §1.3 authentication, through the client

TEST_CASE("AccessDenied is reported with Postal's text") {
  Harness h;
  h.transport->push(postal_test::error_response(
      R"({"message":"Must be authenticated as a server.","code":"AccessDenied"})"));
  auto sent = h.client.send_message(valid_message());
  REQUIRE_FALSE(sent.has_value());
  check_api_error(sent.error(), "AccessDenied", "Must be authenticated as a server.");
  CHECK(sent.error().details.empty());
}

TEST_CASE("InvalidServerAPIKey is reported with Postal's text and the token key in details") {
  Harness h;
  h.transport->push(postal_test::error_response(
      R"({"message":"The API token provided in X-Server-API-Key was not valid.","token":"ApiKeyForEnvelopeTests1","code":"InvalidServerAPIKey"})"));
  auto sent = h.client.send_message(valid_message());
  REQUIRE_FALSE(sent.has_value());
  check_api_error(sent.error(), "InvalidServerAPIKey",
                  "The API token provided in X-Server-API-Key was not valid.");
  CHECK(sent.error().details.contains("token"));
  CHECK(sent.error().details.size() == 1);
}

TEST_CASE("ServerSuspended without a message is reported by its code") {
  Harness h;
  h.transport->push(postal_test::error_response(R"({"code":"ServerSuspended"})"));
  auto message = h.client.get_message(37171);
  REQUIRE_FALSE(message.has_value());
  const auto& e = message.error();
  CHECK(e.code == ErrorCode::Api);
  CHECK(e.api_code == "ServerSuspended");
  CHECK_FALSE(e.message.empty());
  CHECK(e.details.empty());
  CHECK(e.send_state == SendState::NotSent);
}

// ---------------------------------------------------------------------------------------------
// §2.1 send/message validation codes, through the client

TEST_CASE("send/message error codes are reported with Postal's exact texts") {
  const std::vector<std::pair<std::string, std::string>> cases{
      {"NoRecipients", "There are no recipients defined to receive this message"},
      {"TooManyToAddresses", "The maximum number of To addresses has been reached (maximum 50)"},
      {"TooManyCCAddresses", "The maximum number of CC addresses has been reached (maximum 50)"},
      {"TooManyBCCAddresses", "The maximum number of BCC addresses has been reached (maximum 50)"},
      {"NoContent", "There is no content defined for this e-mail"},
      {"FromAddressMissing", "The From address is missing and is required"},
      {"UnauthenticatedFromAddress",
       "The From address is not authorised to send mail from this server"},
      {"AttachmentMissingName", "An attachment is missing a name"},
      {"AttachmentMissingData", "An attachment is missing data"},
  };
  for (const auto& [code, text] : cases) {
    SECTION(code) {
      Harness h;
      h.transport->push(postal_test::error_response(
          json{{"message", text}, {"code", code}}.dump()));  // nlohmann orders keys: code first
      auto sent = h.client.send_message(valid_message());
      REQUIRE_FALSE(sent.has_value());
      check_api_error(sent.error(), code, text);
      CHECK(sent.error().details.empty());
    }
  }
}

TEST_CASE("send/message error with code last as Postal orders it is read") {
  Harness h;
  h.transport->push(postal_test::error_response(
      R"({"message":"The From address is not authorised to send mail from this server","code":"UnauthenticatedFromAddress"})"));
  auto sent = h.client.send_message(valid_message());
  REQUIRE_FALSE(sent.has_value());
  check_api_error(sent.error(), "UnauthenticatedFromAddress",
                  "The From address is not authorised to send mail from this server");
}

// ---------------------------------------------------------------------------------------------
// §2.2 send/raw, through the client

TEST_CASE("send/raw UnauthenticatedFromAddress without a message is reported by its code") {
  Harness h;
  h.transport->push(postal_test::error_response(R"({"code":"UnauthenticatedFromAddress"})"));
  auto sent = h.client.send_raw(valid_raw());
  REQUIRE_FALSE(sent.has_value());
  const auto& e = sent.error();
  CHECK(e.code == ErrorCode::Api);
  CHECK(e.api_code == "UnauthenticatedFromAddress");
  CHECK_FALSE(e.message.empty());
  CHECK(e.details.empty());
  CHECK(e.send_state == SendState::NotSent);
}

TEST_CASE("send/raw parameter errors are reported with Postal's backtick texts") {
  for (const char* text : {"`rcpt_to` parameter is required but is missing",
                           "`mail_from` parameter is required but is missing",
                           "`data` parameter is required but is missing"}) {
    SECTION(text) {
      Harness h;
      h.transport->push(postal_test::parameter_error_response(json{{"message", text}}.dump()));
      auto sent = h.client.send_raw(valid_raw());
      REQUIRE_FALSE(sent.has_value());
      const auto& e = sent.error();
      CHECK(e.code == ErrorCode::Parameter);
      CHECK(e.message == text);
      CHECK(e.api_code.empty());
      CHECK(e.details.empty());
      CHECK(e.send_state == SendState::NotSent);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// §2.3 / §2.4 messages/*, through the client

TEST_CASE("get_message MessageNotFound keeps the id in details") {
  Harness h;
  h.transport->push(postal_test::error_response(
      R"({"message":"No message found matching provided ID","id":123,"code":"MessageNotFound"})"));
  auto message = h.client.get_message(123);
  REQUIRE_FALSE(message.has_value());
  check_api_error(message.error(), "MessageNotFound", "No message found matching provided ID");
  CHECK(message.error().details == json{{"id", 123}});
  CHECK(message.error().details.at("id") == 123);
}

TEST_CASE("get_deliveries MessageNotFound keeps the id in details") {
  Harness h;
  h.transport->push(postal_test::error_response(
      R"({"message":"No message found matching provided ID","id":456,"code":"MessageNotFound"})"));
  auto deliveries = h.client.get_deliveries(456);
  REQUIRE_FALSE(deliveries.has_value());
  check_api_error(deliveries.error(), "MessageNotFound", "No message found matching provided ID");
  CHECK(deliveries.error().details.at("id") == 456);
}

TEST_CASE("messages id parameter-error is a Parameter error with Postal's text") {
  Harness h;
  h.transport->push(postal_test::parameter_error_response(
      R"({"message":"`id` parameter is required but is missing"})"));
  auto message = h.client.get_message(1);
  REQUIRE_FALSE(message.has_value());
  CHECK(message.error().code == ErrorCode::Parameter);
  CHECK(message.error().message == "`id` parameter is required but is missing");
  CHECK(message.error().send_state == SendState::NotSent);
}

TEST_CASE("a send answered by a proxy 502 may have been sent") {
  Harness h;
  h.transport->push(postal_test::http_response(502, "<html>502 Bad Gateway</html>", "text/html"));
  auto sent = h.client.send_message(valid_message());
  REQUIRE_FALSE(sent.has_value());
  CHECK(sent.error().code == ErrorCode::Http);
  CHECK(sent.error().http_status == 502);
  CHECK(sent.error().send_state == SendState::MaybeSent);
  CHECK(sent.error().body == "<html>502 Bad Gateway</html>");
}

TEST_CASE("a client call answered with 200 and no envelope is a Decode error") {
  Harness h;
  h.transport->push(postal_test::http_response(200, "<html>Welcome to nginx!</html>", "text/html"));
  auto deliveries = h.client.get_deliveries(1);
  REQUIRE_FALSE(deliveries.has_value());
  CHECK(deliveries.error().code == ErrorCode::Decode);
}

TEST_CASE("a success envelope with the wrong data shape is a Decode error") {
  Harness h;
  h.transport->push(postal_test::success_response(R"({"id":1})"));
  auto deliveries = h.client.get_deliveries(1);
  REQUIRE_FALSE(deliveries.has_value());
  CHECK(deliveries.error().code == ErrorCode::Decode);
}

// ---------------------------------------------------------------------------------------------
// Result::value() and postal::Exception

TEST_CASE("Result value throws postal::Exception carrying the Error") {
  Harness h;
  h.transport->push(postal_test::error_response(
      R"({"message":"No message found matching provided ID","id":123,"code":"MessageNotFound"})"));
  auto message = h.client.get_message(123);
  REQUIRE_FALSE(message.has_value());
  bool thrown = false;
  try {
    (void)message.value();
  } catch (const postal::Exception& e) {
    thrown = true;
    CHECK(e.code() == ErrorCode::Api);
    CHECK(e.error().api_code == "MessageNotFound");
    CHECK(e.error().details.at("id") == 123);
    CHECK(e.error().message == "No message found matching provided ID");
  }
  CHECK(thrown);
}

TEST_CASE("postal::Exception what names the error code") {
  const std::vector<std::pair<ErrorCode, std::string>> codes{
      {ErrorCode::Transport, "Transport"},
      {ErrorCode::Timeout, "Timeout"},
      {ErrorCode::Http, "Http"},
      {ErrorCode::Api, "Api"},
      {ErrorCode::Parameter, "Parameter"},
      {ErrorCode::Decode, "Decode"},
      {ErrorCode::InvalidArgument, "InvalidArgument"}};
  for (const auto& [code, name] : codes) {
    postal::Error error;
    error.code = code;
    error.message = "something happened";
    postal::Result<int> result = error;
    bool thrown = false;
    try {
      (void)result.value();
    } catch (const postal::Exception& e) {
      thrown = true;
      CHECK(contains(e.what(), name));
      CHECK(contains(e.what(), "something happened"));
    }
    CHECK(thrown);
  }
}

TEST_CASE("postal::Exception is a std::runtime_error and what shows the api code") {
  Harness h;
  h.transport->push(postal_test::error_response(
      R"({"message":"There is no content defined for this e-mail","code":"NoContent"})"));
  auto sent = h.client.send_message(valid_message());
  bool thrown = false;
  try {
    (void)sent.value();
  } catch (const std::runtime_error& e) {
    thrown = true;
    CHECK(contains(e.what(), "Api"));
    CHECK(contains(e.what(), "NoContent"));
  }
  CHECK(thrown);
}

TEST_CASE("an error envelope's message and code cannot forge log lines; the raw answer is kept") {
  const std::string body =
      R"({"status":"error","time":0.003,"flags":{},"data":{)"
      R"("code":"NoRecipients\n2026-01-01 INFO sent ok",)"
      R"("message":"x\r\n2026-01-01 INFO message delivered\u0000\u007f Привет"}})";
  auto data = postal::detail::decode_envelope(response(200, body));
  REQUIRE_FALSE(data.has_value());
  const postal::Error& e = data.error();
  CHECK(e.api_code == "NoRecipients?2026-01-01 INFO sent ok");
  CHECK(e.message == "x??2026-01-01 INFO message delivered?? Привет");
  CHECK(e.describe().find('\n') == std::string::npos);
  CHECK(e.describe().find('\r') == std::string::npos);
  CHECK(e.body == body);
}

TEST_CASE("an error envelope's message loses C1 controls and Unicode line separators") {
  // NEL (U+0085), CSI (U+009B), LINE SEPARATOR (U+2028), PARAGRAPH SEPARATOR (U+2029): some log
  // viewers and terminals break lines or run escape sequences on them. U+2027 and U+00A0 stay.
  const std::string body =
      R"({"status":"error","data":{"code":"X","message":"a\u0085b\u009bc\u2028d\u2029e\u2027f\u00a0g"}})";
  auto data = postal::detail::decode_envelope(response(200, body));
  REQUIRE_FALSE(data.has_value());
  CHECK(data.error().message == "a?b?c?d?e\u2027f\u00a0g");
  CHECK(data.error().body == body);
}

TEST_CASE("printable keeps well-formed UTF-8 and replaces controls and broken bytes") {
  using postal::detail::printable;
  CHECK(printable("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80 \xC3\x85") ==
        "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80 \xC3\x85");  // é € 😀 Å
  CHECK(printable("a\x85"
                  "b\x9B"
                  "c") == "a?b?c");  // bare C1 bytes
  CHECK(printable("a\xC2\x85"
                  "b\xC2\x9F"
                  "c\xC2\xA0"
                  "d") ==
        "a?b?c\xC2\xA0"
        "d");  // C1; NBSP kept
  CHECK(printable("a\xE2\x80\xA8"
                  "b\xE2\x80\xA9"
                  "c\xE2\x80\xA7"
                  "d") ==
        "a?b?c\xE2\x80\xA7"
        "d");                                     // U+2028/9; U+2027 kept
  CHECK(printable("x\xE0\x82\x85y") == "x???y");  // overlong NEL: 3 bytes, none valid
  CHECK(printable("x\xE2\x82y") == "x??y");       // truncated inside the text
  CHECK(printable("x\xED\xA0\x80y") == "x???y");  // a surrogate
  CHECK(printable("x\xC3") == "x?");              // truncated at the end
  CHECK(printable(std::string("a\0b\r\n\x7f", 6)) == "a?b???");
  CHECK(printable("ab\xE2\x82\xAC", 3) == "ab");  // a cut inside a character drops it
}

TEST_CASE("an error envelope's long message is cut at a character boundary") {
  std::string long_message = "a";
  for (int i = 0; i < 400; ++i) long_message += "é€";  // 2 + 3 bytes: 1000 falls inside a €
  auto data = postal::detail::decode_envelope(response(
      200, R"({"status":"error","data":{"code":"X","message":")" + long_message + R"("}})"));
  REQUIRE_FALSE(data.has_value());
  const std::string& message = data.error().message;
  CHECK(message.size() == 998);  // "a", 199 pairs (995 bytes) and one é; the next € did not fit
  CHECK(long_message.compare(0, message.size(), message) == 0);
  CHECK(nlohmann::json(message).dump().size() > 0);  // valid UTF-8: does not throw
}
