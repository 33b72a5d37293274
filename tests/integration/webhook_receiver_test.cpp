// The webhook_receiver example, run as an operator runs it: a subprocess listening on a free
// loopback port, fed signed (and badly signed) webhooks over HTTP with cpp-httplib's client.
#if defined(POSTAL_WEBHOOK_RECEIVER_PATH) && !defined(_WIN32)

#include "support/catch.hpp"
#include "unit/webhook_test_support.hpp"

#include <httplib.h>

#include <postal/testing/webhook_signer.hpp>
#include <postal/transport.hpp>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

extern char** environ;

namespace {

using namespace std::chrono_literals;
using webhook_test::contains;
using webhook_test::fixture;

/// A file in the temporary directory, removed when this goes out of scope.
class TempFile {
 public:
  TempFile(const std::string& stem, const std::string& content) {
    static std::atomic<int> counter{0};
    path_ = std::filesystem::temp_directory_path() /
            (stem + "-" + std::to_string(::getpid()) + "-" + std::to_string(++counter) + ".pem");
    std::ofstream(path_, std::ios::binary) << content;
  }
  ~TempFile() {
    std::error_code ignored;
    std::filesystem::remove(path_, ignored);
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  std::string path() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

/// The receiver binary as a child process; its stdout and stderr are collected by two threads.
/// The destructor always ends it (SIGTERM, then SIGKILL after 5 s) and reaps it.
class Receiver {
 public:
  /// Starts webhook_receiver with `args`; `env` entries ("NAME=value") are added to (and
  /// POSTAL_WEBHOOK_KEY removed from) this process's environment.
  explicit Receiver(const std::vector<std::string>& args,
                    const std::vector<std::string>& env = {}) {
    int out[2] = {-1, -1};
    int err[2] = {-1, -1};
    if (::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0) {
      close_all({out[0], out[1], err[0], err[1]});
      return;
    }
    std::vector<std::string> argv_strings{POSTAL_WEBHOOK_RECEIVER_PATH};
    argv_strings.insert(argv_strings.end(), args.begin(), args.end());
    std::vector<std::string> env_strings;
    for (char** e = environ; *e != nullptr; ++e)
      if (std::strncmp(*e, "POSTAL_WEBHOOK_KEY=", 19) != 0) env_strings.emplace_back(*e);
    env_strings.insert(env_strings.end(), env.begin(), env.end());
    auto pointers = [](std::vector<std::string>& strings) {
      std::vector<char*> p;
      for (auto& s : strings) p.push_back(s.data());
      p.push_back(nullptr);
      return p;
    };
    auto argv = pointers(argv_strings);
    auto envp = pointers(env_strings);

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, out[1], 1);  // dup2 clears O_CLOEXEC
    posix_spawn_file_actions_adddup2(&actions, err[1], 2);
    const int rc = ::posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    close_all({out[1], err[1]});
    if (rc != 0) {
      pid_ = -1;
      close_all({out[0], err[0]});
      return;
    }
    readers_.emplace_back([this, fd = out[0]] { collect(fd, out_); });
    readers_.emplace_back([this, fd = err[0]] { collect(fd, err_); });
  }

  ~Receiver() {
    stop();
    for (auto& reader : readers_) reader.join();  // EOF once the child is gone
  }

  Receiver(const Receiver&) = delete;
  Receiver& operator=(const Receiver&) = delete;

  /// Waits (at most `timeout`) for `text` on stdout.
  bool wait_for_stdout(const std::string& text, std::chrono::milliseconds timeout = 10s) {
    return wait_for(out_, text, timeout);
  }
  /// Waits (at most `timeout`) for `text` on stderr.
  bool wait_for_stderr(const std::string& text, std::chrono::milliseconds timeout = 10s) {
    return wait_for(err_, text, timeout);
  }
  /// Everything printed so far.
  std::string stdout_text() const { return snapshot(out_); }
  std::string stderr_text() const { return snapshot(err_); }

  /// The port from "listening on 127.0.0.1:PORT", or 0 when it did not start within 10 s.
  int port() {
    if (!wait_for_stdout("listening on 127.0.0.1:")) return 0;
    const std::string out = stdout_text();
    const auto at = out.find("listening on 127.0.0.1:") + std::strlen("listening on 127.0.0.1:");
    return std::atoi(out.c_str() + at);
  }

  /// Waits (at most `timeout`) for the child to exit by itself: its exit code, or nullopt.
  std::optional<int> wait_exit(std::chrono::milliseconds timeout = 10s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (pid_ > 0) {
      int status = 0;
      const pid_t done = ::waitpid(pid_, &status, WNOHANG);
      if (done == pid_) {
        pid_ = -1;
        exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        break;
      }
      if (done < 0 && errno != EINTR) break;
      if (std::chrono::steady_clock::now() > deadline) break;
      std::this_thread::sleep_for(10ms);
    }
    return exit_code_;
  }

 private:
  struct Stream {
    mutable std::mutex mutex;
    std::condition_variable changed;
    std::string text;
    bool closed = false;
  };

  static void close_all(std::initializer_list<int> fds) {
    for (int fd : fds)
      if (fd >= 0) ::close(fd);
  }

  static void collect(int fd, Stream& stream) {
    char buffer[4096];
    for (;;) {
      const ssize_t n = ::read(fd, buffer, sizeof buffer);
      if (n < 0 && errno == EINTR) continue;
      std::lock_guard<std::mutex> lock(stream.mutex);
      if (n <= 0) {
        stream.closed = true;
        stream.changed.notify_all();
        break;
      }
      stream.text.append(buffer, static_cast<std::size_t>(n));
      stream.changed.notify_all();
    }
    ::close(fd);
  }

  static bool wait_for(Stream& stream, const std::string& text, std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(stream.mutex);
    return stream.changed.wait_for(lock, timeout, [&] {
      return stream.text.find(text) != std::string::npos || stream.closed;
    }) && stream.text.find(text) != std::string::npos;
  }

  static std::string snapshot(const Stream& stream) {
    std::lock_guard<std::mutex> lock(stream.mutex);
    return stream.text;
  }

  void stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    if (wait_exit(5s)) return;
    ::kill(pid_, SIGKILL);
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
  }

