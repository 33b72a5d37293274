// FakePostal's webhooks (spec §3-5): every body byte for byte in Postal's key order and types,
// Rails escaping, float format, the signature headers in Postal's order, and every event kind
// verifying and parsing to the stored values with the fake's published key.
#include "unit/webhook_test_support.hpp"

#include <postal/testing/fake_postal.hpp>
#include <postal/testing/ruby_compat.hpp>
#include <postal/testing/webhook_signer.hpp>
#include <postal/webhook.hpp>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <regex>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using Json = nlohmann::ordered_json;
using postal::DeliveryStatus;
using postal::ErrorCode;
using postal::testing::DeliveryAttempt;
using postal::testing::FakePostal;
using postal::testing::StoredMessage;
using postal::testing::WebhookRequest;
namespace wh = postal::webhook;

/// A fake that signs with the suite's shared 2048-bit test key (generated once per run).
std::shared_ptr<FakePostal> make_fake() {
  auto fake = std::make_shared<FakePostal>();
  fake->set_signing_key(webhook_test::test_key(2048).private_pem);
  return fake;
}

/// Sends one message through the fake's send/message action; returns its id.
std::int64_t send_message(FakePostal& fake, const std::string& subject = "Welcome",
                          const std::string& tag = "welcome") {
  postal::HttpRequest request;
  request.url = "https://postal.example.test/api/v1/send/message";
  request.headers.set("Content-Type", "application/json");
  request.headers.set("X-Server-API-Key", "test-api-key");
  request.body = Json{
      {"to", Json::array({"john@example.com"})},
      {"from", "sales@example.com"},
      {"subject", subject},
      {"plain_body", "Hello"},
      {"tag", tag}}.dump();
  const auto response = fake.send(request);
  REQUIRE(response);
  INFO(response->body);
  return Json::parse(response->body).at("data").at("messages").at("john@example.com").at("id");
}

StoredMessage stored(const FakePostal& fake, std::int64_t id) {
  return fake.find_message(id).value();
}

/// The only queued webhook (and the queue is then empty).
WebhookRequest take_one(FakePostal& fake) {
  auto hooks = fake.take_webhooks();
  REQUIRE(hooks.size() == 1);
  return hooks.front();
}

std::string ruby_float(double value) { return postal::testing::detail::ruby_float_to_s(value); }

std::string quoted(const std::optional<std::string>& value) {
  return value ? "\"" + *value + "\"" : "null";
}

/// The message hash as spec §3.3 lays it out, written here independently of the fake's builder
/// (for values that need no JSON escaping).
std::string message_hash(const StoredMessage& m) {
  return R"({"id":)" + std::to_string(m.id) + R"(,"token":")" + m.token + R"(","direction":")" +
         m.direction + R"(","message_id":)" + quoted(m.message_id) + R"(,"to":")" + m.rcpt_to +
         R"(","from":)" + quoted(m.mail_from) + R"(,"subject":)" + quoted(m.subject) +
         R"(,"timestamp":)" + ruby_float(m.timestamp) + R"(,"spam_status":")" + m.spam_status +
         R"(","tag":)" + quoted(m.tag) + "}";
}

/// The parts of an envelope after checking its fixed shape: `event`, a float `timestamp`, the
/// payload, a lower-case v4 `uuid`, in this order, compact.
struct Envelope {
  std::string timestamp;
  std::string payload;
  std::string uuid;
};

Envelope envelope_of(const std::string& body, const std::string& event) {
  static const std::regex shape(
      R"re(^\{"event":"([A-Za-z]+)","timestamp":(\d+\.\d+),"payload":(\{.*\}),)re"
      R"re("uuid":"([0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12})"\}$)re");
  std::smatch match;
  INFO(body);
  REQUIRE(std::regex_match(body, match, shape));
  CHECK(match[1].str() == event);
  return {match[2].str(), match[3].str(), match[4].str()};
}

std::vector<std::string> keys_of(const Json& object) {
  std::vector<std::string> keys;
  for (const auto& item : object.items()) keys.push_back(item.key());
  return keys;
}

const std::vector<std::string> kMessageKeys{"id",   "token",   "direction", "message_id",  "to",
                                            "from", "subject", "timestamp", "spam_status", "tag"};

/// Checks a parsed message hash's key order and JSON types (spec §3.3).
void check_message_hash_json(const Json& m) {
  CHECK(keys_of(m) == kMessageKeys);
  CHECK(m.at("id").is_number_integer());
  CHECK(m.at("token").is_string());
  CHECK(m.at("direction").is_string());
  CHECK((m.at("message_id").is_string() || m.at("message_id").is_null()));
  CHECK(m.at("to").is_string());
  CHECK((m.at("from").is_string() || m.at("from").is_null()));
  CHECK((m.at("subject").is_string() || m.at("subject").is_null()));
  CHECK(m.at("timestamp").is_number_float());
  CHECK(m.at("spam_status").is_string());
  CHECK((m.at("tag").is_string() || m.at("tag").is_null()));
}

