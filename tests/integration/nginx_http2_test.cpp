// The curl transport against nginx over TLS (a self-signed certificate made with openssl):
// batches use HTTP/2 when offered and single sends HTTP/1.1 (CurlOptions::http2 and
// http2_single say otherwise), on the same pooled handles, and send_many over
// HTTP/1.1 survives a server that closes connections every few requests (nginx's
// keepalive_requests), which over HTTP/2 ends streams in flight with GOAWAY.
// nginx and openssl come from scripts/install-deps.sh (nginx-light, openssl).
#include <postal/postal.hpp>

#include "support/catch.hpp"
#include "support/numbered_messages.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace std::chrono_literals;

/// A port that was free a moment ago (bound to 0, then released).
int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  int port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0)
    port = ntohs(address.sin_port);
  ::close(fd);
  return port;
}

bool accepts(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
  ::close(fd);
  return ok;
}

/// nginx on 127.0.0.1:<port>, HTTPS with HTTP/2 offered, answering send/message with Postal's
/// success envelope whose message_id is the protocol nginx spoke ("HTTP/2.0" or "HTTP/1.1"), and
/// serving the files of files_dir() under /files/.
class Nginx {
 public:
  explicit Nginx(int keepalive_requests) {
    char pattern[] = "/tmp/postal-nginx-XXXXXX";
    if (::mkdtemp(pattern) == nullptr) return;
    dir_ = pattern;
    port_ = free_port();
    const std::string cert = dir_ + "/cert.pem", key = dir_ + "/key.pem";
    const std::string openssl =
        "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost -addext "
        "subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout " +
        key + " -out " + cert + " >/dev/null 2>&1";
    if (std::system(openssl.c_str()) != 0) return;
    std::filesystem::create_directory(dir_ + "/body");  // nginx gives it to its workers
    // nginx's workers (not root) read the files of files_dir().
    std::filesystem::create_directory(files_dir());
    std::filesystem::permissions(dir_, std::filesystem::perms::owner_all |
                                           std::filesystem::perms::group_exec |
                                           std::filesystem::perms::others_exec);
    std::filesystem::permissions(
        files_dir(), std::filesystem::perms::others_read | std::filesystem::perms::others_exec,
        std::filesystem::perm_options::add);
    std::ofstream(dir_ + "/nginx.conf")
        << "daemon on; worker_processes 1; pid " << dir_ << "/nginx.pid;\n"
        << "error_log " << dir_ << "/error.log;\n"
        << "events { worker_connections 256; }\n"
        << "http {\n  access_log off;\n  keepalive_requests " << keepalive_requests << ";\n"
        << "  client_body_temp_path " << dir_ << "/body;\n"
        << "  server {\n    listen 127.0.0.1:" << port_ << " ssl http2;\n"
        << "    ssl_certificate " << cert << ";\n    ssl_certificate_key " << key << ";\n"
        << "    location = /api/v1/send/message {\n      default_type application/json;\n"
        << "      return 200 '{\"status\":\"success\",\"time\":0.01,\"flags\":{},\"data\":"
           "{\"message_id\":\"$server_protocol\",\"messages\":{}}}';\n    }\n"
        << "    location /files/ {\n      alias " << files_dir()
        << "/;\n      add_header X-Protocol $server_protocol always;\n"
        << "      add_header X-Connection $connection always;\n    }\n  }\n}\n";
    const std::string start = "nginx -p " + dir_ + " -c " + dir_ + "/nginx.conf";
    if (std::system(start.c_str()) != 0) return;
    for (int i = 0; i < 200 && !accepts(port_); ++i) std::this_thread::sleep_for(25ms);
    started_ = accepts(port_);
  }
  ~Nginx() {
    if (dir_.empty()) return;
    const std::string stop = "nginx -p " + dir_ + " -c " + dir_ + "/nginx.conf -s stop 2>/dev/null";
    (void)std::system(stop.c_str());
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  Nginx(const Nginx&) = delete;
  Nginx& operator=(const Nginx&) = delete;

  bool started() const { return started_; }
  std::string base_url() const { return "https://localhost:" + std::to_string(port_); }
  std::string ca_file() const { return dir_ + "/cert.pem"; }
  std::string files_dir() const { return dir_ + "/files"; }
  /// Writes `body` to files_dir()/`name`, readable by nginx's workers (not root): /files/`name`.
  void add_file(const std::string& name, const std::string& body) const {
    const std::string path = files_dir() + "/" + name;
    std::ofstream(path, std::ios::binary) << body;
    std::filesystem::permissions(path, std::filesystem::perms::others_read,
                                 std::filesystem::perm_options::add);
  }
  /// A GET of /files/`name`.
  postal::HttpRequest get_file(const std::string& name) const {
    postal::HttpRequest request;
    request.method = "GET";
    request.url = base_url() + "/files/" + name;
    request.timeout = 20s;
    return request;
  }

 private:
  std::string dir_;
  int port_ = 0;
  bool started_ = false;
};

/// The curl transport's options for `nginx`: its certificate trusted, HTTP/2 offered as asked.
postal::CurlOptions curl_options(const Nginx& nginx, bool http2, bool http2_single = false) {
  postal::CurlOptions curl;
  curl.ca_file = nginx.ca_file();
  curl.http2 = http2;
  curl.http2_single = http2_single;
  return curl;
}

postal::Client client_for(const Nginx& nginx, bool http2, bool http2_single = false) {
  postal::ClientOptions options{nginx.base_url(), "NginxTestKey0123456789"};
  options.transport = postal::make_curl_transport(curl_options(nginx, http2, http2_single));
  options.retry = postal::RetryOptions::none();
  return postal::Client(options);
}

/// The protocol nginx spoke for each send of `results` ("" for a failed one).
std::vector<std::string> protocols(const std::vector<postal::Result<postal::SendResult>>& results) {
  std::vector<std::string> out;
  for (const auto& r : results) out.push_back(r ? r->message_id.value_or("") : "");
  return out;
}

}  // namespace

