// postal-cpp internals: Postal's response envelope → the `data` value, or a typed Error.
#pragma once

#include <postal/detail/json_read.hpp>
#include <postal/detail/json_writer.hpp>
#include <postal/detail/redact.hpp>
#include <postal/detail/retry.hpp>
#include <postal/models.hpp>
#include <postal/result.hpp>
#include <postal/transport.hpp>
#include <postal/version.hpp>

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

POSTAL_BEGIN_NAMESPACE
namespace detail {

/// At most this many bytes of a response body are kept in Error::body.
inline constexpr std::size_t body_excerpt_limit = 2048;

/// The first body_excerpt_limit bytes of `body`, with `secret` redacted before cutting (so a
/// cut cannot leave a fragment of it).
inline std::string body_excerpt(const std::string& body, std::string_view secret) {
  std::string text = body;
  if (!secret.empty())
    for (const auto& spelling : secret_spellings(secret)) redact_in(text, spelling);
  if (text.size() <= body_excerpt_limit) return text;
  const auto rest = text.size() - body_excerpt_limit;
  text.resize(body_excerpt_limit);
  return text + "...[" + std::to_string(rest) + " more bytes]";
}

/// Whether a non-200 status proves Postal's action never ran. A 4xx is answered before the
/// action (unknown path, bad JSON, wrong Host, a proxy's refusal), except 408 (a timeout may come
/// after the request was handed on). 5xx and anything else: the action may have run.
inline SendState send_state_for_http_status(int status) noexcept {
  return (status >= 400 && status < 500 && status != 408) ? SendState::NotSent
                                                          : SendState::MaybeSent;
}

/// What an error says of a redirect (3xx) that was not followed: where its Location points
/// (scheme and host only: no user info, path or query), so that a wrong base_url is seen at once.
inline std::string redirect_note(const Headers& headers) {
  const auto location = headers.get("Location");
  if (!location) return ": a redirect, not followed (check ClientOptions::base_url)";
  const auto origin = printable_origin(*location);
  if (!origin)
    return ": a redirect to another path of the same server, not followed (check "
           "ClientOptions::base_url)";
  return ": a redirect to " + *origin +
         ", not followed (set ClientOptions::base_url to that address)";
}

/// Maps one HTTP response to Postal's `data` (on "success") or to an Error:
/// non-200 → Http; unparsable or unknown shape → Decode; "error" → Api (with api_code and the rest
/// of `data` in details); "parameter-error" → Parameter. `secret` (the API key) is redacted
/// from the body excerpt an error keeps.
inline Result<nlohmann::json> decode_envelope(const HttpResponse& response,
                                              std::string_view secret = {}) {
  auto fail = [&](ErrorCode code, SendState state, std::string message) {
    Error e;
    e.code = code;
    e.send_state = state;
    e.message = std::move(message);
    e.http_status = response.status;
    e.body = body_excerpt(response.body, secret);
    return e;
  };
  if (response.status != 200) {
    std::string what = "Postal answered HTTP " + std::to_string(response.status) +
                       " (expected 200 with a JSON envelope)";
    // A redirect is never followed: the API key would go to the new address.
    if (response.status >= 300 && response.status < 400) what += redirect_note(response.headers);
    Error e = fail(ErrorCode::Http, send_state_for_http_status(response.status), std::move(what));
    if (auto retry_after = response.headers.get("Retry-After"))
      e.retry_after = parse_retry_after(*retry_after, std::chrono::system_clock::now());
    return e;
  }
  if (json_nesting_exceeds(response.body, max_json_depth))
    return fail(ErrorCode::Decode, SendState::MaybeSent,
                "Postal answered HTTP 200 with JSON nested deeper than " +
                    std::to_string(max_json_depth) + " levels");
  auto json = nlohmann::json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded())
    return fail(ErrorCode::Decode, SendState::MaybeSent,
                "Postal answered HTTP 200 with a body that is not JSON");
  const auto status = read_string(json, "status");
  if (!status)
    return fail(ErrorCode::Decode, SendState::MaybeSent,
                "Postal answered HTTP 200 with JSON that is not Postal's envelope (no `status`)");
  auto* data = const_cast<nlohmann::json*>(member(json, "data"));
  if (*status == "success") {
    if (data == nullptr)
      return fail(ErrorCode::Decode, SendState::MaybeSent,
                  "Postal's success envelope has no `data`");
    return std::move(*data);
  }
  if (*status != "error" && *status != "parameter-error")
    return fail(ErrorCode::Decode, SendState::MaybeSent,
                "Postal's envelope has an unknown status `" + printable(*status, 64) + "`");

