/// @file
/// Test tooling: what FakePostal stores — messages, their delivery attempts, loads
/// and clicks — as plain structs your tests can inspect, and the delivery attempt you record.
#pragma once

#include <postal/models.hpp>
#include <postal/version.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

POSTAL_BEGIN_NAMESPACE
namespace testing {

/// A delivery outcome to record with FakePostal::record_delivery, as Postal's sender would.
/// messages/deliveries reports "" details/output as null and a nullopt sent_with_ssl as false;
/// the webhook keeps "" and null (spec §2.4, §3.3).
///
/// @code
/// fake.record_delivery(id, {postal::DeliveryStatus::SoftFail, "no server found", "404"});
/// @endcode
struct DeliveryAttempt {
  DeliveryStatus status = DeliveryStatus::Sent;  ///< outcome; Held also holds the message
  std::string details{};                         ///< human text
  std::string output{};                          ///< raw SMTP/HTTP response
  std::optional<bool> sent_with_ssl{};           ///< nullopt: not applicable
  std::optional<double> time{};                  ///< seconds the attempt took
  std::optional<std::string> log_id{};           ///< sender log id, e.g. "AB12CD34"
  std::optional<double> timestamp{};             ///< epoch seconds; nullopt: now
};

/// One recorded delivery attempt.
struct StoredDelivery {
  std::int64_t id = 0;                           ///< delivery id (per FakePostal)
  std::int64_t message_id = 0;                   ///< the message it belongs to
  DeliveryStatus status = DeliveryStatus::Sent;  ///< outcome
  std::string details{};                         ///< human text (at most 250 characters)
  std::string output{};                          ///< raw response (at most 250 characters)
  std::optional<bool> sent_with_ssl{};           ///< TLS used; nullopt: not applicable
  std::optional<std::string> log_id{};           ///< sender log id
  std::optional<double> time{};                  ///< seconds (2 decimals, as Postal stores)
  double timestamp = 0;                          ///< epoch seconds
};

/// One load of the tracking pixel (FakePostal::record_load).
struct StoredLoad {
  std::string ip_address{};                 ///< client address
  std::optional<std::string> user_agent{};  ///< client user agent
  double timestamp = 0;                     ///< epoch seconds
};

/// One click on a tracked link (FakePostal::record_click).
struct StoredClick {
  std::string url{};                        ///< the link's target
  std::string ip_address{};                 ///< client address
  std::optional<std::string> user_agent{};  ///< client user agent
  double timestamp = 0;                     ///< epoch seconds
  std::string token{};                      ///< the link token (one per URL of a message)
};

/// A message FakePostal created: one per recipient of each send, as Postal does.
struct StoredMessage {
  std::int64_t id = 0;                              ///< message id (1, 2, ... per FakePostal)
  std::string token{};                              ///< 16 random alphanumerics
  std::string direction = "outgoing";               ///< Postal's scope
  std::string rcpt_to{};                            ///< envelope recipient
  std::optional<std::string> mail_from{};           ///< envelope sender (nullopt when empty)
  std::optional<std::string> subject{};             ///< first 200 characters of the Subject
  std::optional<std::string> message_id{};          ///< Message-ID without angle brackets
  std::optional<std::string> tag{};                 ///< tag (or the X-Postal-Tag header)
  bool bounce = false;                              ///< sent as a bounce
  std::int64_t bounce_for_id = 0;                   ///< always 0 for API-sent mail
  std::optional<bool> received_with_ssl = true;     ///< true for API-sent mail
  std::string raw_message{};                        ///< the stored RFC 5322 bytes
  double timestamp = 0;                             ///< creation time, epoch seconds
  DeliveryStatus status = DeliveryStatus::Pending;  ///< latest delivery's status, or Pending
  std::optional<double> last_delivery_attempt{};    ///< latest delivery's timestamp
  bool held = false;                                ///< latest delivery was Held
  std::optional<double> hold_expiry{};              ///< set while held (now + 7 days)
  bool inspected = false;                           ///< spam/threat inspection ran
  bool spam = false;                                ///< judged spam
  double spam_score = 0;                            ///< spam score
  bool threat = false;                              ///< judged a threat
  std::optional<std::string> threat_details{};      ///< what threat
  std::string spam_status = "NotChecked";           ///< webhook spam_status
  std::vector<StoredDelivery> deliveries{};         ///< attempts, in the order recorded
  std::vector<StoredLoad> loads{};                  ///< loads, in the order recorded
  std::vector<StoredClick> clicks{};                ///< clicks, in the order recorded
  std::string api_key{};                            ///< the X-Server-API-Key that sent it

  /// Size of the raw message in bytes (Postal reports it as a string).
  std::size_t size() const noexcept { return raw_message.size(); }
};

}  // namespace testing
POSTAL_END_NAMESPACE
