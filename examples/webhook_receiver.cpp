// webhook_receiver: a small HTTP endpoint for Postal's webhooks (cpp-httplib).
//
// Every POST (any path) is verified over its raw body bytes, de-duplicated on its uuid (Postal
// re-sends the same request up to 6 times over ~36 minutes), printed as one line on stdout and
// answered at once, well within Postal's 5 s timeout:
//
//   200 "ok"         verified and handled
//   200 "duplicate"  verified, but this uuid was already handled (a retry): not handled again
//   200 "stale"      verified, but older than --max-age: ignored (a retry would be older still)
//   400 "<reason>"   verified, but not a Postal webhook body (ErrorCode::Decode)
//   401 "<reason>"   not verified: bad, missing or unknown-key signature (fail closed)
//
// Usage:
//   webhook_receiver [--host ADDR] [--port N] KEY... [--allow-sha1] [--max-age SECONDS]
// KEY (at least one; several are merged, e.g. during a key rotation):
//   --key-file PEM      Postal's public key in PEM (`openssl rsa -in signing.key -pubout`)
//   --dkim RECORD       the TXT record at postal._domainkey.<return path domain>, or its p= value
//   --jwks-file FILE    a saved copy of https://<postal>/.well-known/jwks.json
//   env POSTAL_WEBHOOK_KEY   the DKIM p= value (used when no KEY option is given)
//
// The handling is framework-free (WebhookHandler::handle takes the raw body and the headers);
// only main() and serve() know cpp-httplib.
#include <postal/webhook.hpp>

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <iostream>
#include <iterator>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>

#ifndef _WIN32
#include <pthread.h>
#include <signal.h>
#endif

namespace {

namespace webhook = postal::webhook;

constexpr const char* usage_text =
    R"(Usage: webhook_receiver [--host ADDR] [--port N] KEY... [--allow-sha1] [--max-age SECONDS]

Receives Postal webhooks on POST (any path), verifies each one over its raw body bytes,
ignores retries of a uuid already handled, prints one line per event and answers at once.

Keys (at least one; several are merged, e.g. old and new during a key rotation):
  --key-file FILE     PEM public key (openssl rsa -in signing.key -pubout)
  --dkim RECORD       the TXT record at postal._domainkey.<return path domain>
                      ('v=DKIM1; t=s; h=sha256; p=...;', as dig prints it, or the bare p= value)
  --jwks-file FILE    a saved copy of https://<postal>/.well-known/jwks.json
  POSTAL_WEBHOOK_KEY  environment variable with the DKIM p= value, used when no key option is given

Options:
  --host ADDR         address to listen on (default 127.0.0.1; 0.0.0.0 for every interface)
  --port N            port to listen on (default 8080; 0 picks a free port, printed at start)
  --allow-sha1        accept requests signed only with SHA-1 (Postal before 3.2)
  --max-age SECONDS   ignore (answer 200 "stale") events queued longer ago than this
  --help              this text

Answers: 200 ok | 200 duplicate | 200 stale | 400 not a Postal webhook | 401 not verified.
)";

/// Settings from the command line.
struct Config {
  std::string host = "127.0.0.1";
  int port = 8080;
  webhook::KeySet keys;
  webhook::VerifyOptions verify;
};

/// Makes untrusted text safe for a one-line log: at most 200 bytes, control characters escaped,
/// quoted when it holds spaces, quotes or nothing.
std::string field(std::string_view text) {
  constexpr std::size_t limit = 200;
  std::string out;
  bool quote = text.empty();
  for (char c : text.substr(0, limit)) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7F) {
      static constexpr char hex[] = "0123456789abcdef";
      out += "\\x";
      out += hex[u >> 4];
      out += hex[u & 15];
    } else {
      if (c == ' ' || c == '"' || c == '\\') quote = true;
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
  }
  if (text.size() > limit) out += "...";
  return quote ? '"' + out + '"' : out;
}

std::string optional_field(const std::optional<std::string>& text) {
  return text ? field(*text) : std::string("null");
}