/// Verifies with the fake's published PEM key, then parses.
wh::Event verified(FakePostal& fake, const WebhookRequest& hook) {
  const auto key = wh::load_public_key_pem(fake.signing_public_key_pem()).value();
  auto event = wh::verify_and_parse(hook.body, hook.headers, key);
  INFO(hook.body);
  INFO((event ? std::string() : event.error().describe()));
  REQUIRE(event);
  return *event;
}

/// Every field of a parsed message hash equals the stored message.
void check_message(const wh::WebhookMessage& got, const StoredMessage& m) {
  CHECK(got.id == m.id);
  CHECK(got.token == m.token);
  CHECK(got.direction_name == m.direction);
  CHECK(got.message_id == m.message_id);
  CHECK(got.to == m.rcpt_to);
  CHECK(got.from == m.mail_from);
  CHECK(got.subject == m.subject);
  CHECK(got.timestamp == m.timestamp);
  CHECK(got.spam_status_name == m.spam_status);
  CHECK(got.tag == m.tag);
}

/// Every field of a parsed delivery event equals the stored delivery.
void check_status_event(const wh::Event& event, const StoredMessage& m,
                        const postal::testing::StoredDelivery& d) {
  const auto* p = event.as<wh::MessageStatusEvent>();
  REQUIRE(p != nullptr);
  check_message(p->message, m);
  CHECK(p->status == d.status);
  CHECK(p->details == d.details);
  CHECK(p->output == d.output);
  CHECK(p->sent_with_ssl == d.sent_with_ssl);
  CHECK(p->timestamp == d.timestamp);
  CHECK(p->time == d.time);
}

DeliveryAttempt sent_attempt() {
  DeliveryAttempt attempt;
  attempt.status = DeliveryStatus::Sent;
  attempt.details = "Message for john@example.com accepted by 192.0.2.10:25 (mx.example.com)";
  attempt.output = "250 2.0.0 OK";
  attempt.sent_with_ssl = true;
  attempt.time = 0.42;
  return attempt;
}

}  // namespace

// --- bodies, byte for byte ---------------------------------------------------------------------

TEST_CASE("fake postal webhooks: a Sent delivery queues MessageSent byte for byte as spec 3.3",
          "[fake_postal_webhooks]") {
  auto fake = make_fake();
  const auto id = send_message(*fake);
  const auto delivery_id = fake->record_delivery(id, sent_attempt());
  const auto hook = take_one(*fake);
  const auto m = stored(*fake, id);
  const auto& d = m.deliveries.at(0);
  CHECK(d.id == delivery_id);
  CHECK(hook.event == "MessageSent");
  const auto envelope = envelope_of(hook.body, "MessageSent");
  CHECK(
      envelope.payload ==
      R"({"message":)" + message_hash(m) +
          R"x(,"status":"Sent","details":"Message for john@example.com accepted by 192.0.2.10:25 (mx.example.com)","output":"250 2.0.0 OK","sent_with_ssl":true,"timestamp":)x" +
          ruby_float(d.timestamp) + R"(,"time":0.42})");
}

TEST_CASE("fake postal webhooks: a Held delivery has empty output and null ssl and time",
          "[fake_postal_webhooks]") {
  auto fake = make_fake();
  const auto id = send_message(*fake);
  DeliveryAttempt held;
  held.status = DeliveryStatus::Held;
  held.details = "Server is in development mode.";
  held.timestamp = 1713456789.5;
  fake->record_delivery(id, held);
  const auto hook = take_one(*fake);
  CHECK(hook.event == "MessageHeld");
  CHECK(
      envelope_of(hook.body, "MessageHeld").payload ==
      R"({"message":)" + message_hash(stored(*fake, id)) +
          R"(,"status":"Held","details":"Server is in development mode.","output":"","sent_with_ssl":null,"timestamp":1713456789.5,"time":null})");
}

TEST_CASE("fake postal webhooks: a delivery without details sends an empty string, not null",
          "[fake_postal_webhooks]") {
  auto fake = make_fake();
  const auto id = send_message(*fake);
  DeliveryAttempt bare;
  bare.status = DeliveryStatus::HardFail;
  fake->record_delivery(id, bare);
  const auto payload =
      Json::parse(envelope_of(take_one(*fake).body, "MessageDeliveryFailed").payload);
  CHECK(payload.at("details") == "");
  CHECK(payload.at("output") == "");
  CHECK(payload.at("sent_with_ssl").is_null());
  CHECK(payload.at("time").is_null());
}

