/// @file
/// Parse a Postal webhook body (spec §3) into a typed Event, optionally after
/// verifying its signature.
#pragma once

#include <postal/detail/json_read.hpp>
#include <postal/error.hpp>
#include <postal/models.hpp>
#include <postal/result.hpp>
#include <postal/transport.hpp>
#include <postal/version.hpp>
#include <postal/webhook/event_types.hpp>
#include <postal/webhook/keys.hpp>
#include <postal/webhook/verify.hpp>

#include <nlohmann/json.hpp>

#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

POSTAL_BEGIN_NAMESPACE
namespace webhook {
namespace detail {

using postal::detail::read_bool;
using postal::detail::read_double;
using postal::detail::read_int;

/// A string member, moved out of the parsed JSON (which is consumed); absent when missing, null
/// or not a string.
inline std::optional<std::string> take_string(nlohmann::json& object, std::string_view key) {
  if (!object.is_object()) return std::nullopt;
  const auto it = object.find(key);
  if (it == object.end() || !it->is_string()) return std::nullopt;
  return std::move(it->get_ref<std::string&>());
}

/// An ErrorCode::Decode error.
inline Error decode_error(std::string message) {
  Error e;
  e.send_state = SendState::NotSent;  // webhook errors concern no send
  e.code = ErrorCode::Decode;
  e.message = std::move(message);
  return e;
}

/// The object member `key`, or nullptr when missing or not an object.
inline nlohmann::json* object_member(nlohmann::json& object, std::string_view key) {
  if (!object.is_object()) return nullptr;
  const auto it = object.find(key);
  return (it != object.end() && it->is_object()) ? &*it : nullptr;
}

/// "outgoing" / "incoming" (models.hpp has the enum; json.hpp is the client's, not needed here).
inline Direction parse_webhook_direction(std::string_view text) noexcept {
  if (text == "outgoing") return Direction::Outgoing;
  if (text == "incoming") return Direction::Incoming;
  return Direction::Unknown;
}

/// The message hash `key` of a payload; Decode error when it is not an object.
inline Result<WebhookMessage> read_message(nlohmann::json& payload, std::string_view key) {
  auto* j = object_member(payload, key);
  if (j == nullptr)
    return decode_error("webhook payload has no \"" + std::string(key) + "\" object");
  WebhookMessage m;
  m.id = read_int(*j, "id").value_or(0);
  m.token = take_string(*j, "token").value_or("");
  m.direction_name = take_string(*j, "direction").value_or("");
  m.direction = parse_webhook_direction(m.direction_name);
  m.message_id = take_string(*j, "message_id");
  m.to = take_string(*j, "to").value_or("");
  m.from = take_string(*j, "from");
  m.subject = take_string(*j, "subject");
  m.timestamp = read_double(*j, "timestamp").value_or(0);
  m.spam_status_name = take_string(*j, "spam_status").value_or("");
  m.spam_status = parse_spam_status(m.spam_status_name);
  m.tag = take_string(*j, "tag");
  return m;
}

/// The server hash of a payload; Decode error when it is not an object.
inline Result<ServerInfo> read_server(nlohmann::json& payload) {
  auto* j = object_member(payload, "server");
  if (j == nullptr) return decode_error("webhook payload has no \"server\" object");
  ServerInfo s;
  s.uuid = take_string(*j, "uuid").value_or("");
  s.name = take_string(*j, "name").value_or("");
  s.permalink = take_string(*j, "permalink").value_or("");
  s.organization = take_string(*j, "organization");
  return s;
}

/// The MessageSent / Delayed / DeliveryFailed / Held payload.
inline Result<EventPayload> read_status_event(nlohmann::json& p) {
  auto message = read_message(p, "message");
  if (!message) return message.error();
  MessageStatusEvent out;
  out.message = std::move(*message);
  out.status_name = take_string(p, "status").value_or("");
  out.status = parse_delivery_status(out.status_name);
  out.details = take_string(p, "details").value_or("");
  out.output = take_string(p, "output").value_or("");
  out.sent_with_ssl = read_bool(p, "sent_with_ssl");
  out.timestamp = read_double(p, "timestamp").value_or(0);
  out.time = read_double(p, "time");
  return EventPayload(std::move(out));
}

/// The MessageBounced payload.
inline Result<EventPayload> read_bounced(nlohmann::json& p) {
  auto original = read_message(p, "original_message");
  if (!original) return original.error();
  auto bounce = read_message(p, "bounce");
  if (!bounce) return bounce.error();
  return EventPayload(MessageBounced{std::move(*original), std::move(*bounce)});
}

/// The MessageLinkClicked payload.
inline Result<EventPayload> read_link_clicked(nlohmann::json& p) {
  auto message = read_message(p, "message");
  if (!message) return message.error();
  MessageLinkClicked out;
  out.message = std::move(*message);
  out.url = take_string(p, "url").value_or("");
  out.token = take_string(p, "token").value_or("");
  out.ip_address = take_string(p, "ip_address").value_or("");
  out.user_agent = take_string(p, "user_agent");
  return EventPayload(std::move(out));
}

/// The MessageLoaded payload.
inline Result<EventPayload> read_loaded(nlohmann::json& p) {
  auto message = read_message(p, "message");
  if (!message) return message.error();
  MessageLoaded out;
  out.message = std::move(*message);
  out.ip_address = take_string(p, "ip_address").value_or("");
  out.user_agent = take_string(p, "user_agent");
  return EventPayload(std::move(out));
}

/// The DomainDNSError payload.
inline Result<EventPayload> read_dns_error(nlohmann::json& p) {
  auto server = read_server(p);
  if (!server) return server.error();
  DomainDNSError out;
  out.server = std::move(*server);
  out.domain = take_string(p, "domain").value_or("");
  out.uuid = take_string(p, "uuid").value_or("");
  out.dns_checked_at = read_double(p, "dns_checked_at").value_or(0);
  auto check = [&](const char* prefix, DnsCheckStatus& status, std::string& name,
                   std::optional<std::string>& error) {
    name = take_string(p, std::string(prefix) + "_status").value_or("");
    status = parse_dns_check_status(name);
    error = take_string(p, std::string(prefix) + "_error");
  };
  check("spf", out.spf_status, out.spf_status_name, out.spf_error);
  check("dkim", out.dkim_status, out.dkim_status_name, out.dkim_error);
  check("mx", out.mx_status, out.mx_status_name, out.mx_error);
  check("return_path", out.return_path_status, out.return_path_status_name, out.return_path_error);
  return EventPayload(std::move(out));
}

/// The SendLimitApproaching / SendLimitExceeded payload.
inline Result<EventPayload> read_send_limit(nlohmann::json& p) {
  auto server = read_server(p);
  if (!server) return server.error();
  SendLimitEvent out;
  out.server = std::move(*server);
  out.volume = read_int(p, "volume").value_or(0);
  out.limit = read_int(p, "limit").value_or(0);
  return EventPayload(std::move(out));
}

/// The typed payload for an event type.
inline Result<EventPayload> read_payload(EventType type, nlohmann::json& payload) {
  switch (type) {
    case EventType::MessageSent:
    case EventType::MessageDelayed:
    case EventType::MessageDeliveryFailed:
    case EventType::MessageHeld:
      return read_status_event(payload);
    case EventType::MessageBounced:
      return read_bounced(payload);
    case EventType::MessageLinkClicked:
      return read_link_clicked(payload);
    case EventType::MessageLoaded:
      return read_loaded(payload);
    case EventType::DomainDNSError:
      return read_dns_error(payload);
    case EventType::SendLimitApproaching:
    case EventType::SendLimitExceeded:
      return read_send_limit(payload);
    case EventType::Unknown:
      break;
  }
  return EventPayload(UnknownEvent{std::move(payload)});
}

/// parse_event on an already parsed envelope (consumed).
inline Result<Event> event_from_json(nlohmann::json& envelope) {
  if (!envelope.is_object()) return decode_error("webhook body is not a JSON object");
  Event event;
  auto name = take_string(envelope, "event");
  if (!name) return decode_error("webhook body has no string \"event\"");
  auto timestamp = read_double(envelope, "timestamp");
  if (!timestamp) return decode_error("webhook body has no numeric \"timestamp\"");
  auto uuid = take_string(envelope, "uuid");
  if (!uuid) return decode_error("webhook body has no string \"uuid\"");
  const auto payload = envelope.find("payload");
  if (payload == envelope.end() || !payload->is_object())
    return decode_error("webhook body has no \"payload\" object");
  event.name = std::move(*name);
  event.type = parse_event_type(event.name);
  event.timestamp = *timestamp;
  event.uuid = std::move(*uuid);
  auto typed = read_payload(event.type, *payload);
  if (!typed) {
    typed.error().message = event.name + ": " + typed.error().message;
    return typed.error();
  }
  event.payload = std::move(*typed);
  return event;
}

/// Parses the JSON, never throwing: a discarded value for invalid JSON or JSON nested deeper
/// than postal::detail::max_json_depth.
inline nlohmann::json parse_json(std::string_view raw_body) {
  if (postal::detail::json_nesting_exceeds(raw_body, postal::detail::max_json_depth))
    return nlohmann::json(nlohmann::json::value_t::discarded);
  return nlohmann::json::parse(raw_body.begin(), raw_body.end(), nullptr, false);
}

}  // namespace detail

/// Parses a webhook body into a typed Event, without checking its signature (for receivers
/// that verify elsewhere; otherwise use `verify_and_parse`).
///
/// Tolerant inside payloads (a missing or null field reads as absent or empty); a body that is
/// not JSON, or not the envelope `{"event","timestamp","payload","uuid"}` with the objects the
/// event needs, is an ErrorCode::Decode error. An event name this SDK does not know gives an
/// `UnknownEvent` with the raw payload. Never throws.
///
/// @code
/// auto event = postal::webhook::parse_event(body);
/// if (event && event->type == postal::webhook::EventType::MessageBounced) { ... }
/// @endcode
inline Result<Event> parse_event(std::string_view raw_body) {
  try {
    auto json = detail::parse_json(raw_body);
    if (json.is_discarded()) return detail::decode_error("webhook body is not valid JSON");
    return detail::event_from_json(json);
  } catch (const std::exception& ex) {
    return detail::decode_error(std::string("webhook body could not be parsed: ") + ex.what());
  }
}

/// Verifies a webhook request (see `verify` for the exact policy) and, only if it passes,
/// parses the body. The body is parsed once, also for `options.max_age`.
///
/// @code
/// auto event = postal::webhook::verify_and_parse(body, headers, keys);
/// if (!event) return respond(event.error().code == postal::ErrorCode::Decode ? 400 : 401);
/// if (!guard.check_and_remember(event->uuid)) return respond(200);  // a retry: already done
/// handle(*event);
/// @endcode
///
/// @par Thread Safety
/// Safe to call concurrently with the same keys. Never throws.
inline Result<Event> verify_and_parse(std::string_view raw_body, const Headers& headers,
                                      const KeySet& keys, const VerifyOptions& options = {}) {
  try {
    auto signature = detail::verify_signature(raw_body, headers, keys, options.allow_sha1);
    if (!signature) return signature.error();
    auto event = parse_event(raw_body);
    if (!event) return event;
    auto age = detail::check_age(event->timestamp, options);
    if (!age) return age.error();
    return event;
  } catch (const std::exception& ex) {
    return detail::verification_failure(ex);
  }
}

}  // namespace webhook
POSTAL_END_NAMESPACE
