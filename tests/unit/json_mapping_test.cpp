// JSON mapping of Postal's API (spec §2.1-2.4): Postal's `data` → models, requests → JSON, and
// the base64 codec underneath. Fixtures in tests/data are the spec's example bodies, byte for
// byte, except that message_all_expansions.json carries a complete `raw_message` (the spec
// abbreviates it as "UmVjZWl2ZWQ6IGZyb20gYXBp…\n"; the fixture encodes a whole message that starts
// with the same bytes, in Postal's 60-column form).
#include "support/catch.hpp"
#include "support/scripted_transport.hpp"

#include <postal/detail/base64.hpp>
#include <postal/detail/send_body.hpp>
#include <postal/json.hpp>
#include <postal/models.hpp>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace {

using nlohmann::json;
using postal::DeliveryStatus;
using postal::Direction;
using postal::ErrorCode;

/// The `data` member of a fixture envelope in tests/data.
json fixture_data(const std::string& name) {
  return json::parse(postal_test::read_test_data(name)).at("data");
}

/// The decoded raw message encoded in message_all_expansions.json.
const std::string kFixtureRawMessage =
    "Received: from api (postal.example.com [127.0.0.1]) by postal.example.com with HTTP; Thu, 18 "
    "Apr 2024 16:19:48 +0000\r\n"
    "Date: Thu, 18 Apr 2024 16:19:48 +0000\r\n"
    "From: sales@example.com\r\n"
    "To: john@example.com\r\n"
    "Message-ID: <0f8a3c2e-6b1d-4d8e-9f3a-2c7b5e1d4a90@rp.postal.example.com>\r\n"
    "Subject: Welcome\r\n"
    "Mime-Version: 1.0\r\n"
    "Content-Type: text/plain; charset=UTF-8\r\n"
    "\r\n"
    "Hello John";

/// The bytes 0x00..0xFF, and their Ruby Base64.encode64 form (60 columns, trailing newline).
std::string all_byte_values() {
  std::string out;
  for (int i = 0; i < 256; ++i) out.push_back(static_cast<char>(i));
  return out;
}
const std::string kAllBytesBase64Ruby =
    "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKiss\n"
    "LS4vMDEyMzQ1Njc4OTo7PD0+P0BBQkNERUZHSElKS0xNTk9QUVJTVFVWV1hZ\n"
    "WltcXV5fYGFiY2RlZmdoaWprbG1ub3BxcnN0dXZ3eHl6e3x9fn+AgYKDhIWG\n"
    "h4iJiouMjY6PkJGSk5SVlpeYmZqbnJ2en6ChoqOkpaanqKmqq6ytrq+wsbKz\n"
    "tLW2t7i5uru8vb6/wMHCw8TFxsfIycrLzM3Oz9DR0tPU1dbX2Nna29zd3t/g\n"
    "4eLj5OXm5+jp6uvs7e7v8PHy8/T19vf4+fr7/P3+/w==\n";