TEST_CASE("fake postal webhooks: each delivery status queues the event Postal names for it",
          "[fake_postal_webhooks]") {
  auto fake = make_fake();
  const auto id = send_message(*fake);
  fake->record_delivery(id, {DeliveryStatus::Sent, "sent", "250 OK"});
  fake->record_delivery(id, {DeliveryStatus::SoftFail, "try later", "451"});
  fake->record_delivery(id, {DeliveryStatus::HardFail, "no such user", "550"});
  fake->record_delivery(id, {DeliveryStatus::Held, "held", ""});
  std::vector<std::string> events;
  for (const auto& hook : fake->take_webhooks()) events.push_back(hook.event);
  CHECK(events == std::vector<std::string>{"MessageSent", "MessageDelayed", "MessageDeliveryFailed",
                                           "MessageHeld"});
}

TEST_CASE("fake postal webhooks: a delivery with status Bounced queues nothing",
          "[fake_postal_webhooks]") {
  auto fake = make_fake();
  const auto id = send_message(*fake);
  fake->record_delivery(id, {DeliveryStatus::Bounced, "bounced", ""});
  CHECK(fake->take_webhooks().empty());
}

TEST_CASE(
    "fake postal webhooks: deliveries with status Processed, HoldCancelled or Error queue "
    "nothing",
    "[fake_postal_webhooks]") {
  auto fake = make_fake();
  const auto id = send_message(*fake);
  fake->record_delivery(id, {DeliveryStatus::Processed, "processed", ""});
  fake->record_delivery(id, {DeliveryStatus::HoldCancelled, "hold removed", ""});
  fake->record_delivery(id, {DeliveryStatus::Error, "internal error", ""});
  CHECK(fake->take_webhooks().empty());
}

TEST_CASE("fake postal webhooks: every message hash has the spec's key order and types",
          "[fake_postal_webhooks]") {
  auto fake = make_fake();
  const auto id = send_message(*fake);
  fake->record_delivery(id, sent_attempt());
  fake->record_load(id, "198.51.100.7");
  fake->record_click(id, "https://example.com/", "198.51.100.7");
  fake->record_bounce(id);
  const auto hooks = fake->take_webhooks();
  REQUIRE(hooks.size() == 4);
  for (const auto& hook : hooks) {
    const auto payload = Json::parse(envelope_of(hook.body, hook.event).payload);
    if (hook.event == "MessageBounced") {
      check_message_hash_json(payload.at("original_message"));
      check_message_hash_json(payload.at("bounce"));
    } else {
      check_message_hash_json(payload.at("message"));
    }
  }
}

TEST_CASE("fake postal webhooks: the delivery payload has the spec's key order and types",
          "[fake_postal_webhooks]") {
  auto fake = make_fake();
  const auto id = send_message(*fake);
  fake->record_delivery(id, sent_attempt());
  const auto payload = Json::parse(envelope_of(take_one(*fake).body, "MessageSent").payload);
  CHECK(keys_of(payload) == std::vector<std::string>{"message", "status", "details", "output",
                                                     "sent_with_ssl", "timestamp", "time"});
  CHECK(payload.at("status").is_string());
  CHECK(payload.at("details").is_string());
  CHECK(payload.at("output").is_string());
  CHECK(payload.at("sent_with_ssl").is_boolean());
  CHECK(payload.at("timestamp").is_number_float());
  CHECK(payload.at("time").is_number_float());
}

TEST_CASE("fake postal webhooks: float fields never take an integer form",
          "[fake_postal_webhooks]") {
  auto fake = make_fake();
  const auto id = send_message(*fake);
  DeliveryAttempt attempt = sent_attempt();
  attempt.timestamp = 1713456789.0;
  attempt.time = 2.0;
  fake->record_delivery(id, attempt);
  const auto body = take_one(*fake).body;
  CHECK(body.find(R"("timestamp":1713456789.0,"time":2.0})") != std::string::npos);
}

TEST_CASE("fake postal webhooks: a subject with <, > and & is escaped like Rails",
          "[fake_postal_webhooks]") {
  auto fake = make_fake();
  const auto id = send_message(*fake, "Tom & Jerry <sale> \xE2\x80\xA8 now");
  fake->record_delivery(id, sent_attempt());
  const auto hook = take_one(*fake);
  CHECK(hook.body.find(R"("subject":"Tom \u0026 Jerry \u003csale\u003e \u2028 now")") !=
        std::string::npos);
  CHECK(hook.body.find_first_of("<>&") == std::string::npos);
  const auto event = verified(*fake, hook);
  CHECK(event.as<wh::MessageStatusEvent>()->message.subject ==
        "Tom & Jerry <sale> \xE2\x80\xA8 now");
}

