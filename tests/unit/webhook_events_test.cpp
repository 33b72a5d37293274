// Typed events (spec §3.3): every event type, every field, with the spec's nullability; each
// round-trips sign → verify → parse with 1024-, 2048- and 4096-bit keys.
#include "unit/webhook_test_support.hpp"

#include <postal/webhook/events.hpp>

#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace {

using namespace webhook_test;
using postal::DeliveryStatus;
using postal::Direction;
using postal::ErrorCode;
namespace wh = postal::webhook;
using wh::DnsCheckStatus;
using wh::EventType;
using wh::SpamStatus;

/// The message hash of the spec's MessageSent example.
void check_sent_message(const wh::WebhookMessage& m) {
  CHECK(m.id == 12345);
  CHECK(m.token == "Ab3dEf6hIj9kLm2n");
  CHECK(m.direction == Direction::Outgoing);
  CHECK(m.direction_name == "outgoing");
  CHECK(m.message_id == "6d1c0e2a-1f0b-4c55-9d53-7b0f3f1e9a10@rp.postal.example.com");
  CHECK(m.to == "john@example.com");
  CHECK(m.from == "sales@example.com");
  CHECK(m.subject == "Welcome");
  CHECK(m.timestamp == 1713456780.654321);
  CHECK(m.spam_status == SpamStatus::NotSpam);
  CHECK(m.spam_status_name == "NotSpam");
  CHECK(m.tag == "welcome");
}

void check_envelope(const wh::Event& e, EventType type, const char* name, double timestamp,
                    const char* uuid) {
  CHECK(e.type == type);
  CHECK(e.name == name);
  CHECK(e.timestamp == timestamp);
  CHECK(e.uuid == uuid);
}

void check_message_sent(const wh::Event& e) {
  check_envelope(e, EventType::MessageSent, "MessageSent", 1713456789.123456,
                 "1b9f8d2e-3c4a-4e5f-8a6b-7c8d9e0f1a2b");
  const auto* p = e.as<wh::MessageStatusEvent>();
  REQUIRE(p != nullptr);
  check_sent_message(p->message);
  CHECK(p->status == DeliveryStatus::Sent);
  CHECK(p->status_name == "Sent");
  CHECK(p->details == "Message for john@example.com accepted by 192.0.2.10:25 (mx.example.com)");
  CHECK(p->output == "250 2.0.0 OK");
  CHECK(p->sent_with_ssl == true);
  CHECK(p->timestamp == 1713456789.0123456);
  CHECK(p->time == 0.42);
}

void check_message_held(const wh::Event& e) {
  check_envelope(e, EventType::MessageHeld, "MessageHeld", 1713456789.5,
                 "9a1f2b3c-4d5e-4f60-8172-839405a6b7c8");
  const auto* p = e.as<wh::MessageStatusEvent>();
  REQUIRE(p != nullptr);
  check_sent_message(p->message);
  CHECK(p->status == DeliveryStatus::Held);
  CHECK(p->status_name == "Held");
  CHECK(p->details == "Server is in development mode.");
  CHECK(p->output.empty());
  CHECK_FALSE(p->sent_with_ssl.has_value());
  CHECK(p->timestamp == 1713456789.5);
  CHECK_FALSE(p->time.has_value());
}

