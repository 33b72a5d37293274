// postal-cpp: JSON mapping of the models. Requests → JSON; Postal's `data` → models.
// Parsing is tolerant (missing keys and nulls give defaults, unknown strings are kept) and never
// throws: a shape that cannot be read is an ErrorCode::Decode error.
#pragma once

#include <postal/detail/base64.hpp>
#include <postal/detail/json_read.hpp>
#include <postal/models.hpp>
#include <postal/result.hpp>
#include <postal/version.hpp>

#include <nlohmann/json.hpp>

#include <string>
#include <utility>
#include <vector>

POSTAL_BEGIN_NAMESPACE

namespace detail {

inline Error decode_error(std::string message) {
  Error e;
  e.code = ErrorCode::Decode;
  e.message = std::move(message);
  e.send_state = SendState::MaybeSent;
  return e;
}

inline void put_optional(nlohmann::json& j, const char* key, const std::optional<std::string>& v) {
  if (v) j[key] = *v;
}

inline Direction parse_direction(std::string_view text) noexcept {
  if (text == "outgoing") return Direction::Outgoing;
  if (text == "incoming") return Direction::Incoming;
  return Direction::Unknown;
}

inline MessageStatusInfo parse_status_info(const nlohmann::json& j) {
  MessageStatusInfo out;
  out.status_name = read_string(j, "status").value_or("");
  out.status = parse_delivery_status(out.status_name);
  out.last_delivery_attempt = read_double(j, "last_delivery_attempt");
  out.held = read_bool(j, "held").value_or(false);
  out.hold_expiry = read_double(j, "hold_expiry");
  return out;
}

inline MessageDetails parse_details(const nlohmann::json& j) {
  MessageDetails out;
  out.rcpt_to = read_string(j, "rcpt_to").value_or("");
  out.mail_from = read_string(j, "mail_from");
  out.subject = read_string(j, "subject");
  out.message_id = read_string(j, "message_id");
  out.timestamp = read_double(j, "timestamp").value_or(0.0);
  out.direction_name = read_string(j, "direction").value_or("");
  out.direction = parse_direction(out.direction_name);
  out.size = read_int(j, "size");
  out.bounce = read_bool(j, "bounce").value_or(false);
  out.bounce_for_id = read_int(j, "bounce_for_id").value_or(0);
  out.tag = read_string(j, "tag");
  out.received_with_ssl = read_bool(j, "received_with_ssl");
  return out;
}

inline MessageInspection parse_inspection(const nlohmann::json& j) {
  MessageInspection out;
  out.inspected = read_bool(j, "inspected").value_or(false);
  out.spam = read_bool(j, "spam").value_or(false);
  out.spam_score = read_double(j, "spam_score").value_or(0.0);
  out.threat = read_bool(j, "threat").value_or(false);
  out.threat_details = read_string(j, "threat_details");
  return out;
}

inline Result<std::vector<MessageAttachment>> parse_attachments(const nlohmann::json& j) {
  std::vector<MessageAttachment> out;
  if (!j.is_array()) return decode_error("expansion `attachments` is not an array");
  for (std::size_t i = 0; i < j.size(); ++i) {
    const auto& a = j[i];
    if (!a.is_object())
      return decode_error("attachment " + std::to_string(i) + " is not an object");
    MessageAttachment item;
    item.filename = read_string(a, "filename").value_or("");
    item.content_type = read_string(a, "content_type").value_or("");
    auto bytes = base64_decode(read_string(a, "data").value_or(""), true);
    if (!bytes) return decode_error("attachment " + std::to_string(i) + ": data is not base64");
    item.data = std::move(*bytes);
    item.size = read_int(a, "size").value_or(static_cast<std::int64_t>(item.data.size()));
    item.hash = read_string(a, "hash").value_or("");
    out.push_back(std::move(item));
  }
  return out;
}

inline std::map<std::string, std::vector<std::string>> parse_headers(const nlohmann::json& j) {
  std::map<std::string, std::vector<std::string>> out;
  if (!j.is_object()) return out;
  for (auto it = j.begin(); it != j.end(); ++it) {
    auto& values = out[it.key()];
    if (it->is_string()) values.push_back(it->get<std::string>());
    if (!it->is_array()) continue;
    for (const auto& v : *it)
      if (v.is_string()) values.push_back(v.get<std::string>());
  }
  return out;
}

inline ActivityEntries parse_activity(const nlohmann::json& j) {
  ActivityEntries out;
  if (const auto* loads = member(j, "loads"); loads && loads->is_array()) {
    for (const auto& l : *loads) {
      if (!l.is_object()) continue;
      out.loads.push_back(LoadEntry{read_string(l, "ip_address").value_or(""),
                                    read_string(l, "user_agent"),
                                    read_string(l, "timestamp").value_or("")});
    }
  }
  if (const auto* clicks = member(j, "clicks"); clicks && clicks->is_array()) {
    for (const auto& c : *clicks) {
      if (!c.is_object()) continue;
      out.clicks.push_back(
          ClickEntry{read_string(c, "url").value_or(""), read_string(c, "ip_address").value_or(""),
                     read_string(c, "user_agent"), read_string(c, "timestamp").value_or("")});
    }
  }
  return out;
}

/// Every `send/message` parameter except `attachments`.
inline void put_message_fields(nlohmann::json& j, const SendMessageRequest& r) {
  j = nlohmann::json::object();
  j["to"] = r.to;
  j["cc"] = r.cc;
  j["bcc"] = r.bcc;
  j["from"] = r.from;
  detail::put_optional(j, "sender", r.sender);
  detail::put_optional(j, "subject", r.subject);
  detail::put_optional(j, "reply_to", r.reply_to);
  detail::put_optional(j, "plain_body", r.plain_body);
  detail::put_optional(j, "html_body", r.html_body);
  detail::put_optional(j, "tag", r.tag);
  j["bounce"] = r.bounce;
  if (!r.headers.empty()) j["headers"] = r.headers;
}
}  // namespace detail

