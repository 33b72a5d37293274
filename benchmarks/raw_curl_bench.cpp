// raw_curl_bench: the least a program can do with libcurl to send the benchmark message, as the
// baseline of scripts/bench-send.sh (issue 4). The JSON body is built once, byte for byte what
// the SDK sends; each request only POSTs it (CURLOPT_POSTFIELDS) and checks for HTTP 200.
//
// Usage:
//   raw_curl_bench seq   URL N [CA_FILE]               one easy handle, keep-alive, N requests
//   raw_curl_bench multi URL N CONCURRENCY [CA_FILE]   the multi interface, CONCURRENCY transfers
//                                                      in flight (HTTP/2 multiplexing, PIPEWAIT),
//                                                      easy handles reused
// URL is the full endpoint, e.g. https://localhost/api/v1/send/message. CA_FILE (PEM) is also
// read from $BENCH_CA_FILE. One untimed warm-up (seq: 1 request; multi: 4 x CONCURRENCY
// requests) opens the connections first. Besides secs and rps, the RESULT line reports the HTTP
// version of the last response (http=1.1 or http=2) and the connections opened in the timed part.
//
// BENCH_HTTP1=1 speaks HTTP/1.1 even where the server offers HTTP/2 (as the SDK with
// CurlOptions::http2 = false, and as Postal's Node client, which never offers HTTP/2).
//
// Switches (environment) add back one thing the SDK does per request, to attribute a gap between
// the SDK and this baseline:
//   BENCH_RAW_READFUNCTION=1   (seq) the body goes through CURLOPT_READFUNCTION (as the SDK's,
//                              which refuses libcurl's own resend) instead of CURLOPT_POSTFIELDS
//   BENCH_RAW_DUMP_JSON=1      (seq) the body is built for every request (postal::to_json + dump)
//   BENCH_RAW_SDK_WORK=1       (multi) the SDK's own work per request, done where a streaming
//                              send_many would do it: each body encoded by the SDK's encoder
//                              (from its own SendMessageRequest of a vector of N) into its
//                              transfer's buffer just before the transfer starts, and each answer
//                              read by the SDK's decoder as soon as the transfer ends. No
//                              CurlExchange, no windows, no worker thread: what send_many could
//                              reach if it fed the transport one request at a time.
#include "send_bench_common.hpp"

#include <postal/detail/envelope.hpp>
#include <postal/detail/send_body.hpp>

#include <curl/curl.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

constexpr const char* kProgram = "raw_curl_bench";

std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

struct Settings {
  std::string url;
  std::string ca_file;
  std::string body;
  curl_slist* headers = nullptr;
  bool read_function = false;  // BENCH_RAW_READFUNCTION
  bool dump_json = false;      // BENCH_RAW_DUMP_JSON
  bool sdk_work = false;       // BENCH_RAW_SDK_WORK
  bool http1 = false;          // BENCH_HTTP1
};

/// The request body as the SDK hands it to libcurl with a read callback.
struct Upload {
  const std::string* body = nullptr;
  std::size_t offset = 0;
};

std::size_t on_read(char* buffer, std::size_t size, std::size_t count, void* user) {
  auto* upload = static_cast<Upload*>(user);
  const std::size_t length = std::min(size * count, upload->body->size() - upload->offset);
  std::memcpy(buffer, upload->body->data() + upload->offset, length);
  upload->offset += length;
  return length;
}

/// One transfer slot: an easy handle set up once and reused for every request.
struct Transfer {
  CURL* easy = nullptr;
  std::string response;
  std::string body;     // BENCH_RAW_SDK_WORK: this transfer's request body
  std::string scratch;  // BENCH_RAW_SDK_WORK: the encoder's buffer
};

void setup(Transfer& transfer, const Settings& settings, bool pipewait) {
  transfer.easy = curl_easy_init();
  if (transfer.easy == nullptr) bench::die(kProgram, "curl_easy_init failed");
  CURL* easy = transfer.easy;
  curl_easy_setopt(easy, CURLOPT_URL, settings.url.c_str());
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy, CURLOPT_HTTPHEADER, settings.headers);
  curl_easy_setopt(easy, CURLOPT_POSTFIELDS, settings.body.c_str());
  curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE,
                   static_cast<curl_off_t>(settings.body.size()));
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &on_body);
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, static_cast<void*>(&transfer.response));
  curl_easy_setopt(easy, CURLOPT_PRIVATE, static_cast<void*>(&transfer));
  if (!settings.ca_file.empty()) curl_easy_setopt(easy, CURLOPT_CAINFO, settings.ca_file.c_str());
  if (pipewait) curl_easy_setopt(easy, CURLOPT_PIPEWAIT, 1L);
  if (settings.http1)
    curl_easy_setopt(easy, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_1_1));
}