void check_message_delayed(const wh::Event& e) {
  check_envelope(e, EventType::MessageDelayed, "MessageDelayed", 1713456801.25,
                 "2c3d4e5f-6a7b-4c8d-9e0f-1a2b3c4d5e6f");
  const auto* p = e.as<wh::MessageStatusEvent>();
  REQUIRE(p != nullptr);
  const auto& m = p->message;
  CHECK(m.id == 12346);
  CHECK(m.token == "Qw3rTy6uIo9pAs2d");
  CHECK(m.direction == Direction::Outgoing);
  CHECK(m.message_id == "0b5e6a4c-3f2d-4e1a-9b8c-7d6e5f4a3b2c@rp.postal.example.com");
  CHECK(m.to == "jane@example.org");
  CHECK(m.from == "sales@example.com");
  CHECK(m.subject == "Orders <new> & returns");  // Rails' \u003c \u003e \u0026 decoded
  CHECK(m.timestamp == 1713456790.5);
  CHECK(m.spam_status == SpamStatus::NotChecked);
  CHECK_FALSE(m.tag.has_value());
  CHECK(p->status == DeliveryStatus::SoftFail);
  CHECK(p->status_name == "SoftFail");
  CHECK(p->details == "Temporary SMTP delivery error when sending to mx.example.org (192.0.2.20)");
  CHECK(p->output == "451 4.7.1 Greylisted, please try again later");
  CHECK(p->sent_with_ssl == false);
  CHECK(p->timestamp == 1713456801.2468135);
  CHECK(p->time == 1.37);
}

void check_message_delivery_failed(const wh::Event& e) {
  check_envelope(e, EventType::MessageDeliveryFailed, "MessageDeliveryFailed", 1713456812.75,
                 "3d4e5f6a-7b8c-4d9e-8f0a-1b2c3d4e5f60");
  const auto* p = e.as<wh::MessageStatusEvent>();
  REQUIRE(p != nullptr);
  const auto& m = p->message;
  CHECK(m.id == 12347);
  CHECK(m.token == "Zx9Cv8Bn7Mm6Lk5J");
  CHECK_FALSE(m.message_id.has_value());
  CHECK(m.to == "nobody@example.net");
  CHECK(m.from == "sales@example.com");
  CHECK_FALSE(m.subject.has_value());
  CHECK(m.timestamp == 1713456791.0);
  CHECK(m.spam_status == SpamStatus::NotSpam);
  CHECK(m.tag == "receipts");
  CHECK(p->status == DeliveryStatus::HardFail);
  CHECK(p->details == "Permanent SMTP delivery error when sending to mx.example.net (192.0.2.30)");
  CHECK(p->output == "550 5.1.1 <nobody@example.net>: Recipient address rejected: User unknown");
  CHECK(p->sent_with_ssl == true);
  CHECK(p->timestamp == 1713456812.7);
  CHECK(p->time == 0.08);
}

void check_message_bounced(const wh::Event& e) {
  check_envelope(e, EventType::MessageBounced, "MessageBounced", 1477945179.5,
                 "4e5f6a7b-8c9d-4e0f-9a1b-2c3d4e5f6a7b");
  const auto* p = e.as<wh::MessageBounced>();
  REQUIRE(p != nullptr);
  const auto& o = p->original_message;
  CHECK(o.id == 12345);
  CHECK(o.token == "Ab3dEf6hIj9kLm2n");
  CHECK(o.direction == Direction::Outgoing);
  CHECK(o.message_id == "6d1c\xE2\x80\xA6@rp.postal.example.com");
  CHECK(o.to == "test@example.com");
  CHECK(o.from == "sales@awesomeapp.com");
  CHECK(o.subject == "Welcome to AwesomeApp");
  CHECK(o.timestamp == 1477945177.12994);
  CHECK(o.spam_status == SpamStatus::NotSpam);
  CHECK(o.tag == "welcome");
  const auto& b = p->bounce;
  CHECK(b.id == 12347);
  CHECK(b.token == "Zx9Cv8Bn7Mm6Lk5J");
  CHECK(b.direction == Direction::Incoming);
  CHECK(b.direction_name == "incoming");
  CHECK(b.message_id == "5817a64332f44_4ec93ff59e79d154565eb@someserver.com");
  CHECK(b.to == "abcdef@psrp.yourdomain.com");
  CHECK_FALSE(b.from.has_value());
  CHECK(b.subject == "Delivery Error");
  CHECK(b.timestamp == 1477945179.12994);
  CHECK(b.spam_status == SpamStatus::NotSpam);
  CHECK_FALSE(b.tag.has_value());
}

