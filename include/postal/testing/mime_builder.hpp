/// @file
/// Test tooling: builds the RFC 5322 message Postal's send/message makes with the mail
/// gem (OutgoingMessagePrototype#raw_message): header fields in the mail gem's order, an outer
/// multipart/mixed holding a multipart/alternative (text/plain, text/html) and base64 attachments.
///
/// Internal to FakePostal (namespace postal::testing::detail): no stability promise.
#pragma once

#include <postal/detail/base64.hpp>
#include <postal/testing/mime_parser.hpp>
#include <postal/version.hpp>

#include <algorithm>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

POSTAL_BEGIN_NAMESPACE
namespace testing {
namespace detail {

/// The mail gem's FIELD_ORDER: fields render sorted by this (unknown fields last, in order).
inline int mail_field_order(std::string_view name) {
  static constexpr std::string_view order[] = {"return-path",
                                               "received",
                                               "resent-date",
                                               "resent-from",
                                               "resent-sender",
                                               "resent-to",
                                               "resent-cc",
                                               "resent-bcc",
                                               "resent-message-id",
                                               "date",
                                               "from",
                                               "sender",
                                               "reply-to",
                                               "to",
                                               "cc",
                                               "bcc",
                                               "message-id",
                                               "in-reply-to",
                                               "references",
                                               "subject",
                                               "comments",
                                               "keywords",
                                               "mime-version",
                                               "content-type",
                                               "content-transfer-encoding",
                                               "content-location",
                                               "content-disposition",
                                               "content-description"};
  const std::string lower = ascii_lower(name);
  for (std::size_t i = 0; i < sizeof order / sizeof order[0]; ++i)
    if (order[i] == lower) return static_cast<int>(i);
  return 1000;
}

/// The mail gem's spelling of a known field name ("message-id" → "Message-ID"); others as given.
inline std::string canonical_field_name(std::string_view name) {
  static constexpr std::string_view known[] = {"Return-Path",
                                               "Received",
                                               "Date",
                                               "From",
                                               "Sender",
                                               "Reply-To",
                                               "To",
                                               "Cc",
                                               "Bcc",
                                               "Message-ID",
                                               "In-Reply-To",
                                               "References",
                                               "Subject",
                                               "Comments",
                                               "Keywords",
                                               "Mime-Version",
                                               "Content-Type",
                                               "Content-Transfer-Encoding",
                                               "Content-Location",
                                               "Content-Disposition",
                                               "Content-Description",
                                               "Content-ID"};
  const std::string lower = ascii_lower(name);
  for (std::string_view k : known)
    if (ascii_lower(k) == lower) return std::string(k);
  return std::string(name);
}

/// Fields the mail gem keeps at most once (assigning replaces).
inline bool is_singular_field(std::string_view name) {
  const int order = mail_field_order(name);
  const std::string lower = ascii_lower(name);
  return (order >= 9 && order != 1000 && lower != "comments" && lower != "keywords") ||
         lower == "return-path" || lower == "content-id";
}

/// Fields holding address lists (folded at commas, never RFC 2047-encoded as a whole).
inline bool is_address_field(std::string_view name) {
  const std::string lower = ascii_lower(name);
  return lower == "from" || lower == "sender" || lower == "reply-to" || lower == "to" ||
         lower == "cc" || lower == "bcc" || lower.compare(0, 7, "resent-") == 0;
}

/// Renders one field as "Name: value\r\n": CR/LF in values become spaces, address lists fold
/// after commas, non-ASCII unstructured text becomes RFC 2047 B words, long text folds at spaces.
inline std::string render_field(std::string_view name, std::string_view raw_value) {
  std::string value(raw_value);
  for (char& c : value)
    if (c == '\r' || c == '\n') c = ' ';
  std::string out = std::string(name) + ": ";
  std::size_t line_length = out.size();
  const bool ascii = std::all_of(value.begin(), value.end(),
                                 [](char c) { return static_cast<unsigned char>(c) < 0x80; });
  if (is_address_field(name)) {
    bool quoted = false;
    for (std::size_t i = 0; i < value.size(); ++i) {
      const char c = value[i];
      if (c == '"') quoted = !quoted;
      if (c == ',' && !quoted && i + 1 < value.size() && value[i + 1] == ' ') {
        const std::size_t next = value.find(',', i + 1);
        const std::size_t token = (next == std::string::npos ? value.size() : next) - i;
        if (line_length + token > 78) {
          out += ",\r\n";
          line_length = 0;
          continue;  // the space that follows starts the continuation line
        }
      }
      out.push_back(c);
      ++line_length;
    }
  } else if (!ascii) {
    // Encoded words of at most 45 bytes (60 base64 characters) each, cut at UTF-8 boundaries.
    std::size_t i = 0;
    bool first = true;
    while (i < value.size()) {
      std::size_t end = i;
      while (end < value.size()) {
        std::size_t next = end;
        utf8_next(value, next);
        if (next - i > 45 && end > i) break;
        end = next;
      }
      if (!first) out += "\r\n ";
      first = false;
      out += "=?UTF-8?B?" +
             postal::detail::base64_encode(std::string_view(value).substr(i, end - i)) + "?=";
      i = end;
    }
  } else {
    for (std::size_t i = 0; i < value.size(); ++i) {
      if (value[i] == ' ' && line_length > 76 && i > 0) {
        out += "\r\n";
        line_length = 0;
      }
      out.push_back(value[i]);
      ++line_length;
    }
  }
  out += "\r\n";
  return out;
}

/// The header of a message being built, with the mail gem's `mail[name] = value` rules.
class MailHeaderList {
 public:
  /// `mail[name] = value`: nullopt deletes every field of that name; a singular field is
  /// replaced; any other field is appended.
  void assign(std::string_view name, std::optional<std::string> value) {
    const std::string lower = ascii_lower(name);
    if (!value || is_singular_field(name)) {
      auto same = [&](const std::pair<std::string, std::string>& f) {
        return ascii_lower(f.first) == lower;
      };
      if (value) {
        const auto it = std::find_if(fields_.begin(), fields_.end(), same);
        if (it != fields_.end()) {
          it->second = std::move(*value);
          fields_.erase(std::remove_if(it + 1, fields_.end(), same), fields_.end());
          return;
        }
      } else {
        fields_.erase(std::remove_if(fields_.begin(), fields_.end(), same), fields_.end());
        return;
      }
    }
    fields_.emplace_back(canonical_field_name(name), std::move(*value));
  }