  // Postal rejected the request: no message was created.
  nlohmann::json details =
      (data != nullptr && data->is_object()) ? *data : nlohmann::json::object();
  // The server's words go into Error::message as one line (the raw answer stays in `body`).
  std::string message = printable(read_string(details, "message").value_or(""), 1000);
  details.erase("message");
  if (*status == "parameter-error") {
    Error e = fail(ErrorCode::Parameter, SendState::NotSent,
                   message.empty() ? "Postal reported a parameter error" : message);
    e.details = std::move(details);
    return e;
  }
  std::string code;
  if (auto it = details.find("code"); it != details.end()) {
    code = printable(it->is_string() ? it->get<std::string>() : it->dump(), 200);
    details.erase(it);
  }
  Error e = fail(ErrorCode::Api, SendState::NotSent,
                 message.empty() ? "Postal rejected the request with " + code : message);
  e.api_code = std::move(code);
  e.details = std::move(details);
  return e;
}

/// A strict reader of the few JSON shapes in Postal's answer to a send, for
/// decode_send_result_fast. Each method returns false for input it does not handle (which may
/// still be valid JSON, e.g. a number with an exponent or a string with a surrogate escape):
/// the caller then falls back to nlohmann's parser. What it accepts it reads exactly as
/// nlohmann's parser does (RFC 8259; the same strict UTF-8 check as the JSON writer).
class SendAnswerReader {
 public:
  explicit SendAnswerReader(std::string_view text) noexcept
      : p_(text.data()), end_(text.data() + text.size()) {}

  /// Skips JSON whitespace (space, tab, line feed, carriage return).
  void skip_space() noexcept {
    while (p_ != end_ && (*p_ == ' ' || *p_ == '\t' || *p_ == '\n' || *p_ == '\r')) ++p_;
  }

  /// Whether the next token is `c`; consumes it when it is.
  bool take(char c) noexcept {
    skip_space();
    if (p_ == end_ || *p_ != c) return false;
    ++p_;
    return true;
  }

  /// Whether only whitespace is left.
  bool at_end() noexcept {
    skip_space();
    return p_ == end_;
  }

  /// Whether the next token is `null`; consumes it when it is.
  bool take_null() noexcept { return take_literal("null"); }

  /// Whether the next token starts a string.
  bool at_string() noexcept {
    skip_space();
    return p_ != end_ && *p_ == '"';
  }

  /// A string token, decoded into `out`.
  bool string(std::string& out) {
    out.clear();
    if (!take('"')) return false;
    for (;;) {
      const char* run = p_;
      while (p_ != end_ && plain(*p_)) ++p_;
      out.append(run, static_cast<std::size_t>(p_ - run));
      if (p_ == end_) return false;
      const auto c = static_cast<unsigned char>(*p_);
      if (c == '"') {
        ++p_;
        return true;
      }
      if (c == '\\') {
        if (!escape(out)) return false;
        continue;
      }
      if (c < 0x20) return false;  // a raw control character: not JSON
      const std::size_t length = utf8_sequence_length(reinterpret_cast<const unsigned char*>(p_),
                                                      static_cast<std::size_t>(end_ - p_));
      if (length == 0) return false;
      out.append(p_, length);
      p_ += length;
    }
  }

  /// A string token, as `string` reads it, viewed where it is: in the input when it holds no
  /// escape and no byte from 0x80 up (nothing to decode or check), else decoded into `storage`.
  /// The view lives as long as the input and `storage`, whichever it points into.
  bool string_in_place(std::string_view& out, std::string& storage) {
    skip_space();
    if (p_ != end_ && *p_ == '"') {
      const char* const start = p_ + 1;
      const char* q = start;
      while (q != end_ && plain(*q)) ++q;
      if (q != end_ && *q == '"') {
        out = std::string_view(start, static_cast<std::size_t>(q - start));
        p_ = q + 1;
        return true;
      }
    }
    if (!string(storage)) return false;
    out = storage;
    return true;
  }

