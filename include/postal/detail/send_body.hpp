// postal-cpp internals: the request body of a send, validated and encoded. The JSON text is
// written directly (detail/json_writer.hpp), byte for byte what nlohmann::json's dump() of
// to_json's document is, into one allocation reserved up front; attachment data and raw
// messages are base64-encoded straight into it, so a 20 MB attachment costs the body and
// nothing more.
#pragma once

#include <postal/detail/base64.hpp>
#include <postal/detail/json_writer.hpp>
#include <postal/detail/validate.hpp>
#include <postal/json.hpp>
#include <postal/models.hpp>
#include <postal/result.hpp>
#include <postal/version.hpp>

#include <nlohmann/json.hpp>

#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

POSTAL_BEGIN_NAMESPACE
namespace detail {
inline namespace POSTAL_DETAIL_JSON_ESCAPER {  // see json_writer.hpp

/// The endpoint of each kind of send request.
inline const char* send_endpoint(const SendMessageRequest&) noexcept { return "send/message"; }
inline const char* send_endpoint(const SendRawRequest&) noexcept { return "send/raw"; }

/// The InvalidArgument for a text field that is not valid UTF-8, e.g. "subject is not valid UTF-8".
inline Error not_utf8_error(std::string_view field) {
  return invalid_argument(std::string(field) + " is not valid UTF-8");
}

/// The InvalidArgument for text that nlohmann::json refused to serialise (invalid UTF-8).
inline Error not_utf8_error(const nlohmann::json::exception& e) {
  return invalid_argument(std::string("a text field is not valid UTF-8 (") + e.what() + ")");
}

/// `list[index]`, the name of an item in error messages.
inline std::string item_name(std::string_view list, std::size_t index) {
  return std::string(list) + "[" + std::to_string(index) + "]";
}

/// The room writing the body of a send/message needs (its text all escapes; see
/// json_string_bound): reserved up front, so that the body is written into one allocation.
inline std::size_t send_body_bound(const SendMessageRequest& r) {
  std::size_t bound = 256;  // braces, keys, commas, "bounce":false, optional keys
  for (const auto* list : {&r.to, &r.cc, &r.bcc})
    for (const auto& item : *list) bound += json_string_bound(item) + 1;
  bound += json_string_bound(r.from);
  for (const auto* field :
       {&r.sender, &r.subject, &r.reply_to, &r.plain_body, &r.html_body, &r.tag})
    if (*field) bound += json_string_bound(**field);
  for (const auto& [name, value] : r.headers)
    bound += json_string_bound(name) + json_string_bound(value) + 2;
  for (const auto& a : r.attachments)
    bound += json_string_bound(a.name) + json_string_bound(a.content_type) +
             base64_length(a.data.size()) + 48;  // {"content_type":,"data":"","name":},
  return bound;
}

/// The room writing the body of a send/raw needs (see above).
inline std::size_t send_body_bound(const SendRawRequest& r) {
  std::size_t bound = 80 + json_string_bound(r.mail_from) + base64_length(r.data.size());
  for (const auto& item : r.rcpt_to) bound += json_string_bound(item) + 1;
  return bound;
}

/// Writes the JSON body of send/message to `out` (replacing its content): the document to_json
/// gives, byte for byte what its dump() is (keys in nlohmann's sorted order), attachment data
/// base64-encoded straight into the body. Returns the InvalidArgument for the first text field
/// (in that order) that is not valid UTF-8; `out` is then unusable.
inline std::optional<Error> write_send_body(std::string& out, const SendMessageRequest& r) {
  out.clear();
  out.reserve(send_body_bound(r));
  JsonWriter w(out);
  w.begin_object();
  if (!r.attachments.empty()) {
    w.key("attachments");
    w.begin_array();
    for (std::size_t i = 0; i < r.attachments.size(); ++i) {
      const auto& a = r.attachments[i];
      w.begin_object();
      if (!a.content_type.empty() && !w.string_member("content_type", a.content_type))
        return not_utf8_error(item_name("attachments", i) + ".content_type");
      w.key("data");
      w.base64(a.data);
      if (!w.string_member("name", a.name))
        return not_utf8_error(item_name("attachments", i) + ".name");
      w.end_object();
    }
    w.end_array();
  }
  if (auto n = w.string_array_member("bcc", r.bcc); n != r.bcc.size())
    return not_utf8_error(item_name("bcc", n));
  w.key("bounce");
  w.boolean(r.bounce);
  if (auto n = w.string_array_member("cc", r.cc); n != r.cc.size())
    return not_utf8_error(item_name("cc", n));
  if (!w.string_member("from", r.from)) return not_utf8_error("from");
  if (!r.headers.empty()) {
    if (auto bad = w.string_map_member("headers", r.headers); bad != r.headers.end())
      return not_utf8_error(is_valid_utf8(bad->first) ? "header `" + bad->first + "`"
                                                      : std::string("a header name"));
  }
  if (!w.optional_string_member("html_body", r.html_body)) return not_utf8_error("html_body");
  if (!w.optional_string_member("plain_body", r.plain_body)) return not_utf8_error("plain_body");
  if (!w.optional_string_member("reply_to", r.reply_to)) return not_utf8_error("reply_to");
  if (!w.optional_string_member("sender", r.sender)) return not_utf8_error("sender");
  if (!w.optional_string_member("subject", r.subject)) return not_utf8_error("subject");
  if (!w.optional_string_member("tag", r.tag)) return not_utf8_error("tag");
  if (auto n = w.string_array_member("to", r.to); n != r.to.size())
    return not_utf8_error(item_name("to", n));
  w.end_object();
  return std::nullopt;
}

/// Writes the JSON body of send/raw to `out` (see the send/message overload): the message
/// base64-encoded straight into the body.
inline std::optional<Error> write_send_body(std::string& out, const SendRawRequest& r) {
  out.clear();
  out.reserve(send_body_bound(r));
  JsonWriter w(out);
  w.begin_object();
  w.key("bounce");
  w.boolean(r.bounce);
  w.key("data");
  w.base64(r.data);
  if (!w.string_member("mail_from", r.mail_from)) return not_utf8_error("mail_from");
  if (auto n = w.string_array_member("rcpt_to", r.rcpt_to); n != r.rcpt_to.size())
    return not_utf8_error(item_name("rcpt_to", n));
  w.end_object();
  return std::nullopt;
}

/// The text of write_send_body, or std::invalid_argument (the InvalidArgument's message).
template <class Request>
std::string written_send_body(const Request& request) {
  std::string out;
  if (auto error = write_send_body(out, request)) throw std::invalid_argument(error->message);
  return out;
}

/// The JSON body of send/message: exactly `nlohmann::json j; to_json(j, r); j.dump()`, written
/// in one allocation. Throws std::invalid_argument when a text field is not valid UTF-8
/// (send_body returns that as an InvalidArgument Error instead).
inline std::string encode_send_body_text(const SendMessageRequest& r) {
  return written_send_body(r);
}

/// The JSON body of send/raw: exactly `nlohmann::json j; to_json(j, r); j.dump()` (see above).
inline std::string encode_send_body_text(const SendRawRequest& r) { return written_send_body(r); }

/// Bodies up to this size are written into a reused buffer and copied out at their exact size;
/// larger ones (attachments, mostly base64 reserved exactly) are written in place.
inline constexpr std::size_t send_body_copy_limit = std::size_t{256} << 10;

/// Gives back the unused part of a body's worst-case reservation (about 6x its text) when that
/// part is over 64 KiB and over a quarter of the body; a small body keeps it (no copy).
inline void trim_body(std::string& body) {
  const std::size_t unused = body.capacity() - body.size();
  if (unused > (std::size_t{64} << 10) && unused > body.size() / 4) body.shrink_to_fit();
}

/// Validates `request`, then writes its JSON body to `out`; the InvalidArgument (NotSent) of the
/// first problem otherwise.
template <class Request>
std::optional<Error> validate_and_write(const Request& request, std::string& out) {
  if (auto invalid = validate(request)) return invalid;
  return write_send_body(out, request);
}

/// The request body of a send, validated, then encoded into `out` with `scratch` as the buffer
/// to write in. The writer reserves for the worst case (every text byte escaped, ~6x), which a
/// body kept while send_many runs must not hold: a small body is copied out of `scratch` (which
/// keeps its capacity for the next one) into `out`, whose memory is reused when it fits (send_many
/// passes the body of a request already sent); a large one takes the buffer over.
/// Errors are InvalidArgument (NotSent); `out` is then unspecified.
template <class Request>
std::optional<Error> write_body(const Request& request, std::string& scratch, std::string& out) {
  if (auto error = validate_and_write(request, scratch)) return error;
  if (scratch.size() <= send_body_copy_limit) {
    if (out.capacity() > 2 * scratch.size() + 4096) std::string().swap(out);  // far too large
    out.assign(scratch);
    return std::nullopt;
  }
  out = std::move(scratch);
  scratch = std::string();
  trim_body(out);
  return std::nullopt;
}

/// write_body into a new string.
template <class Request>
Result<std::string> send_body(const Request& request, std::string& scratch) {
  std::string out;
  if (auto error = write_body(request, scratch, out)) return std::move(*error);
  return Result<std::string>(std::move(out));
}

/// send_body for one request sent right away: the body is the writer's buffer itself, not a copy
/// (trimmed when much of it is unused: it is held for the whole call, retries included).
template <class Request>
Result<std::string> send_body(const Request& request) {
  std::string out;
  if (auto error = validate_and_write(request, out)) return std::move(*error);
  trim_body(out);
  return Result<std::string>(std::move(out));
}

}  // namespace POSTAL_DETAIL_JSON_ESCAPER
}  // namespace detail
POSTAL_END_NAMESPACE