TEST_CASE("nginx over TLS: batches use HTTP/2 when offered, single sends HTTP/1.1 by default") {
  Nginx nginx(100000);
  REQUIRE(nginx.started());
  postal::BatchOptions options;
  options.max_in_flight = 8;
  const std::vector<std::string> h2_batch(100, "HTTP/2.0"), h1_batch(100, "HTTP/1.1");
  // One client each time, so that its handles serve single sends and batches in turn (a handle
  // keeps most options from one POST to the next, the HTTP version not among them).
  auto single_then_batch = [&](const postal::Client& client, const char* single,
                               const std::vector<std::string>& batch) {
    for (std::size_t round = 0; round < 2; ++round) {
      INFO("round " << round);
      const auto one = client.send_message(postal_test::numbered(round));
      CHECK(one.has_value());  // CHECK, not REQUIRE: the other cases still run
      if (one) CHECK(one->message_id == single);
      CHECK(protocols(client.send_many(postal_test::numbered_batch(100), options)) == batch);
    }
  };
  struct Case {
    bool http2, http2_single;
    const char* single;
    const std::vector<std::string>& batch;
  };
  const Case cases[] = {
      {true, false, "HTTP/1.1", h2_batch},   // the defaults
      {true, true, "HTTP/2.0", h2_batch},    // single sends over HTTP/2 too
      {false, false, "HTTP/1.1", h1_batch},  // HTTP/1.1 everywhere
      {false, true, "HTTP/2.0", h1_batch},   // only single sends over HTTP/2
  };
  for (const auto& c : cases) {
    INFO("http2 = " << c.http2 << ", http2_single = " << c.http2_single);
    single_then_batch(client_for(nginx, c.http2, c.http2_single), c.single, c.batch);
  }
}

