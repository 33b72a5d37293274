/// @file
/// Test tooling: the `data` FakePostal answers for messages/message (with its nine
/// expansions) and messages/deliveries, field for field as Postal's MessagesController builds it.
///
/// Internal to FakePostal (namespace postal::testing::detail): no stability promise.
#pragma once

#include <postal/detail/base64.hpp>
#include <postal/models.hpp>
#include <postal/testing/mime_parser.hpp>
#include <postal/testing/rails_json.hpp>
#include <postal/testing/ruby_compat.hpp>
#include <postal/testing/sha1.hpp>
#include <postal/testing/stored_message.hpp>
#include <postal/version.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

POSTAL_BEGIN_NAMESPACE
namespace testing {
namespace detail {

/// An optional value as JSON (null when absent).
template <class T>
nlohmann::ordered_json json_or_null(const std::optional<T>& value) {
  return value ? nlohmann::ordered_json(*value) : nlohmann::ordered_json(nullptr);
}

/// Epoch seconds → microseconds (exact for values FakePostal made from microseconds).
inline std::int64_t seconds_to_micros(double seconds) {
  return static_cast<std::int64_t>(std::llround(seconds * 1e6));
}

/// Whether `_expansions` asks for `name`: `true` means all, an array names them, else none.
inline bool wants_expansion(const nlohmann::ordered_json& expansions, std::string_view name) {
  if (expansions.is_boolean()) return expansions.get<bool>();
  if (!expansions.is_array()) return false;
  return std::any_of(expansions.begin(), expansions.end(), [&](const nlohmann::ordered_json& e) {
    return e.is_string() && e.get_ref<const std::string&>() == name;
  });
}

/// Postal's Message#headers: lower-cased name → decoded values in order of appearance.
inline nlohmann::ordered_json headers_json(std::string_view raw_message) {
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  for (const auto& field : parse_fields(split_head_body(raw_message).first)) {
    auto& values = out[ascii_lower(field.name)];
    if (values.is_null()) values = nlohmann::ordered_json::array();
    values.push_back(ruby_strip(decode_encoded_words(field.value)));
  }
  return out;
}

/// The `data` of messages/message for `message` with the requested expansions, keys in
/// Postal's fixed order.
inline nlohmann::ordered_json message_json(const StoredMessage& message,
                                           const nlohmann::ordered_json& expansions) {
  using Json = nlohmann::ordered_json;
  Json data = Json::object();
  data["id"] = message.id;
  data["token"] = message.token;
  if (wants_expansion(expansions, "status")) {
    data["status"] = Json::object();
    Json& status = data["status"];
    status["status"] = to_string(message.status);
    status["last_delivery_attempt"] = json_or_null(message.last_delivery_attempt);
    status["held"] = message.held;
    status["hold_expiry"] = json_or_null(message.hold_expiry);
  }
  if (wants_expansion(expansions, "details")) {
    data["details"] = Json::object();
    Json& details = data["details"];
    details["rcpt_to"] = message.rcpt_to;
    details["mail_from"] = json_or_null(message.mail_from);
    details["subject"] = json_or_null(message.subject);
    details["message_id"] = json_or_null(message.message_id);
    details["timestamp"] = message.timestamp;
    details["direction"] = message.direction;
    details["size"] = std::to_string(message.raw_message.size());
    details["bounce"] = message.bounce;
    details["bounce_for_id"] = message.bounce_for_id;
    details["tag"] = json_or_null(message.tag);
    details["received_with_ssl"] = json_or_null(message.received_with_ssl);
  }
  if (wants_expansion(expansions, "inspection")) {
    data["inspection"] = Json::object();
    Json& inspection = data["inspection"];
    inspection["inspected"] = message.inspected;
    inspection["spam"] = message.spam;
    inspection["spam_score"] = message.spam_score;
    inspection["threat"] = message.threat;
    inspection["threat_details"] = json_or_null(message.threat_details);
  }
  const bool plain = wants_expansion(expansions, "plain_body");
  const bool html = wants_expansion(expansions, "html_body");
  const bool attachments = wants_expansion(expansions, "attachments");
  if (plain || html || attachments) {
    const MimeEntity mime = parse_mime(message.raw_message);
    if (plain) data["plain_body"] = json_or_null(body_of_type(mime, "text/plain"));
    if (html) data["html_body"] = json_or_null(body_of_type(mime, "text/html"));
    if (attachments) {
      std::vector<MimeAttachment> found;
      collect_attachments(mime, found);
      Json list = Json::array();
      for (const auto& attachment : found) {
        Json item = Json::object();
        item["filename"] = attachment.filename;
        item["content_type"] = attachment.content_type;
        item["data"] = postal::detail::base64_encode(attachment.data, 60);
        item["size"] = attachment.data.size();
        item["hash"] = sha1_hex(attachment.data);
        list.push_back(std::move(item));
      }
      data["attachments"] = std::move(list);
    }
  }
  if (wants_expansion(expansions, "headers")) data["headers"] = headers_json(message.raw_message);
  if (wants_expansion(expansions, "raw_message"))
    data["raw_message"] = postal::detail::base64_encode(message.raw_message, 60);
  if (wants_expansion(expansions, "activity_entries")) {
    Json loads = Json::array();
    for (const auto& load : message.loads) {
      Json item = Json::object();
      item["ip_address"] = load.ip_address;
      item["user_agent"] = json_or_null(load.user_agent);
      item["timestamp"] = format_iso8601_ms(seconds_to_micros(load.timestamp));
      loads.push_back(std::move(item));
    }
    Json clicks = Json::array();
    for (const auto& click : message.clicks) {
      Json item = Json::object();
      item["url"] = click.url;
      item["ip_address"] = click.ip_address;
      item["user_agent"] = json_or_null(click.user_agent);
      item["timestamp"] = format_iso8601_ms(seconds_to_micros(click.timestamp));
      clicks.push_back(std::move(item));
    }
    data["activity_entries"] = Json::object();
    data["activity_entries"]["loads"] = std::move(loads);
    data["activity_entries"]["clicks"] = std::move(clicks);
  }
  return data;
}

/// The `data` of messages/deliveries: attempts ordered by timestamp, with Postal's nulls
/// ("" details/output → null, sent_with_ssl defaulting to false).
inline nlohmann::ordered_json deliveries_json(const StoredMessage& message) {
  using Json = nlohmann::ordered_json;
  std::vector<const StoredDelivery*> ordered;
  for (const auto& delivery : message.deliveries) ordered.push_back(&delivery);
  std::stable_sort(
      ordered.begin(), ordered.end(),
      [](const StoredDelivery* a, const StoredDelivery* b) { return a->timestamp < b->timestamp; });
  Json list = Json::array();
  for (const StoredDelivery* delivery : ordered) {
    Json item = Json::object();
    const std::string output = ruby_strip(delivery->output);
    item["id"] = delivery->id;
    item["status"] = to_string(delivery->status);
    item["details"] = delivery->details.empty() ? Json(nullptr) : Json(delivery->details);
    item["output"] = output.empty() ? Json(nullptr) : Json(output);
    item["sent_with_ssl"] = delivery->sent_with_ssl.value_or(false);
    item["log_id"] = json_or_null(delivery->log_id);
    item["time"] = json_or_null(delivery->time);
    item["timestamp"] = delivery->timestamp;
    list.push_back(std::move(item));
  }
  return list;
}

}  // namespace detail
}  // namespace testing
POSTAL_END_NAMESPACE
