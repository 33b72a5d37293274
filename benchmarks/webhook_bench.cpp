// webhook_bench: the per-event cost of postal::webhook::verify_and_parse beside the least a
// receiver can do by hand: base64-decode X-Postal-Signature-256, EVP_DigestVerify (RSA-SHA256)
// with a pre-parsed EVP_PKEY, and nlohmann::json::parse of the same body.
//
// Both use a 2048-bit key whose material is parsed once, before any measurement. The variants
// run interleaved in the same process: each round runs every variant in batches of 10 events,
// in rotating order, so all of them see the same machine load; a round's figure for a variant is
// its median batch. The table shows the median (and fastest) round, and the ratio is the median
// of the per-round ratios (target: at most 1.15).
//
// Usage: webhook_bench [--rounds N] [--iterations N] [BODY_FILE]   (N events per round)
// (default body: tests/data/webhooks/message_sent.json, the 587-byte MessageSent of spec §3.3)
#include <postal/testing/webhook_signer.hpp>
#include <postal/webhook.hpp>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/opensslv.h>
#include <openssl/pem.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

#ifndef POSTAL_BENCH_BODY
#define POSTAL_BENCH_BODY "tests/data/webhooks/message_sent.json"
#endif

namespace {

namespace webhook = postal::webhook;
using Clock = std::chrono::steady_clock;

[[noreturn]] void die(const std::string& message) {
  std::fprintf(stderr, "webhook_bench: %s\n", message.c_str());
  std::exit(1);
}

/// Keeps results observable so the compiler cannot drop the work.
volatile std::uint64_t sink = 0;

/// The raw OpenSSL receiver: a pre-parsed key, strict base64, one EVP_DigestVerify, one parse.
class RawVerifier {
 public:
  explicit RawVerifier(const std::string& public_pem) {
    BIO* bio = BIO_new_mem_buf(public_pem.data(), static_cast<int>(public_pem.size()));
    pkey_ = bio != nullptr ? PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr) : nullptr;
    BIO_free(bio);
    if (pkey_ == nullptr) die("OpenSSL could not read the public key");
  }
  ~RawVerifier() { EVP_PKEY_free(pkey_); }
  RawVerifier(const RawVerifier&) = delete;
  RawVerifier& operator=(const RawVerifier&) = delete;

  /// Base64-decodes `signature_b64` and checks it over `body` with RSA-SHA256.
  bool verify(std::string_view body, std::string_view signature_b64) const {
    unsigned char signature[1024];
    if (signature_b64.empty() || signature_b64.size() % 4 != 0 ||
        signature_b64.size() / 4 * 3 > sizeof signature)
      return false;
    int length =
        EVP_DecodeBlock(signature, reinterpret_cast<const unsigned char*>(signature_b64.data()),
                        static_cast<int>(signature_b64.size()));
    if (length < 0) return false;
    if (signature_b64.back() == '=') --length;  // EVP_DecodeBlock counts padding as zero bytes
    if (signature_b64[signature_b64.size() - 2] == '=') --length;
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    bool ok =
        ctx != nullptr && EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, pkey_) == 1 &&
        EVP_DigestVerify(ctx, signature, static_cast<std::size_t>(length),
                         reinterpret_cast<const unsigned char*>(body.data()), body.size()) == 1;
    EVP_MD_CTX_free(ctx);
    return ok;
  }

 private:
  EVP_PKEY* pkey_ = nullptr;
};

/// One measured variant: `run` handles one event and returns something to sink (0 = failure).
struct Variant {
  const char* name;
  std::function<std::uint64_t()> run;
  std::vector<double> per_event_us;  // one figure per round
};

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

/// Runs `variant` `batch` times; returns the elapsed microseconds.
double run_batch(Variant& variant, int batch) {
  std::uint64_t local = 0;
  const auto start = Clock::now();
  for (int i = 0; i < batch; ++i) {
    const std::uint64_t r = variant.run();
    if (r == 0) die(std::string(variant.name) + " failed to verify the benchmark body");
    local += r;
  }
  const auto elapsed = std::chrono::duration<double, std::micro>(Clock::now() - start).count();
  sink = sink + local;
  return elapsed;
}

/// One round: `iterations` events per variant, in batches of `batch`, the variants taking turns
/// in rotating order. Appends each variant's median batch (microseconds per event).
void run_round(std::vector<Variant>& variants, int iterations, int batch, int round) {
  const std::size_t n = variants.size();
  std::vector<std::vector<double>> batches(n);
  for (int done = 0, turn = round; done < iterations; done += batch, ++turn)
    for (std::size_t k = 0; k < n; ++k) {
      const std::size_t v = (k + static_cast<std::size_t>(turn)) % n;
      batches[v].push_back(run_batch(variants[v], batch) / batch);
    }
  for (std::size_t v = 0; v < n; ++v) variants[v].per_event_us.push_back(median(batches[v]));
}

}  // namespace