std::set<std::string> keys_of(const json& object) {
  std::set<std::string> out;
  for (auto it = object.begin(); it != object.end(); ++it) out.insert(it.key());
  return out;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// §2.1 / §2.2 send results

TEST_CASE("send/message success data maps every recipient to its id and token") {
  auto result = postal::parse_send_result(fixture_data("send_message_success.json"));
  REQUIRE(result.has_value());
  CHECK(result->message_id == "0f8a3c2e-6b1d-4d8e-9f3a-2c7b5e1d4a90@rp.postal.example.com");
  REQUIRE(result->messages.size() == 3);
  CHECK(result->messages.at("john@example.com").id == 37171);
  CHECK(result->messages.at("john@example.com").token == "Xk2bY7pQ9rT4mN1c");
  CHECK(result->messages.at("cc@example.com").id == 37172);
  CHECK(result->messages.at("cc@example.com").token == "aB3cD4eF5gH6iJ7k");
  CHECK(result->messages.at("bcc@example.com").id == 37173);
  CHECK(result->messages.at("bcc@example.com").token == "Qw8Er7Ty6Ui5Op4A");
}

TEST_CASE("send/raw success data keeps the Message-ID and the rcpt_to keys as given") {
  auto result = postal::parse_send_result(fixture_data("send_raw_success.json"));
  REQUIRE(result.has_value());
  CHECK(result->message_id == "CAF=abc123@mail.example.com");
  REQUIRE(result->messages.size() == 2);
  CHECK(result->messages.at("test1@example.com").id == 37180);
  CHECK(result->messages.at("test1@example.com").token == "Lm3nB4vC5xZ6aS7d");
  CHECK(result->messages.at("test2@example.com").id == 37181);
  CHECK(result->messages.at("test2@example.com").token == "Po9iU8yT7rE6wQ5a");
}

TEST_CASE("send/raw success without recipients has a null message_id and no messages") {
  auto result = postal::parse_send_result(json::parse(R"({"message_id":null,"messages":{}})"));
  REQUIRE(result.has_value());
  CHECK_FALSE(result->message_id.has_value());
  CHECK(result->messages.empty());
}

TEST_CASE("send result with missing keys reads as empty without error") {
  auto result = postal::parse_send_result(json::object());
  REQUIRE(result.has_value());
  CHECK_FALSE(result->message_id.has_value());
  CHECK(result->messages.empty());
}

TEST_CASE("send result whose data is not an object is a Decode error") {
  for (const char* text : {"[]", "null", "\"ok\"", "42"}) {
    auto result = postal::parse_send_result(json::parse(text));
    REQUIRE_FALSE(result.has_value());
    CHECK(result.error().code == ErrorCode::Decode);
  }
}

TEST_CASE("send result with a message that has no integer id is a Decode error") {
  auto result = postal::parse_send_result(
      json::parse(R"({"message_id":"m@x","messages":{"a@example.com":{"token":"abc"}}})"));
  REQUIRE_FALSE(result.has_value());
  CHECK(result.error().code == ErrorCode::Decode);
}

// ---------------------------------------------------------------------------------------------
// §2.3 messages/message

TEST_CASE("message with all expansions maps id and token") {
  auto message = postal::parse_message(fixture_data("message_all_expansions.json"));
  REQUIRE(message.has_value());
  CHECK(message->id == 37171);
  CHECK(message->token == "Xk2bY7pQ9rT4mN1c");
}

TEST_CASE("message expansion status maps every field") {
  auto message = postal::parse_message(fixture_data("message_all_expansions.json"));
  REQUIRE(message.has_value());
  REQUIRE(message->status.has_value());
  const auto& status = *message->status;
  CHECK(status.status == DeliveryStatus::Sent);
  CHECK(status.status_name == "Sent");
  REQUIRE(status.last_delivery_attempt.has_value());
  CHECK(*status.last_delivery_attempt == 1713456790.123456);
  CHECK(status.held == false);
  CHECK_FALSE(status.hold_expiry.has_value());
}

TEST_CASE("message expansion details maps every field and reads size from a string") {
  auto message = postal::parse_message(fixture_data("message_all_expansions.json"));
  REQUIRE(message.has_value());
  REQUIRE(message->details.has_value());
  const auto& d = *message->details;
  CHECK(d.rcpt_to == "john@example.com");
  CHECK(d.mail_from == "sales@example.com");
  CHECK(d.subject == "Welcome");
  CHECK(d.message_id == "0f8a3c2e-6b1d-4d8e-9f3a-2c7b5e1d4a90@rp.postal.example.com");
  CHECK(d.timestamp == 1713456788.654321);
  CHECK(d.direction == Direction::Outgoing);
  CHECK(d.direction_name == "outgoing");
  REQUIRE(d.size.has_value());
  CHECK(*d.size == 1432);
  CHECK(d.bounce == false);
  CHECK(d.bounce_for_id == 0);
  CHECK(d.tag == "welcome");
  REQUIRE(d.received_with_ssl.has_value());
  CHECK(*d.received_with_ssl == true);
}

TEST_CASE("message expansion inspection maps every field") {
  auto message = postal::parse_message(fixture_data("message_all_expansions.json"));
  REQUIRE(message.has_value());
  REQUIRE(message->inspection.has_value());
  const auto& i = *message->inspection;
  CHECK(i.inspected == false);
  CHECK(i.spam == false);
  CHECK(i.spam_score == 0.0);
  CHECK(i.threat == false);
  CHECK_FALSE(i.threat_details.has_value());
}

TEST_CASE("message bodies are read with ActiveSupport escapes undone") {
  auto message = postal::parse_message(fixture_data("message_all_expansions.json"));
  REQUIRE(message.has_value());
  CHECK(message->plain_body == "Hello John");
  CHECK(message->html_body == "<p>Hello John</p>");
}

TEST_CASE("message expansion attachments maps every field and decodes data") {
  auto message = postal::parse_message(fixture_data("message_all_expansions.json"));
  REQUIRE(message.has_value());
  REQUIRE(message->attachments.has_value());
  REQUIRE(message->attachments->size() == 1);
  const auto& a = message->attachments->front();
  CHECK(a.filename == "example.txt");
  CHECK(a.content_type == "text/plain");
  CHECK(a.data == "hello world!");
  CHECK(a.size == 12);
  CHECK(a.hash == "430ce34d020724ed75a196dfc2ad67c77772d169");
}

TEST_CASE("message expansion headers maps lower-cased names to value lists") {
  auto message = postal::parse_message(fixture_data("message_all_expansions.json"));
  REQUIRE(message.has_value());
  REQUIRE(message->headers.has_value());
  const auto& h = *message->headers;
  CHECK(h.size() == 9);
  CHECK(h.at("x-postal-msgid") == std::vector<std::string>{"Xk2bY7pQ9rT4mN1c"});
  CHECK(h.at("received") ==
        std::vector<std::string>{
            "from api (\xE2\x80\xA6) by postal.example.com with HTTP; Thu, 18 Apr 2024 16:19:48 "
            "+0000"});
  CHECK(h.at("date") == std::vector<std::string>{"Thu, 18 Apr 2024 16:19:48 +0000"});
  CHECK(h.at("from") == std::vector<std::string>{"sales@example.com"});
  CHECK(h.at("to") == std::vector<std::string>{"john@example.com"});
  CHECK(h.at("message-id") ==
        std::vector<std::string>{"<0f8a3c2e-6b1d-4d8e-9f3a-2c7b5e1d4a90@rp.postal.example.com>"});
  CHECK(h.at("subject") == std::vector<std::string>{"Welcome"});
  CHECK(h.at("mime-version") == std::vector<std::string>{"1.0"});
  CHECK(h.at("content-type") ==
        std::vector<std::string>{"multipart/mixed; boundary=\"--==_mimepart_\xE2\x80\xA6\""});
}

TEST_CASE("message expansion raw_message is decoded from 60-column base64") {
  auto message = postal::parse_message(fixture_data("message_all_expansions.json"));
  REQUIRE(message.has_value());
  REQUIRE(message->raw_message.has_value());
  CHECK(*message->raw_message == kFixtureRawMessage);
}

TEST_CASE("message expansion activity_entries maps loads and clicks") {
  auto message = postal::parse_message(fixture_data("message_all_expansions.json"));
  REQUIRE(message.has_value());
  REQUIRE(message->activity_entries.has_value());
  const auto& activity = *message->activity_entries;
  REQUIRE(activity.loads.size() == 1);
  CHECK(activity.loads[0].ip_address == "198.51.100.7");
  CHECK(activity.loads[0].user_agent == "Mozilla/5.0");
  CHECK(activity.loads[0].timestamp == "2024-04-18T16:20:01.123Z");
  REQUIRE(activity.clicks.size() == 1);
  CHECK(activity.clicks[0].url == "https://example.com/");
  CHECK(activity.clicks[0].ip_address == "198.51.100.7");
  CHECK(activity.clicks[0].user_agent == "Mozilla/5.0");
  CHECK(activity.clicks[0].timestamp == "2024-04-18T16:21:00.456Z");
}

TEST_CASE("message without expansions has every expansion unset") {
  auto message = postal::parse_message(json::parse(R"({"id":37171,"token":"Xk2bY7pQ9rT4mN1c"})"));
  REQUIRE(message.has_value());
  CHECK(message->id == 37171);
  CHECK(message->token == "Xk2bY7pQ9rT4mN1c");
  CHECK_FALSE(message->status.has_value());
  CHECK_FALSE(message->details.has_value());
  CHECK_FALSE(message->inspection.has_value());
  CHECK_FALSE(message->plain_body.has_value());
  CHECK_FALSE(message->html_body.has_value());
  CHECK_FALSE(message->attachments.has_value());
  CHECK_FALSE(message->headers.has_value());
  CHECK_FALSE(message->raw_message.has_value());
  CHECK_FALSE(message->activity_entries.has_value());
}

TEST_CASE("message null fields read as nullopt") {
  auto message = postal::parse_message(json::parse(R"({
    "id": 1, "token": "t",
    "status": {"status": "Pending", "last_delivery_attempt": null, "held": false, "hold_expiry": null},
    "details": {"rcpt_to": "a@example.com", "mail_from": null, "subject": null, "message_id": null,
                "timestamp": 1713456788.5, "direction": "incoming", "size": null, "bounce": false,
                "bounce_for_id": 0, "tag": null, "received_with_ssl": null},
    "inspection": {"inspected": true, "spam": true, "spam_score": 5.5, "threat": true,
                   "threat_details": null},
    "plain_body": null, "html_body": null,
    "activity_entries": {"loads": [{"ip_address": "192.0.2.1", "user_agent": null,
                                    "timestamp": "2024-04-18T16:20:01.123Z"}],
                         "clicks": [{"url": "https://example.com/", "ip_address": "192.0.2.1",
                                     "user_agent": null, "timestamp": "2024-04-18T16:21:00.456Z"}]}
  })"));
  REQUIRE(message.has_value());
  REQUIRE(message->status.has_value());
  CHECK(message->status->status == DeliveryStatus::Pending);
  CHECK_FALSE(message->status->last_delivery_attempt.has_value());
  CHECK_FALSE(message->status->hold_expiry.has_value());
  REQUIRE(message->details.has_value());
  CHECK(message->details->direction == Direction::Incoming);
  CHECK_FALSE(message->details->mail_from.has_value());
  CHECK_FALSE(message->details->subject.has_value());
  CHECK_FALSE(message->details->message_id.has_value());
  CHECK_FALSE(message->details->size.has_value());
  CHECK_FALSE(message->details->tag.has_value());
  CHECK_FALSE(message->details->received_with_ssl.has_value());
  REQUIRE(message->inspection.has_value());
  CHECK(message->inspection->spam_score == 5.5);
  CHECK_FALSE(message->inspection->threat_details.has_value());
  CHECK_FALSE(message->plain_body.has_value());
  CHECK_FALSE(message->html_body.has_value());
  REQUIRE(message->activity_entries.has_value());
  REQUIRE(message->activity_entries->loads.size() == 1);
  CHECK_FALSE(message->activity_entries->loads[0].user_agent.has_value());
  REQUIRE(message->activity_entries->clicks.size() == 1);
  CHECK_FALSE(message->activity_entries->clicks[0].user_agent.has_value());
}

TEST_CASE("message status and hold expiry of a held message are read") {
  auto message = postal::parse_message(json::parse(
      R"({"id":1,"status":{"status":"Held","last_delivery_attempt":1713456790.5,"held":true,"hold_expiry":1714061590.25}})"));
  REQUIRE(message.has_value());
  REQUIRE(message->status.has_value());
  CHECK(message->status->status == DeliveryStatus::Held);
  CHECK(message->status->held == true);
  REQUIRE(message->status->hold_expiry.has_value());
  CHECK(*message->status->hold_expiry == 1714061590.25);
}

TEST_CASE("message booleans sent as 0 and 1 by Postal before 2.1.3 are read as booleans") {
  SECTION("1 is true") {
    auto message = postal::parse_message(
        json::parse(R"({"id":1,"details":{"bounce":1,"received_with_ssl":1}})"));
    REQUIRE(message.has_value());
    REQUIRE(message->details.has_value());
    CHECK(message->details->bounce == true);
    CHECK(message->details->received_with_ssl == std::optional<bool>(true));
  }
  SECTION("0 is false") {
    auto message = postal::parse_message(
        json::parse(R"({"id":1,"details":{"bounce":0,"received_with_ssl":0}})"));
    REQUIRE(message.has_value());
    REQUIRE(message->details.has_value());
    CHECK(message->details->bounce == false);
    CHECK(message->details->received_with_ssl == std::optional<bool>(false));
  }
}

TEST_CASE("message with an unknown status string keeps its name") {
  auto message = postal::parse_message(
      json::parse(R"({"id":1,"status":{"status":"Quarantined","held":false}})"));
  REQUIRE(message.has_value());
  REQUIRE(message->status.has_value());
  CHECK(message->status->status == DeliveryStatus::Unknown);
  CHECK(message->status->status_name == "Quarantined");
}

TEST_CASE("message with an unknown direction keeps its name") {
  auto message =
      postal::parse_message(json::parse(R"({"id":1,"details":{"direction":"sideways"}})"));
  REQUIRE(message.has_value());
  REQUIRE(message->details.has_value());
  CHECK(message->details->direction == Direction::Unknown);
  CHECK(message->details->direction_name == "sideways");
}

TEST_CASE("message expansions with missing keys read as defaults without error") {
  auto message = postal::parse_message(json::parse(
      R"({"id":1,"status":{},"details":{},"inspection":{},"attachments":[{}],"headers":{},"activity_entries":{}})"));
  REQUIRE(message.has_value());
  CHECK(message->token.empty());
  REQUIRE(message->status.has_value());
  CHECK(message->status->status == DeliveryStatus::Unknown);
  CHECK(message->status->status_name.empty());
  CHECK(message->status->held == false);
  REQUIRE(message->details.has_value());
  CHECK(message->details->rcpt_to.empty());
  CHECK(message->details->timestamp == 0.0);
  CHECK(message->details->direction == Direction::Unknown);
  CHECK(message->details->bounce == false);
  CHECK(message->details->bounce_for_id == 0);
  CHECK_FALSE(message->details->size.has_value());
  CHECK_FALSE(message->details->received_with_ssl.has_value());
  REQUIRE(message->inspection.has_value());
  CHECK(message->inspection->spam_score == 0.0);
  CHECK(message->inspection->inspected == false);
  REQUIRE(message->attachments.has_value());
  REQUIRE(message->attachments->size() == 1);
  CHECK(message->attachments->front().filename.empty());
  CHECK(message->attachments->front().data.empty());
  CHECK(message->attachments->front().size == 0);
  REQUIRE(message->headers.has_value());
  CHECK(message->headers->empty());
  REQUIRE(message->activity_entries.has_value());
  CHECK(message->activity_entries->loads.empty());
  CHECK(message->activity_entries->clicks.empty());
}

TEST_CASE("message attachment binary data in 60-column base64 is decoded to the exact bytes") {
  json data = json::parse(R"({"id":1,"attachments":[{"filename":"all.bin",
      "content_type":"application/octet-stream","size":256,
      "hash":"4916d6bdb7f78e6803698cab32d1586ea457dfc8"}]})");
  data["attachments"][0]["data"] = kAllBytesBase64Ruby;
  auto message = postal::parse_message(data);
  REQUIRE(message.has_value());
  REQUIRE(message->attachments.has_value());
  REQUIRE(message->attachments->size() == 1);
  CHECK(message->attachments->front().data == all_byte_values());
  CHECK(message->attachments->front().size == 256);
}