  /// An integer token of at most 18 digits (no fraction, no exponent): what nlohmann reads as
  /// an integer that fits std::int64_t.
  bool integer(std::int64_t& out) noexcept {
    skip_space();
    const bool negative = p_ != end_ && *p_ == '-';
    if (negative) ++p_;
    const char* digits = p_;
    while (p_ != end_ && *p_ >= '0' && *p_ <= '9') ++p_;
    const auto count = p_ - digits;
    if (count == 0 || count > 18 || (*digits == '0' && count > 1)) return false;
    if (p_ != end_ && (*p_ == '.' || *p_ == 'e' || *p_ == 'E')) return false;
    std::int64_t value = 0;
    for (const char* d = digits; d != p_; ++d) value = value * 10 + (*d - '0');
    out = negative ? -value : value;
    return true;
  }

  /// Skips one value of any kind, nested at most `depth` arrays or objects deep.
  bool skip_value(int depth) {
    skip_space();
    if (p_ == end_) return false;
    switch (*p_) {
      case '"': {
        std::string_view skipped;
        return string_in_place(skipped, scratch_);
      }
      case '{':
      case '[': {
        const char close = *p_ == '{' ? '}' : ']';
        ++p_;
        if (depth == 0) return false;
        if (take(close)) return true;
        do {
          std::string_view key;
          if (close == '}' && (!string_in_place(key, scratch_) || !take(':'))) return false;
          if (!skip_value(depth - 1)) return false;
        } while (take(','));
        return take(close);
      }
      case 't':
        return take_literal("true");
      case 'f':
        return take_literal("false");
      case 'n':
        return take_literal("null");
      default:
        return skip_number();
    }
  }

 private:
  static bool plain(char c) noexcept {
    const auto u = static_cast<unsigned char>(c);
    return u >= 0x20 && u < 0x80 && c != '"' && c != '\\';
  }

  static int hex_value(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }

  bool take_literal(std::string_view word) noexcept {
    skip_space();
    if (static_cast<std::size_t>(end_ - p_) < word.size() ||
        std::string_view(p_, word.size()) != word)
      return false;
    p_ += word.size();
    return true;
  }

  // After the backslash: one of \" \\ \/ \b \f \n \r \t, or \uXXXX outside the surrogates
  // (a surrogate pair is left to nlohmann).
  bool escape(std::string& out) {
    ++p_;
    if (p_ == end_) return false;
    const char c = *p_++;
    switch (c) {
      case '"':
      case '\\':
      case '/':
        out.push_back(c);
        return true;
      case 'b':
        out.push_back('\b');
        return true;
      case 'f':
        out.push_back('\f');
        return true;
      case 'n':
        out.push_back('\n');
        return true;
      case 'r':
        out.push_back('\r');
        return true;
      case 't':
        out.push_back('\t');
        return true;
      case 'u':
        break;
      default:
        return false;
    }
    if (end_ - p_ < 4) return false;
    unsigned code = 0;
    for (int k = 0; k < 4; ++k) {
      const int digit = hex_value(*p_++);
      if (digit < 0) return false;
      code = code * 16 + static_cast<unsigned>(digit);
    }
    if (code >= 0xD800 && code <= 0xDFFF) return false;
    if (code < 0x80) {
      out.push_back(static_cast<char>(code));
    } else if (code < 0x800) {
      out.push_back(static_cast<char>(0xC0 | (code >> 6)));
      out.push_back(static_cast<char>(0x80 | (code & 0x3F)));
    } else {
      out.push_back(static_cast<char>(0xE0 | (code >> 12)));
      out.push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (code & 0x3F)));
    }
    return true;
  }

  // -?(0|[1-9][0-9]*)(.[0-9]+)? of at most 300 characters: always a finite double (an exponent,
  // which could overflow, is left to nlohmann).
  bool skip_number() noexcept {
    const char* start = p_;
    if (p_ != end_ && *p_ == '-') ++p_;
    auto digits = [this] {
      const char* from = p_;
      while (p_ != end_ && *p_ >= '0' && *p_ <= '9') ++p_;
      return p_ - from;
    };
    const char* integral = p_;
    const auto count = digits();
    if (count == 0 || (*integral == '0' && count > 1)) return false;
    if (p_ != end_ && *p_ == '.') {
      ++p_;
      if (digits() == 0) return false;
    }
    if (p_ != end_ && (*p_ == 'e' || *p_ == 'E')) return false;
    return p_ - start <= 300;
  }

  const char* p_;
  const char* end_;
  std::string scratch_;  // strings that are skipped
};

