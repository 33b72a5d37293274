/// @file
/// Plain structs for the Send API and the Messages API. No JSON here (see json.hpp).
#pragma once

#include <postal/version.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

POSTAL_BEGIN_NAMESPACE

// ---------------------------------------------------------------------------------------------
// Sending

/// A file attached to a message. `data` holds the raw bytes; the SDK base64-encodes them.
struct Attachment {
  std::string name;          ///< file name shown to the recipient (required, no CR/LF)
  std::string content_type;  ///< MIME type; empty: Postal uses application/octet-stream
  std::string data;          ///< raw bytes
};

/// Parameters of `send/message`: Postal builds the MIME message.
///
/// @code
/// postal::SendMessageRequest m;
/// m.to = {"john@example.com"};
/// m.from = "Shop <sales@example.com>";
/// m.subject = "Welcome";
/// m.plain_body = "Hello John";
/// @endcode
struct SendMessageRequest {
  std::vector<std::string> to;            ///< To addresses (at most 50), "addr" or "Name <addr>"
  std::vector<std::string> cc;            ///< Cc addresses (at most 50)
  std::vector<std::string> bcc;           ///< Bcc addresses (at most 50); not shown in headers
  std::string from;                       ///< From address; its domain must be verified in Postal
  std::optional<std::string> sender;      ///< Sender header
  std::optional<std::string> subject;     ///< Subject
  std::optional<std::string> reply_to;    ///< Reply-To header
  std::optional<std::string> plain_body;  ///< text/plain body
  std::optional<std::string> html_body;   ///< text/html body
  std::optional<std::string> tag;         ///< tag stored on each message and sent in webhooks
  bool bounce = false;                    ///< send as a bounce (empty MAIL FROM)
  std::map<std::string, std::string> headers;  ///< custom headers (sent as a JSON object)
  std::vector<Attachment> attachments;         ///< attachments
};

/// Parameters of `send/raw`: you supply the whole RFC 5322 message.
struct SendRawRequest {
  std::string mail_from;             ///< envelope sender (MAIL FROM)
  std::vector<std::string> rcpt_to;  ///< envelope recipients (RCPT TO)
  std::string data;                  ///< the raw message bytes; the SDK base64-encodes them
  bool bounce = false;               ///< send as a bounce
};

/// The id and token of one message Postal created.
struct MessageRef {
  std::int64_t id = 0;  ///< message id (per server)
  std::string token;    ///< message token
};

/// What Postal answers to a send: one message per recipient.
struct SendResult {
  /// The Message-ID shared by all recipients' copies, without angle brackets. Null for raw mail
  /// without a Message-ID header.
  std::optional<std::string> message_id;
  /// Recipient address (name stripped for send/message; as given for send/raw) → message.
  std::map<std::string, MessageRef> messages;
};

// ---------------------------------------------------------------------------------------------
// Messages API

/// Which parts of a message `get_message` asks Postal for. Always sent as an explicit array.
///
/// @code
/// postal::Expansions want;
/// want.status = true;
/// want.plain_body = true;
/// auto message = client.get_message(id, want);  // or postal::Expansions::all()
/// @endcode
struct Expansions {
  bool status = false;            ///< delivery status
  bool details = false;           ///< envelope details
  bool inspection = false;        ///< spam/threat inspection
  bool plain_body = false;        ///< decoded text body
  bool html_body = false;         ///< decoded HTML body
  bool attachments = false;       ///< attachments (decoded bytes)
  bool headers = false;           ///< headers
  bool raw_message = false;       ///< the stored raw message (decoded bytes)
  bool activity_entries = false;  ///< opens and clicks

  /// Every expansion.
  static Expansions all() {
    return Expansions{true, true, true, true, true, true, true, true, true};
  }
  /// The names Postal expects, in Postal's order.
  std::vector<std::string> names() const {
    std::vector<std::string> out;
    if (status) out.emplace_back("status");
    if (details) out.emplace_back("details");
    if (inspection) out.emplace_back("inspection");
    if (plain_body) out.emplace_back("plain_body");
    if (html_body) out.emplace_back("html_body");
    if (attachments) out.emplace_back("attachments");
    if (headers) out.emplace_back("headers");
    if (raw_message) out.emplace_back("raw_message");
    if (activity_entries) out.emplace_back("activity_entries");
    return out;
  }
};

/// Status of a message or of one delivery attempt. Unknown strings map to `Unknown`.
enum class DeliveryStatus {
  Pending,        ///< no delivery attempt yet (a new message's status)
  Sent,           ///< accepted by the receiving server
  SoftFail,       ///< a temporary failure; Postal tries again later
  HardFail,       ///< a permanent failure; Postal gives up
  Held,           ///< held by Postal (e.g. send limit, suppression list, development mode)
  Bounced,        ///< a bounce for the message came back
  Processed,      ///< incoming mail handled without a delivery (e.g. a matched bounce)
  HoldCancelled,  ///< the hold was removed without sending
  Error,          ///< an internal error in Postal while sending; Postal retries
  Unknown,        ///< a status string this SDK does not know
};

/// Parses Postal's status string ("Sent", "SoftFail", ...); anything else is `Unknown`.
inline DeliveryStatus parse_delivery_status(std::string_view text) noexcept {
  struct Entry {
    std::string_view name;
    DeliveryStatus value;
  };
  static constexpr Entry entries[] = {
      {"Pending", DeliveryStatus::Pending},     {"Sent", DeliveryStatus::Sent},
      {"SoftFail", DeliveryStatus::SoftFail},   {"HardFail", DeliveryStatus::HardFail},
      {"Held", DeliveryStatus::Held},           {"Bounced", DeliveryStatus::Bounced},
      {"Processed", DeliveryStatus::Processed}, {"HoldCancelled", DeliveryStatus::HoldCancelled},
      {"Error", DeliveryStatus::Error},
  };
  for (const auto& entry : entries)
    if (entry.name == text) return entry.value;
  return DeliveryStatus::Unknown;
}

