// Shared by send_bench and raw_curl_bench (scripts/bench-send.sh): the benchmark message, the
// clock, memory figures and the RESULT line. Not part of the SDK.
#pragma once

#include <postal/json.hpp>
#include <postal/models.hpp>

#include <nlohmann/json.hpp>

#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

namespace bench {

using Clock = std::chrono::steady_clock;

/// The API key every benchmark sends (the nginx stand-in ignores it).
inline constexpr const char* kApiKey = "benchKey0123456789abcdef";

/// What the nginx stand-in answers for the message; checked by the SDK's result parsing.
inline constexpr const char* kRecipient = "to@example.com";

[[noreturn]] inline void die(const char* program, const std::string& message) {
  std::fprintf(stderr, "%s: %s\n", program, message.c_str());
  std::exit(1);
}

/// Whether the environment variable `name` is set to "1" (the benchmarks' switches).
inline bool env_flag(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr && std::string(value) == "1";
}

/// `line` repeated and cut to exactly `size` bytes.
inline std::string filled(const std::string& line, std::size_t size) {
  std::string out;
  out.reserve(size + line.size());
  while (out.size() < size) out += line;
  out.resize(size);
  return out;
}

/// The message of every client (the Node client, benchmarks/node/bench.js, builds the same one):
/// one recipient, from, subject, tag, one custom header, a 1 KiB text body and a 3 KiB HTML body.
inline postal::SendMessageRequest message() {
  postal::SendMessageRequest m;
  m.to = {kRecipient};
  m.from = "Bench <bench@example.com>";
  m.subject = "postal-cpp send benchmark";
  m.tag = "bench";
  m.headers = {{"X-Bench", "1"}};
  m.plain_body = filled("The quick brown fox jumps over the lazy dog. 0123456789\n", 1024);
  m.html_body =
      filled("<p>The quick brown fox jumps over the <b>lazy</b> dog. 0123456789</p>\n", 3072);
  return m;
}

/// The request body exactly as the SDK sends it for message().
inline std::string message_json() {
  nlohmann::json params;
  postal::to_json(params, message());
  return params.dump();
}

/// Seconds since `start`.
inline double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

/// Wall time, and this process's CPU time (user + system, all threads) and minor page faults,
/// from construction to stop(). The CPU figure is steadier than throughput on a shared machine:
/// time the hypervisor gives to other guests is not counted in it.
class Stopwatch {
 public:
  Stopwatch() : start_wall_(Clock::now()), start_(usage()) {}
  void stop() {
    seconds_ = seconds_since(start_wall_);
    const rusage end = usage();
    cpu_seconds_ = cpu(end) - cpu(start_);
    faults_ = end.ru_minflt - start_.ru_minflt;
  }
  double seconds() const { return seconds_; }
  /// " cpu_us=… faults=…" for a RESULT line: CPU microseconds and page faults per request.
  std::string per_request(std::size_t n) const {
    char text[96];
    const double count = n == 0 ? 1.0 : static_cast<double>(n);
    std::snprintf(text, sizeof text, " cpu_us=%.1f faults=%.2f", cpu_seconds_ * 1e6 / count,
                  static_cast<double>(faults_) / count);
    return text;
  }

 private:
  static rusage usage() {
    rusage out{};
    getrusage(RUSAGE_SELF, &out);
    return out;
  }
  static double cpu(const rusage& u) {
    return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
           static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) * 1e-6;
  }

  Clock::time_point start_wall_;
  rusage start_;
  double seconds_ = 0;
  double cpu_seconds_ = 0;
  long faults_ = 0;
};

/// Peak resident set size of this process so far, in KiB (getrusage: ru_maxrss).
inline long peak_rss_kib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

/// Current resident set size in KiB (VmRSS of /proc/self/status); -1 when unavailable.
inline long current_rss_kib() {
  std::ifstream status("/proc/self/status");
  std::string key;
  while (status >> key) {
    if (key == "VmRSS:") {
      long kib = -1;
      status >> kib;
      return kib;
    }
    status.ignore(4096, '\n');
  }
  return -1;
}

/// A positive count from the command line.
inline std::size_t parse_count(const char* program, const char* text, const char* what) {
  char* end = nullptr;
  const unsigned long long value = std::strtoull(text, &end, 10);
  if (end == text || *end != '\0' || value == 0)
    die(program, std::string(what) + " must be a positive integer, got '" + text + "'");
  return static_cast<std::size_t>(value);
}

/// Prints the machine-readable line for a throughput measurement.
/// `extra`: more fields for the end of the line (" http=1.1"), or "".
inline void print_throughput(const char* mode, std::size_t n, std::size_t concurrency,
                             const Stopwatch& timed, const std::string& extra = "") {
  const double secs = timed.seconds();
  const std::string cpu = timed.per_request(n);
  std::printf("RESULT mode=%s n=%zu", mode, n);
  if (concurrency != 0) std::printf(" concurrency=%zu", concurrency);
  std::printf(" secs=%.3f rps=%.1f%s%s\n", secs, static_cast<double>(n) / secs, cpu.c_str(),
              extra.c_str());
  std::fflush(stdout);
}

}  // namespace bench