/// The `data` of a send answer: {"message_id": string or null, "messages": {address: {"id":
/// integer, "token": string or null, ...}, ...}, ...}.
inline bool read_send_data(SendAnswerReader& in, SendResult& out) {
  if (!in.take('{')) return false;
  if (in.take('}')) return true;
  std::string_view key;
  std::string key_storage;  // a key with an escape, decoded
  bool have_message_id = false;
  bool have_messages = false;
  do {
    if (!in.string_in_place(key, key_storage) || !in.take(':')) return false;
    if (key == "message_id") {
      if (have_message_id) return false;  // a repeated key: nlohmann keeps the last one
      have_message_id = true;
      if (in.at_string()) {
        std::string id;
        if (!in.string(id)) return false;
        out.message_id = std::move(id);
      } else if (!in.take_null()) {
        return false;
      }
    } else if (key == "messages") {
      if (have_messages) return false;
      have_messages = true;
      if (!in.take('{')) return false;
      if (in.take('}')) continue;
      do {
        std::string address;
        if (!in.string(address) || !in.take(':') || !in.take('{')) return false;
        MessageRef ref;
        bool have_id = false;
        bool have_token = false;
        if (in.take('}')) return false;  // no id: an error, which the slow path words
        do {
          if (!in.string_in_place(key, key_storage) || !in.take(':')) return false;
          if (key == "id") {
            if (have_id || !in.integer(ref.id)) return false;
            have_id = true;
          } else if (key == "token") {
            if (have_token) return false;
            have_token = true;
            if (in.at_string()) {
              if (!in.string(ref.token)) return false;
            } else if (!in.take_null()) {
              return false;
            }
          } else if (!in.skip_value(16)) {
            return false;
          }
        } while (in.take(','));
        if (!in.take('}') || !have_id) return false;
        if (!out.messages.emplace(std::move(address), std::move(ref)).second) return false;
      } while (in.take(','));
      if (!in.take('}')) return false;
    } else if (!in.skip_value(16)) {
      return false;
    }
  } while (in.take(','));
  return in.take('}');
}

/// Postal's success answer to send/message or send/raw read straight into a SendResult, without
/// building a JSON tree: the common case of decode_envelope + parse_send_result, for which it
/// gives exactly the same SendResult. std::nullopt for anything else (another HTTP status, an
/// error envelope, a shape or a JSON construct it does not handle, invalid JSON): the caller then
/// takes the general path, which also words every error.
inline std::optional<SendResult> decode_send_result_fast(const HttpResponse& response) {
  if (response.status != 200) return std::nullopt;
  SendAnswerReader in(response.body);
  SendResult result;
  if (!in.take('{')) return std::nullopt;
  std::string_view key;
  std::string key_storage;  // a key with an escape, decoded
  bool have_status = false;
  bool have_data = false;
  do {
    if (!in.string_in_place(key, key_storage) || !in.take(':')) return std::nullopt;
    if (key == "status") {
      if (have_status) return std::nullopt;
      have_status = true;
      std::string_view status;
      std::string status_storage;  // apart from key_storage, so that `key` stays valid
      if (!in.string_in_place(status, status_storage) || status != "success") return std::nullopt;
    } else if (key == "data") {
      if (have_data) return std::nullopt;
      have_data = true;
      if (!read_send_data(in, result)) return std::nullopt;
    } else if (!in.skip_value(16)) {
      return std::nullopt;
    }
  } while (in.take(','));
  if (!in.take('}') || !in.at_end() || !have_status || !have_data) return std::nullopt;
  return result;
}

}  // namespace detail
POSTAL_END_NAMESPACE