/// One line describing an event: its type, uuid, envelope timestamp and key payload fields.
std::string summary(const webhook::Event& event) {
  char timestamp[32];
  std::snprintf(timestamp, sizeof timestamp, "%.6f", event.timestamp);
  std::string line =
      "event " + field(event.name) + " uuid=" + field(event.uuid) + " timestamp=" + timestamp;
  auto message = [&](const char* label, const webhook::WebhookMessage& m) {
    line += std::string(" ") + label + "=" + std::to_string(m.id) + " to=" + field(m.to);
  };
  if (const auto* status = event.as<webhook::MessageStatusEvent>()) {
    message("message", status->message);
    line += " status=" + field(status->status_name);
    if (!status->details.empty()) line += " details=" + field(status->details);
  } else if (const auto* bounced = event.as<webhook::MessageBounced>()) {
    message("message", bounced->original_message);
    line += " bounce=" + std::to_string(bounced->bounce.id) +
            " bounce_subject=" + optional_field(bounced->bounce.subject);
  } else if (const auto* clicked = event.as<webhook::MessageLinkClicked>()) {
    message("message", clicked->message);
    line += " url=" + field(clicked->url) + " ip=" + field(clicked->ip_address);
  } else if (const auto* loaded = event.as<webhook::MessageLoaded>()) {
    message("message", loaded->message);
    line += " ip=" + field(loaded->ip_address);
  } else if (const auto* dns = event.as<webhook::DomainDNSError>()) {
    line += " domain=" + field(dns->domain) + " spf=" + field(dns->spf_status_name) +
            " dkim=" + field(dns->dkim_status_name) + " mx=" + field(dns->mx_status_name) +
            " return_path=" + field(dns->return_path_status_name);
  } else if (const auto* limit = event.as<webhook::SendLimitEvent>()) {
    line += " server=" + field(limit->server.permalink) +
            " volume=" + std::to_string(limit->volume) + " limit=" + std::to_string(limit->limit);
  } else if (const auto* unknown = event.as<webhook::UnknownEvent>()) {
    line += " payload=" +
            field(unknown->payload.dump(-1, ' ', true, nlohmann::json::error_handler_t::replace));
  }
  return line;
}

/// Serialised output: one whole line at a time, flushed (stdout may be a pipe).
class Log {
 public:
  void out(const std::string& line) { write(stdout, line); }
  void err(const std::string& line) { write(stderr, line); }

 private:
  void write(std::FILE* stream, const std::string& line) {
    std::lock_guard<std::mutex> lock(mutex_);
    std::fwrite(line.data(), 1, line.size(), stream);
    std::fputc('\n', stream);
    std::fflush(stream);
  }
  std::mutex mutex_;
};

/// What to answer.
struct Reply {
  int status = 200;
  std::string body;
};

/// The receiver's logic, independent of any HTTP library: raw body and headers in, answer out.
/// Safe to call from many threads at once (the keys are immutable, the guard is thread-safe).
class WebhookHandler {
 public:
  WebhookHandler(webhook::KeySet keys, webhook::VerifyOptions options, Log& log)
      : keys_(std::move(keys)), options_(std::move(options)), log_(log) {}

  Reply handle(std::string_view raw_body, const postal::Headers& headers, const std::string& peer) {
    // 1. Verify over the exact bytes received, then parse (never the other way round).
    auto event = webhook::verify_and_parse(raw_body, headers, keys_, options_);
    if (!event) return rejected(event.error(), peer);

    // 2. Postal retries the same uuid when an answer was late or not 2xx: handle it only once.
    auto fresh = guard_.check_and_remember(event->uuid);
    if (!fresh) {
      if (fresh.error().code != postal::ErrorCode::Replay) return rejected(fresh.error(), peer);
      log_.err("duplicate " + event->name + " uuid=" + field(event->uuid) + " from " + peer);
      return {200, "duplicate\n"};
    }

    // 3. The work. Keep it short (Postal waits at most 5 s); for anything slow, put the event on
    //    a durable queue here and answer. If that fails, forget the uuid so the retry is handled.
    if (!process(*event)) {
      guard_.forget(event->uuid);
      return {500, "not processed; please retry\n"};
    }
    return {200, "ok\n"};
  }

 private:
  bool process(const webhook::Event& event) {
    log_.out(summary(event));
    return true;
  }

  Reply rejected(const postal::Error& error, const std::string& peer) {
    log_.err(std::string("rejected ") + postal::to_string(error.code) + " from " + peer + ": " +
             error.message);
    switch (error.code) {
      case postal::ErrorCode::Decode:
      case postal::ErrorCode::InvalidArgument:
        return {400, "not a Postal webhook\n"};
      case postal::ErrorCode::Replay:  // authentic but older than --max-age; retries are older
        return {200, "stale\n"};
      case postal::ErrorCode::UnknownKey:
        return {401, "unknown signing key\n"};
      default:
        return {401, "signature not verified\n"};
    }
  }

  const webhook::KeySet keys_;
  const webhook::VerifyOptions options_;
  webhook::ReplayGuard guard_;  // default window 2 h: covers Postal's 6 attempts over ~36 min
  Log& log_;
};

std::optional<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

