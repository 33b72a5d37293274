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
//   send_bench rss-many   BASE_URL N MAX_IN_FLIGHT [CA_FILE]
//                                                 peak RSS of one send_many of N requests, each
//                                                 with a 1 MiB attachment (held by the input)
//   send_bench send-all   BASE_URL N MAX_IN_FLIGHT [CA_FILE]
//       diagnostic: the libcurl transport alone, one Transport::send_all of N pre-built requests
//       (no JSON encoding, no send_many windows, only the HTTP status checked), to tell the
//       transport's share of a gap. With BENCH_SEND_ALL_CHUNK=K: ceil(N/K) send_all calls over one
//       vector of K requests, reused (its memory stays warm; every call ends with its last
//       transfers, as a send_many window does), to tell the share of cold request memory
//   send_bench send-seq   BASE_URL N [CA_FILE]
//       diagnostic: the libcurl transport alone, N sequential Transport::send of one pre-built
//       request
//   send_bench offline    N [SCRIPT]
//       diagnostic, no server: N sequential client.send_message calls over an in-process
//       transport that answers at once, for the message with its text in each of four scripts
//       (ascii, latin: French, cyrillic: Russian, cjk: Japanese), or in SCRIPT only: the SDK's own
//       work per send (checks, JSON encoding, reading the answer) without libcurl or the network.
//       One RESULT line per script.
// BASE_URL is e.g. https://localhost or http://127.0.0.1:8080; CA_FILE (PEM) is also read from
// $BENCH_CA_FILE. An untimed warm-up (seq: 1 send; many, send-all: 4 x MAX_IN_FLIGHT) opens the
// connections first, as raw_curl_bench does. The rss modes print the peak (getrusage ru_maxrss)
// and the RSS just before sending (VmRSS), in KiB.
// BENCH_HTTP1=1 sets CurlOptions::http2 = false: batches (many, send-all) over HTTP/1.1 even where
// the server offers HTTP/2. BENCH_HTTP2_SINGLE=1 sets CurlOptions::http2_single = true: single
// sends (seq, send-seq, the rss modes) offer HTTP/2 too; by default they speak HTTP/1.1.
// seq and many end their RESULT line with http=VERSION: the X-Protocol header (nginx's
// $server_protocol) of one more exchange of the same kind (single, or a batch of one) made after
// the timed part, "?" where the server sends no such header.
#include "send_bench_common.hpp"

#include <postal/postal.hpp>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <vector>

