// libFuzzer target: the reader of a response's header lines (src/response_head.hpp) on any bytes,
// split into lines at LF as libcurl hands them over. Every field read must be well formed (a
// non-empty name without a colon, name and value trimmed, no LF), there can be no more fields
// than lines after the last status line, and the fields written back out as a plain head must
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
using postal::detail::trim_line;

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "response head: %s\n", what);
  std::abort();
}

// Feeds `head` line by line (each with its LF) and returns the fields; `lines_after_status`: the
// number of lines after the last status line.
Headers read_head(std::string_view head, std::size_t& lines_after_status) {
  ResponseHeadReader reader;
  lines_after_status = 0;
  while (!head.empty()) {
    const auto end = head.find('\n');
    const std::size_t length = end == std::string_view::npos ? head.size() : end + 1;
    const std::string_view line = head.substr(0, length);
    lines_after_status = line.substr(0, 5) == "HTTP/" ? 0 : lines_after_status + 1;
    reader.line(line);
    head.remove_prefix(length);
  }
  return reader.take();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view head(reinterpret_cast<const char*>(data), size);
  std::size_t lines = 0;
  const Headers fields = read_head(head, lines);
  if (fields.size() > lines) fail("more fields than lines after the status line");

  std::string written = "HTTP/1.1 200 OK\r\n";
  for (const auto& [name, value] : fields) {
    if (name.empty()) fail("a field with an empty name");
    if (name.find(':') != std::string::npos) fail("a colon in a field name");
    if (name.substr(0, 5) == "HTTP/") fail("a field name that reads as a status line");
    if (trim_line(name) != name || trim_line(value) != value) fail("an untrimmed name or value");
    if (name.find('\n') != std::string::npos || value.find('\n') != std::string::npos)
      fail("a line feed in a field");
    written += name + ": " + value + "\r\n";
  }
  written += "\r\n";

  const Headers again = read_head(written, lines);
  if (again.size() != fields.size()) fail("the fields written out read back as another number");
  auto it = again.begin();
  for (const auto& field : fields)
    if (*it++ != field) fail("a field written out reads back differently");
  return 0;
}