TEST_CASE("message raw_message of a purged message decodes to the blank line") {
  auto message = postal::parse_message(json::parse(R"({"id":1,"raw_message":"DQoNCg==\n"})"));
  REQUIRE(message.has_value());
  CHECK(message->raw_message == std::string("\r\n\r\n"));
}

TEST_CASE("message attachment data that is not base64 is a Decode error") {
  auto message = postal::parse_message(json::parse(
      R"({"id":1,"attachments":[{"filename":"a.txt","content_type":"text/plain","data":"not base64!","size":3}]})"));
  REQUIRE_FALSE(message.has_value());
  CHECK(message.error().code == ErrorCode::Decode);
}

TEST_CASE("message raw_message that is not base64 is a Decode error") {
  auto message = postal::parse_message(json::parse(R"({"id":1,"raw_message":"UmVj*ZWl2\n"})"));
  REQUIRE_FALSE(message.has_value());
  CHECK(message.error().code == ErrorCode::Decode);
}

TEST_CASE("message whose data is not an object is a Decode error") {
  for (const char* text : {"[]", "null", "\"message\"", "37171"}) {
    auto message = postal::parse_message(json::parse(text));
    REQUIRE_FALSE(message.has_value());
    CHECK(message.error().code == ErrorCode::Decode);
  }
}