  pid_t pid_ = -1;
  std::optional<int> exit_code_;
  Stream out_;
  Stream err_;
  std::vector<std::thread> readers_;
};

/// POSTs `body` with `headers` to the receiver; the response, or nullopt when none came.
std::optional<httplib::Response> post(int port, const std::string& body,
                                      const postal::Headers& headers) {
  httplib::Client client("127.0.0.1", port);
  client.set_connection_timeout(2, 0);
  client.set_read_timeout(5, 0);  // Postal's whole-request timeout
  client.set_write_timeout(5, 0);
  httplib::Headers fields;
  for (const auto& [name, value] : headers) fields.emplace(name, value);
  auto result = client.Post("/webhooks", fields, body, "application/json");
  if (!result) return std::nullopt;
  return *result;
}

/// Counts the occurrences of `part` in `text`.
std::size_t count(const std::string& text, const std::string& part) {
  std::size_t n = 0;
  for (auto at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
  return n;
}

/// A receiver started with the 2048-bit test key (written to a temporary PEM file).
struct Started {
  TempFile key{"postal-webhook-receiver-key", webhook_test::test_key(2048).public_pem};
  Receiver receiver{{"--port", "0", "--key-file", key.path()}};
  int port = receiver.port();
};

const char* const sent_line =
    "event MessageSent uuid=1b9f8d2e-3c4a-4e5f-8a6b-7c8d9e0f1a2b timestamp=1713456789.123456 "
    "message=12345 to=john@example.com status=Sent";

}  // namespace

TEST_CASE("webhook_receiver answers 200 to a signed webhook and prints the event") {
  Started s;
  INFO(s.receiver.stdout_text() << s.receiver.stderr_text());
  REQUIRE(s.port > 0);
  const std::string body = fixture("message_sent.json");
  const auto response = post(s.port, body, webhook_test::sign(body));
  REQUIRE(response);
  REQUIRE(response->status == 200);
  REQUIRE(response->body == "ok\n");
  REQUIRE(s.receiver.wait_for_stdout(sent_line));
}

TEST_CASE("webhook_receiver answers 200 duplicate to a replayed webhook and handles it once") {
  Started s;
  REQUIRE(s.port > 0);
  const std::string body = fixture("message_sent.json");
  const auto headers = webhook_test::sign(body);
  const auto first = post(s.port, body, headers);
  REQUIRE(first);
  REQUIRE(first->status == 200);
  const auto again = post(s.port, body, headers);  // Postal's retry: same bytes, same uuid
  REQUIRE(again);
  REQUIRE(again->status == 200);
  REQUIRE(again->body == "duplicate\n");
  // stdout and stderr are read by two threads: wait for both lines before counting.
  REQUIRE(s.receiver.wait_for_stderr("duplicate MessageSent"));
  REQUIRE(s.receiver.wait_for_stdout("event MessageSent"));
  INFO(s.receiver.stdout_text());
  REQUIRE(count(s.receiver.stdout_text(), "event MessageSent") == 1);
}

TEST_CASE("webhook_receiver answers 401 to a tampered body and prints no event") {
  Started s;
  REQUIRE(s.port > 0);
  const std::string body = fixture("message_sent.json");
  const auto headers = webhook_test::sign(body);
  std::string tampered = body;
  tampered.replace(tampered.find("\"id\":12345"), 10, "\"id\":12346");
  const auto response = post(s.port, tampered, headers);
  REQUIRE(response);
  REQUIRE(response->status == 401);
  REQUIRE(s.receiver.wait_for_stderr("rejected Signature"));
  REQUIRE_FALSE(contains(s.receiver.stdout_text(), "event "));
}

TEST_CASE("webhook_receiver answers 401 to a body signed by another key") {
  Started s;
  REQUIRE(s.port > 0);
  const std::string body = fixture("message_sent.json");
  auto headers = webhook_test::sign(body, 2048, 1);  // a different 2048-bit key
  headers.erase("X-Postal-Signature-KID");           // without its KID: every known key is tried
  const auto response = post(s.port, body, headers);
  REQUIRE(response);
  REQUIRE(response->status == 401);
  REQUIRE(response->body == "signature not verified\n");

  const auto with_kid = post(s.port, body, webhook_test::sign(body, 2048, 1));
  REQUIRE(with_kid);
  REQUIRE(with_kid->status == 401);
  REQUIRE(with_kid->body == "unknown signing key\n");
  REQUIRE(s.receiver.wait_for_stderr("rejected UnknownKey"));
  REQUIRE_FALSE(contains(s.receiver.stdout_text(), "event "));
}

TEST_CASE("webhook_receiver answers 401 to an unsigned webhook") {
  Started s;
  REQUIRE(s.port > 0);
  const auto response = post(s.port, fixture("message_sent.json"), {});
  REQUIRE(response);
  REQUIRE(response->status == 401);
  REQUIRE_FALSE(contains(s.receiver.stdout_text(), "event "));
}

TEST_CASE("webhook_receiver answers 400 to a signed body that is not a Postal webhook") {
  Started s;
  REQUIRE(s.port > 0);
  const std::string body = "[1,2,3]";
  const auto response = post(s.port, body, webhook_test::sign(body));
  REQUIRE(response);
  REQUIRE(response->status == 400);
  REQUIRE(s.receiver.wait_for_stderr("rejected Decode"));
}

TEST_CASE("webhook_receiver takes the DKIM p= value from POSTAL_WEBHOOK_KEY (spec 4.4 vector)") {
  Receiver receiver({"--port", "0"},
                    {std::string("POSTAL_WEBHOOK_KEY=") + webhook_test::vector::p});
  const int port = receiver.port();
  INFO(receiver.stdout_text() << receiver.stderr_text());
  REQUIRE(port > 0);
  REQUIRE(contains(receiver.stdout_text(), "with key 84402f67559ca073... (1024 bits)"));
  const auto response = post(port, fixture("message_sent.json"), webhook_test::vector::headers());
  REQUIRE(response);
  REQUIRE(response->status == 200);
  REQUIRE(receiver.wait_for_stdout(sent_line));
}

TEST_CASE("webhook_receiver refuses to start without a key") {
  Receiver receiver({"--port", "0"});
  REQUIRE(receiver.wait_exit() == std::optional<int>(2));
  REQUIRE(receiver.wait_for_stderr("no key"));
}

#endif  // POSTAL_WEBHOOK_RECEIVER_PATH && !_WIN32