void check_message_link_clicked(const wh::Event& e) {
  check_envelope(e, EventType::MessageLinkClicked, "MessageLinkClicked", 1713460000.123,
                 "5f6a7b8c-9d0e-4f1a-8b2c-3d4e5f6a7b8c");
  const auto* p = e.as<wh::MessageLinkClicked>();
  REQUIRE(p != nullptr);
  check_sent_message(p->message);
  CHECK(p->url == "https://atech.media");
  CHECK(p->token == "VJzsFA0SxQw3Er4T");
  CHECK(p->ip_address == "185.22.208.2");
  CHECK(p->user_agent == "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_11_6) \xE2\x80\xA6");
}

void check_message_loaded(const wh::Event& e) {
  check_envelope(e, EventType::MessageLoaded, "MessageLoaded", 1713460100.5,
                 "6a7b8c9d-0e1f-4a2b-9c3d-4e5f6a7b8c9d");
  const auto* p = e.as<wh::MessageLoaded>();
  REQUIRE(p != nullptr);
  check_sent_message(p->message);
  CHECK(p->ip_address == "185.22.208.3");
  CHECK_FALSE(p->user_agent.has_value());
}

void check_server(const wh::ServerInfo& s, bool has_organization) {
  CHECK(s.uuid == "54529725-8807-4069-ab29-a3746c1bbd98");
  CHECK(s.name == "AwesomeApp Mail Server");
  CHECK(s.permalink == "awesomeapp");
  if (has_organization) {
    CHECK(s.organization == "atech");
  } else {
    CHECK_FALSE(s.organization.has_value());
  }
}

void check_domain_dns_error(const wh::Event& e) {
  check_envelope(e, EventType::DomainDNSError, "DomainDNSError", 1477945711.6,
                 "7b8c9d0e-1f2a-4b3c-8d4e-5f6a7b8c9d0e");
  const auto* p = e.as<wh::DomainDNSError>();
  REQUIRE(p != nullptr);
  check_server(p->server, true);
  CHECK(p->domain == "example.com");
  CHECK(p->uuid == "820b47a4-4dfd-42e4-ae6a-1e5bed5a33fd");
  CHECK(p->dns_checked_at == 1477945711.5502);
  CHECK(p->spf_status == DnsCheckStatus::Ok);
  CHECK(p->spf_status_name == "OK");
  CHECK_FALSE(p->spf_error.has_value());
  CHECK(p->dkim_status == DnsCheckStatus::Invalid);
  CHECK(p->dkim_status_name == "Invalid");
  CHECK(p->dkim_error ==
        "The DKIM record at postal-AbCdEf._domainkey.example.com does not match the record we "
        "have provided. Please check it has been copied correctly.");
  CHECK(p->mx_status == DnsCheckStatus::Ok);
  CHECK_FALSE(p->mx_error.has_value());
  CHECK(p->return_path_status == DnsCheckStatus::Ok);
  CHECK(p->return_path_status_name == "OK");
  CHECK_FALSE(p->return_path_error.has_value());
}

void check_send_limit_approaching(const wh::Event& e) {
  check_envelope(e, EventType::SendLimitApproaching, "SendLimitApproaching", 1713463200.0,
                 "8c9d0e1f-2a3b-4c4d-9e5f-6a7b8c9d0e1f");
  const auto* p = e.as<wh::SendLimitEvent>();
  REQUIRE(p != nullptr);
  check_server(p->server, true);
  CHECK(p->volume == 455);
  CHECK(p->limit == 500);
}