TEST_CASE("message without an integer id is a Decode error") {
  for (const char* text : {R"({"token":"t"})", R"({"id":null})", R"({"id":"abc"})", R"({"id":1.5})",
                           R"({"id":true})"}) {
    auto message = postal::parse_message(json::parse(text));
    REQUIRE_FALSE(message.has_value());
    CHECK(message.error().code == ErrorCode::Decode);
  }
}

// ---------------------------------------------------------------------------------------------
// §2.4 messages/deliveries

TEST_CASE("deliveries map every field in order") {
  auto deliveries = postal::parse_deliveries(fixture_data("deliveries.json"));
  REQUIRE(deliveries.has_value());
  REQUIRE(deliveries->size() == 2);
  const auto& first = (*deliveries)[0];
  CHECK(first.id == 1);
  CHECK(first.status == DeliveryStatus::SoftFail);
  CHECK(first.status_name == "SoftFail");
  CHECK(first.details == "no server found");
  CHECK(first.output == "404");
  CHECK(first.sent_with_ssl == true);
  CHECK(first.log_id == "1234");
  REQUIRE(first.time.has_value());
  CHECK(*first.time == 1.2);
  CHECK(first.timestamp == 1713456790.123456);
  const auto& second = (*deliveries)[1];
  CHECK(second.id == 2);
  CHECK(second.status == DeliveryStatus::Sent);
  CHECK(second.status_name == "Sent");
  CHECK(second.details == "sent successfully");
  CHECK(second.output == "200");
  CHECK(second.sent_with_ssl == false);
  CHECK(second.log_id == "5678");
  REQUIRE(second.time.has_value());
  CHECK(*second.time == 2.2);
  CHECK(second.timestamp == 1713456791.234567);
}