TEST_CASE("fake postal webhooks: a bounce queues MessageBounced with the incoming bounce's hash",
          "[fake_postal_webhooks]") {
  auto fake = make_fake();
  const auto id = send_message(*fake);
  const auto bounce_id = fake->record_bounce(id);
  const auto hook = take_one(*fake);
  const auto original = stored(*fake, id);
  const auto bounce = stored(*fake, bounce_id);
  CHECK(bounce.direction == "incoming");
  CHECK(!bounce.mail_from);
  CHECK(!bounce.tag);
  CHECK(bounce.bounce);
  CHECK(bounce.spam_status == "NotSpam");
  CHECK(hook.event == "MessageBounced");
  CHECK(envelope_of(hook.body, "MessageBounced").payload ==
        R"({"original_message":)" + message_hash(original) + R"(,"bounce":)" +
            message_hash(bounce) + "}");
  CHECK(message_hash(bounce).find(R"("direction":"incoming")") != std::string::npos);
  CHECK(message_hash(bounce).find(R"("from":null)") != std::string::npos);
}

TEST_CASE("fake postal webhooks: a bounce gives the original a Bounced delivery citing it",
          "[fake_postal_webhooks]") {
  auto fake = make_fake();
  const auto id = send_message(*fake);
  const auto bounce_id = fake->record_bounce(id);
  const auto original = stored(*fake, id);
  REQUIRE(original.deliveries.size() == 1);
  CHECK(original.status == DeliveryStatus::Bounced);
  CHECK(original.deliveries[0].details ==
        "We've received a bounce message for this e-mail. See <msg:" + std::to_string(bounce_id) +
            "> for details.");
  CHECK(stored(*fake, bounce_id).raw_message.find("X-Postal-MsgID: " + original.token) !=
        std::string::npos);
}

TEST_CASE("fake postal webhooks: a click queues MessageLinkClicked with a link token",
          "[fake_postal_webhooks]") {
  auto fake = make_fake();
  const auto id = send_message(*fake);
  fake->record_click(id, "https://example.com/offer", "198.51.100.8", std::string("Mozilla/5.0"));
  const auto hook = take_one(*fake);
  const auto m = stored(*fake, id);
  const auto& click = m.clicks.at(0);
  CHECK(std::regex_match(click.token, std::regex("[A-Za-z0-9]{16}")));
  CHECK(click.token != m.token);
  CHECK(envelope_of(hook.body, "MessageLinkClicked").payload ==
        R"({"message":)" + message_hash(m) + R"(,"url":"https://example.com/offer","token":")" +
            click.token + R"(","ip_address":"198.51.100.8","user_agent":"Mozilla/5.0"})");
}

TEST_CASE("fake postal webhooks: clicks on the same link share its token",
          "[fake_postal_webhooks]") {
  auto fake = make_fake();
  const auto id = send_message(*fake);
  fake->record_click(id, "https://example.com/a", "198.51.100.8");
  fake->record_click(id, "https://example.com/b", "198.51.100.8");
  fake->record_click(id, "https://example.com/a", "198.51.100.9");
  const auto clicks = stored(*fake, id).clicks;
  CHECK(clicks.at(0).token == clicks.at(2).token);
  CHECK(clicks.at(0).token != clicks.at(1).token);
}

TEST_CASE("fake postal webhooks: a load queues MessageLoaded with a null user agent when absent",
          "[fake_postal_webhooks]") {
  auto fake = make_fake();
  const auto id = send_message(*fake);
  fake->record_load(id, "198.51.100.7");
  const auto hook = take_one(*fake);
  CHECK(envelope_of(hook.body, "MessageLoaded").payload ==
        R"({"message":)" + message_hash(stored(*fake, id)) +
            R"(,"ip_address":"198.51.100.7","user_agent":null})");
}

