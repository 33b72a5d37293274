// postal-cpp (private): a response's header lines, read one at a time as libcurl hands them to
// CURLOPT_HEADERFUNCTION, into Headers. Header-only, so that a fuzz target can drive it. Never
// installed.
#pragma once

#include <postal/transport.hpp>

#include <cstddef>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

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
      fields_.clear();
      open_ = false;
      return;
    }
    const bool continuation = !text.empty() && (text.front() == ' ' || text.front() == '\t');
    text = trim_line(text);
    if (continuation) {
      if (!open_ || text.empty()) return;
      std::string& value = fields_.back().second;
      if (!value.empty()) value += ' ';
      value.append(text);
      return;
    }
    open_ = false;
    const auto colon = text.find(':');
    if (colon == std::string_view::npos) return;
    const std::string_view name = trim_line(text.substr(0, colon));
    if (name.empty()) return;
    if (fields_.empty()) fields_.reserve(kExpectedFields);
    // Name and value made where they stay: one copy each, no staging.
    fields_.emplace_back(std::piecewise_construct, std::forward_as_tuple(name),
                         std::forward_as_tuple(trim_line(text.substr(colon + 1))));
    open_ = true;
  }

  /// The fields read; the reader is left empty.
  Headers take() {
    open_ = false;
    return Headers(std::exchange(fields_, {}));
  }

 private:
  // Room made for a response's fields up front (Postal's answers carry about eight).
  static constexpr std::size_t kExpectedFields = 12;

  std::vector<Headers::value_type> fields_;
  bool open_ = false;  // the last line made a field, which a continuation line extends
};

}  // namespace detail
POSTAL_END_NAMESPACE