TEST_CASE("deliveries of a message without attempts are empty") {
  auto deliveries = postal::parse_deliveries(json::array());
  REQUIRE(deliveries.has_value());
  CHECK(deliveries->empty());
}

TEST_CASE("delivery null fields read as nullopt") {
  auto deliveries = postal::parse_deliveries(json::parse(
      R"([{"id":3,"status":"Held","details":null,"output":null,"sent_with_ssl":false,"log_id":null,"time":null,"timestamp":1713456790.5}])"));
  REQUIRE(deliveries.has_value());
  REQUIRE(deliveries->size() == 1);
  const auto& d = deliveries->front();
  CHECK(d.status == DeliveryStatus::Held);
  CHECK_FALSE(d.details.has_value());
  CHECK_FALSE(d.output.has_value());
  CHECK_FALSE(d.log_id.has_value());
  CHECK_FALSE(d.time.has_value());
  CHECK(d.timestamp == 1713456790.5);
}

TEST_CASE("delivery status strings of spec 2.6 map to their enumerators") {
  const std::map<std::string, DeliveryStatus> expected{
      {"Sent", DeliveryStatus::Sent},
      {"SoftFail", DeliveryStatus::SoftFail},
      {"HardFail", DeliveryStatus::HardFail},
      {"Held", DeliveryStatus::Held},
      {"Bounced", DeliveryStatus::Bounced},
      {"Processed", DeliveryStatus::Processed},
      {"HoldCancelled", DeliveryStatus::HoldCancelled},
      {"Error", DeliveryStatus::Error},
      {"Pending", DeliveryStatus::Pending}};
  for (const auto& [name, status] : expected) {
    json data = json::array({json{{"id", 1}, {"status", name}}});
    auto deliveries = postal::parse_deliveries(data);
    REQUIRE(deliveries.has_value());
    CHECK(deliveries->front().status == status);
    CHECK(std::string(postal::to_string(status)) == name);
  }
}

