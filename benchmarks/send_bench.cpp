// send_bench: the SDK's send path (postal::Client over the libcurl transport) against a stand-in
// server, for scripts/bench-send.sh (issue 4). Prints one machine-readable RESULT line per run;
// every send must succeed, or the program says which one failed and exits with status 1.
//
// Usage:
//   send_bench seq        BASE_URL N [CA_FILE]    N sequential client.send_message calls
//   send_bench many       BASE_URL N MAX_IN_FLIGHT [CA_FILE]
//                                                 one client.send_many of N requests
//   send_bench rss-seq    BASE_URL N [CA_FILE]    peak RSS after N sequential sends
//   send_bench rss-attach BASE_URL MB [CA_FILE]   peak RSS of one send with an MB MiB attachment
//   send_bench send-all   BASE_URL N MAX_IN_FLIGHT [CA_FILE]
//       diagnostic: the libcurl transport alone, one Transport::send_all of N pre-built requests
//       (no JSON encoding, no send_many windows, only the HTTP status checked), to tell the
//       transport's share of a gap
//   send_bench send-seq   BASE_URL N [CA_FILE]
//       diagnostic: the libcurl transport alone, N sequential Transport::send of one pre-built
//       request
// BASE_URL is e.g. https://localhost or http://127.0.0.1:8080; CA_FILE (PEM) is also read from
// $BENCH_CA_FILE. An untimed warm-up (seq: 1 send; many, send-all: 4 x MAX_IN_FLIGHT) opens the
// connections first, as raw_curl_bench does. The rss modes print the peak (getrusage ru_maxrss)
// and the RSS just before sending (VmRSS), in KiB.
#include "send_bench_common.hpp"

#include <postal/postal.hpp>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

