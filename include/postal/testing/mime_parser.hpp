/// @file
/// Test tooling: a small RFC 5322 / MIME reader, enough for FakePostal to answer the
/// `headers`, `plain_body`, `html_body` and `attachments` expansions the way Postal (through the
/// mail gem) does: unfolded headers with RFC 2047 words decoded, multipart trees, base64 and
/// quoted-printable bodies, RFC 2231 file names.
///
/// Internal to FakePostal (namespace postal::testing::detail): no stability promise.
#pragma once

#include <postal/testing/mime_text.hpp>
#include <postal/testing/ruby_compat.hpp>
#include <postal/version.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

POSTAL_BEGIN_NAMESPACE
namespace testing {
namespace detail {

/// One header field: its name as written and its unfolded value.
struct MimeField {
  std::string name;   ///< name as written
  std::string value;  ///< value, unfolded, without the leading space
};

/// A parsed MIME entity (a message or one of its parts).
struct MimeEntity {
  std::vector<MimeField> fields;  ///< header fields in order
  std::string body;               ///< raw body bytes (transfer-encoded)
  std::string mime_type;          ///< lower-case "type/subtype"; empty without Content-Type
  std::vector<std::pair<std::string, std::string>> params;  ///< Content-Type parameters
  std::vector<MimeEntity> parts;                            ///< the parts of a multipart entity

  /// The first field of this name (case-insensitive), if any.
  std::optional<std::string> field(std::string_view name) const {
    for (const auto& f : fields)
      if (ascii_lower(f.name) == ascii_lower(name)) return f.value;
    return std::nullopt;
  }
  /// The last field of this name (case-insensitive), if any.
  std::optional<std::string> last_field(std::string_view name) const {
    std::optional<std::string> out;
    for (const auto& f : fields)
      if (ascii_lower(f.name) == ascii_lower(name)) out = f.value;
    return out;
  }
  /// A Content-Type parameter by lower-case name, if present.
  std::optional<std::string> param(std::string_view name) const {
    for (const auto& p : params)
      if (p.first == name) return p.second;
    return std::nullopt;
  }
  /// True for multipart/* entities.
  bool multipart() const { return mime_type.compare(0, 10, "multipart/") == 0; }
};

/// Splits a message at the first empty line (CRLF CRLF, or LF LF): {header block, body}.
inline std::pair<std::string_view, std::string_view> split_head_body(std::string_view raw) {
  if (raw.compare(0, 2, "\r\n") == 0) return {std::string_view(), raw.substr(2)};
  if (raw.compare(0, 1, "\n") == 0) return {std::string_view(), raw.substr(1)};
  const std::size_t crlf = raw.find("\r\n\r\n");
  const std::size_t lf = raw.find("\n\n");
  if (crlf == std::string_view::npos && lf == std::string_view::npos)
    return {raw, std::string_view()};
  if (lf == std::string_view::npos || (crlf != std::string_view::npos && crlf < lf))
    return {raw.substr(0, crlf), raw.substr(crlf + 4)};
  return {raw.substr(0, lf), raw.substr(lf + 2)};
}

/// Parses a header block into unfolded fields; lines without a colon are skipped.
inline std::vector<MimeField> parse_fields(std::string_view head) {
  std::vector<MimeField> fields;
  bool current = false;
  std::size_t start = 0;
  while (start < head.size()) {
    std::size_t end = head.find('\n', start);
    if (end == std::string_view::npos) end = head.size();
    std::string_view line = head.substr(start, end - start);
    start = end + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (!line.empty() && (line[0] == ' ' || line[0] == '\t')) {
      if (current) fields.back().value.append(line);
      continue;
    }
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) {
      current = false;
      continue;
    }
    std::string_view name = line.substr(0, colon);
    while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) name.remove_suffix(1);
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
      value.remove_prefix(1);
    fields.push_back({std::string(name), std::string(value)});
    current = true;
  }
  for (auto& f : fields)
    while (!f.value.empty() && (f.value.back() == ' ' || f.value.back() == '\t'))
      f.value.pop_back();
  return fields;
}