namespace {

constexpr const char* kProgram = "send_bench";

postal::Client make_client(const std::string& base_url, const std::string& ca_file) {
  postal::CurlOptions curl;
  curl.ca_file = ca_file;
  if (bench::env_flag("BENCH_HTTP1")) curl.http2 = false;
  if (bench::env_flag("BENCH_HTTP2_SINGLE")) curl.http2_single = true;
  postal::ClientOptions options;
  options.base_url = base_url;
  options.api_key = bench::kApiKey;
  options.transport = postal::make_curl_transport(curl);
  return postal::Client(options);
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

/// " http=VERSION": the protocol the transport speaks for a single exchange, or for a batch's
/// transfers (`batch`), as the server's X-Protocol header says ("HTTP/2.0" -> "2").
std::string protocol_field(const postal::Client& client, const std::string& base_url, bool batch) {
  const postal::HttpRequest request = prebuilt_request(base_url);
  const auto response = batch ? std::move(client.transport()->send_all({request}, 1).at(0))
                              : client.transport()->send(request);
  const auto header = response ? response->headers.get("X-Protocol") : std::nullopt;
  std::string version = header.value_or("HTTP/?");
  if (version.rfind("HTTP/", 0) == 0) version.erase(0, 5);
  if (version.size() > 2 && version.compare(version.size() - 2, 2, ".0") == 0)
    version.resize(version.size() - 2);
  return " http=" + version;
}

/// Exits unless `sent` is the stand-in's answer (one message for the recipient, id 1).
void check(const postal::Result<postal::SendResult>& sent, std::size_t index) {
  if (!sent)
    bench::die(kProgram, "send " + std::to_string(index) + " failed: " + sent.error().describe());
  const auto found = sent->messages.find(bench::kRecipient);
  if (found == sent->messages.end() || found->second.id != 1)
    bench::die(kProgram, "send " + std::to_string(index) + " returned an unexpected result");
}

void run_seq(const postal::Client& client, const std::string& base_url, std::size_t n) {
  const postal::SendMessageRequest request = bench::message();
  check(client.send_message(request), 0);  // warm-up: connection and TLS handshake
  bench::Stopwatch timed;
  for (std::size_t i = 0; i < n; ++i) check(client.send_message(request), i + 1);
  timed.stop();
  bench::print_throughput("seq", n, 0, timed, protocol_field(client, base_url, false));
}

void run_many(const postal::Client& client, const std::string& base_url, std::size_t n,
              std::size_t max_in_flight) {
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
  bench::print_throughput("many", n, max_in_flight, timed, protocol_field(client, base_url, true));
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
  const char* chunk_env = std::getenv("BENCH_SEND_ALL_CHUNK");
  if (chunk_env == nullptr) {
    bench::print_throughput("send-all", n, max_in_flight, run(n));
    return;
  }
  const std::size_t chunk = bench::parse_count(kProgram, chunk_env, "BENCH_SEND_ALL_CHUNK");
  const std::vector<postal::HttpRequest> requests(chunk, request);
  const std::size_t calls = (n + chunk - 1) / chunk;
  // Each call's answers are checked (a status compare each) and freed before the next call, as
  // send_many frees a window's: keeping them all would grow the heap, page by page, while timed.
  bench::Stopwatch timed;
  for (std::size_t call = 0; call < calls; ++call) {
    const auto answers = client.transport()->send_all(requests, max_in_flight);
    if (answers.size() != chunk) bench::die(kProgram, "send_all lost results");
    for (std::size_t i = 0; i < chunk; ++i) check_status(answers[i], call * chunk + i);
  }
  timed.stop();
  const std::size_t sent = calls * chunk;
  bench::print_throughput(("send-all-chunk" + std::to_string(chunk)).c_str(), sent, max_in_flight,
                          timed);
}

void run_rss_seq(const postal::Client& client, std::size_t n) {
  const postal::SendMessageRequest request = bench::message();
  const long before = bench::current_rss_kib();
  for (std::size_t i = 0; i < n; ++i) check(client.send_message(request), i);
  std::printf("RESULT mode=rss-seq n=%zu peak_kib=%ld before_kib=%ld after_kib=%ld\n", n,
              bench::peak_rss_kib(), before, bench::current_rss_kib());
}

postal::Attachment random_attachment(std::size_t bytes) {
  postal::Attachment attachment;
  attachment.name = "random.bin";
  attachment.content_type = "application/octet-stream";
  attachment.data.resize(bytes);
  std::mt19937_64 random(42);
  for (std::size_t i = 0; i + 8 <= attachment.data.size(); i += 8) {
    const std::uint64_t word = random();
    for (std::size_t b = 0; b < 8; ++b)
      attachment.data[i + b] = static_cast<char>((word >> (8 * b)) & 0xff);
  }
  return attachment;
}

void run_rss_attach(const postal::Client& client, std::size_t mb) {
  postal::SendMessageRequest request = bench::message();
  request.attachments.push_back(random_attachment(mb << 20));
  const long before = bench::current_rss_kib();  // the attachment is resident by now
  check(client.send_message(request), 0);
  std::printf("RESULT mode=rss-attach mb=%zu peak_kib=%ld before_kib=%ld after_kib=%ld\n", mb,
              bench::peak_rss_kib(), before, bench::current_rss_kib());
}

void run_rss_many(const postal::Client& client, std::size_t n, std::size_t max_in_flight) {
  postal::SendMessageRequest request = bench::message();
  request.attachments.push_back(random_attachment(std::size_t{1} << 20));
  const std::vector<postal::SendMessageRequest> requests(n, request);
  request = postal::SendMessageRequest();
  const long before = bench::current_rss_kib();  // the N attachments are resident by now
  postal::BatchOptions options;
  options.max_in_flight = max_in_flight;
  const auto results = client.send_many(requests, options);
  for (std::size_t i = 0; i < results.size(); ++i) check(results[i], i);
  std::printf("RESULT mode=rss-many n=%zu concurrency=%zu peak_kib=%ld before_kib=%ld\n", n,
              max_in_flight, bench::peak_rss_kib(), before);
}

/// Answers every request at once with the stand-in's answer (scripts/bench-send.sh).
class AnsweringTransport final : public postal::Transport {
 public:
  postal::Result<postal::HttpResponse> send(const postal::HttpRequest&) override {
    postal::HttpResponse response;
    response.status = 200;
    response.headers.add("Content-Type", "application/json");
    response.body =
        R"({"status":"success","time":0.01,"flags":{},"data":{"message_id":"bench@example.com",)"
        R"("messages":{"to@example.com":{"id":1,"token":"abc123"}}}})";
    return response;
  }
};

/// `line` repeated as often as it fits in `size` bytes (whole lines: no sequence cut).
std::string whole_lines(const std::string& line, std::size_t size) {
  std::string out;
  while (out.size() + line.size() <= size) out += line;
  return out;
}

void run_offline(std::size_t n, const std::string& only) {
  struct Script {
    const char* name;
    const char* text;
    const char* html;
  };
  // ~1 KiB text and ~3 KiB HTML, as bench::message(), in four scripts.
  const Script scripts[] = {
      {"ascii", "The quick brown fox jumps over the lazy dog. 0123456789\n",
       "<p>The quick brown fox jumps over the <b>lazy</b> dog. 0123456789</p>\n"},
      {"latin", "Le c\u0153ur d\u00e9\u00e7u mais l'\u00e2me plut\u00f4t na\u00efve.\n",
       "<p>Le c\u0153ur d\u00e9\u00e7u mais l'\u00e2me <b>plut\u00f4t</b> na\u00efve.</p>\n"},
      {"cyrillic",
       "\u0421\u044a\u0435\u0448\u044c \u0436\u0435 \u0435\u0449\u0451 \u044d\u0442\u0438\u0445 "
       "\u043c\u044f\u0433\u043a\u0438\u0445 \u0431\u0443\u043b\u043e\u043a.\n",
       "<p>\u0421\u044a\u0435\u0448\u044c \u0436\u0435 <b>\u0435\u0449\u0451</b> "
       "\u044d\u0442\u0438\u0445 \u043c\u044f\u0433\u043a\u0438\u0445 "
       "\u0431\u0443\u043b\u043e\u043a.</p>\n"},
      {"cjk",
       "\u3044\u308d\u306f\u306b\u307b\u3078\u3068 \u3061\u308a\u306c\u308b\u3092 "
       "\u8272\u306f\u5302\u3078\u3069\u6563\u308a\u306c\u308b\u3092\n",
       "<p>\u3044\u308d\u306f\u306b\u307b\u3078\u3068 <b>\u3061\u308a\u306c\u308b\u3092</b> "
       "\u8272\u306f\u5302\u3078\u3069\u6563\u308a\u306c\u308b\u3092</p>\n"},
  };
  postal::ClientOptions options;
  options.base_url = "https://postal.invalid";
  options.api_key = bench::kApiKey;
  options.transport = std::make_shared<AnsweringTransport>();
  const postal::Client client(options);
  bool found = false;
  for (const Script& script : scripts) {
    if (!only.empty() && only != script.name) continue;
    found = true;
    postal::SendMessageRequest request = bench::message();
    request.plain_body = whole_lines(script.text, 1024);
    request.html_body = whole_lines(script.html, 3072);
    check(client.send_message(request), 0);  // warm-up
    bench::Stopwatch timed;
    for (std::size_t i = 0; i < n; ++i) check(client.send_message(request), i + 1);
    timed.stop();
    std::printf("RESULT mode=offline script=%s text_bytes=%zu n=%zu ns_per_send=%.0f%s\n",
                script.name, request.plain_body->size() + request.html_body->size(), n,
                timed.seconds() * 1e9 / static_cast<double>(n), timed.per_request(n).c_str());
  }
  if (!found) bench::die(kProgram, "unknown script '" + only + "' (ascii, latin, cyrillic, cjk)");
}

[[noreturn]] void usage() {
  std::fprintf(stderr,
               "usage: send_bench seq BASE_URL N [CA_FILE]\n"
               "       send_bench many BASE_URL N MAX_IN_FLIGHT [CA_FILE]\n"
               "       send_bench send-all BASE_URL N MAX_IN_FLIGHT [CA_FILE]\n"
               "       send_bench send-seq BASE_URL N [CA_FILE]\n"
               "       send_bench rss-seq BASE_URL N [CA_FILE]\n"
               "       send_bench rss-attach BASE_URL MB [CA_FILE]\n"
               "       send_bench rss-many BASE_URL N MAX_IN_FLIGHT [CA_FILE]\n"
               "       send_bench offline N [SCRIPT]\n");
  std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  if ((argc == 3 || argc == 4) && std::string(argv[1]) == "offline") {
    run_offline(bench::parse_count(kProgram, argv[2], "N"), argc == 4 ? argv[3] : "");
    return 0;
  }
  if (argc < 4) usage();
  const std::string mode = argv[1];
  const std::string base_url = argv[2];
  const std::size_t n = bench::parse_count(kProgram, argv[3], "N");
  const bool takes_width = mode == "many" || mode == "send-all" || mode == "rss-many";
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
    run_seq(client, base_url, n);
  else if (mode == "many")
    run_many(client, base_url, n, bench::parse_count(kProgram, argv[4], "MAX_IN_FLIGHT"));
  else if (mode == "send-all")
    run_send_all(client, base_url, n, bench::parse_count(kProgram, argv[4], "MAX_IN_FLIGHT"));
  else if (mode == "send-seq")
    run_send_seq(client, base_url, n);
  else if (mode == "rss-seq")
    run_rss_seq(client, n);
  else if (mode == "rss-attach")
    run_rss_attach(client, n);
  else if (mode == "rss-many")
    run_rss_many(client, n, bench::parse_count(kProgram, argv[4], "MAX_IN_FLIGHT"));
  else
    usage();
  return 0;
}