/// Exits unless the transfer succeeded with HTTP 200 and a body.
void check(Transfer& transfer, CURLcode code, std::size_t index) {
  if (code != CURLE_OK)
    bench::die(kProgram,
               "request " + std::to_string(index) + " failed: " + curl_easy_strerror(code));
  long status = 0;
  curl_easy_getinfo(transfer.easy, CURLINFO_RESPONSE_CODE, &status);
  if (status != 200 || transfer.response.empty())
    bench::die(kProgram, "request " + std::to_string(index) + " answered HTTP " +
                             std::to_string(status) + ": " + transfer.response.substr(0, 200));
}

const char* http_version(CURL* easy) {
  long version = 0;
  curl_easy_getinfo(easy, CURLINFO_HTTP_VERSION, &version);
  switch (version) {
    case CURL_HTTP_VERSION_1_0:
      return "1.0";
    case CURL_HTTP_VERSION_1_1:
      return "1.1";
    case CURL_HTTP_VERSION_2_0:
      return "2";
    default:
      return "?";
  }
}

long connects(CURL* easy) {
  long count = 0;
  curl_easy_getinfo(easy, CURLINFO_NUM_CONNECTS, &count);
  return count;
}

void run_seq(const Settings& settings, std::size_t n) {
  Transfer transfer;
  setup(transfer, settings, false);
  std::string body = settings.body;
  Upload upload;
  upload.body = &body;
  if (settings.read_function) {
    curl_easy_setopt(transfer.easy, CURLOPT_POST, 1L);
    curl_easy_setopt(transfer.easy, CURLOPT_POSTFIELDS, nullptr);
    curl_easy_setopt(transfer.easy, CURLOPT_READFUNCTION, &on_read);
    curl_easy_setopt(transfer.easy, CURLOPT_READDATA, static_cast<void*>(&upload));
  }
  auto perform = [&] {
    transfer.response.clear();
    if (settings.dump_json) {
      body = bench::message_json();
      if (!settings.read_function)
        curl_easy_setopt(transfer.easy, CURLOPT_POSTFIELDS, body.c_str());
    }
    upload.offset = 0;
    curl_easy_setopt(transfer.easy, CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(body.size()));
    return curl_easy_perform(transfer.easy);
  };
  check(transfer, perform(), 0);  // warm-up: connection, TLS handshake
  long opened = 0;
  bench::Stopwatch timed;
  for (std::size_t i = 0; i < n; ++i) {
    check(transfer, perform(), i + 1);
    opened += connects(transfer.easy);
  }
  timed.stop();
  const double secs = timed.seconds();
  std::printf("RESULT mode=seq n=%zu secs=%.3f rps=%.1f%s http=%s connects=%ld%s%s\n", n, secs,
              static_cast<double>(n) / secs, timed.per_request(n).c_str(),
              http_version(transfer.easy), opened, settings.read_function ? " readfunction=1" : "",
              settings.dump_json ? " dump_json=1" : "");
  curl_easy_cleanup(transfer.easy);
}

/// BENCH_RAW_SDK_WORK: the body of `message`, encoded by the SDK into the transfer's buffer.
void encode_body(Transfer& transfer, const postal::SendMessageRequest& message) {
  if (postal::detail::write_body(message, transfer.scratch, transfer.body))
    bench::die(kProgram, "the SDK refused the benchmark message");
  curl_easy_setopt(transfer.easy, CURLOPT_POSTFIELDS, transfer.body.c_str());
  curl_easy_setopt(transfer.easy, CURLOPT_POSTFIELDSIZE_LARGE,
                   static_cast<curl_off_t>(transfer.body.size()));
}

/// BENCH_RAW_SDK_WORK: exits unless the SDK reads the answer as the stand-in's (one message).
void decode_answer(Transfer& transfer, std::size_t index) {
  postal::HttpResponse response;
  response.status = 200;  // check() has seen it
  response.body = std::move(transfer.response);
  const auto sent = postal::detail::decode_send_result_fast(response);
  if (!sent || sent->messages.size() != 1)
    bench::die(kProgram, "the SDK could not read answer " + std::to_string(index));
  transfer.response = std::move(response.body);
}