TEST_CASE("fake postal webhooks: DomainDNSError carries the check in the spec's key order",
          "[fake_postal_webhooks]") {
  auto fake = make_fake();
  postal::testing::WebhookServer server;
  server.uuid = "54529725-8807-4069-ab29-a3746c1bbd98";
  server.name = "AwesomeApp Mail Server";
  server.permalink = "awesomeapp";
  server.organization = "atech";
  fake->set_webhook_server(server);
  postal::testing::DomainDnsCheck check;
  check.domain = "example.com";
  check.uuid = "820b47a4-4dfd-42e4-ae6a-1e5bed5a33fd";
  check.dns_checked_at = 1477945711.5502;
  check.dkim_status = wh::DnsCheckStatus::Invalid;
  check.dkim_error = "The DKIM record does not match.";
  check.mx_status = wh::DnsCheckStatus::Missing;
  check.mx_error = "There are no MX records for example.com";
  fake->record_dns_error(check);
  CHECK(
      envelope_of(take_one(*fake).body, "DomainDNSError").payload ==
      R"({"server":{"uuid":"54529725-8807-4069-ab29-a3746c1bbd98","name":"AwesomeApp Mail Server","permalink":"awesomeapp","organization":"atech"},)"
      R"("domain":"example.com","uuid":"820b47a4-4dfd-42e4-ae6a-1e5bed5a33fd","dns_checked_at":1477945711.5502,)"
      R"("spf_status":"OK","spf_error":null,"dkim_status":"Invalid","dkim_error":"The DKIM record does not match.",)"
      R"("mx_status":"Missing","mx_error":"There are no MX records for example.com","return_path_status":"OK","return_path_error":null})");
}

TEST_CASE("fake postal webhooks: a domain keeps one uuid across DNS errors",
          "[fake_postal_webhooks]") {
  auto fake = make_fake();
  postal::testing::DomainDnsCheck check;
  check.spf_status = wh::DnsCheckStatus::Missing;
  fake->record_dns_error(check);
  fake->record_dns_error(check);
  const auto hooks = fake->take_webhooks();
  REQUIRE(hooks.size() == 2);
  const auto first = Json::parse(envelope_of(hooks[0].body, "DomainDNSError").payload);
  const auto second = Json::parse(envelope_of(hooks[1].body, "DomainDNSError").payload);
  CHECK(first.at("uuid") == second.at("uuid"));
  CHECK(first.at("server").at("uuid") == second.at("server").at("uuid"));
  CHECK(first.at("dns_checked_at").is_number_float());
}

TEST_CASE("fake postal webhooks: send limit events carry the server, volume and limit",
          "[fake_postal_webhooks]") {
  auto fake = make_fake();
  const auto server = fake->webhook_server();
  fake->record_send_limit_approaching(455, 500);
  fake->record_send_limit_exceeded(501, 500);
  const auto hooks = fake->take_webhooks();
  REQUIRE(hooks.size() == 2);
  const std::string server_hash = R"({"server":{"uuid":")" + server.uuid +
                                  R"(","name":"Fake Mail Server","permalink":"fake-mail-server",)"
                                  R"("organization":"fake-org"},)";
  CHECK(envelope_of(hooks[0].body, "SendLimitApproaching").payload ==
        server_hash + R"("volume":455,"limit":500})");
  CHECK(envelope_of(hooks[1].body, "SendLimitExceeded").payload ==
        server_hash + R"("volume":501,"limit":500})");
}

// --- envelope and queue ------------------------------------------------------------------------

TEST_CASE("fake postal webhooks: every webhook gets its own lower-case v4 uuid",
          "[fake_postal_webhooks]") {
  auto fake = make_fake();
  const auto id = send_message(*fake);
  for (int i = 0; i < 20; ++i) fake->record_load(id, "198.51.100.7");
  std::set<std::string> uuids;
  for (const auto& hook : fake->take_webhooks())
    uuids.insert(envelope_of(hook.body, "MessageLoaded").uuid);
  CHECK(uuids.size() == 20);
}

TEST_CASE("fake postal webhooks: take_webhooks returns the queue oldest first and empties it",
          "[fake_postal_webhooks]") {
  auto fake = make_fake();
  const auto id = send_message(*fake);
  fake->record_load(id, "198.51.100.7");
  fake->record_click(id, "https://example.com/", "198.51.100.7");
  const auto hooks = fake->take_webhooks();
  REQUIRE(hooks.size() == 2);
  CHECK(hooks[0].event == "MessageLoaded");
  CHECK(hooks[1].event == "MessageLinkClicked");
  CHECK(std::stod(envelope_of(hooks[0].body, "MessageLoaded").timestamp) <
        std::stod(envelope_of(hooks[1].body, "MessageLinkClicked").timestamp));
  CHECK(fake->take_webhooks().empty());
}

TEST_CASE("fake postal webhooks: signature headers come in Postal's order",
          "[fake_postal_webhooks]") {
  auto fake = make_fake();
  const auto id = send_message(*fake);
  fake->record_delivery(id, sent_attempt());
  const auto hook = take_one(*fake);
  std::vector<std::string> names;
  for (const auto& field : hook.headers) names.push_back(field.first);
  CHECK(names == std::vector<std::string>{"Content-Type", "X-Postal-Signature-KID",
                                          "X-Postal-Signature", "X-Postal-Signature-256",
                                          "User-Agent"});
  CHECK(hook.headers.get("Content-Type") == "application/json");
  CHECK(hook.headers.get("X-Postal-Signature-KID") == fake->signing_key_kid());
  CHECK(hook.headers.get("User-Agent") == "Postal/3.3.6");
  const std::regex base64("[A-Za-z0-9+/]+=*");
  CHECK(std::regex_match(*hook.headers.get("X-Postal-Signature"), base64));
  CHECK(std::regex_match(*hook.headers.get("X-Postal-Signature-256"), base64));
}