TEST_CASE("delivery with an unknown status string keeps its name") {
  auto deliveries = postal::parse_deliveries(json::parse(R"([{"id":1,"status":"Quarantined"}])"));
  REQUIRE(deliveries.has_value());
  REQUIRE(deliveries->size() == 1);
  CHECK(deliveries->front().status == DeliveryStatus::Unknown);
  CHECK(deliveries->front().status_name == "Quarantined");
}

TEST_CASE("delivery with missing keys reads as defaults without error") {
  auto deliveries = postal::parse_deliveries(json::parse("[{}]"));
  REQUIRE(deliveries.has_value());
  REQUIRE(deliveries->size() == 1);
  const auto& d = deliveries->front();
  CHECK(d.id == 0);
  CHECK(d.status == DeliveryStatus::Unknown);
  CHECK(d.status_name.empty());
  CHECK_FALSE(d.details.has_value());
  CHECK(d.sent_with_ssl == false);
  CHECK(d.timestamp == 0.0);
}

TEST_CASE("deliveries whose data is not an array is a Decode error") {
  for (const char* text : {"{}", "null", "\"x\"", "[1]"}) {
    auto deliveries = postal::parse_deliveries(json::parse(text));
    REQUIRE_FALSE(deliveries.has_value());
    CHECK(deliveries.error().code == ErrorCode::Decode);
  }
}

// ---------------------------------------------------------------------------------------------
// Requests → JSON

TEST_CASE("SendMessageRequest with every field set maps to exactly Postal's parameter names") {
  postal::SendMessageRequest r;
  r.to = {"john@example.com", "Jane <jane@example.com>"};
  r.cc = {"cc@example.com"};
  r.bcc = {"bcc@example.com"};
  r.from = "Shop <sales@example.com>";
  r.sender = "bounces@example.com";
  r.subject = "Welcome";
  r.reply_to = "help@example.com";
  r.plain_body = "Hello John";
  r.html_body = "<p>Hello John</p>";
  r.tag = "welcome";
  r.bounce = true;
  r.headers = {{"X-Campaign", "spring"}, {"X-Priority", "1"}};
  r.attachments = {{"example.txt", "text/plain", "hello world!"}};
  json j;
  postal::to_json(j, r);
  const json expected = json::parse(R"({
    "to": ["john@example.com", "Jane <jane@example.com>"],
    "cc": ["cc@example.com"],
    "bcc": ["bcc@example.com"],
    "from": "Shop <sales@example.com>",
    "sender": "bounces@example.com",
    "subject": "Welcome",
    "reply_to": "help@example.com",
    "plain_body": "Hello John",
    "html_body": "<p>Hello John</p>",
    "tag": "welcome",
    "bounce": true,
    "headers": {"X-Campaign": "spring", "X-Priority": "1"},
    "attachments": [{"name": "example.txt", "content_type": "text/plain", "data": "aGVsbG8gd29ybGQh"}]
  })");
  CHECK(j == expected);
}

TEST_CASE("SendMessageRequest leaves unset optional fields out") {
  postal::SendMessageRequest r;
  r.to = {"john@example.com"};
  r.from = "sales@example.com";
  r.plain_body = "Hello";
  json j;
  postal::to_json(j, r);
  CHECK(keys_of(j) == std::set<std::string>{"to", "cc", "bcc", "from", "plain_body", "bounce"});
  CHECK(j["cc"] == json::array());
  CHECK(j["bcc"] == json::array());
}

TEST_CASE("SendMessageRequest bounce is a JSON boolean") {
  postal::SendMessageRequest r;
  r.to = {"john@example.com"};
  r.from = "sales@example.com";
  json j;
  postal::to_json(j, r);
  CHECK(j.at("bounce").is_boolean());
  CHECK(j.at("bounce") == false);
  r.bounce = true;
  postal::to_json(j, r);
  CHECK(j.at("bounce").is_boolean());
  CHECK(j.at("bounce") == true);
}

