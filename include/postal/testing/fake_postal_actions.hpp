/// @file
/// Test tooling: FakePostal's four API actions, following Postal 3.3.3+'s
/// LegacyAPI::SendController, OutgoingMessagePrototype and LegacyAPI::MessagesController check
/// for check and text for text. Each returns the envelope status and `data`.
///
/// Internal to FakePostal (namespace postal::testing::detail): no stability promise.
#pragma once

#include <postal/testing/fake_server_state.hpp>
#include <postal/testing/message_render.hpp>
#include <postal/testing/mime_builder.hpp>
#include <postal/testing/mime_parser.hpp>
#include <postal/testing/mime_text.hpp>
#include <postal/testing/rails_request.hpp>
#include <postal/testing/ruby_compat.hpp>
#include <postal/version.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

POSTAL_BEGIN_NAMESPACE
namespace testing {
namespace detail {

/// What an action answers: the envelope `status` ("success", "error", "parameter-error") and
/// the `data` (error data already ends with `code`).
struct ApiOutcome {
  std::string status;           ///< envelope status
  nlohmann::ordered_json data;  ///< envelope data
};

/// render_success(data).
inline ApiOutcome api_success(nlohmann::ordered_json data) { return {"success", std::move(data)}; }

/// render_error(code, data): `data`'s keys, then `code` last.
inline ApiOutcome api_error(const char* code,
                            nlohmann::ordered_json data = nlohmann::ordered_json::object()) {
  data["code"] = code;
  return {"error", std::move(data)};
}

/// render_parameter_error(message): `{"message": message}` only.
inline ApiOutcome api_parameter_error(const char* message) {
  nlohmann::ordered_json data = nlohmann::ordered_json::object();
  data["message"] = message;
  return {"parameter-error", std::move(data)};
}

/// A parameter by name (null when absent).
inline const nlohmann::ordered_json& param(const nlohmann::ordered_json& params, const char* name) {
  static const nlohmann::ordered_json null_value;
  if (!params.is_object()) return null_value;
  const auto it = params.find(name);
  return it == params.end() ? null_value : *it;
}

/// SendController::ERROR_MESSAGES.
inline const char* send_error_message(std::string_view code) {
  if (code == "NoRecipients") return "There are no recipients defined to receive this message";
  if (code == "TooManyToAddresses")
    return "The maximum number of To addresses has been reached (maximum 50)";
  if (code == "TooManyCCAddresses")
    return "The maximum number of CC addresses has been reached (maximum 50)";
  if (code == "TooManyBCCAddresses")
    return "The maximum number of BCC addresses has been reached (maximum 50)";
  if (code == "NoContent") return "There is no content defined for this e-mail";
  if (code == "FromAddressMissing") return "The From address is missing and is required";
  if (code == "UnauthenticatedFromAddress")
    return "The From address is not authorised to send mail from this server";
  if (code == "AttachmentMissingName") return "An attachment is missing a name";
  if (code == "AttachmentMissingData") return "An attachment is missing data";
  return "";
}

/// OutgoingMessagePrototype#to_addresses (and cc/bcc): a string splits on /,\s*/; an array
/// (nulls included) is taken as is; an object becomes its pairs; anything else raises.
inline std::vector<nlohmann::ordered_json> address_param(const nlohmann::ordered_json& params,
                                                         const char* name) {
  using Json = nlohmann::ordered_json;
  const Json& value = param(params, name);
  std::vector<Json> out;
  if (value.is_null()) return out;
  if (value.is_string()) {
    for (auto& address : split_comma_list(value.get_ref<const std::string&>()))
      out.emplace_back(address);
  } else if (value.is_array()) {
    out.assign(value.begin(), value.end());
  } else if (value.is_object()) {
    for (const auto& item : value.items()) out.push_back(Json::array({item.key(), item.value()}));
  } else {
    throw InternalServerError("NoMethodError: undefined method `to_a'");
  }
  return out;
}

/// A header value assigned through the mail gem (nil deletes; arrays join with ", ").
inline std::optional<std::string> header_value(const nlohmann::ordered_json& value) {
  if (value.is_null()) return std::nullopt;
  if (!value.is_array()) return ruby_to_s(value);
  std::string out;
  for (const auto& element : value) out += (out.empty() ? "" : ", ") + ruby_to_s(element);
  return out;
}

/// `list.join(", ")` of parameter values.
inline std::string join_addresses(const std::vector<nlohmann::ordered_json>& list) {
  std::string out;
  for (std::size_t i = 0; i < list.size(); ++i) out += (i ? ", " : "") + ruby_to_s(list[i]);
  return out;
}

/// `/api/v1/send/message`.
inline ApiOutcome send_message_action(FakeServerState& state, const nlohmann::ordered_json& params,
                                      const std::string& api_key) {
  using Json = nlohmann::ordered_json;
  // The controller collects attachment hashes first: `(api_params["attachments"] || []).each`.
  std::vector<const Json*> attachment_params;
  const Json& attachments = param(params, "attachments");
  if (ruby_truthy(attachments)) {
    if (attachments.is_array()) {
      for (const auto& entry : attachments)
        if (entry.is_object()) attachment_params.push_back(&entry);
    } else if (!attachments.is_object()) {
      throw InternalServerError("NoMethodError: undefined method `each'");
    }
  }

  // OutgoingMessagePrototype#validate: every check runs; the first code collected is answered.
  const auto to = address_param(params, "to");
  const auto cc = address_param(params, "cc");
  const auto bcc = address_param(params, "bcc");
  const Json& from = param(params, "from");
  const Json& sender = param(params, "sender");
  const Json& plain_body = param(params, "plain_body");
  const Json& html_body = param(params, "html_body");
  std::vector<const char*> errors;
  if (to.empty() && cc.empty() && bcc.empty()) errors.push_back("NoRecipients");
  if (to.size() > 50) errors.push_back("TooManyToAddresses");
  if (cc.size() > 50) errors.push_back("TooManyCCAddresses");
  if (bcc.size() > 50) errors.push_back("TooManyBCCAddresses");
  if (json_blank(plain_body) && json_blank(html_body)) errors.push_back("NoContent");
  if (json_blank(from)) errors.push_back("FromAddressMissing");
  bool authenticated = state.domain_authenticated(from);
  if (!authenticated && state.allow_sender) authenticated = state.domain_authenticated(sender);
  if (!authenticated) errors.push_back("UnauthenticatedFromAddress");
  std::vector<MimeAttachmentSpec> files;
  bool missing_name = false, missing_data = false;
  for (const Json* attachment : attachment_params) {
    const Json& name = param(*attachment, "name");
    const Json& type = param(*attachment, "content_type");
    const Json& data = param(*attachment, "data");
    std::optional<std::string> bytes;  // Base64.decode64(data) when data is truthy
    if (ruby_truthy(data)) {
      if (!data.is_string()) throw InternalServerError("NoMethodError: undefined method `unpack1'");
      bytes = ruby_decode64(data.get_ref<const std::string&>());
    }
    // Decoded bytes are binary: only ASCII whitespace makes them blank.
    const bool data_blank = !bytes || bytes->find_first_not_of(" \t\n\v\f\r") == std::string::npos;
    if (json_blank(name)) {
      if (!missing_name) errors.push_back("AttachmentMissingName");
      missing_name = true;
    } else if (data_blank) {
      if (!missing_data) errors.push_back("AttachmentMissingData");
      missing_data = true;
    }
    files.push_back({ruby_to_s(name),
                     ruby_truthy(type) ? ruby_to_s(type) : "application/octet-stream",
                     bytes.value_or("")});
  }
  if (!errors.empty()) {
    Json data = Json::object();
    data["message"] = send_error_message(errors.front());
    return api_error(errors.front(), std::move(data));
  }

  // OutgoingMessagePrototype#raw_message.
  const std::int64_t now = state.next_micros();
  const std::string message_id = state.random_uuid() + "@" + state.return_path_domain;
  MailHeaderList header;
  if (const Json& custom = param(params, "headers"); custom.is_object()) {
    for (const auto& item : custom.items()) {
      std::string name = item.key();
      std::replace(name.begin(), name.end(), '_', '-');  // Mail::Utilities.dasherize
      if (name.find(':') != std::string::npos)
        throw InternalServerError("ArgumentError: Header names may not contain a colon");
      header.assign(name, ruby_to_s(item.value()));
    }
  }
  if (!to.empty()) header.assign("To", join_addresses(to));
  if (!cc.empty()) header.assign("Cc", join_addresses(cc));
  header.assign("From", header_value(from));
  header.assign("Sender", header_value(sender));
  header.assign("Subject", header_value(param(params, "subject")));
  header.assign("Reply-To", header_value(param(params, "reply_to")));
  header.assign("Received", "from api (localhost [127.0.0.1]) by " + state.web_hostname +
                                " with HTTP; " + format_rfc2822(now, "-0000"));
  header.assign("Message-ID", "<" + message_id + ">");
  if (!header.contains("Date")) header.assign("Date", format_rfc2822(now, "+0000"));
  const auto text =
      json_blank(plain_body) ? std::nullopt : std::optional<std::string>(ruby_to_s(plain_body));
  const auto html =
      json_blank(html_body) ? std::nullopt : std::optional<std::string>(ruby_to_s(html_body));
  const std::string raw = build_outgoing_message(header, text, html, files, state.web_hostname,
                                                 [&state] { return state.random_mime_tag(); });

  // OutgoingMessagePrototype#create_messages: one message per name-stripped recipient.
  const std::string mail_from = strip_name_from_address(from.get_ref<const std::string&>());
  const bool bounce = ruby_truthy(param(params, "bounce"));
  const Json& tag_value = param(params, "tag");
  const auto tag =
      tag_value.is_null() ? std::nullopt : std::optional<std::string>(ruby_to_s(tag_value));
  Json messages = Json::object();
  for (const auto* list : {&to, &cc, &bcc}) {
    for (const Json& address : *list) {
      if (address.is_null()) continue;
      if (!address.is_string()) throw InternalServerError("NoMethodError: undefined method `gsub'");
      std::string rcpt_to = strip_name_from_address(address.get_ref<const std::string&>());
      const StoredMessage& message =
          state.store_message(rcpt_to, mail_from, raw, tag, bounce, api_key);
      Json ref = Json::object();
      ref["id"] = message.id;
      ref["token"] = message.token;
      messages[rcpt_to] = std::move(ref);
    }
  }
  Json data = Json::object();
  data["message_id"] = message_id;
  data["messages"] = std::move(messages);
  return api_success(std::move(data));
}

/// `/api/v1/send/raw`.
inline ApiOutcome send_raw_action(FakeServerState& state, const nlohmann::ordered_json& params,
                                  const std::string& api_key) {
  using Json = nlohmann::ordered_json;
  const Json& rcpt_to = param(params, "rcpt_to");
  if (!rcpt_to.is_array())
    return api_parameter_error("`rcpt_to` parameter is required but is missing");
  const Json& mail_from = param(params, "mail_from");
  if (json_blank(mail_from))
    return api_parameter_error("`mail_from` parameter is required but is missing");
  const Json& data = param(params, "data");
  if (json_blank(data)) return api_parameter_error("`data` parameter is required but is missing");
  if (!data.is_string()) throw InternalServerError("NoMethodError: undefined method `unpack1'");
  const std::string raw = ruby_decode64(data.get_ref<const std::string&>());

  // Server#find_authenticated_domain_from_headers: every From address must authenticate
  // (a missing From fails); with "allow sender", the Sender address may instead.
  const MimeEntity head{parse_fields(split_head_body(raw).first), {}, {}, {}, {}};
  const auto from_field = head.field("From");
  const std::vector<std::string> from =
      from_field ? parse_address_list(*from_field) : std::vector<std::string>{""};
  bool authenticated =
      !from.empty() && std::all_of(from.begin(), from.end(), [&](const std::string& a) {
        return state.domain_authenticated(std::string_view(a));
      });
  if (!authenticated && state.allow_sender) {
    const auto sender_field = head.field("Sender");
    const auto sender =
        sender_field ? parse_address_list(*sender_field) : std::vector<std::string>{};
    authenticated =
        state.domain_authenticated(std::string_view(sender.empty() ? "" : sender.front()));
  }
  if (!authenticated) return api_error("UnauthenticatedFromAddress");

  const bool bounce = ruby_truthy(param(params, "bounce"));
  const std::string envelope_from = ruby_to_s(mail_from);
  Json message_id = nullptr;
  Json messages = Json::object();
  std::vector<std::string> seen;  // rcpt_to.uniq
  for (const Json& recipient : rcpt_to) {
    if (recipient.is_null()) continue;
    std::string address = ruby_to_s(recipient);
    if (std::find(seen.begin(), seen.end(), address) != seen.end()) continue;
    seen.push_back(address);
    const StoredMessage& message =
        state.store_message(address, envelope_from, raw, std::nullopt, bounce, api_key);
    if (message_id.is_null() && message.message_id) message_id = *message.message_id;
    Json ref = Json::object();
    ref["id"] = message.id;
    ref["token"] = message.token;
    messages[address] = std::move(ref);
  }
  Json out = Json::object();
  out["message_id"] = std::move(message_id);
  out["messages"] = std::move(messages);
  return api_success(std::move(out));
}

/// `/api/v1/messages/message` (deliveries = false) and `/api/v1/messages/deliveries`.
inline ApiOutcome messages_action(FakeServerState& state, const nlohmann::ordered_json& params,
                                  bool deliveries) {
  using Json = nlohmann::ordered_json;
  const Json& id = param(params, "id");
  if (json_blank(id)) return api_parameter_error("`id` parameter is required but is missing");
  // Message.find_one only turns an Integer into {id: n}; anything else reaches
  // Database#hash_to_sql and raises.
  if (!id.is_number_integer()) throw InternalServerError("NoMethodError: undefined method `map'");
  std::optional<std::int64_t> key;
  if (id.is_number_unsigned()) {
    const auto value = id.get<std::uint64_t>();
    if (value <= static_cast<std::uint64_t>((std::numeric_limits<std::int64_t>::max)()))
      key = static_cast<std::int64_t>(value);
  } else {
    key = id.get<std::int64_t>();
  }
  const auto it = key ? state.messages.find(*key) : state.messages.end();
  if (it == state.messages.end()) {
    Json data = Json::object();
    data["message"] = "No message found matching provided ID";
    data["id"] = id;
    return api_error("MessageNotFound", std::move(data));
  }
  if (deliveries) return api_success(deliveries_json(it->second));
  return api_success(message_json(it->second, param(params, "_expansions")));
}

}  // namespace detail
}  // namespace testing
POSTAL_END_NAMESPACE