TEST_CASE("fake postal webhooks: webhook_for_delivery builds a new request for a recorded attempt",
          "[fake_postal_webhooks]") {
  auto fake = make_fake();
  const auto id = send_message(*fake);
  const auto delivery_id = fake->record_delivery(id, sent_attempt());
  const auto queued = envelope_of(take_one(*fake).body, "MessageSent");
  const auto rebuilt = fake->webhook_for_delivery(id, delivery_id);
  const auto envelope = envelope_of(rebuilt.body, "MessageSent");
  CHECK(envelope.payload == queued.payload);
  CHECK(envelope.uuid != queued.uuid);
  check_status_event(verified(*fake, rebuilt), stored(*fake, id), stored(*fake, id).deliveries[0]);
  CHECK(fake->take_webhooks().empty());
}

TEST_CASE("fake postal webhooks: webhook_for_delivery refuses attempts that trigger no webhook",
          "[fake_postal_webhooks]") {
  auto fake = make_fake();
  const auto id = send_message(*fake);
  const auto bounced = fake->record_delivery(id, {DeliveryStatus::Bounced, "bounced", ""});
  CHECK_THROWS_AS(fake->webhook_for_delivery(id, bounced), std::invalid_argument);
  CHECK_THROWS_AS(fake->webhook_for_delivery(id, bounced + 1), std::out_of_range);
  CHECK_THROWS_AS(fake->webhook_for_load(id, 0), std::out_of_range);
}

// --- verify and parse: every event kind ----------------------------------------------------------

TEST_CASE("fake postal webhooks: MessageSent verifies and parses to the stored delivery",
          "[fake_postal_webhooks]") {
  auto fake = make_fake();
  const auto id = send_message(*fake);
  fake->record_delivery(id, sent_attempt());
  const auto hook = take_one(*fake);
  const auto event = verified(*fake, hook);
  CHECK(event.type == wh::EventType::MessageSent);
  CHECK(event.uuid == envelope_of(hook.body, "MessageSent").uuid);
  const auto m = stored(*fake, id);
  check_status_event(event, m, m.deliveries.at(0));
}

TEST_CASE(
    "fake postal webhooks: Delayed, DeliveryFailed and Held verify and parse to the stored "
    "deliveries",
    "[fake_postal_webhooks]") {
  auto fake = make_fake();
  const auto id = send_message(*fake);
  fake->record_delivery(id, {DeliveryStatus::SoftFail, "try later", "451 4.7.1", true, 1.25});
  fake->record_delivery(id, {DeliveryStatus::HardFail, "no such user", "550 5.1.1", false, 0.5});
  fake->record_delivery(id, {DeliveryStatus::Held, "Server is in development mode.", ""});
  const auto hooks = fake->take_webhooks();
  REQUIRE(hooks.size() == 3);
  const auto m = stored(*fake, id);
  const wh::EventType types[] = {wh::EventType::MessageDelayed,
                                 wh::EventType::MessageDeliveryFailed, wh::EventType::MessageHeld};
  for (std::size_t i = 0; i < 3; ++i) {
    const auto event = verified(*fake, hooks[i]);
    CHECK(event.type == types[i]);
    check_status_event(event, m, m.deliveries.at(i));
  }
}

TEST_CASE("fake postal webhooks: MessageBounced verifies and parses to both stored messages",
          "[fake_postal_webhooks]") {
  auto fake = make_fake();
  const auto id = send_message(*fake);
  postal::testing::BounceMessage details;
  details.subject = "Delivery Error";
  details.message_id = "5817a64332f44_4ec93ff59e79d154565eb@someserver.com";
  const auto bounce_id = fake->record_bounce(id, details);
  const auto event = verified(*fake, take_one(*fake));
  CHECK(event.type == wh::EventType::MessageBounced);
  const auto* p = event.as<wh::MessageBounced>();
  REQUIRE(p != nullptr);
  check_message(p->original_message, stored(*fake, id));
  check_message(p->bounce, stored(*fake, bounce_id));
  CHECK(p->bounce.direction == postal::Direction::Incoming);
  CHECK(p->bounce.subject == "Delivery Error");
  CHECK(p->bounce.message_id == "5817a64332f44_4ec93ff59e79d154565eb@someserver.com");
  CHECK(p->bounce.spam_status == wh::SpamStatus::NotSpam);
  CHECK(!p->bounce.from);
}