TEST_CASE("SendMessageRequest headers are a JSON object") {
  postal::SendMessageRequest r;
  r.headers = {{"X-One", "1"}, {"X-Two", "two"}};
  json j;
  postal::to_json(j, r);
  REQUIRE(j.at("headers").is_object());
  CHECK(j.at("headers") == json{{"X-One", "1"}, {"X-Two", "two"}});
}

TEST_CASE("SendMessageRequest attachment bytes round-trip through base64 including binary") {
  postal::SendMessageRequest r;
  r.attachments = {{"all.bin", "application/octet-stream", all_byte_values()}};
  json j;
  postal::to_json(j, r);
  const auto& item = j.at("attachments").at(0);
  CHECK(item.at("name") == "all.bin");
  CHECK(item.at("content_type") == "application/octet-stream");
  const auto encoded = item.at("data").get<std::string>();
  auto decoded = postal::detail::base64_decode(encoded);
  REQUIRE(decoded.has_value());
  CHECK(*decoded == all_byte_values());
}

TEST_CASE("SendMessageRequest attachment without a content type leaves it to Postal") {
  postal::SendMessageRequest r;
  r.attachments = {{"a.bin", "", "xyz"}};
  json j;
  postal::to_json(j, r);
  CHECK(keys_of(j.at("attachments").at(0)) == std::set<std::string>{"name", "data"});
}

TEST_CASE("SendRawRequest maps to mail_from rcpt_to base64 data and bounce") {
  postal::SendRawRequest r;
  r.mail_from = "sales@example.com";
  r.rcpt_to = {"test1@example.com", "test2@example.com"};
  r.data = "From: sales@example.com\r\nTo: test1@example.com\r\n\r\nHi ";
  r.data += {'\xFF', '\0', '!', '\x80'};  // not UTF-8, with a NUL byte
  r.bounce = true;
  json j;
  postal::to_json(j, r);
  CHECK(keys_of(j) == std::set<std::string>{"mail_from", "rcpt_to", "data", "bounce"});
  CHECK(j.at("mail_from") == "sales@example.com");
  CHECK(j.at("rcpt_to") == json::array({"test1@example.com", "test2@example.com"}));
  CHECK(j.at("bounce") == true);
  auto decoded = postal::detail::base64_decode(j.at("data").get<std::string>());
  REQUIRE(decoded.has_value());
  CHECK(*decoded == r.data);
}

TEST_CASE("SendRawRequest data is the exact base64 of the raw bytes") {
  postal::SendRawRequest r;
  r.mail_from = "a@example.com";
  r.rcpt_to = {"b@example.com"};
  r.data = "hello world!";
  json j;
  postal::to_json(j, r);
  CHECK(j.at("data") == "aGVsbG8gd29ybGQh");
  CHECK(j.at("bounce") == false);
}

// ---------------------------------------------------------------------------------------------
// Expansions

TEST_CASE("Expansions default to none") { CHECK(postal::Expansions{}.names().empty()); }

TEST_CASE("Expansions all names the nine expansions in Postal's order") {
  CHECK(postal::Expansions::all().names() ==
        std::vector<std::string>{"status", "details", "inspection", "plain_body", "html_body",
                                 "attachments", "headers", "raw_message", "activity_entries"});
}

TEST_CASE("Expansions names follow Postal's order not the order flags are set") {
  postal::Expansions e;
  e.activity_entries = true;
  e.raw_message = true;
  e.status = true;
  e.headers = true;
  CHECK(e.names() ==
        std::vector<std::string>{"status", "headers", "raw_message", "activity_entries"});
}

// ---------------------------------------------------------------------------------------------
// base64

TEST_CASE("base64 encodes the RFC 4648 test vectors") {
  using postal::detail::base64_encode;
  CHECK(base64_encode("") == "");
  CHECK(base64_encode("f") == "Zg==");
  CHECK(base64_encode("fo") == "Zm8=");
  CHECK(base64_encode("foo") == "Zm9v");
  CHECK(base64_encode("foob") == "Zm9vYg==");
  CHECK(base64_encode("fooba") == "Zm9vYmE=");
  CHECK(base64_encode("foobar") == "Zm9vYmFy");
}

TEST_CASE("base64 decodes the RFC 4648 test vectors strictly") {
  using postal::detail::base64_decode;
  CHECK(base64_decode("") == std::string());
  CHECK(base64_decode("Zg==") == std::string("f"));
  CHECK(base64_decode("Zm8=") == std::string("fo"));
  CHECK(base64_decode("Zm9v") == std::string("foo"));
  CHECK(base64_decode("Zm9vYg==") == std::string("foob"));
  CHECK(base64_decode("Zm9vYmE=") == std::string("fooba"));
  CHECK(base64_decode("Zm9vYmFy") == std::string("foobar"));
}

