/// @file
/// Test tooling: the webhook requests FakePostal produces (spec §3): what a test gets
/// back (WebhookRequest), what it describes (bounces, DNS checks, the server), and the payload
/// builders, key for key in the order of Postal's code, encoded like Rails.
#pragma once

#include <postal/models.hpp>
#include <postal/testing/rails_json.hpp>
#include <postal/testing/stored_message.hpp>
#include <postal/transport.hpp>
#include <postal/version.hpp>
#include <postal/webhook/event_types.hpp>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

POSTAL_BEGIN_NAMESPACE
namespace testing {

/// One webhook request as Postal would POST it: the exact body bytes and the headers, in
/// Postal's order: `Content-Type: application/json`, `X-Postal-Signature-KID`,
/// `X-Postal-Signature`, `X-Postal-Signature-256`, `User-Agent: Postal/3.3.6`.
///
/// @code
/// for (const auto& hook : fake->take_webhooks())
///   receiver.handle(hook.body, hook.headers);  // your endpoint's code, no HTTP needed
/// @endcode
struct WebhookRequest {
  std::string body;   ///< compact JSON `{"event","timestamp","payload","uuid"}`
  Headers headers;    ///< the five headers above
  std::string event;  ///< the event name, e.g. "MessageSent" (also in the body)
};

/// The server hash of DomainDNSError and SendLimit* webhooks (Postal's `Server#webhook_hash`).
/// FakePostal fills an empty `uuid` with a random one, once.
struct WebhookServer {
  std::string uuid{};                                    ///< server UUID; "": generated
  std::string name = "Fake Mail Server";                 ///< server name
  std::string permalink = "fake-mail-server";            ///< server permalink
  std::optional<std::string> organization = "fake-org";  ///< organization permalink
};

/// An incoming bounce to record with FakePostal::record_bounce. The defaults describe a typical
/// delivery status notification sent to the server's return path.
struct BounceMessage {
  std::string subject = "Mail delivery failed: returning message to sender";  ///< its Subject
  std::optional<std::string> rcpt_to{};     ///< nullopt: `<server token>@<return path domain>`
  std::optional<std::string> mail_from{};   ///< nullopt: empty MAIL FROM (`from` is null)
  std::optional<std::string> message_id{};  ///< without <>; nullopt: `<uuid>@mx.bounce.test`
  std::optional<double> timestamp{};        ///< epoch seconds; nullopt: now
};

/// The result of one automatic DNS check of a domain, for FakePostal::record_dns_error.
/// Postal sends DomainDNSError when SPF or DKIM is not OK, or MX / return path is Invalid; the
/// fake sends whatever it is given.
struct DomainDnsCheck {
  std::string domain = "example.com";      ///< domain name
  std::optional<std::string> uuid{};       ///< the domain's UUID; nullopt: one per domain name
  std::optional<double> dns_checked_at{};  ///< epoch seconds; nullopt: now
  webhook::DnsCheckStatus spf_status = webhook::DnsCheckStatus::Ok;          ///< SPF result
  std::optional<std::string> spf_error{};                                    ///< SPF problem
  webhook::DnsCheckStatus dkim_status = webhook::DnsCheckStatus::Ok;         ///< DKIM result
  std::optional<std::string> dkim_error{};                                   ///< DKIM problem
  webhook::DnsCheckStatus mx_status = webhook::DnsCheckStatus::Ok;           ///< MX result
  std::optional<std::string> mx_error{};                                     ///< MX problem
  webhook::DnsCheckStatus return_path_status = webhook::DnsCheckStatus::Ok;  ///< return path
  std::optional<std::string> return_path_error{};  ///< return path problem
};

namespace detail {

/// The Postal version FakePostal claims in the webhook User-Agent.
inline constexpr const char* fake_postal_version = "3.3.6";

/// The webhook a delivery with this status triggers (Delivery#webhook_event), or nullptr:
/// Bounced, Processed, HoldCancelled and Error trigger none.
inline const char* delivery_event_name(DeliveryStatus status) noexcept {
  switch (status) {
    case DeliveryStatus::Sent:
      return "MessageSent";
    case DeliveryStatus::SoftFail:
      return "MessageDelayed";
    case DeliveryStatus::HardFail:
      return "MessageDeliveryFailed";
    case DeliveryStatus::Held:
      return "MessageHeld";
    default:
      return nullptr;
  }
}

/// An optional value as JSON (null when absent).
template <class T>
nlohmann::ordered_json webhook_json_or_null(const std::optional<T>& value) {
  return value ? nlohmann::ordered_json(*value) : nlohmann::ordered_json(nullptr);
}

/// Message#webhook_hash: id, token, direction, message_id, to, from, subject, timestamp,
/// spam_status, tag.
inline nlohmann::ordered_json webhook_message_hash(const StoredMessage& message) {
  nlohmann::ordered_json hash = nlohmann::ordered_json::object();
  hash["id"] = message.id;
  hash["token"] = message.token;
  hash["direction"] = message.direction;
  hash["message_id"] = webhook_json_or_null(message.message_id);
  hash["to"] = message.rcpt_to;
  hash["from"] = webhook_json_or_null(message.mail_from);
  hash["subject"] = webhook_json_or_null(message.subject);
  hash["timestamp"] = message.timestamp;
  hash["spam_status"] = message.spam_status;
  hash["tag"] = webhook_json_or_null(message.tag);
  return hash;
}

/// Delivery#webhook_hash: the in-memory attributes, so `details` and `output` are strings
/// ("" when empty) and `sent_with_ssl` is null when not applicable.
inline nlohmann::ordered_json delivery_payload(const StoredMessage& message,
                                               const StoredDelivery& delivery) {
  nlohmann::ordered_json payload = nlohmann::ordered_json::object();
  payload["message"] = webhook_message_hash(message);
  payload["status"] = to_string(delivery.status);
  payload["details"] = delivery.details;
  payload["output"] = delivery.output;
  payload["sent_with_ssl"] = webhook_json_or_null(delivery.sent_with_ssl);
  payload["timestamp"] = delivery.timestamp;
  payload["time"] = webhook_json_or_null(delivery.time);
  return payload;
}

/// Message#bounce!: `{"original_message": …, "bounce": …}`.
inline nlohmann::ordered_json bounce_payload(const StoredMessage& original,
                                             const StoredMessage& bounce) {
  nlohmann::ordered_json payload = nlohmann::ordered_json::object();
  payload["original_message"] = webhook_message_hash(original);
  payload["bounce"] = webhook_message_hash(bounce);
  return payload;
}

/// TrackingMiddleware: `{"message", "url", "token", "ip_address", "user_agent"}`.
inline nlohmann::ordered_json click_payload(const StoredMessage& message,
                                            const StoredClick& click) {
  nlohmann::ordered_json payload = nlohmann::ordered_json::object();
  payload["message"] = webhook_message_hash(message);
  payload["url"] = click.url;
  payload["token"] = click.token;
  payload["ip_address"] = click.ip_address;
  payload["user_agent"] = webhook_json_or_null(click.user_agent);
  return payload;
}

/// Message#create_load: `{"message", "ip_address", "user_agent"}`.
inline nlohmann::ordered_json load_payload(const StoredMessage& message, const StoredLoad& load) {
  nlohmann::ordered_json payload = nlohmann::ordered_json::object();
  payload["message"] = webhook_message_hash(message);
  payload["ip_address"] = load.ip_address;
  payload["user_agent"] = webhook_json_or_null(load.user_agent);
  return payload;
}

/// Server#webhook_hash: uuid, name, permalink, organization.
inline nlohmann::ordered_json server_hash(const WebhookServer& server) {
  nlohmann::ordered_json hash = nlohmann::ordered_json::object();
  hash["uuid"] = server.uuid;
  hash["name"] = server.name;
  hash["permalink"] = server.permalink;
  hash["organization"] = webhook_json_or_null(server.organization);
  return hash;
}

/// HasDNSChecks#check_dns: server, domain, uuid, dns_checked_at, then status and error of SPF,
/// DKIM, MX and return path. `domain_uuid` and `checked_at` are already resolved.
inline nlohmann::ordered_json dns_error_payload(const WebhookServer& server,
                                                const DomainDnsCheck& check,
                                                const std::string& domain_uuid, double checked_at) {
  nlohmann::ordered_json payload = nlohmann::ordered_json::object();
  payload["server"] = server_hash(server);
  payload["domain"] = check.domain;
  payload["uuid"] = domain_uuid;
  payload["dns_checked_at"] = checked_at;
  payload["spf_status"] = webhook::to_string(check.spf_status);
  payload["spf_error"] = webhook_json_or_null(check.spf_error);
  payload["dkim_status"] = webhook::to_string(check.dkim_status);
  payload["dkim_error"] = webhook_json_or_null(check.dkim_error);
  payload["mx_status"] = webhook::to_string(check.mx_status);
  payload["mx_error"] = webhook_json_or_null(check.mx_error);
  payload["return_path_status"] = webhook::to_string(check.return_path_status);
  payload["return_path_error"] = webhook_json_or_null(check.return_path_error);
  return payload;
}

/// Server#send_limit_warning: `{"server", "volume", "limit"}`.
inline nlohmann::ordered_json send_limit_payload(const WebhookServer& server, std::int64_t volume,
                                                 std::int64_t limit) {
  nlohmann::ordered_json payload = nlohmann::ordered_json::object();
  payload["server"] = server_hash(server);
  payload["volume"] = volume;
  payload["limit"] = limit;
  return payload;
}

/// WebhookDeliveryService#generate_payload: `{"event","timestamp","payload","uuid"}`, compact,
/// Rails' escaping and Ruby's float format.
inline std::string webhook_body(const std::string& event, double timestamp,
                                nlohmann::ordered_json payload, const std::string& uuid) {
  nlohmann::ordered_json envelope = nlohmann::ordered_json::object();
  envelope["event"] = event;
  envelope["timestamp"] = timestamp;
  envelope["payload"] = std::move(payload);
  envelope["uuid"] = uuid;
  return rails_json(envelope);
}

}  // namespace detail
}  // namespace testing
POSTAL_END_NAMESPACE
