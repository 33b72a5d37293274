// postal-cpp internals: client-side checks that run before any byte is sent. Each rejects what
// Postal would reject anyway, or what would let a caller inject headers (CR/LF).
#pragma once

#include <postal/error.hpp>
#include <postal/models.hpp>
#include <postal/version.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

POSTAL_BEGIN_NAMESPACE
namespace detail {

/// Postal's limit per address list (to, cc, bcc).
inline constexpr std::size_t max_recipients_per_list = 50;

inline Error invalid_argument(std::string message) {
  Error e;
  e.code = ErrorCode::InvalidArgument;
  e.message = std::move(message);
  e.send_state = SendState::NotSent;
  return e;
}

// These two are one pass over the text: find_first_of and find_first_not_of with a set of
// characters search the set (a memchr call) once per character of the text.
inline bool is_blank(std::string_view s) noexcept {
  for (const char c : s)
    if (c != ' ' && c != '\t' && c != '\r' && c != '\n' && c != '\f' && c != '\v') return false;
  return true;
}

/// True when `s` holds a CR, LF or NUL.
inline bool has_line_break(std::string_view s) noexcept {
  for (const char c : s)
    if (c == '\r' || c == '\n' || c == '\0') return true;
  return false;
}

/// True when every character is visible ASCII (0x21-0x7E): no space, control or non-ASCII.
inline bool is_visible_ascii(std::string_view s) noexcept {
  for (char c : s)
    if (c <= 32 || c >= 127) return false;
  return true;
}

/// An HTTP/MIME header name: visible ASCII except ':' (RFC 5322 ftext).
inline bool is_header_name(std::string_view s) noexcept {
  return !s.empty() && is_visible_ascii(s) && s.find(':') == std::string_view::npos;
}

/// The error for a single-line field holding a line break; `what` names the field.
inline Error line_break_error(const std::string& what) {
  return invalid_argument(what +
                          " contains a line break (CR, LF or NUL), which could inject headers");
}

/// Checks one single-line field; `what` names it in the message.
inline std::optional<Error> check_line(std::string_view value, const char* what) {
  if (has_line_break(value)) return line_break_error(what);
  return std::nullopt;
}

inline std::optional<Error> check_optional_line(const std::optional<std::string>& value,
                                                const char* what) {
  return value ? check_line(*value, what) : std::nullopt;
}

// Field names such as "to[3]" are built only for the message of an error.
inline std::optional<Error> check_addresses(const std::vector<std::string>& list, const char* what,
                                            bool limit) {
  if (limit && list.size() > max_recipients_per_list)
    return invalid_argument(std::string(what) + " has " + std::to_string(list.size()) +
                            " addresses; Postal accepts at most 50 per list");
  for (std::size_t i = 0; i < list.size(); ++i) {
    const bool blank = is_blank(list[i]);
    if (!blank && !has_line_break(list[i])) continue;
    const std::string name = std::string(what) + "[" + std::to_string(i) + "]";
    return blank ? invalid_argument(name + " is empty") : line_break_error(name);
  }
  return std::nullopt;
}

/// Validates a send/message request. Returns the first problem found.
inline std::optional<Error> validate(const SendMessageRequest& r) {
  if (r.to.empty() && r.cc.empty() && r.bcc.empty())
    return invalid_argument("no recipients: set at least one of to, cc or bcc");
  if (auto e = check_addresses(r.to, "to", true)) return e;
  if (auto e = check_addresses(r.cc, "cc", true)) return e;
  if (auto e = check_addresses(r.bcc, "bcc", true)) return e;
  const bool has_plain = r.plain_body && !is_blank(*r.plain_body);
  const bool has_html = r.html_body && !is_blank(*r.html_body);
  if (!has_plain && !has_html) return invalid_argument("no content: set plain_body or html_body");
  if (is_blank(r.from)) return invalid_argument("from is required");
  if (auto e = check_line(r.from, "from")) return e;
  if (auto e = check_optional_line(r.sender, "sender")) return e;
  if (auto e = check_optional_line(r.reply_to, "reply_to")) return e;
  if (auto e = check_optional_line(r.subject, "subject")) return e;
  if (auto e = check_optional_line(r.tag, "tag")) return e;
  for (const auto& [name, value] : r.headers) {
    if (!is_header_name(name))
      return invalid_argument("header name `" + name.substr(0, 64) +
                              "` is not a valid header name (visible ASCII, no ':')");
    if (has_line_break(value)) return line_break_error("header `" + name + "`");
  }
  for (std::size_t i = 0; i < r.attachments.size(); ++i) {
    const auto& a = r.attachments[i];
    const std::string what = "attachments[" + std::to_string(i) + "]";
    if (is_blank(a.name)) return invalid_argument(what + " has no name");
    if (has_line_break(a.name)) return line_break_error(what + ".name");
    if (has_line_break(a.content_type)) return line_break_error(what + ".content_type");
    if (a.data.empty()) return invalid_argument(what + " (" + a.name + ") has no data");
  }
  return std::nullopt;
}

/// Validates a send/raw request. Returns the first problem found.
inline std::optional<Error> validate(const SendRawRequest& r) {
  if (r.rcpt_to.empty()) return invalid_argument("no recipients: rcpt_to is empty");
  if (auto e = check_addresses(r.rcpt_to, "rcpt_to", false)) return e;
  if (is_blank(r.mail_from)) return invalid_argument("mail_from is required");
  if (auto e = check_line(r.mail_from, "mail_from")) return e;
  if (r.data.empty()) return invalid_argument("data is empty: pass the raw RFC 5322 message");
  return std::nullopt;
}

}  // namespace detail
POSTAL_END_NAMESPACE