void check_send_limit_exceeded(const wh::Event& e) {
  check_envelope(e, EventType::SendLimitExceeded, "SendLimitExceeded", 1713463260.0,
                 "9d0e1f2a-3b4c-4d5e-8f6a-7b8c9d0e1f2a");
  const auto* p = e.as<wh::SendLimitEvent>();
  REQUIRE(p != nullptr);
  check_server(p->server, false);
  CHECK(p->volume == 512);
  CHECK(p->limit == 500);
}

void check_unknown_event(const wh::Event& e) {
  check_envelope(e, EventType::Unknown, "MessageArchived", 1713470000.25,
                 "0e1f2a3b-4c5d-4e6f-9a7b-8c9d0e1f2a3b");
  const auto* p = e.as<wh::UnknownEvent>();
  REQUIRE(p != nullptr);
  CHECK(p->payload == nlohmann::json::parse(R"({"message":{"id":12345,"token":"Ab3dEf6hIj9kLm2n"},)"
                                            R"("archive":"cold-storage","size":20480})"));
}

/// Every fixture with the checks of every field.
const std::vector<std::pair<std::string, std::function<void(const wh::Event&)>>>& cases() {
  static const std::vector<std::pair<std::string, std::function<void(const wh::Event&)>>> all{
      {"message_sent.json", check_message_sent},
      {"message_delayed.json", check_message_delayed},
      {"message_delivery_failed.json", check_message_delivery_failed},
      {"message_held.json", check_message_held},
      {"message_bounced.json", check_message_bounced},
      {"message_link_clicked.json", check_message_link_clicked},
      {"message_loaded.json", check_message_loaded},
      {"domain_dns_error.json", check_domain_dns_error},
      {"send_limit_approaching.json", check_send_limit_approaching},
      {"send_limit_exceeded.json", check_send_limit_exceeded},
      {"unknown_event.json", check_unknown_event},
  };
  return all;
}

}  // namespace

TEST_CASE("parse_event reads every field of every event type") {
  for (const auto& [name, check] : cases()) {
    INFO(name);
    const auto event = wh::parse_event(fixture(name));
    REQUIRE(event);
    check(*event);
  }
}

TEST_CASE("Every event type round-trips sign, verify, parse with 1024, 2048 and 4096-bit keys") {
  for (int bits : {1024, 2048, 4096}) {
    const wh::KeySet keys{test_public_key(bits)};
    for (const auto& [name, check] : cases()) {
      INFO(name << " with a " << bits << "-bit key");
      const std::string body = fixture(name);
      const auto event = wh::verify_and_parse(body, sign(body, bits), keys);
      REQUIRE(event);
      check(*event);
    }
  }
}

TEST_CASE("The worked vector verifies and parses as the spec's MessageSent") {
  const auto event =
      wh::verify_and_parse(fixture("message_sent.json"), vector::headers(), vector::key());
  REQUIRE(event);
  check_message_sent(*event);
}

TEST_CASE("verify_and_parse does not parse a body whose signature fails") {
  const std::string body = "not json";
  const auto event =
      wh::verify_and_parse(body, sign(fixture("message_sent.json")), test_public_key(2048));
  REQUIRE_FALSE(event);
  CHECK(event.error().code == ErrorCode::Signature);
  const auto signed_garbage = wh::verify_and_parse(body, sign(body), test_public_key(2048));
  REQUIRE_FALSE(signed_garbage);
  CHECK(signed_garbage.error().code == ErrorCode::Decode);
}

