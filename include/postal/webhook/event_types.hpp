/// @file
/// Typed webhook events, one struct per payload of spec §3.3. No JSON here except
/// UnknownEvent's raw payload (see events.hpp for parsing).
#pragma once

#include <postal/models.hpp>
#include <postal/version.hpp>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

POSTAL_BEGIN_NAMESPACE
namespace webhook {

/// The event names of spec §3.2. Names this SDK does not know map to `Unknown`.
enum class EventType {
  MessageSent,            ///< a delivery with status Sent
  MessageDelayed,         ///< a delivery with status SoftFail (each time)
  MessageDeliveryFailed,  ///< a delivery with status HardFail
  MessageHeld,            ///< a delivery with status Held
  MessageBounced,         ///< a bounce matched to an earlier message
  MessageLinkClicked,     ///< a click on a tracked link
  MessageLoaded,          ///< a load of the tracking pixel
  DomainDNSError,         ///< the hourly DNS check of a domain failed
  SendLimitApproaching,   ///< volume in the last hour ≥ 90 % of the send limit
  SendLimitExceeded,      ///< volume in the last hour ≥ the send limit
  Unknown,                ///< an event name newer than this SDK
};

/// Parses an event name ("MessageSent", ...); anything else is `Unknown`.
inline EventType parse_event_type(std::string_view name) noexcept {
  struct Entry {  // one name → type pair
    std::string_view name;
    EventType type;
  };
  static constexpr Entry entries[] = {
      {"MessageSent", EventType::MessageSent},
      {"MessageDelayed", EventType::MessageDelayed},
      {"MessageDeliveryFailed", EventType::MessageDeliveryFailed},
      {"MessageHeld", EventType::MessageHeld},
      {"MessageBounced", EventType::MessageBounced},
      {"MessageLinkClicked", EventType::MessageLinkClicked},
      {"MessageLoaded", EventType::MessageLoaded},
      {"DomainDNSError", EventType::DomainDNSError},
      {"SendLimitApproaching", EventType::SendLimitApproaching},
      {"SendLimitExceeded", EventType::SendLimitExceeded},
  };
  for (const auto& entry : entries)
    if (entry.name == name) return entry.type;
  return EventType::Unknown;
}

/// The name of an event type, e.g. "MessageSent" ("Unknown" for Unknown).
inline const char* to_string(EventType type) noexcept {
  switch (type) {
    case EventType::MessageSent:
      return "MessageSent";
    case EventType::MessageDelayed:
      return "MessageDelayed";
    case EventType::MessageDeliveryFailed:
      return "MessageDeliveryFailed";
    case EventType::MessageHeld:
      return "MessageHeld";
    case EventType::MessageBounced:
      return "MessageBounced";
    case EventType::MessageLinkClicked:
      return "MessageLinkClicked";
    case EventType::MessageLoaded:
      return "MessageLoaded";
    case EventType::DomainDNSError:
      return "DomainDNSError";
    case EventType::SendLimitApproaching:
      return "SendLimitApproaching";
    case EventType::SendLimitExceeded:
      return "SendLimitExceeded";
    case EventType::Unknown:
      return "Unknown";
  }
  return "Unknown";
}

/// A message's spam verdict in webhooks. Unknown strings map to `Unknown`.
enum class SpamStatus {
  NotChecked,  ///< not inspected ("NotChecked")
  Spam,        ///< inspected and judged spam ("Spam")
  NotSpam,     ///< inspected and not spam ("NotSpam")
  Unknown,     ///< a spam status this SDK does not know
};

/// Result of one DNS check of DomainDNSError. Unknown strings map to `Unknown`.
enum class DnsCheckStatus {
  Ok,       ///< the record is as Postal expects ("OK")
  Missing,  ///< no record found ("Missing")
  Invalid,  ///< a record that is not what Postal expects ("Invalid")
  Unknown,  ///< a result this SDK does not know
};

/// Parses a spam status ("NotChecked", "Spam", "NotSpam"); anything else is `Unknown`.
inline SpamStatus parse_spam_status(std::string_view text) noexcept {
  if (text == "NotChecked") return SpamStatus::NotChecked;
  if (text == "Spam") return SpamStatus::Spam;
  if (text == "NotSpam") return SpamStatus::NotSpam;
  return SpamStatus::Unknown;
}

/// The name of a spam status, e.g. "NotSpam" ("Unknown" for Unknown).
inline const char* to_string(SpamStatus status) noexcept {
  switch (status) {
    case SpamStatus::NotChecked:
      return "NotChecked";
    case SpamStatus::Spam:
      return "Spam";
    case SpamStatus::NotSpam:
      return "NotSpam";
    case SpamStatus::Unknown:
      return "Unknown";
  }
  return "Unknown";
}

/// Parses a DNS check result ("OK", "Missing", "Invalid"); anything else is `Unknown`.
inline DnsCheckStatus parse_dns_check_status(std::string_view text) noexcept {
  if (text == "OK") return DnsCheckStatus::Ok;
  if (text == "Missing") return DnsCheckStatus::Missing;
  if (text == "Invalid") return DnsCheckStatus::Invalid;
  return DnsCheckStatus::Unknown;
}

/// The name Postal uses for a DNS check result, e.g. "OK" ("Unknown" for Unknown).
inline const char* to_string(DnsCheckStatus status) noexcept {
  switch (status) {
    case DnsCheckStatus::Ok:
      return "OK";
    case DnsCheckStatus::Missing:
      return "Missing";
    case DnsCheckStatus::Invalid:
      return "Invalid";
    case DnsCheckStatus::Unknown:
      return "Unknown";
  }
  return "Unknown";
}

/// The message hash inside most events (Postal's `Message#webhook_hash`).
struct WebhookMessage {
  std::int64_t id = 0;                           ///< message id (per server)
  std::string token;                             ///< message token
  Direction direction = Direction::Unknown;      ///< parsed direction
  std::string direction_name;                    ///< "outgoing" / "incoming", as sent
  std::optional<std::string> message_id;         ///< Message-ID; null when the message has none
  std::string to;                                ///< envelope recipient (rcpt_to)
  std::optional<std::string> from;               ///< envelope sender; null e.g. for bounces
  std::optional<std::string> subject;            ///< subject
  double timestamp = 0;                          ///< creation time, epoch seconds
  SpamStatus spam_status = SpamStatus::Unknown;  ///< parsed spam status
  std::string spam_status_name;                  ///< "NotChecked" / "Spam" / "NotSpam", as sent
  std::optional<std::string> tag;                ///< tag
};

/// The server hash of DomainDNSError and SendLimit* (Postal's `Server#webhook_hash`).
struct ServerInfo {
  std::string uuid;                         ///< server UUID
  std::string name;                         ///< server name
  std::string permalink;                    ///< server permalink
  std::optional<std::string> organization;  ///< organization permalink
};

/// Payload of MessageSent, MessageDelayed, MessageDeliveryFailed and MessageHeld: one delivery.
struct MessageStatusEvent {
  WebhookMessage message;                           ///< the message
  DeliveryStatus status = DeliveryStatus::Unknown;  ///< Sent / SoftFail / HardFail / Held
  std::string status_name;                          ///< the status string Postal sent
  std::string details;                              ///< human-readable detail; may be ""
  std::string output;                               ///< remote server output; "" when none
  std::optional<bool> sent_with_ssl;                ///< null for holds and policy failures
  double timestamp = 0;        ///< when the delivery was recorded, epoch seconds
  std::optional<double> time;  ///< seconds the attempt took
};

/// Payload of MessageBounced.
struct MessageBounced {
  WebhookMessage original_message;  ///< the message that bounced
  WebhookMessage bounce;            ///< the incoming bounce message
};

/// Payload of MessageLinkClicked.
struct MessageLinkClicked {
  WebhookMessage message;                 ///< the message whose link was clicked
  std::string url;                        ///< the link's target
  std::string token;                      ///< the link token (not the message token)
  std::string ip_address;                 ///< the clicker's IP address
  std::optional<std::string> user_agent;  ///< the clicker's User-Agent
};

/// Payload of MessageLoaded (the tracking pixel was loaded).
struct MessageLoaded {
  WebhookMessage message;                 ///< the message that was opened
  std::string ip_address;                 ///< the reader's IP address
  std::optional<std::string> user_agent;  ///< the reader's User-Agent
};

/// Payload of DomainDNSError. Each `*_error` is null when the check is OK.
struct DomainDNSError {
  ServerInfo server;                                            ///< the server owning the domain
  std::string domain;                                           ///< domain name
  std::string uuid;                                             ///< the domain's UUID
  double dns_checked_at = 0;                                    ///< when checked, epoch seconds
  DnsCheckStatus spf_status = DnsCheckStatus::Unknown;          ///< SPF result
  std::string spf_status_name;                                  ///< SPF result, as sent
  std::optional<std::string> spf_error;                         ///< SPF problem
  DnsCheckStatus dkim_status = DnsCheckStatus::Unknown;         ///< DKIM result
  std::string dkim_status_name;                                 ///< DKIM result, as sent
  std::optional<std::string> dkim_error;                        ///< DKIM problem
  DnsCheckStatus mx_status = DnsCheckStatus::Unknown;           ///< MX result
  std::string mx_status_name;                                   ///< MX result, as sent
  std::optional<std::string> mx_error;                          ///< MX problem
  DnsCheckStatus return_path_status = DnsCheckStatus::Unknown;  ///< return path result
  std::string return_path_status_name;                          ///< return path result, as sent
  std::optional<std::string> return_path_error;                 ///< return path problem
};

/// Payload of SendLimitApproaching and SendLimitExceeded.
struct SendLimitEvent {
  ServerInfo server;        ///< the server
  std::int64_t volume = 0;  ///< outgoing messages in the last 60 minutes
  std::int64_t limit = 0;   ///< the server's send limit
};

/// Payload of an event this SDK does not know: the raw JSON, so a newer Postal never breaks a
/// receiver.
struct UnknownEvent {
  nlohmann::json payload;  ///< the envelope's `payload` value, as parsed
};

/// The typed payload of an Event.
using EventPayload = std::variant<MessageStatusEvent, MessageBounced, MessageLinkClicked,
                                  MessageLoaded, DomainDNSError, SendLimitEvent, UnknownEvent>;

/// One webhook request from Postal, parsed.
///
/// @code
/// if (const auto* sent = event.as<postal::webhook::MessageStatusEvent>())
///   mark_delivered(sent->message.id, sent->status);
/// @endcode
struct Event {
  EventType type = EventType::Unknown;  ///< parsed event name
  std::string name;                     ///< event name as received, e.g. "MessageSent"
  double timestamp = 0;  ///< when Postal queued the request (constant across retries)
  std::string uuid;      ///< the request's UUID (constant across retries): de-duplicate on it
  EventPayload payload;  ///< the typed payload; which alternative follows from `type`

  /// The payload as T, or nullptr when it holds another alternative.
  template <class T>
  const T* as() const noexcept {
    return std::get_if<T>(&payload);
  }
};

}  // namespace webhook
POSTAL_END_NAMESPACE
