// libFuzzer target: the JSON string escaper of request bodies (detail::append_json_string)
// against nlohmann's dump(), on any bytes: the same text, or both refuse (not UTF-8). Also checks
// that it stays within json_string_bound and keeps what was in the buffer before it.
#include <postal/detail/json_writer.hpp>

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // The first byte says how much is in the buffer before the string (offsets matter to the
  // block copies); the rest is the text.
  const std::size_t prefix = size > 0 ? data[0] % 40 : 0;
  const std::string_view text(reinterpret_cast<const char*>(data) + (size > 0 ? 1 : 0),
                              size > 0 ? size - 1 : 0);
  std::string out(prefix, 'p');
  const bool ok = postal::detail::append_json_string(out, text);
  std::string expected;
  bool expected_ok = true;
  try {
    expected = nlohmann::json(std::string(text)).dump();
  } catch (const nlohmann::json::type_error&) {
    expected_ok = false;
  }
  if (ok != expected_ok) {
    std::fprintf(stderr, "append_json_string says %s, nlohmann %s\n", ok ? "valid" : "invalid",
                 expected_ok ? "valid" : "invalid");
    std::abort();
  }
  if (out.compare(0, prefix, std::string(prefix, 'p')) != 0) std::abort();
  if (ok) {
    if (out.compare(prefix, std::string::npos, expected) != 0) {
      std::fprintf(stderr, "escaped text differs from nlohmann's dump()\n");
      std::abort();
    }
    if (out.size() - prefix > postal::detail::json_string_bound(text)) std::abort();
  }
  return 0;
}