/// Parses the command line. Prints the problem and returns nullopt on a usage error.
std::optional<Config> parse_args(int argc, char** argv, bool& help) {
  Config config;
  auto fail = [](const std::string& message) -> std::optional<Config> {
    std::cerr << "webhook_receiver: " << message << "\n(--help for usage)\n";
    return std::nullopt;
  };
  auto add_keys = [&](postal::Result<webhook::KeySet> loaded, const std::string& what) {
    if (!loaded) {
      std::cerr << "webhook_receiver: " << what << ": " << loaded.error().message << '\n';
      return false;
    }
    config.keys.merge(*loaded);
    return true;
  };
  auto as_set = [](postal::Result<webhook::PublicKey> key) -> postal::Result<webhook::KeySet> {
    if (!key) return key.error();
    return webhook::KeySet(std::move(*key));
  };
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto next = [&]() -> std::optional<std::string> {
      if (i + 1 >= argc) return std::nullopt;
      return std::string(argv[++i]);
    };
    if (arg == "--help" || arg == "-h") {
      help = true;
      return config;
    }
    if (arg == "--allow-sha1") {
      config.verify.allow_sha1 = true;
      continue;
    }
    const auto value = next();
    if (!value)
      return fail(arg == "--host" || arg == "--port" || arg == "--key-file" || arg == "--dkim" ||
                          arg == "--jwks-file" || arg == "--max-age"
                      ? arg + " needs a value"
                      : "unknown option " + arg);
    if (arg == "--host") {
      config.host = *value;
    } else if (arg == "--port" || arg == "--max-age") {
      char* end = nullptr;
      const long n = std::strtol(value->c_str(), &end, 10);
      if (value->empty() || *end != '\0' || n < 0 || n > (arg == "--port" ? 65535 : 86400 * 365))
        return fail("bad " + arg + " value " + *value);
      if (arg == "--port")
        config.port = static_cast<int>(n);
      else
        config.verify.max_age = std::chrono::seconds(n);
    } else if (arg == "--key-file") {
      const auto pem = read_file(*value);
      if (!pem) return fail("cannot read " + *value);
      if (!add_keys(as_set(webhook::load_public_key_pem(*pem)), *value)) return std::nullopt;
    } else if (arg == "--dkim") {
      if (!add_keys(as_set(webhook::load_public_key_dkim(*value)), "--dkim")) return std::nullopt;
    } else if (arg == "--jwks-file") {
      const auto jwks = read_file(*value);
      if (!jwks) return fail("cannot read " + *value);
      if (!add_keys(webhook::load_jwks(*jwks), *value)) return std::nullopt;
    } else {
      return fail("unknown option " + arg);
    }
  }
  if (config.keys.empty()) {
    const char* env = std::getenv("POSTAL_WEBHOOK_KEY");
    if (env == nullptr || *env == '\0')
      return fail("no key: give --key-file, --dkim or --jwks-file, or set POSTAL_WEBHOOK_KEY");
    if (!add_keys(as_set(webhook::load_public_key_dkim(env)), "POSTAL_WEBHOOK_KEY"))
      return std::nullopt;
  }
  return config;
}

/// Runs the HTTP server until SIGINT or SIGTERM. Returns the exit code.
int serve(const Config& config, WebhookHandler& handler, Log& log) {
  httplib::Server server;
  server.set_payload_max_length(1024 * 1024);  // Postal's bodies are a few KiB
  server.set_read_timeout(5, 0);
  server.set_write_timeout(5, 0);
  server.set_exception_handler([&log](const httplib::Request&, httplib::Response& res,
                                      std::exception_ptr) {  // not reached: handle() never throws
    log.err("internal error");
    res.status = 500;
    res.set_content("internal error\n", "text/plain");
  });
  auto on_post = [&](const httplib::Request& req, httplib::Response& res) {
    postal::Headers headers;
    for (const auto& [name, value] : req.headers) headers.add(name, value);
    const Reply reply = handler.handle(req.body, headers, req.remote_addr);
    res.status = reply.status;
    res.set_content(reply.body, "text/plain");
  };
  server.Post(".*", on_post);

  const int port = config.port == 0
                       ? server.bind_to_any_port(config.host)
                       : (server.bind_to_port(config.host, config.port) ? config.port : -1);
  if (port <= 0) {
    log.err("webhook_receiver: cannot listen on " + config.host + ":" +
            std::to_string(config.port));
    return 1;
  }

#ifndef _WIN32
  // SIGINT/SIGTERM stop the server from a normal thread (stop() is not async-signal-safe).
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);  // before any server thread starts
  std::thread([&server, signals] {
    int signal_number = 0;
    if (sigwait(&signals, &signal_number) != 0) return;
    while (!server.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    server.stop();
  }).detach();
#endif

  std::string keys;
  for (const auto& key : config.keys)
    keys += (keys.empty() ? "" : ", ") + key.kid().substr(0, 16) + "... (" +
            std::to_string(key.bits()) + " bits)";
  log.out("listening on " + config.host + ":" + std::to_string(port) + " with key " + keys +
          (config.verify.allow_sha1 ? "; SHA-1 allowed" : "") +
          (config.verify.max_age
               ? "; max age " + std::to_string(config.verify.max_age->count()) + " s"
               : ""));
  if (!server.listen_after_bind()) {
    log.err("webhook_receiver: the server stopped with an error");
    return 1;
  }
  log.out("stopped");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    bool help = false;
    auto config = parse_args(argc, argv, help);
    if (help) {
      std::cout << usage_text;
      return 0;
    }
    if (!config) return 2;
    Log log;
    WebhookHandler handler(config->keys, config->verify, log);
    return serve(*config, handler, log);
  } catch (const std::exception& ex) {
    std::cerr << "webhook_receiver: " << ex.what() << '\n';
    return 1;
  }
}
