// libFuzzer target: Postal's answer to a send, as any bytes. The fast reader
// (detail::decode_send_result_fast) and the general path (nlohmann, decode_envelope,
// parse_send_result) must give the same Result: the same SendResult, or the same error. Neither
// may crash, hang or read out of bounds (build with -fsanitize=fuzzer,address,undefined).
#include <postal/detail/client_core.hpp>
#include <postal/detail/envelope.hpp>
#include <postal/json.hpp>
#include <postal/options.hpp>
#include <postal/transport.hpp>

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

namespace {

/// The client core needs a transport; this one is never called.
struct UnusedTransport final : postal::Transport {
  postal::Result<postal::HttpResponse> send(const postal::HttpRequest&) override { std::abort(); }
};

const postal::detail::ClientCore& core() {
  static const postal::detail::ClientCore instance(
      postal::ClientOptions{"https://postal.example.com", "FuzzApiKey12345",
                            std::chrono::seconds(5), std::make_shared<UnusedTransport>()});
  return instance;
}

postal::Result<postal::SendResult> parse(const nlohmann::json& data) {
  return postal::parse_send_result(data);
}

[[noreturn]] void differ(const char* what, const std::string& body) {
  std::fprintf(stderr, "fast and general paths differ (%s) on: %s\n", what, body.c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  postal::HttpResponse response;
  response.status = size > 0 && data[0] == '!' ? 500 : 200;  // now and then another status
  response.body.assign(reinterpret_cast<const char*>(data), size);
  const auto via_client = core().interpret<postal::SendResult>(response, parse);
  const auto general = core().interpret_general<postal::SendResult>(response, parse);
  if (via_client.has_value() != general.has_value()) differ("success", response.body);
  if (general) {
    if (via_client->message_id != general->message_id) differ("message_id", response.body);
    if (via_client->messages.size() != general->messages.size()) differ("count", response.body);
    auto it = via_client->messages.begin();
    for (const auto& [address, ref] : general->messages) {
      if (it->first != address || it->second.id != ref.id || it->second.token != ref.token)
        differ("messages", response.body);
      ++it;
    }
  } else {
    const postal::Error& a = via_client.error();
    const postal::Error& b = general.error();
    if (a.code != b.code || a.message != b.message || a.http_status != b.http_status ||
        a.api_code != b.api_code || a.details != b.details || a.body != b.body ||
        a.send_state != b.send_state)
      differ("error", response.body);
  }
  return 0;
}