TEST_CASE("nginx over TLS: a batch's transfers share one HTTP/2 connection (PIPEWAIT)") {
  Nginx nginx(100000);
  REQUIRE(nginx.started());
  nginx.add_file("a.txt", "a");
  const std::vector<postal::HttpRequest> requests(100, nginx.get_file("a.txt"));
  for (const bool http2 : {true, false}) {
    INFO("http2 = " << http2);
    // nginx numbers its connections ($connection): the batch's transfers name the ones they used.
    std::set<std::string> connections;
    auto transport = postal::make_curl_transport(curl_options(nginx, http2));
    for (const auto& r : transport->send_all(requests, 8)) {
      REQUIRE(r.has_value());
      CHECK(r->headers.get("X-Protocol").value_or("") == (http2 ? "HTTP/2.0" : "HTTP/1.1"));
      const auto connection = r->headers.get("X-Connection").value_or("");
      CHECK(!connection.empty());
      connections.insert(connection);
    }
    if (http2) {
      CHECK(connections.size() == 1);  // without PIPEWAIT, the first 8 open 8 connections
    } else {
      CHECK(connections.size() > 1);
      CHECK(connections.size() <= 8);
    }
  }
}

TEST_CASE(
    "nginx over TLS: large answers over HTTP/2 arrive whole through send_all, handles reused") {
  // send_all gives its first transfers receive buffers smaller than libcurl's 16 KiB default
  // (1 KiB at 64 in flight). Over HTTP/2 libcurl keeps such a buffer when a transfer ends while
  // others share the connection, and curl_easy_reset (which every GET's handle gets) would set the
  // default size back without resizing it: the next answer on that handle would be read 16 KiB
  // at a time into 1 KiB, which AddressSanitizer reports (the sanitizer builds of .ci/run). The
  // transport closes such handles instead of reusing them.
  Nginx nginx(100000);
  REQUIRE(nginx.started());
  const std::size_t sizes[] = {40000, 3000, 70000};
  std::vector<std::string> bodies;
  for (std::size_t i = 0; i < 3; ++i) {
    std::string body;
    while (body.size() < sizes[i])
      body += "file " + std::to_string(i) + " line " + std::to_string(body.size()) + "\n";
    nginx.add_file(std::to_string(i) + ".txt", body);
    bodies.push_back(body);
  }
  std::vector<postal::HttpRequest> requests;
  for (std::size_t i = 0; i < 256; ++i)
    requests.push_back(nginx.get_file(std::to_string(i % 3) + ".txt"));
  for (const bool http2_single : {false, true}) {
    INFO("http2_single = " << http2_single);
    postal::CurlOptions curl = curl_options(nginx, true, http2_single);
    curl.max_idle_connections = 64;
    auto transport = postal::make_curl_transport(curl);
    for (std::size_t width : {std::size_t{64}, std::size_t{16}, std::size_t{64}}) {
      INFO("width " << width);
      const auto results = transport->send_all(requests, width);
      REQUIRE(results.size() == requests.size());
      for (std::size_t i = 0; i < results.size(); ++i) {
        INFO("request " << i << ": " << (results[i] ? "" : results[i].error().describe()));
        REQUIRE(results[i].has_value());
        CHECK(results[i]->status == 200);
        CHECK(results[i]->headers.get("X-Protocol").value_or("") == "HTTP/2.0");
        CHECK(results[i]->body == bodies[i % 3]);
      }
    }
    // And one at a time, on the handles the batches left in the pool (with the buffers the
    // batches left them; on a connection of each handle's own, over either protocol).
    for (std::size_t i = 0; i < 8; ++i) {
      const auto single = transport->send(requests[i]);
      REQUIRE(single.has_value());
      CHECK(single->headers.get("X-Protocol").value_or("") ==
            (http2_single ? "HTTP/2.0" : "HTTP/1.1"));
      CHECK(single->body == bodies[i % 3]);
    }
  }
}

TEST_CASE(
    "nginx over TLS: send_many over HTTP/1.1 survives keepalive_requests closing "
    "connections") {
  Nginx nginx(20);  // a new connection every 20 requests
  REQUIRE(nginx.started());
  postal::BatchOptions options;
  options.max_in_flight = 8;
  auto results = client_for(nginx, false).send_many(postal_test::numbered_batch(400), options);
  REQUIRE(results.size() == 400);
  for (std::size_t i = 0; i < results.size(); ++i) {
    INFO("item " << i << ": " << (results[i] ? "" : results[i].error().describe()));
    REQUIRE(results[i].has_value());
    CHECK(results[i]->message_id == "HTTP/1.1");
  }
}
