// postal-cpp (private): a response's header lines, read one at a time as libcurl hands them to
// CURLOPT_HEADERFUNCTION, into Headers. Header-only, so that a fuzz target can drive it. Never
// installed.
#pragma once

#include <postal/transport.hpp>

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>

POSTAL_BEGIN_NAMESPACE
namespace detail {

/// `text` without the spaces and tabs at both ends, nor the CR and LF at its end.
inline std::string_view trim_line(std::string_view text) noexcept {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() &&
         (text.back() == ' ' || text.back() == '\t' || text.back() == '\r' || text.back() == '\n'))
    text.remove_suffix(1);
  return text;
}

/// Reads the header lines of a response into Headers, in order.
class ResponseHeadReader {
 public:
  /// One line as libcurl hands it (CRLF included):
  /// - a status line ("HTTP/...") starts a new response (the final one after a 100 Continue, or
  ///   the server's after a proxy's answer to CONNECT): the fields read so far are dropped;
  /// - a line that begins with a space or tab continues the previous field's value (obsolete
  ///   line folding), joined to it with one space (none after an empty value); with no previous
  ///   field it is skipped, as RFC 9112 §2.2 allows for whitespace after the status line;
  /// - "name: value" adds a field, name and value trimmed of spaces and tabs;
  /// - any other line (the blank end line, one without a colon or with an empty name) is
  ///   skipped.
  void line(std::string_view text) {
    if (text.substr(0, 5) == "HTTP/") {
      headers_ = Headers();
      headers_.reserve(kExpectedFields);
      pending_ = false;
      return;
    }
    const bool continuation = !text.empty() && (text.front() == ' ' || text.front() == '\t');
    text = trim_line(text);
    if (continuation) {
      if (!pending_ || text.empty()) return;
      if (!value_.empty()) value_ += ' ';
      value_.append(text);
      return;
    }
    flush();
    const auto colon = text.find(':');
    if (colon == std::string_view::npos) return;
    const std::string_view name = trim_line(text.substr(0, colon));
    if (name.empty()) return;
    name_.assign(name);
    value_.assign(trim_line(text.substr(colon + 1)));
    pending_ = true;
  }

  /// The fields read; the reader is left empty.
  Headers take() {
    flush();
    return std::exchange(headers_, Headers());
  }

 private:
  // Room made for a response's fields up front (Postal's answers carry about eight).
  static constexpr std::size_t kExpectedFields = 12;

  void flush() {
    if (!pending_) return;
    pending_ = false;
    headers_.add(std::move(name_), std::move(value_));
    name_.clear();
    value_.clear();
  }

  Headers headers_;
  std::string name_;  // the last field, kept open for continuation lines
  std::string value_;
  bool pending_ = false;
};

}  // namespace detail
POSTAL_END_NAMESPACE