/// The name of a status, e.g. "SoftFail" ("Unknown" for Unknown).
inline const char* to_string(DeliveryStatus status) noexcept {
  switch (status) {
    case DeliveryStatus::Pending:
      return "Pending";
    case DeliveryStatus::Sent:
      return "Sent";
    case DeliveryStatus::SoftFail:
      return "SoftFail";
    case DeliveryStatus::HardFail:
      return "HardFail";
    case DeliveryStatus::Held:
      return "Held";
    case DeliveryStatus::Bounced:
      return "Bounced";
    case DeliveryStatus::Processed:
      return "Processed";
    case DeliveryStatus::HoldCancelled:
      return "HoldCancelled";
    case DeliveryStatus::Error:
      return "Error";
    case DeliveryStatus::Unknown:
      return "Unknown";
  }
  return "Unknown";
}

/// Direction of a message. Unknown strings map to `Unknown`.
enum class Direction {
  Outgoing,  ///< sent through Postal ("outgoing")
  Incoming,  ///< received by Postal ("incoming")
  Unknown,   ///< a direction string this SDK does not know
};

/// Expansion `status`.
struct MessageStatusInfo {
  DeliveryStatus status = DeliveryStatus::Unknown;  ///< parsed status
  std::string status_name;                          ///< the string Postal sent
  std::optional<double> last_delivery_attempt;      ///< epoch seconds
  bool held = false;                                ///< currently held
  std::optional<double> hold_expiry;                ///< epoch seconds
};

/// Expansion `details`.
struct MessageDetails {
  std::string rcpt_to;                       ///< envelope recipient
  std::optional<std::string> mail_from;      ///< envelope sender (null when empty)
  std::optional<std::string> subject;        ///< first 200 characters of the subject
  std::optional<std::string> message_id;     ///< Message-ID without angle brackets
  double timestamp = 0;                      ///< creation time, epoch seconds
  Direction direction = Direction::Unknown;  ///< parsed direction
  std::string direction_name;                ///< the string Postal sent
  std::optional<std::int64_t> size;          ///< size in bytes (Postal sends a string)
  bool bounce = false;                       ///< is a bounce
  std::int64_t bounce_for_id = 0;            ///< the message this bounces, 0 if none
  std::optional<std::string> tag;            ///< tag
  std::optional<bool> received_with_ssl;     ///< true for API-sent mail; null when never set
};

/// Expansion `inspection`.
struct MessageInspection {
  bool inspected = false;                     ///< inspected at all
  bool spam = false;                          ///< judged spam
  double spam_score = 0;                      ///< spam score
  bool threat = false;                        ///< judged a threat
  std::optional<std::string> threat_details;  ///< what threat
};

/// One attachment of a stored message (expansion `attachments`).
struct MessageAttachment {
  std::string filename;      ///< file name
  std::string content_type;  ///< MIME type without parameters
  std::string data;          ///< decoded bytes
  std::int64_t size = 0;     ///< decoded size as Postal reports it
  std::string hash;          ///< SHA-1 hex of the bytes, as Postal reports it
};

/// One load of the tracking pixel.
struct LoadEntry {
  std::string ip_address;                 ///< client address
  std::optional<std::string> user_agent;  ///< client user agent
  std::string timestamp;                  ///< ISO 8601, e.g. "2024-04-18T16:20:01.123Z"
};

/// One click on a tracked link.
struct ClickEntry {
  std::string url;                        ///< the link's target
  std::string ip_address;                 ///< client address
  std::optional<std::string> user_agent;  ///< client user agent
  std::string timestamp;                  ///< ISO 8601
};

/// Expansion `activity_entries`.
struct ActivityEntries {
  std::vector<LoadEntry> loads;    ///< loads, oldest first
  std::vector<ClickEntry> clicks;  ///< clicks, oldest first
};

/// A stored message. Each optional field is filled only when its expansion was requested (and,
/// for the bodies, when the message has that part).
struct Message {
  std::int64_t id = 0;                          ///< message id
  std::string token;                            ///< message token
  std::optional<MessageStatusInfo> status;      ///< expansion `status`
  std::optional<MessageDetails> details;        ///< expansion `details`
  std::optional<MessageInspection> inspection;  ///< expansion `inspection`
  std::optional<std::string> plain_body;        ///< expansion `plain_body` (null: no such part)
  std::optional<std::string> html_body;         ///< expansion `html_body` (null: no such part)
  std::optional<std::vector<MessageAttachment>> attachments;  ///< expansion `attachments`
  /// Expansion `headers`: lower-cased name → values in order.
  std::optional<std::map<std::string, std::vector<std::string>>> headers;
  std::optional<std::string> raw_message;           ///< expansion `raw_message` (decoded bytes)
  std::optional<ActivityEntries> activity_entries;  ///< expansion `activity_entries`
};

/// One delivery attempt of a message.
struct Delivery {
  std::int64_t id = 0;                              ///< delivery id
  DeliveryStatus status = DeliveryStatus::Unknown;  ///< parsed status
  std::string status_name;                          ///< the string Postal sent
  std::optional<std::string> details;               ///< human text (≤ 250 characters)
  std::optional<std::string> output;                ///< raw SMTP/HTTP response (≤ 250)
  bool sent_with_ssl = false;                       ///< sent over TLS
  std::optional<std::string> log_id;                ///< sender log id
  std::optional<double> time;                       ///< seconds the attempt took
  double timestamp = 0;                             ///< epoch seconds
};

POSTAL_END_NAMESPACE