/// Parses "type/subtype; a=1; b=\"two\"; name*=utf-8''%C3%A9" into the lower-case type and its
/// parameters (RFC 2231 sections joined and decoded, RFC 2047 words decoded).
inline std::pair<std::string, std::vector<std::pair<std::string, std::string>>> parse_structured(
    std::string_view value) {
  struct Section {
    std::string base;
    int index = -1;
    bool extended = false;
    std::string text;
  };
  std::vector<Section> sections;
  std::size_t i = value.find(';');
  std::string type = ruby_strip(value.substr(0, i));
  while (i != std::string_view::npos && i < value.size()) {
    ++i;  // past ';'
    while (i < value.size() && (value[i] == ' ' || value[i] == '\t')) ++i;
    const std::size_t eq = value.find('=', i);
    if (eq == std::string_view::npos) break;
    std::string name = ascii_lower(ruby_strip(value.substr(i, eq - i)));
    i = eq + 1;
    while (i < value.size() && (value[i] == ' ' || value[i] == '\t')) ++i;
    std::string text;
    if (i < value.size() && value[i] == '"') {
      for (++i; i < value.size() && value[i] != '"'; ++i) {
        if (value[i] == '\\' && i + 1 < value.size()) ++i;
        text.push_back(value[i]);
      }
      i = value.find(';', i);
    } else {
      const std::size_t semi = value.find(';', i);
      text = ruby_strip(value.substr(i, semi == std::string_view::npos ? value.npos : semi - i));
      i = semi;
    }
    Section section;
    section.text = std::move(text);
    const std::size_t star = name.find('*');
    section.base = name.substr(0, star);
    if (star != std::string::npos) {
      std::string rest = name.substr(star + 1);
      if (!rest.empty() && rest.back() == '*') {
        section.extended = true;
        rest.pop_back();
      } else if (rest.empty()) {
        section.extended = true;
      }
      if (!rest.empty() && rest.find_first_not_of("0123456789") == std::string::npos)
        section.index = std::stoi(rest);
    }
    sections.push_back(std::move(section));
  }
  std::vector<std::pair<std::string, std::string>> params;
  std::vector<std::string> done;
  for (const auto& first : sections) {
    bool seen = false;
    for (const auto& d : done) seen = seen || d == first.base;
    if (seen) continue;
    done.push_back(first.base);
    std::vector<const Section*> group;
    for (const auto& s : sections)
      if (s.base == first.base) group.push_back(&s);
    std::string charset, joined;
    for (int index = -1; index < static_cast<int>(group.size()) + 1; ++index) {
      for (const Section* s : group) {
        if (s->index != index) continue;
        std::string text = s->text;
        if (s->extended) {
          if ((index <= 0) && charset.empty()) {
            const std::size_t q1 = text.find('\'');
            const std::size_t q2 = q1 == std::string::npos ? q1 : text.find('\'', q1 + 1);
            if (q2 != std::string::npos) {
              charset = text.substr(0, q1);
              text = text.substr(q2 + 1);
            }
          }
          for (char& ch : text)
            if (ch == '%') ch = '=';
          text = quoted_printable_decode(text);
        }
        joined += text;
      }
    }
    params.emplace_back(first.base, decode_encoded_words(charset_to_utf8(joined, charset)));
  }
  return {ascii_lower(type), params};
}

/// Parses a message or body part; multipart bodies are split into parts (up to `depth` levels).
inline MimeEntity parse_mime(std::string_view raw, int depth = 20) {
  MimeEntity entity;
  const auto [head, body] = split_head_body(raw);
  entity.fields = parse_fields(head);
  entity.body = std::string(body);
  if (const auto content_type = entity.field("Content-Type")) {
    auto parsed = parse_structured(*content_type);
    entity.mime_type = std::move(parsed.first);
    entity.params = std::move(parsed.second);
  }
  const auto boundary = entity.param("boundary");
  if (!entity.multipart() || !boundary || boundary->empty() || depth <= 0) return entity;
  const std::string delimiter = "--" + *boundary;
  std::size_t content_start = std::string::npos;
  for (std::size_t pos = 0; pos < body.size();) {
    const bool at_line_start = pos == 0 || body[pos - 1] == '\n';
    if (at_line_start && body.compare(pos, delimiter.size(), delimiter) == 0) {
      std::size_t after = pos + delimiter.size();
      const bool closing = body.compare(after, 2, "--") == 0;
      if (closing) after += 2;
      std::size_t line_end = after;
      while (line_end < body.size() && (body[line_end] == ' ' || body[line_end] == '\t'))
        ++line_end;
      const bool ok = line_end == body.size() || body[line_end] == '\r' || body[line_end] == '\n';
      if (ok) {
        if (content_start != std::string::npos) {
          std::size_t content_end = pos;
          if (content_end > content_start && body[content_end - 1] == '\n') --content_end;
          if (content_end > content_start && body[content_end - 1] == '\r') --content_end;
          entity.parts.push_back(
              parse_mime(body.substr(content_start, content_end - content_start), depth - 1));
        }
        if (closing) return entity;
        const std::size_t newline = body.find('\n', line_end);
        content_start = newline == std::string_view::npos ? body.size() : newline + 1;
        pos = content_start;
        continue;
      }
    }
    const std::size_t next = body.find('\n', pos);
    if (next == std::string_view::npos) break;
    pos = next + 1;
  }
  if (content_start != std::string::npos && content_start <= body.size())
    entity.parts.push_back(parse_mime(body.substr(content_start), depth - 1));
  return entity;
}

