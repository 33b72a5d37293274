// libFuzzer target: any answer from the server (HTTP status, Retry-After, body) to the Client's
// calls, send_message, get_message with every expansion and get_deliveries, through a transport
// that answers every attempt the same way (retries on, without sleeping). Each call must end with
// a value or an Error with a message, never throw, and the API key (which the fuzzer's dictionary
// and seeds put into answers) must appear in no part of the error: message, api_code, details,
// body excerpt.
#include <postal/client.hpp>
#include <postal/error.hpp>
#include <postal/options.hpp>
#include <postal/transport.hpp>

#include <fuzzer/FuzzedDataProvider.h>
#include <nlohmann/json.hpp>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <utility>

namespace {

constexpr const char* kApiKey = "FuzzKeyQ7w8e9r0t1y2u";

/// Answers every request with the same response.
struct FixedAnswer final : postal::Transport {
  postal::HttpResponse response;
  postal::Result<postal::HttpResponse> send(const postal::HttpRequest&) override {
    return response;
  }
};

[[noreturn]] void fail(const char* what, const postal::Error& error) {
  std::fprintf(stderr, "%s: %s\n", what, error.message.c_str());
  std::abort();
}

template <class T>
void check(const postal::Result<T>& result) {
  if (result) return;
  const postal::Error& error = result.error();
  if (error.message.empty()) fail("an error without a message", error);
  for (const std::string* text : {&error.message, &error.api_code, &error.body})
    if (text->find(kApiKey) != std::string::npos) fail("the API key in an error", error);
  if (error.describe().find(kApiKey) != std::string::npos) fail("the API key in describe()", error);
  const std::string details =
      error.details.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (details.find(kApiKey) != std::string::npos) fail("the API key in an error's details", error);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static constexpr std::array<int, 16> kStatuses{200, 200, 200, 200, 201, 204, 301, 400,
                                                 401, 403, 404, 422, 429, 500, 502, 503};
  FuzzedDataProvider in(data, size);
  const auto call = in.ConsumeIntegralInRange<int>(0, 2);
  auto transport = std::make_shared<FixedAnswer>();
  transport->response.status = kStatuses[in.ConsumeIntegralInRange<std::size_t>(0, 15)];
  if (in.ConsumeBool())
    transport->response.headers.add("Retry-After", in.ConsumeRandomLengthString(40));
  transport->response.body = in.ConsumeRemainingBytesAsString();

  postal::ClientOptions options{"https://postal.example.com", kApiKey, std::chrono::seconds(5),
                                transport};
  options.retry.sleep = [](std::chrono::milliseconds) {};
  const postal::Client client(std::move(options));
  switch (call) {
    case 0: {
      postal::SendMessageRequest request;
      request.to = {"to@example.com"};
      request.from = "from@example.com";
      request.subject = "fuzz";
      request.plain_body = "body";
      check(client.send_message(request));
      break;
    }
    case 1:
      check(client.get_message(1, postal::Expansions::all()));
      break;
    default:
      check(client.get_deliveries(1));
      break;
  }
  return 0;
}
