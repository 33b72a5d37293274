// libFuzzer target: Postal's answer to a send, as any bytes. Whatever the fast reader
// (detail::decode_send_result_fast) reads, the general path (nlohmann, decode_envelope,
// parse_send_result) must read as the same SendResult; what it declines goes to the general path
// anyway. Neither may crash, hang or read out of bounds.
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
  // The client takes the general path whenever the fast reader declines, so what can differ is
  // an answer the fast reader reads itself: the general path must read the same SendResult.
  const auto fast = postal::detail::decode_send_result_fast(response);
  const auto general = core().interpret_general<postal::SendResult>(response, parse);
  if (!fast) return 0;
  if (!general) differ("the general path refuses what the fast reader read", response.body);
  if (fast->message_id != general->message_id) differ("message_id", response.body);
  if (fast->messages.size() != general->messages.size()) differ("count", response.body);
  auto it = fast->messages.begin();
  for (const auto& [address, ref] : general->messages) {
    if (it->first != address || it->second.id != ref.id || it->second.token != ref.token)
      differ("messages", response.body);
    ++it;
  }
  return 0;
}
