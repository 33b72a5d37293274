// libFuzzer target: the reader of a response's header lines (src/response_head.hpp) on any bytes,
// split into lines at LF as libcurl hands them over. Every line after the last status line that
// names a field must make one, every field must be well formed (a non-empty name without a
// colon, name and value trimmed, no LF), and the fields written back out as a plain head must
// read back the same.
#include "response_head.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

using postal::Headers;
using postal::detail::ResponseHeadReader;

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "response head: %s\n", what);
  std::abort();
}

// Whether a line (not a status line) must make a field: it does not begin with a space or tab
// (a folded line), and the part before its first colon holds a byte other than space, tab, CR
// and LF (a name that is not empty once trimmed).
bool makes_field(std::string_view line) {
  if (line.empty() || line.front() == ' ' || line.front() == '\t') return false;
  const auto colon = line.find(':');
  if (colon == std::string_view::npos) return false;
  for (const char c : line.substr(0, colon))
    if (c != ' ' && c != '\t' && c != '\r' && c != '\n') return true;
  return false;
}

// Feeds `head` line by line (each with its LF) and returns the fields; `expected`: the number of
// fields the lines after the last status line must make.
Headers read_head(std::string_view head, std::size_t& expected) {
  ResponseHeadReader reader;
  expected = 0;
  while (!head.empty()) {
    const auto end = head.find('\n');
    const std::size_t length = end == std::string_view::npos ? head.size() : end + 1;
    const std::string_view line = head.substr(0, length);
    if (line.substr(0, 5) == "HTTP/")
      expected = 0;
    else if (makes_field(line))
      ++expected;
    reader.line(line);
    head.remove_prefix(length);
  }
  return reader.take();
}

// No space or tab at either end, no CR or LF at the end (checked here byte by byte, not with the
// reader's own trim_line).
bool trimmed(const std::string& text) {
  if (text.empty()) return true;
  const char first = text.front();
  const char last = text.back();
  return first != ' ' && first != '\t' && last != ' ' && last != '\t' && last != '\r' &&
         last != '\n';
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view head(reinterpret_cast<const char*>(data), size);
  std::size_t expected = 0;
  const Headers fields = read_head(head, expected);
  if (fields.size() != expected) fail("not one field per line with a name");

  std::string written = "HTTP/1.1 200 OK\r\n";
  for (const auto& [name, value] : fields) {
    if (name.empty()) fail("a field with an empty name");
    if (name.find(':') != std::string::npos) fail("a colon in a field name");
    if (name.substr(0, 5) == "HTTP/") fail("a field name that reads as a status line");
    if (!trimmed(name) || !trimmed(value)) fail("an untrimmed name or value");
    if (name.find('\n') != std::string::npos || value.find('\n') != std::string::npos)
      fail("a line feed in a field");
    written += name + ": " + value + "\r\n";
  }
  written += "\r\n";

  const Headers again = read_head(written, expected);
  if (again.size() != fields.size()) fail("the fields written out read back as another number");
  auto it = again.begin();
  for (const auto& field : fields)
    if (*it++ != field) fail("a field written out reads back differently");
  return 0;
}
