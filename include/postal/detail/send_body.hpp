// postal-cpp internals: the request body of a send, validated and encoded. Attachment data and
// raw messages are base64-encoded straight into the body (one allocation of the final size), so
// a 20 MB attachment costs the body and nothing more.
#pragma once

#include <postal/detail/base64.hpp>
#include <postal/detail/validate.hpp>
#include <postal/json.hpp>
#include <postal/models.hpp>
#include <postal/result.hpp>
#include <postal/version.hpp>

#include <nlohmann/json.hpp>

#include <cstddef>
#include <string>
#include <string_view>

POSTAL_BEGIN_NAMESPACE
namespace detail {

/// The endpoint of each kind of send request.
inline const char* send_endpoint(const SendMessageRequest&) noexcept { return "send/message"; }
inline const char* send_endpoint(const SendRawRequest&) noexcept { return "send/raw"; }

inline std::size_t base64_length(std::size_t bytes) noexcept { return (bytes + 2) / 3 * 4; }

/// Appends `,"<key>":"<base64 of bytes>"` to a JSON object text that lacks its closing brace.
inline void append_base64_member(std::string& out, std::string_view key, std::string_view bytes) {
  out += ",\"";
  out += key;
  out += "\":\"";
  append_base64(out, bytes);
  out += '"';
}

/// `{...fields}` (a dumped non-empty object) reopened, so that members can be appended.
inline std::string reopen_object(nlohmann::json& fields, std::size_t extra) {
  std::string out = fields.dump();
  out.reserve(out.size() + extra);
  out.pop_back();  // '}'
  return out;
}

/// The JSON body of send/message: the same document as to_json, written without a base64 copy.
inline std::string encode_send_body_text(const SendMessageRequest& r) {
  nlohmann::json fields;
  put_message_fields(fields, r);  // never empty: "to", "from", "bounce" ...
  if (r.attachments.empty()) return fields.dump();
  std::size_t extra = 32;
  for (const auto& a : r.attachments)
    extra += base64_length(a.data.size()) + a.name.size() * 6 + a.content_type.size() * 6 + 64;
  std::string out = reopen_object(fields, extra);
  out += ",\"attachments\":[";
  for (std::size_t i = 0; i < r.attachments.size(); ++i) {
    const auto& a = r.attachments[i];
    nlohmann::json head{{"name", a.name}};
    if (!a.content_type.empty()) head["content_type"] = a.content_type;
    if (i > 0) out += ',';
    std::string text = head.dump();
    text.pop_back();
    out += text;
    append_base64_member(out, "data", a.data);
    out += '}';
  }
  out += "]}";
  return out;
}

/// The JSON body of send/raw, written without a base64 copy.
inline std::string encode_send_body_text(const SendRawRequest& r) {
  nlohmann::json fields{{"mail_from", r.mail_from}, {"rcpt_to", r.rcpt_to}, {"bounce", r.bounce}};
  std::string out = reopen_object(fields, base64_length(r.data.size()) + 16);
  append_base64_member(out, "data", r.data);
  out += '}';
  return out;
}

/// The InvalidArgument for text that nlohmann::json refused to serialise (invalid UTF-8).
inline Error not_utf8_error(const nlohmann::json::exception& e) {
  return invalid_argument(std::string("a text field is not valid UTF-8 (") + e.what() + ")");
}

/// The request body of a send: validated, then encoded. Errors are InvalidArgument (NotSent).
template <class Request>
Result<std::string> send_body(const Request& request) {
  if (auto invalid = validate(request)) return std::move(*invalid);
  try {
    return encode_send_body_text(request);
  } catch (const nlohmann::json::exception& e) {
    return not_utf8_error(e);
  }
}

}  // namespace detail
POSTAL_END_NAMESPACE