TEST_CASE("fake postal webhooks: MessageLinkClicked verifies and parses to the stored click",
          "[fake_postal_webhooks]") {
  auto fake = make_fake();
  const auto id = send_message(*fake);
  fake->record_click(id, "https://example.com/?a=1&b=<2>", "2001:db8::1",
                     std::string("Mozilla/5.0 (X11)"));
  const auto event = verified(*fake, take_one(*fake));
  CHECK(event.type == wh::EventType::MessageLinkClicked);
  const auto* p = event.as<wh::MessageLinkClicked>();
  REQUIRE(p != nullptr);
  const auto m = stored(*fake, id);
  check_message(p->message, m);
  CHECK(p->url == m.clicks.at(0).url);
  CHECK(p->token == m.clicks.at(0).token);
  CHECK(p->ip_address == m.clicks.at(0).ip_address);
  CHECK(p->user_agent == m.clicks.at(0).user_agent);
}

TEST_CASE("fake postal webhooks: MessageLoaded verifies and parses to the stored load",
          "[fake_postal_webhooks]") {
  auto fake = make_fake();
  const auto id = send_message(*fake);
  fake->record_load(id, "198.51.100.7", std::string("Mozilla/5.0"));
  const auto event = verified(*fake, take_one(*fake));
  CHECK(event.type == wh::EventType::MessageLoaded);
  const auto* p = event.as<wh::MessageLoaded>();
  REQUIRE(p != nullptr);
  const auto m = stored(*fake, id);
  check_message(p->message, m);
  CHECK(p->ip_address == m.loads.at(0).ip_address);
  CHECK(p->user_agent == m.loads.at(0).user_agent);
}

TEST_CASE("fake postal webhooks: DomainDNSError verifies and parses to the recorded check",
          "[fake_postal_webhooks]") {
  auto fake = make_fake();
  postal::testing::DomainDnsCheck check;
  check.domain = "mail.example.org";
  check.dns_checked_at = 1477945711.5502;
  check.spf_status = wh::DnsCheckStatus::Invalid;
  check.spf_error = "SPF record includes no Postal server";
  check.return_path_status = wh::DnsCheckStatus::Missing;
  fake->record_dns_error(check);
  const auto event = verified(*fake, take_one(*fake));
  CHECK(event.type == wh::EventType::DomainDNSError);
  const auto* p = event.as<wh::DomainDNSError>();
  REQUIRE(p != nullptr);
  const auto server = fake->webhook_server();
  CHECK(p->server.uuid == server.uuid);
  CHECK(p->server.name == server.name);
  CHECK(p->server.permalink == server.permalink);
  CHECK(p->server.organization == server.organization);
  CHECK(p->domain == "mail.example.org");
  CHECK(std::regex_match(
      p->uuid, std::regex("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")));
  CHECK(p->dns_checked_at == 1477945711.5502);
  CHECK(p->spf_status == wh::DnsCheckStatus::Invalid);
  CHECK(p->spf_error == "SPF record includes no Postal server");
  CHECK(p->dkim_status == wh::DnsCheckStatus::Ok);
  CHECK(!p->dkim_error);
  CHECK(p->mx_status == wh::DnsCheckStatus::Ok);
  CHECK(p->return_path_status == wh::DnsCheckStatus::Missing);
  CHECK(!p->return_path_error);
}

TEST_CASE("fake postal webhooks: send limit events verify and parse to the given values",
          "[fake_postal_webhooks]") {
  auto fake = make_fake();
  fake->record_send_limit_approaching(455, 500);
  fake->record_send_limit_exceeded(501, 500);
  const auto hooks = fake->take_webhooks();
  REQUIRE(hooks.size() == 2);
  const auto approaching = verified(*fake, hooks[0]);
  const auto exceeded = verified(*fake, hooks[1]);
  CHECK(approaching.type == wh::EventType::SendLimitApproaching);
  CHECK(exceeded.type == wh::EventType::SendLimitExceeded);
  REQUIRE(approaching.as<wh::SendLimitEvent>() != nullptr);
  REQUIRE(exceeded.as<wh::SendLimitEvent>() != nullptr);
  CHECK(approaching.as<wh::SendLimitEvent>()->volume == 455);
  CHECK(approaching.as<wh::SendLimitEvent>()->limit == 500);
  CHECK(exceeded.as<wh::SendLimitEvent>()->volume == 501);
  CHECK(exceeded.as<wh::SendLimitEvent>()->server.uuid == fake->webhook_server().uuid);
}