TEST_CASE("base64 encodes like Ruby Base64.encode64 with 60-column lines") {
  using postal::detail::base64_encode;
  CHECK(base64_encode("hello world!", 60) == "aGVsbG8gd29ybGQh\n");
  CHECK(base64_encode("", 60) == "");
  std::string sixty_columns;
  for (int i = 0; i < 15; ++i) sixty_columns += "YWFh";  // "aaa" → "YWFh"
  // 45 bytes fill exactly one line: one newline, not two.
  CHECK(base64_encode(std::string(45, 'a'), 60) == sixty_columns + "\n");
  CHECK(base64_encode(std::string(46, 'a'), 60) == sixty_columns + "\nYQ==\n");
  CHECK(base64_encode(all_byte_values(), 60) == kAllBytesBase64Ruby);
}

TEST_CASE("base64 lenient decoding reads Postal's line-wrapped output") {
  using postal::detail::base64_decode;
  CHECK(base64_decode("aGVsbG8gd29ybGQh\n", true) == std::string("hello world!"));
  CHECK(base64_decode(kAllBytesBase64Ruby, true) == all_byte_values());
  CHECK(base64_decode("aGVs\r\nbG8=\r\n", true) == std::string("hello"));
}

TEST_CASE("base64 strict decoding rejects whitespace") {
  using postal::detail::base64_decode;
  CHECK_FALSE(base64_decode("aGVsbG8gd29ybGQh\n").has_value());
  CHECK_FALSE(base64_decode("aGVs bG8=").has_value());
  CHECK_FALSE(base64_decode("aGVs\tbG8=").has_value());
}

TEST_CASE("base64 decoding rejects bad padding") {
  using postal::detail::base64_decode;
  for (bool lenient : {false, true}) {
    CHECK_FALSE(base64_decode("Zg=", lenient).has_value());
    CHECK_FALSE(base64_decode("Zg", lenient).has_value());
    CHECK_FALSE(base64_decode("Zm8", lenient).has_value());
    CHECK_FALSE(base64_decode("Zm8==", lenient).has_value());
    CHECK_FALSE(base64_decode("Zm9v=", lenient).has_value());
    CHECK_FALSE(base64_decode("Z===", lenient).has_value());
    CHECK_FALSE(base64_decode("====", lenient).has_value());
    CHECK_FALSE(base64_decode("Z", lenient).has_value());
  }
}

TEST_CASE("base64 decoding rejects data after padding") {
  using postal::detail::base64_decode;
  for (bool lenient : {false, true}) {
    CHECK_FALSE(base64_decode("Zg==Zg==", lenient).has_value());
    CHECK_FALSE(base64_decode("Zm8=Zm9v", lenient).has_value());
    CHECK_FALSE(base64_decode("Zg=a", lenient).has_value());
  }
}

TEST_CASE("base64 decoding rejects characters outside the alphabet") {
  using postal::detail::base64_decode;
  for (bool lenient : {false, true}) {
    CHECK_FALSE(base64_decode("Zm9v*mFy", lenient).has_value());
    CHECK_FALSE(base64_decode("Zm9v-mFy", lenient).has_value());  // base64url is not accepted
    CHECK_FALSE(base64_decode("Zm9v_mFy", lenient).has_value());
  }
}

TEST_CASE("send bodies are written straight to text and mean exactly what to_json says") {
  postal::SendMessageRequest m;
  m.to = {"a@example.com", "B <b@example.com>"};
  m.from = "sales@example.com";
  m.subject = "Quote \" and \\ and \xc3\xa9";
  m.plain_body = "line\nbreak";
  m.headers = {{"X-One", "1"}};
  for (const std::string& body :
       {std::string(), std::string("x"), std::string("xy"), std::string("\0\xff\x10 binary", 10)}) {
    m.attachments.push_back({"f\"" + std::to_string(body.size()) + ".bin", "", body});
    m.attachments.push_back({"g.txt", "text/plain", body});
  }
  nlohmann::json expected;
  to_json(expected, m);
  CHECK(nlohmann::json::parse(postal::detail::encode_send_body_text(m)) == expected);
  m.attachments.clear();
  to_json(expected, m);
  CHECK(nlohmann::json::parse(postal::detail::encode_send_body_text(m)) == expected);

  postal::SendRawRequest raw;
  raw.mail_from = "a@example.com";
  raw.rcpt_to = {"b@example.com"};
  raw.data = std::string("Subject: x\r\n\r\n\0\x01", 16);
  raw.bounce = true;
  nlohmann::json expected_raw;
  to_json(expected_raw, raw);
  CHECK(nlohmann::json::parse(postal::detail::encode_send_body_text(raw)) == expected_raw);

  m.attachments.push_back({"bad\xff.txt", "", "x"});
  auto refused = postal::detail::send_body(m);
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error().code == postal::ErrorCode::InvalidArgument);
}