  /// True when a field of this name is present.
  bool contains(std::string_view name) const {
    const std::string lower = ascii_lower(name);
    return std::any_of(fields_.begin(), fields_.end(),
                       [&](const auto& f) { return ascii_lower(f.first) == lower; });
  }

  /// The fields sorted by the mail gem's order (stable), each rendered and CRLF-terminated.
  std::string render() const {
    auto sorted = fields_;
    std::stable_sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) {
      return mail_field_order(a.first) < mail_field_order(b.first);
    });
    std::string out;
    for (const auto& f : sorted) out += render_field(f.first, f.second);
    return out;
  }

 private:
  std::vector<std::pair<std::string, std::string>> fields_;
};

/// A text body as a transfer-encoded part body: line breaks become CRLF; 7bit when it is short-
/// lined ASCII, else quoted-printable. Sets `encoding` to the Content-Transfer-Encoding used.
inline std::string encode_text_body(std::string_view text, std::string& encoding) {
  const std::string lf = to_lf(text);
  std::vector<std::string_view> lines;
  for (std::size_t start = 0;;) {
    const std::size_t end = lf.find('\n', start);
    lines.push_back(
        std::string_view(lf).substr(start, end == std::string::npos ? lf.npos : end - start));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  const bool seven_bit =
      std::all_of(lf.begin(), lf.end(),
                  [](char c) { return c != '\0' && static_cast<unsigned char>(c) < 0x80; }) &&
      std::all_of(lines.begin(), lines.end(), [](std::string_view l) { return l.size() <= 998; });
  std::string out;
  if (seven_bit) {
    encoding = "7bit";
    for (std::size_t i = 0; i < lines.size(); ++i) out += (i ? "\r\n" : "") + std::string(lines[i]);
    return out;
  }
  encoding = "quoted-printable";
  static constexpr char hex[] = "0123456789ABCDEF";
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (i) out += "\r\n";
    std::size_t column = 0;
    const std::string_view line = lines[i];
    for (std::size_t k = 0; k < line.size(); ++k) {
      const auto c = static_cast<unsigned char>(line[k]);
      const bool last = k + 1 == line.size();
      std::string token;
      if ((c >= 33 && c <= 126 && c != '=') || ((c == ' ' || c == '\t') && !last)) {
        token.push_back(static_cast<char>(c));
      } else {
        token = {'=', hex[c >> 4], hex[c & 0xF]};
      }
      if (column + token.size() > 75) {
        out += "=\r\n";
        column = 0;
      }
      out += token;
      column += token.size();
    }
  }
  return out;
}