/// Runs `count` requests keeping every transfer slot busy; the connections opened. With
/// `messages` (BENCH_RAW_SDK_WORK), request i's body is messages[i] encoded by the SDK.
long run_batch(CURLM* multi, std::vector<Transfer>& slots, std::size_t count,
               const std::vector<postal::SendMessageRequest>* messages) {
  std::vector<Transfer*> idle;
  for (auto& slot : slots) idle.push_back(&slot);
  std::size_t started = 0;
  std::size_t done = 0;
  long opened = 0;
  while (done < count) {
    while (!idle.empty() && started < count) {
      Transfer* transfer = idle.back();
      idle.pop_back();
      transfer->response.clear();
      if (messages != nullptr) encode_body(*transfer, (*messages)[started]);
      if (curl_multi_add_handle(multi, transfer->easy) != CURLM_OK)
        bench::die(kProgram, "curl_multi_add_handle failed");
      ++started;
    }
    int running = 0;
    const CURLMcode performed = curl_multi_perform(multi, &running);
    if (performed != CURLM_OK)
      bench::die(kProgram, std::string("curl_multi_perform: ") + curl_multi_strerror(performed));
    bool finished_any = false;
    int queued = 0;
    while (CURLMsg* message = curl_multi_info_read(multi, &queued)) {
      if (message->msg != CURLMSG_DONE) continue;
      CURL* easy = message->easy_handle;
      const CURLcode result = message->data.result;
      void* slot = nullptr;
      curl_easy_getinfo(easy, CURLINFO_PRIVATE, &slot);
      auto* transfer = static_cast<Transfer*>(slot);
      check(*transfer, result, done);
      if (messages != nullptr) decode_answer(*transfer, done);
      opened += connects(easy);
      curl_multi_remove_handle(multi, easy);
      idle.push_back(transfer);
      ++done;
      finished_any = true;
    }
    if (!finished_any && done < count) curl_multi_poll(multi, nullptr, 0, 1000, nullptr);
  }
  return opened;
}

void run_multi(const Settings& settings, std::size_t n, std::size_t concurrency) {
  CURLM* multi = curl_multi_init();
  if (multi == nullptr) bench::die(kProgram, "curl_multi_init failed");
  curl_multi_setopt(multi, CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX);
  curl_multi_setopt(multi, CURLMOPT_MAX_HOST_CONNECTIONS, static_cast<long>(concurrency));
  std::vector<Transfer> slots(concurrency);
  for (auto& slot : slots) setup(slot, settings, true);
  std::vector<postal::SendMessageRequest> messages;  // BENCH_RAW_SDK_WORK, made before timing
  if (settings.sdk_work) messages.assign(std::max(n, 4 * concurrency), bench::message());
  const auto* sdk = settings.sdk_work ? &messages : nullptr;
  run_batch(multi, slots, 4 * concurrency, sdk);  // warm-up: opens the connections
  bench::Stopwatch timed;
  const long opened = run_batch(multi, slots, n, sdk);
  timed.stop();
  const double secs = timed.seconds();
  std::printf(
      "RESULT mode=multi n=%zu concurrency=%zu secs=%.3f rps=%.1f%s http=%s connects=%ld%s\n", n,
      concurrency, secs, static_cast<double>(n) / secs, timed.per_request(n).c_str(),
      http_version(slots[0].easy), opened, settings.sdk_work ? " sdk_work=1" : "");
  for (auto& slot : slots) curl_easy_cleanup(slot.easy);
  curl_multi_cleanup(multi);
}

[[noreturn]] void usage() {
  std::fprintf(stderr,
               "usage: raw_curl_bench seq URL N [CA_FILE]\n"
               "       raw_curl_bench multi URL N CONCURRENCY [CA_FILE]\n");
  std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) usage();
  const std::string mode = argv[1];
  const int ca_arg = mode == "multi" ? 5 : 4;
  if (argc < ca_arg || argc > ca_arg + 1) usage();
  Settings settings;
  settings.url = argv[2];
  const std::size_t n = bench::parse_count(kProgram, argv[3], "N");
  if (argc == ca_arg + 1)
    settings.ca_file = argv[ca_arg];
  else if (const char* env = std::getenv("BENCH_CA_FILE"))
    settings.ca_file = env;
  settings.body = bench::message_json();
  settings.read_function = bench::env_flag("BENCH_RAW_READFUNCTION");
  settings.dump_json = bench::env_flag("BENCH_RAW_DUMP_JSON");
  settings.sdk_work = bench::env_flag("BENCH_RAW_SDK_WORK");
  settings.http1 = bench::env_flag("BENCH_HTTP1");
  if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) bench::die(kProgram, "curl_global_init");
  const std::string key_header = std::string("X-Server-API-Key: ") + bench::kApiKey;
  for (const char* line : {"Content-Type: application/json", "Accept: application/json",
                           key_header.c_str(), "Expect:"})
    settings.headers = curl_slist_append(settings.headers, line);

  if (mode == "seq")
    run_seq(settings, n);
  else if (mode == "multi")
    run_multi(settings, n, bench::parse_count(kProgram, argv[4], "CONCURRENCY"));
  else
    usage();
  curl_slist_free_all(settings.headers);
  curl_global_cleanup();
  return 0;
}