int main(int argc, char** argv) {
  int rounds = 21;
  int iterations = 300;
  std::string body_path = POSTAL_BENCH_BODY;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if ((arg == "--rounds" || arg == "--iterations") && i + 1 < argc) {
      const int n = std::atoi(argv[++i]);
      if (n <= 0) die("bad value for " + arg);
      (arg == "--rounds" ? rounds : iterations) = n;
    } else if (arg == "--help" || arg == "-h") {
      std::printf("Usage: webhook_bench [--rounds N] [--iterations N] [BODY_FILE]\n");
      return 0;
    } else {
      body_path = arg;
    }
  }

  std::ifstream in(body_path, std::ios::binary);
  if (!in) die("cannot read " + body_path);
  const std::string body{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};

  // Key material: made and parsed once, outside every measurement.
  const auto key_pair = postal::testing::generate_test_key(2048);
  if (!key_pair) die(key_pair.error().message);
  const auto signed_headers = postal::testing::sign_webhook(body, key_pair->private_pem);
  if (!signed_headers) die(signed_headers.error().message);
  const auto public_key = webhook::load_public_key_pem(key_pair->public_pem);
  if (!public_key) die(public_key.error().message);
  const webhook::KeySet keys(*public_key);
  const RawVerifier raw(key_pair->public_pem);
  const std::string signature_256 = signed_headers->get(webhook::signature_sha256_header).value();

  // The request headers as a receiver gets them from Postal (spec §5), in Postal's order.
  postal::Headers headers;
  headers.add("Content-Type", "application/json");
  for (const auto& [name, value] : *signed_headers) headers.add(name, value);
  headers.add("User-Agent", "Postal/3.3.6");
  headers.add("Accept-Encoding", "gzip;q=1.0,deflate;q=0.6,identity;q=0.3");
  headers.add("Accept", "*/*");
  headers.add("Host", "hooks.example.com");
  headers.add("Content-Length", std::to_string(body.size()));
  headers.add("Connection", "close");

  webhook::VerifyOptions with_max_age;  // a clock fixed just after the body's timestamp
  with_max_age.max_age = std::chrono::minutes(40);
  with_max_age.clock = [] { return std::chrono::system_clock::from_time_t(1713456800); };

  std::vector<Variant> variants{
      {"raw: base64 + EVP_DigestVerify + json::parse",
       [&]() -> std::uint64_t {
         if (!raw.verify(body, signature_256)) return 0;
         const auto json = nlohmann::json::parse(body);
         return json.size();
       },
       {}},
      {"postal: verify_and_parse",
       [&]() -> std::uint64_t {
         const auto event = webhook::verify_and_parse(body, headers, keys);
         return event ? event->uuid.size() : 0;
       },
       {}},
      {"postal: verify_and_parse, max_age set",
       [&]() -> std::uint64_t {
         const auto event = webhook::verify_and_parse(body, headers, keys, with_max_age);
         return event ? event->uuid.size() : 0;
       },
       {}},
      {"  raw: base64 + EVP_DigestVerify",
       [&]() -> std::uint64_t { return raw.verify(body, signature_256) ? 1 : 0; },
       {}},
      {"  postal: verify",
       [&]() -> std::uint64_t { return webhook::verify(body, headers, keys) ? 1 : 0; },
       {}},
      {"  raw: nlohmann::json::parse",
       [&]() -> std::uint64_t { return nlohmann::json::parse(body).size(); },
       {}},
      {"  postal: parse_event",
       [&]() -> std::uint64_t {
         const auto event = webhook::parse_event(body);
         return event ? event->uuid.size() : 0;
       },
       {}},
  };

  // Warm-up (caches, lazy OpenSSL provider loading), then the measured rounds.
  constexpr int batch = 10;
  iterations = std::max(iterations / batch, 1) * batch;
  for (auto& variant : variants) run_batch(variant, 3 * batch);
  const auto started = Clock::now();
  for (int round = 0; round < rounds; ++round) run_round(variants, iterations, batch, round);
  const double seconds = std::chrono::duration<double>(Clock::now() - started).count();

  std::vector<double> ratios;
  for (int round = 0; round < rounds; ++round)
    ratios.push_back(variants[1].per_event_us[static_cast<std::size_t>(round)] /
                     variants[0].per_event_us[static_cast<std::size_t>(round)]);
  const double ratio = median(ratios);

  std::printf("webhook_bench: %zu-byte body, %d-bit RSA key, %s\n", body.size(), public_key->bits(),
              OPENSSL_VERSION_TEXT);
  std::printf("%d rounds x %d events per variant, interleaved in batches of %d (%.1f s)\n\n",
              rounds, iterations, batch, seconds);
  std::printf("%-46s %12s %12s\n", "per event", "median us", "min us");
  for (const auto& variant : variants)
    std::printf("%-46s %12.2f %12.2f\n", variant.name, median(variant.per_event_us),
                *std::min_element(variant.per_event_us.begin(), variant.per_event_us.end()));
  std::printf(
      "\nratio verify_and_parse / raw: %.3f (median of per-round ratios; target <= 1.15: %s)\n",
      ratio, ratio <= 1.15 ? "met" : "NOT met");
#if !defined(__OPTIMIZE__) && !defined(_MSC_VER)
  std::printf("note: built without optimisation; configure with -DCMAKE_BUILD_TYPE=Release\n");
#endif
  return 0;
}