/// The body without its Content-Transfer-Encoding (the mail gem's Body#decoded): base64 and
/// binary/8bit bytes as they are, 7bit and quoted-printable text with LF line breaks.
inline std::string transfer_decode(const MimeEntity& entity) {
  const std::string encoding =
      ascii_lower(ruby_strip(entity.field("Content-Transfer-Encoding").value_or("")));
  if (encoding == "base64") return ruby_decode64(entity.body);
  if (encoding == "quoted-printable") return to_lf(quoted_printable_decode(entity.body));
  if (encoding == "8bit" || encoding == "binary") return entity.body;
  return to_lf(entity.body);
}

/// The body as UTF-8 text (transfer decoding, then the charset).
inline std::string text_decode(const MimeEntity& entity) {
  return charset_to_utf8(transfer_decode(entity), entity.param("charset").value_or("utf-8"));
}

/// The attachment file name, as the mail gem finds it: Content-Disposition `filename`, else
/// Content-Type `name`, else Content-Location. Null when the entity is not an attachment.
inline std::optional<std::string> attachment_filename(const MimeEntity& entity) {
  if (const auto disposition = entity.field("Content-Disposition")) {
    for (const auto& p : parse_structured(*disposition).second)
      if (p.first == "filename") return p.second;
  }
  if (const auto name = entity.param("name")) return name;
  if (const auto location = entity.field("Content-Location"))
    return decode_encoded_words(*location);
  return std::nullopt;
}

/// Every part below `entity`, depth first (the mail gem's all_parts).
inline void collect_all_parts(const MimeEntity& entity, std::vector<const MimeEntity*>& out) {
  for (const auto& part : entity.parts) {
    out.push_back(&part);
    collect_all_parts(part, out);
  }
}

/// Postal's Mail::Message#plain_body / #html_body for `mime_type` ("text/plain" or "text/html").
inline std::optional<std::string> body_of_type(const MimeEntity& message,
                                               std::string_view mime_type) {
  if (message.multipart()) {
    std::vector<const MimeEntity*> parts;
    collect_all_parts(message, parts);
    for (const MimeEntity* part : parts)
      if (part->mime_type == mime_type && !attachment_filename(*part)) return text_decode(*part);
  }
  if (message.mime_type == mime_type || (mime_type == "text/plain" && message.mime_type.empty()))
    return text_decode(message);
  return std::nullopt;
}

/// One attachment as Postal reports it.
struct MimeAttachment {
  std::string filename;      ///< decoded file name
  std::string content_type;  ///< MIME type without parameters
  std::string data;          ///< decoded bytes
};

/// The mail gem's AttachmentsList: leaf parts that are attachments, recursing into multiparts
/// and message/rfc822 parts.
inline void collect_attachments(const MimeEntity& entity, std::vector<MimeAttachment>& out,
                                int depth = 10) {
  for (const auto& part : entity.parts) {
    if (part.mime_type == "message/rfc822") {
      if (depth > 0) collect_attachments(parse_mime(transfer_decode(part)), out, depth - 1);
    } else if (part.parts.empty()) {
      if (auto filename = attachment_filename(part))
        out.push_back({std::move(*filename), part.mime_type, transfer_decode(part)});
    } else {
      collect_attachments(part, out, depth);
    }
  }
}

}  // namespace detail
}  // namespace testing
POSTAL_END_NAMESPACE