/// The `send/message` parameters for a request (attachments base64-encoded).
inline void to_json(nlohmann::json& j, const SendMessageRequest& r) {
  detail::put_message_fields(j, r);
  if (!r.attachments.empty()) {
    auto& list = j["attachments"] = nlohmann::json::array();
    for (const auto& a : r.attachments) {
      nlohmann::json item{{"name", a.name}, {"data", detail::base64_encode(a.data)}};
      if (!a.content_type.empty()) item["content_type"] = a.content_type;
      list.push_back(std::move(item));
    }
  }
}

/// The `send/raw` parameters for a request (the message base64-encoded).
inline void to_json(nlohmann::json& j, const SendRawRequest& r) {
  j = nlohmann::json{{"mail_from", r.mail_from},
                     {"rcpt_to", r.rcpt_to},
                     {"data", detail::base64_encode(r.data)},
                     {"bounce", r.bounce}};
}

/// Reads the `data` of a successful send/message or send/raw answer.
inline Result<SendResult> parse_send_result(const nlohmann::json& data) {
  if (!data.is_object()) return detail::decode_error("send result `data` is not an object");
  SendResult out;
  out.message_id = detail::read_string(data, "message_id");
  if (const auto* messages = detail::member(data, "messages"); messages && messages->is_object()) {
    for (auto it = messages->begin(); it != messages->end(); ++it) {
      auto id = detail::read_int(*it, "id");
      if (!id) return detail::decode_error("message for `" + it.key() + "` has no integer id");
      out.messages[it.key()] = MessageRef{*id, detail::read_string(*it, "token").value_or("")};
    }
  }
  return out;
}

/// Reads the `data` of a successful messages/message answer (each expansion present or not).
inline Result<Message> parse_message(const nlohmann::json& data) {
  if (!data.is_object()) return detail::decode_error("message `data` is not an object");
  auto id = detail::read_int(data, "id");
  if (!id) return detail::decode_error("message has no integer `id`");
  Message m;
  m.id = *id;
  m.token = detail::read_string(data, "token").value_or("");
  if (const auto* v = detail::member(data, "status"); v && v->is_object())
    m.status = detail::parse_status_info(*v);
  if (const auto* v = detail::member(data, "details"); v && v->is_object())
    m.details = detail::parse_details(*v);
  if (const auto* v = detail::member(data, "inspection"); v && v->is_object())
    m.inspection = detail::parse_inspection(*v);
  m.plain_body = detail::read_string(data, "plain_body");
  m.html_body = detail::read_string(data, "html_body");
  if (const auto* v = detail::member(data, "attachments"); v && !v->is_null()) {
    auto attachments = detail::parse_attachments(*v);
    if (!attachments) return attachments.error();
    m.attachments = std::move(*attachments);
  }
  if (const auto* v = detail::member(data, "headers"); v && v->is_object())
    m.headers = detail::parse_headers(*v);
  if (auto raw = detail::read_string(data, "raw_message")) {
    auto bytes = detail::base64_decode(*raw, true);
    if (!bytes) return detail::decode_error("raw_message is not base64");
    m.raw_message = std::move(*bytes);
  }
  if (const auto* v = detail::member(data, "activity_entries"); v && v->is_object())
    m.activity_entries = detail::parse_activity(*v);
  return m;
}

/// Reads the `data` of a successful messages/deliveries answer.
inline Result<std::vector<Delivery>> parse_deliveries(const nlohmann::json& data) {
  if (!data.is_array()) return detail::decode_error("deliveries `data` is not an array");
  std::vector<Delivery> out;
  out.reserve(data.size());
  for (std::size_t i = 0; i < data.size(); ++i) {
    const auto& j = data[i];
    if (!j.is_object())
      return detail::decode_error("delivery " + std::to_string(i) + " is not an object");
    Delivery d;
    d.id = detail::read_int(j, "id").value_or(0);
    d.status_name = detail::read_string(j, "status").value_or("");
    d.status = parse_delivery_status(d.status_name);
    d.details = detail::read_string(j, "details");
    d.output = detail::read_string(j, "output");
    d.sent_with_ssl = detail::read_bool(j, "sent_with_ssl").value_or(false);
    d.log_id = detail::read_string(j, "log_id");
    d.time = detail::read_double(j, "time");
    d.timestamp = detail::read_double(j, "timestamp").value_or(0.0);
    out.push_back(std::move(d));
  }
  return out;
}

POSTAL_END_NAMESPACE