/// One attachment of a send/message request (decoded bytes).
struct MimeAttachmentSpec {
  std::string name;          ///< file name
  std::string content_type;  ///< MIME type as given
  std::string data;          ///< raw bytes
};

/// Quotes a MIME parameter: `name="value"`, or RFC 2231 `name*=utf-8''%XX` for non-ASCII.
inline std::string mime_parameter(std::string_view name, std::string_view value) {
  const bool ascii = std::all_of(value.begin(), value.end(), [](char c) {
    return static_cast<unsigned char>(c) >= 0x20 && static_cast<unsigned char>(c) < 0x7F;
  });
  if (!ascii) {
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out = std::string(name) + "*=utf-8''";
    for (char ch : value) {
      const auto c = static_cast<unsigned char>(ch);
      if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
          c == '-' || c == '_') {
        out.push_back(ch);
      } else {
        out += {'%', hex[c >> 4], hex[c & 0xF]};
      }
    }
    return out;
  }
  std::string out = std::string(name) + "=\"";
  for (char c : value) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out + "\"";
}

/// Builds the message: `header` gets the MIME fields; the body is multipart/mixed with a
/// multipart/alternative part and the attachments, parts ordered as the mail gem sorts them
/// (text/plain, text/enriched, text/html, multipart/alternative, then the rest).
/// `random_tag` gives fresh random hex text for boundaries and Content-IDs.
inline std::string build_outgoing_message(MailHeaderList header,
                                          const std::optional<std::string>& plain_body,
                                          const std::optional<std::string>& html_body,
                                          const std::vector<MimeAttachmentSpec>& attachments,
                                          const std::string& hostname,
                                          const std::function<std::string()>& random_tag) {
  auto text_part = [](std::string_view type, std::string_view text) {
    std::string encoding;
    const std::string body = encode_text_body(text, encoding);
    return "Content-Type: " + std::string(type) +
           ";\r\n charset=UTF-8\r\nContent-Transfer-Encoding: " + encoding + "\r\n\r\n" + body;
  };
  const std::string inner = "--==_mimepart_" + random_tag();
  std::string alternative = "Content-Type: multipart/alternative;\r\n boundary=\"" + inner +
                            "\";\r\n charset=UTF-8\r\nContent-Transfer-Encoding: 7bit\r\n\r\n";
  if (plain_body)
    alternative += "--" + inner + "\r\n" + text_part("text/plain", *plain_body) + "\r\n";
  if (html_body) alternative += "--" + inner + "\r\n" + text_part("text/html", *html_body) + "\r\n";
  alternative += "--" + inner + "--\r\n";

  std::vector<std::pair<int, std::string>> parts;  // (sort rank, rendered part)
  auto rank = [](std::string_view content_type) {
    const std::string type =
        ascii_lower(ruby_strip(content_type.substr(0, content_type.find(';'))));
    static constexpr std::string_view order[] = {"text/plain", "text/enriched", "text/html",
                                                 "multipart/alternative"};
    for (std::size_t i = 0; i < 4; ++i)
      if (order[i] == type) return static_cast<int>(i);
    return 10000;
  };
  parts.emplace_back(rank("multipart/alternative"), std::move(alternative));
  for (const auto& attachment : attachments) {
    std::string data = postal::detail::base64_encode(attachment.data, 60);
    if (!data.empty()) data.pop_back();
    std::string crlf;
    for (char c : data) crlf += c == '\n' ? std::string("\r\n") : std::string(1, c);
    std::string part =
        "Content-Type: " + attachment.content_type + ";\r\n " +
        mime_parameter("name", attachment.name) +
        "\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: attachment;\r\n " +
        mime_parameter("filename", attachment.name) + "\r\nContent-ID: <" + random_tag() + "@" +
        hostname + ".mail>\r\n\r\n" + crlf;
    parts.emplace_back(rank(attachment.content_type), std::move(part));
  }
  std::stable_sort(parts.begin(), parts.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });

  const std::string outer = "--==_mimepart_" + random_tag();
  header.assign("Mime-Version", std::string("1.0"));
  header.assign("Content-Type", "multipart/mixed; boundary=\"" + outer + "\"; charset=UTF-8");
  header.assign("Content-Transfer-Encoding", std::string("7bit"));
  std::string out = header.render() + "\r\n";
  for (const auto& part : parts) out += "--" + outer + "\r\n" + part.second + "\r\n";
  out += "--" + outer + "--\r\n";
  return out;
}

}  // namespace detail
}  // namespace testing
POSTAL_END_NAMESPACE