namespace {

constexpr const char* kProgram = "send_bench";

postal::Client make_client(const std::string& base_url, const std::string& ca_file) {
  postal::CurlOptions curl;
  curl.ca_file = ca_file;
  postal::ClientOptions options;
  options.base_url = base_url;
  options.api_key = bench::kApiKey;
  options.transport = postal::make_curl_transport(curl);
  return postal::Client(options);
}

/// Exits unless `sent` is the stand-in's answer (one message for the recipient, id 1).
void check(const postal::Result<postal::SendResult>& sent, std::size_t index) {
  if (!sent)
    bench::die(kProgram, "send " + std::to_string(index) + " failed: " + sent.error().describe());
  const auto found = sent->messages.find(bench::kRecipient);
  if (found == sent->messages.end() || found->second.id != 1)
    bench::die(kProgram, "send " + std::to_string(index) + " returned an unexpected result");
}

void run_seq(const postal::Client& client, std::size_t n) {
  const postal::SendMessageRequest request = bench::message();
  check(client.send_message(request), 0);  // warm-up: connection and TLS handshake
  bench::Stopwatch timed;
  for (std::size_t i = 0; i < n; ++i) check(client.send_message(request), i + 1);
  timed.stop();
  bench::print_throughput("seq", n, 0, timed);
}

void run_many(const postal::Client& client, std::size_t n, std::size_t max_in_flight) {
  postal::BatchOptions options;
  options.max_in_flight = max_in_flight;
  // Warm-up: 4 x max_in_flight sends open the connections the timed batch reuses.
  const std::vector<postal::SendMessageRequest> warm_up(4 * max_in_flight, bench::message());
  const auto warm = client.send_many(warm_up, options);
  for (std::size_t i = 0; i < warm.size(); ++i) check(warm[i], i);
  if (warm.size() != warm_up.size()) bench::die(kProgram, "send_many lost warm-up results");

  const std::vector<postal::SendMessageRequest> requests(n, bench::message());
  bench::Stopwatch timed;
  const auto results = client.send_many(requests, options);
  timed.stop();
  if (results.size() != n)
    bench::die(kProgram, "send_many returned " + std::to_string(results.size()) + " results for " +
                             std::to_string(n) + " requests");
  for (std::size_t i = 0; i < n; ++i) check(results[i], i);
  bench::print_throughput("many", n, max_in_flight, timed);
}

/// The request send_message makes for bench::message(), built once.
postal::HttpRequest prebuilt_request(const std::string& base_url) {
  postal::HttpRequest request;
  request.url = base_url + "/api/v1/send/message";
  request.headers.add("Content-Type", "application/json");
  request.headers.add("Accept", "application/json");
  request.headers.add("X-Server-API-Key", bench::kApiKey);
  request.body = bench::message_json();
  return request;
}

/// Exits unless `response` is an HTTP 200.
void check_status(const postal::Result<postal::HttpResponse>& response, std::size_t index) {
  if (!response)
    bench::die(kProgram,
               "request " + std::to_string(index) + " failed: " + response.error().describe());
  if (response->status != 200)
    bench::die(kProgram, "request " + std::to_string(index) + " answered HTTP " +
                             std::to_string(response->status));
}

void run_send_seq(const postal::Client& client, const std::string& base_url, std::size_t n) {
  const postal::HttpRequest request = prebuilt_request(base_url);
  postal::Transport& transport = *client.transport();
  check_status(transport.send(request), 0);  // warm-up
  bench::Stopwatch timed;
  for (std::size_t i = 0; i < n; ++i) check_status(transport.send(request), i + 1);
  timed.stop();
  bench::print_throughput("send-seq", n, 0, timed);
}

void run_send_all(const postal::Client& client, const std::string& base_url, std::size_t n,
                  std::size_t max_in_flight) {
  const postal::HttpRequest request = prebuilt_request(base_url);
  auto run = [&](std::size_t count) {
    const std::vector<postal::HttpRequest> requests(count, request);
    bench::Stopwatch timed;
    const auto responses = client.transport()->send_all(requests, max_in_flight);
    timed.stop();
    if (responses.size() != count) bench::die(kProgram, "send_all lost results");
    for (std::size_t i = 0; i < count; ++i) check_status(responses[i], i);
    return timed;
  };
  run(4 * max_in_flight);  // warm-up
  bench::print_throughput("send-all", n, max_in_flight, run(n));
}

void run_rss_seq(const postal::Client& client, std::size_t n) {
  const postal::SendMessageRequest request = bench::message();
  const long before = bench::current_rss_kib();
  for (std::size_t i = 0; i < n; ++i) check(client.send_message(request), i);
  std::printf("RESULT mode=rss-seq n=%zu peak_kib=%ld before_kib=%ld after_kib=%ld\n", n,
              bench::peak_rss_kib(), before, bench::current_rss_kib());
}

void run_rss_attach(const postal::Client& client, std::size_t mb) {
  postal::SendMessageRequest request = bench::message();
  postal::Attachment attachment;
  attachment.name = "random.bin";
  attachment.content_type = "application/octet-stream";
  attachment.data.resize(mb << 20);
  std::mt19937_64 random(42);
  for (std::size_t i = 0; i + 8 <= attachment.data.size(); i += 8) {
    const std::uint64_t word = random();
    for (std::size_t b = 0; b < 8; ++b)
      attachment.data[i + b] = static_cast<char>((word >> (8 * b)) & 0xff);
  }
  request.attachments.push_back(std::move(attachment));
  const long before = bench::current_rss_kib();  // the attachment is resident by now
  check(client.send_message(request), 0);
  std::printf("RESULT mode=rss-attach mb=%zu peak_kib=%ld before_kib=%ld after_kib=%ld\n", mb,
              bench::peak_rss_kib(), before, bench::current_rss_kib());
}

[[noreturn]] void usage() {
  std::fprintf(stderr,
               "usage: send_bench seq BASE_URL N [CA_FILE]\n"
               "       send_bench many BASE_URL N MAX_IN_FLIGHT [CA_FILE]\n"
               "       send_bench send-all BASE_URL N MAX_IN_FLIGHT [CA_FILE]\n"
               "       send_bench send-seq BASE_URL N [CA_FILE]\n"
               "       send_bench rss-seq BASE_URL N [CA_FILE]\n"
               "       send_bench rss-attach BASE_URL MB [CA_FILE]\n");
  std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) usage();
  const std::string mode = argv[1];
  const std::string base_url = argv[2];
  const std::size_t n = bench::parse_count(kProgram, argv[3], "N");
  const bool takes_width = mode == "many" || mode == "send-all";
  const int ca_arg = takes_width ? 5 : 4;
  if (takes_width && argc < 5) usage();
  if (argc > ca_arg + 1) usage();
  std::string ca_file;
  if (argc == ca_arg + 1)
    ca_file = argv[ca_arg];
  else if (const char* env = std::getenv("BENCH_CA_FILE"))
    ca_file = env;

  const postal::Client client = make_client(base_url, ca_file);
  if (mode == "seq")
    run_seq(client, n);
  else if (mode == "many")
    run_many(client, n, bench::parse_count(kProgram, argv[4], "MAX_IN_FLIGHT"));
  else if (mode == "send-all")
    run_send_all(client, base_url, n, bench::parse_count(kProgram, argv[4], "MAX_IN_FLIGHT"));
  else if (mode == "send-seq")
    run_send_seq(client, base_url, n);
  else if (mode == "rss-seq")
    run_rss_seq(client, n);
  else if (mode == "rss-attach")
    run_rss_attach(client, n);
  else
    usage();
  return 0;
}