// --- the signing key -----------------------------------------------------------------------------

TEST_CASE("fake postal webhooks: the JWKS, DKIM record and PEM of the key all verify its webhooks",
          "[fake_postal_webhooks]") {
  auto fake = make_fake();
  const auto id = send_message(*fake);
  fake->record_delivery(id, sent_attempt());
  const auto hook = take_one(*fake);
  const auto from_jwks = wh::load_jwks(fake->jwks()).value();
  const auto from_dkim = wh::load_public_key_dkim(fake->signing_key_dkim_record()).value();
  const auto from_pem = wh::load_public_key_pem(fake->signing_public_key_pem()).value();
  CHECK(wh::verify(hook.body, hook.headers, from_jwks));
  CHECK(wh::verify(hook.body, hook.headers, from_dkim));
  CHECK(wh::verify(hook.body, hook.headers, from_pem));
  CHECK(from_pem.kid() == fake->signing_key_kid());
}

TEST_CASE("fake postal webhooks: the JWKS has the shape Postal publishes",
          "[fake_postal_webhooks]") {
  auto fake = make_fake();
  CHECK(std::regex_match(fake->jwks(),
                         std::regex(R"(\{"keys":\[\{"kty":"RSA","n":"[A-Za-z0-9_-]+","e":"AQAB",)"
                                    R"("use":"sig","alg":"RS256","kid":")" +
                                    fake->signing_key_kid() + R"("\}\]\})")));
}

TEST_CASE("fake postal webhooks: GET /.well-known/jwks.json answers the JWKS without an API key",
          "[fake_postal_webhooks]") {
  auto fake = make_fake();
  postal::HttpRequest request;
  request.method = "GET";
  request.url = "https://postal.example.test/.well-known/jwks.json";
  const auto response = fake->send(request);
  REQUIRE(response);
  CHECK(response->status == 200);
  CHECK(response->headers.get("Content-Type") == "application/json; charset=utf-8");
  CHECK(response->body == fake->jwks());
  request.method = "POST";
  CHECK(fake->send(request)->status == 404);
}

TEST_CASE("fake postal webhooks: set_signing_key rotates the key, also for queued webhooks",
          "[fake_postal_webhooks]") {
  auto fake = make_fake();
  const auto old_kid = fake->signing_key_kid();
  const auto id = send_message(*fake);
  fake->record_load(id, "198.51.100.7");
  fake->set_signing_key(webhook_test::test_key(2048, 1).private_pem);
  CHECK(fake->signing_key_kid() != old_kid);
  CHECK(fake->signing_key_kid() == webhook_test::test_public_key(2048, 1).kid());
  const auto hook = take_one(*fake);
  CHECK(hook.headers.get("X-Postal-Signature-KID") == fake->signing_key_kid());
  CHECK(wh::verify(hook.body, hook.headers, webhook_test::test_public_key(2048, 1)));
  CHECK(wh::load_jwks(fake->jwks()).value().find(old_kid) == nullptr);
}

TEST_CASE("fake postal webhooks: an unusable signing key is refused with InvalidArgument",
          "[fake_postal_webhooks]") {
  FakePostal fake;
  try {
    fake.set_signing_key(webhook_test::test_key(2048).public_pem);
    FAIL("a public key was accepted as the signing key");
  } catch (const postal::Exception& ex) {
    CHECK(ex.code() == ErrorCode::InvalidArgument);
  }
}

TEST_CASE(
    "fake postal webhooks: without set_signing_key a fake signs with a generated 2048-bit key",
    "[fake_postal_webhooks]") {
  FakePostal fake;
  const auto id = send_message(fake);
  fake.record_delivery(id, sent_attempt());
  const auto hook = take_one(fake);
  const auto key = wh::load_public_key_pem(fake.signing_public_key_pem()).value();
  CHECK(key.bits() == 2048);
  CHECK(wh::verify(hook.body, hook.headers, key));
}

TEST_CASE("published_key: the JWK of a key matches the one computed with openssl",
          "[fake_postal_webhooks]") {
  const auto published =
      postal::testing::published_key(webhook_test::fixture("second_key.pem")).value();
  const auto two_keys = Json::parse(webhook_test::fixture("jwks_two_keys.json"));
  const Json expected = Json{{"keys", Json::array({two_keys.at("keys").at(3)})}};
  CHECK(published.jwks == expected.dump());
  CHECK(published.kid == "eca4ed4952575814619804ec406d7996c043493b5052dc20a3ef2dd3b33c7ea4");
  CHECK(published.public_pem == webhook_test::fixture("second_key.pub.pem"));
  CHECK(wh::load_public_key_dkim(published.dkim_record).value().kid() == published.kid);
}