TEST_CASE("parse_event rejects bodies that are not Postal's envelope as Decode errors") {
  auto check = [](const std::string& body, const std::string& mentions) {
    const auto event = wh::parse_event(body);
    REQUIRE_FALSE(event);
    CHECK(event.error().code == ErrorCode::Decode);
    CHECK(event.error().send_state == postal::SendState::NotSent);
    INFO(event.error().message);
    CHECK(contains(event.error().message, mentions));
  };
  check("", "not valid JSON");
  check("{\"event\":", "not valid JSON");
  check("[1,2]", "not a JSON object");
  check(R"({"timestamp":1.5,"payload":{},"uuid":"u"})", "\"event\"");
  check(R"({"event":"MessageSent","payload":{},"uuid":"u"})", "\"timestamp\"");
  check(R"({"event":"MessageSent","timestamp":"1.5","payload":{},"uuid":"u"})", "\"timestamp\"");
  check(R"({"event":"MessageSent","timestamp":1.5,"payload":{}})", "\"uuid\"");
  check(R"({"event":"MessageSent","timestamp":1.5,"payload":[],"uuid":"u"})", "\"payload\"");
  check(R"({"event":"MessageSent","timestamp":1.5,"payload":{},"uuid":"u"})",
        "MessageSent: webhook payload has no \"message\"");
  check(
      R"({"event":"MessageBounced","timestamp":1.5,"payload":{"original_message":{}},"uuid":"u"})",
      "\"bounce\"");
  check(R"({"event":"SendLimitExceeded","timestamp":1.5,"payload":{"server":null},"uuid":"u"})",
        "\"server\"");
}

TEST_CASE("Payload fields are read tolerantly: missing, null or mistyped read as absent") {
  const auto event = wh::parse_event(
      R"({"event":"MessageSent","timestamp":7,"payload":{"message":{"id":"42","direction":"sideways",)"
      R"("spam_status":"Maybe","subject":5},"status":"Exploded","sent_with_ssl":1,"time":null},"uuid":"u"})");
  REQUIRE(event);
  CHECK(event->timestamp == 7.0);
  const auto* p = event->as<wh::MessageStatusEvent>();
  REQUIRE(p != nullptr);
  CHECK(p->message.id == 42);
  CHECK(p->message.direction == Direction::Unknown);
  CHECK(p->message.direction_name == "sideways");
  CHECK(p->message.spam_status == SpamStatus::Unknown);
  CHECK(p->message.token.empty());
  CHECK_FALSE(p->message.subject.has_value());
  CHECK(p->status == DeliveryStatus::Unknown);
  CHECK(p->status_name == "Exploded");
  CHECK(p->sent_with_ssl == true);  // Postal < 2.1.3 sent 0/1
  CHECK_FALSE(p->time.has_value());
  CHECK(p->details.empty());
}

TEST_CASE("Event, spam and DNS status names map to enums and back") {
  for (auto type :
       {EventType::MessageSent, EventType::MessageDelayed, EventType::MessageDeliveryFailed,
        EventType::MessageHeld, EventType::MessageBounced, EventType::MessageLinkClicked,
        EventType::MessageLoaded, EventType::DomainDNSError, EventType::SendLimitApproaching,
        EventType::SendLimitExceeded})
    CHECK(wh::parse_event_type(wh::to_string(type)) == type);
  CHECK(wh::parse_event_type("messagesent") == EventType::Unknown);
  CHECK(std::string(wh::to_string(EventType::Unknown)) == "Unknown");
  for (auto status : {SpamStatus::NotChecked, SpamStatus::Spam, SpamStatus::NotSpam})
    CHECK(wh::parse_spam_status(wh::to_string(status)) == status);
  for (auto status : {DnsCheckStatus::Ok, DnsCheckStatus::Missing, DnsCheckStatus::Invalid})
    CHECK(wh::parse_dns_check_status(wh::to_string(status)) == status);
  CHECK(wh::parse_dns_check_status("ok") == DnsCheckStatus::Unknown);
}

TEST_CASE("parse_event never throws on arbitrary bytes") {
  std::string body = fixture("domain_dns_error.json");
  for (std::size_t cut = 0; cut <= body.size(); cut += 7)
    CHECK_NOTHROW((void)wh::parse_event(body.substr(0, cut)));
  CHECK_NOTHROW((void)wh::parse_event(std::string(100000, '[')));
  CHECK_NOTHROW((void)wh::parse_event("{\"event\":\"\xff\xfe\"}"));
}
