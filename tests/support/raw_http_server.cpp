// Test support: the scripted loopback server (POSIX sockets, a thread per connection).
#include "support/raw_http_server.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdint>
#include <stdexcept>

namespace postal_support {
namespace {

constexpr int kPollSliceMs = 20;  // how often blocked threads look at the stop flag
constexpr std::size_t kMaxRequestBytes = 64u << 20;
constexpr auto kLingerLimit = std::chrono::seconds(2);

// A socket bound to 127.0.0.1 on an ephemeral port; its port is stored in `port`.
int bound_loopback_socket(int& port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error("socket() failed");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof(address);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    ::close(fd);
    throw std::runtime_error("bind() failed");
  }
  port = ntohs(address.sin_port);
  return fd;
}

// Polls one descriptor for one slice; true when it is ready.
bool ready(int fd, short events) {
  pollfd entry{fd, events, 0};
  return ::poll(&entry, 1, kPollSliceMs) > 0;
}

std::string lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

// Length of the head (through the blank line) and the Content-Length; false if incomplete.
bool request_extent(const std::string& buffer, std::size_t& head, std::size_t& body) {
  const auto end = buffer.find("\r\n\r\n");
  if (end == std::string::npos) return false;
  head = end + 4;
  body = 0;
  const std::string headers = lower(buffer.substr(0, end));
  const auto at = headers.find("\r\ncontent-length:");
  if (at != std::string::npos) body = std::stoul(headers.substr(at + 17));
  return true;
}

const char* reason_phrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 302:
      return "Found";
    case 400:
      return "Bad Request";
    case 404:
      return "Not Found";
    case 500:
      return "Internal Server Error";
    case 502:
      return "Bad Gateway";
    default:
      return "Status";
  }
}

}  // namespace

RawHttpServer::RawHttpServer(Mode mode, Responder responder)
    : mode_(mode), responder_(std::move(responder)) {
  listen_fd_ = bound_loopback_socket(port_);
  if (::listen(listen_fd_, 64) != 0) {
    ::close(listen_fd_);
    throw std::runtime_error("listen() failed");
  }
  acceptor_ = std::thread([this] { accept_loop(); });
}

RawHttpServer::RawHttpServer(Mode mode, std::string reply)
    : RawHttpServer(mode, [reply = std::move(reply)](const std::string&) { return reply; }) {}

RawHttpServer::~RawHttpServer() { stop(); }

std::string RawHttpServer::url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + path;
}

std::size_t RawHttpServer::max_concurrent_connections() const {
  std::lock_guard<std::mutex> guard(mutex_);
  return max_open_;
}

std::vector<std::string> RawHttpServer::requests() const {
  std::lock_guard<std::mutex> guard(mutex_);
  return requests_;
}

std::size_t RawHttpServer::request_count() const {
  std::lock_guard<std::mutex> guard(mutex_);
  return requests_.size();
}

bool RawHttpServer::wait_for_requests(std::size_t count, std::chrono::milliseconds timeout) const {
  std::unique_lock<std::mutex> lock(mutex_);
  return arrived_.wait_for(lock, timeout, [&] { return requests_.size() >= count; });
}

void RawHttpServer::stop_listening() {
  stop_listening_ = true;
  std::unique_lock<std::mutex> lock(mutex_);
  arrived_.wait(lock, [&] { return listener_closed_; });
}

void RawHttpServer::stop() {
  if (stopping_.exchange(true)) return;
  if (acceptor_.joinable()) acceptor_.join();
  std::vector<std::thread> workers;
  {
    std::lock_guard<std::mutex> guard(mutex_);
    workers.swap(workers_);
  }
  for (auto& worker : workers) worker.join();
}

// The acceptor owns the listening socket: it closes it when it returns.
void RawHttpServer::accept_loop() {
  while (!stopping_ && !stop_listening_) {
    if (!ready(listen_fd_, POLLIN)) continue;
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    ++connections_;
    std::lock_guard<std::mutex> guard(mutex_);
    max_open_ = std::max(max_open_, ++open_);
    workers_.emplace_back([this, fd] { serve(fd); });
  }
  ::close(listen_fd_);
  {
    std::lock_guard<std::mutex> guard(mutex_);
    listener_closed_ = true;
  }
  arrived_.notify_all();
}

void RawHttpServer::serve(int fd) {
  std::string buffer;
  std::string request;
  switch (mode_) {
    case Mode::SpeakFirst:
      write_all(fd, reply_for(""));
      linger_close(fd);
      break;
    case Mode::ReplyAndClose:
      if (read_request(fd, buffer, request)) write_all(fd, reply_for(request));
      linger_close(fd);
      break;
    case Mode::KeepAlive:
      while (read_request(fd, buffer, request)) {
        const std::string reply = reply_for(request);
        if (reply == reset_reply()) {
          const linger reset{1, 0};
          ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
          break;
        }
        if (reply.empty() || !write_all(fd, reply)) break;
      }
      ::close(fd);
      break;
    case Mode::NeverAnswer:
      while (read_request(fd, buffer, request)) {
      }
      ::close(fd);
      break;
  }
  std::lock_guard<std::mutex> guard(mutex_);
  --open_;
}

// Reads one complete request into `request` and records it; false when the peer closed, the
// server is stopping or the bytes are not a request this server understands.
bool RawHttpServer::read_request(int fd, std::string& buffer, std::string& request) {
  char chunk[65536];
  for (;;) {
    std::size_t head = 0;
    std::size_t body = 0;
    try {
      if (request_extent(buffer, head, body) && buffer.size() >= head + body) {
        request = buffer.substr(0, head + body);
        buffer.erase(0, head + body);
        {
          std::lock_guard<std::mutex> guard(mutex_);
          requests_.push_back(request);
        }
        arrived_.notify_all();
        return true;
      }
    } catch (const std::exception&) {  // unparsable Content-Length
      return false;
    }
    if (buffer.size() > kMaxRequestBytes || stopping_) return false;
    if (!ready(fd, POLLIN)) continue;
    const ssize_t got = ::recv(fd, chunk, sizeof(chunk), 0);
    if (got <= 0) return false;
    buffer.append(chunk, static_cast<std::size_t>(got));
  }
}

bool RawHttpServer::write_all(int fd, const std::string& bytes) {
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    if (stopping_) return false;
    if (!ready(fd, POLLOUT)) continue;
    const ssize_t put = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (put < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    if (put <= 0) return false;
    sent += static_cast<std::size_t>(put);
  }
  return true;
}

std::string RawHttpServer::filler_header_lines(std::size_t bytes) {
  const std::string line = "X-Filler: " + std::string(1000, 'f') + "\r\n";
  std::string lines;
  while (lines.size() < bytes) lines += line;
  return lines;
}

const std::string& RawHttpServer::reset_reply() {
  static const std::string reply = "(reset the connection)";
  return reply;
}

// Half-closes, then reads until the peer closes too, so unread bytes never turn the close into a
// reset that could destroy the reply before the client reads it.
void RawHttpServer::linger_close(int fd) {
  ::shutdown(fd, SHUT_WR);
  char sink[4096];
  const auto deadline = std::chrono::steady_clock::now() + kLingerLimit;
  while (!stopping_ && std::chrono::steady_clock::now() < deadline) {
    if (!ready(fd, POLLIN)) continue;
    if (::recv(fd, sink, sizeof(sink), 0) <= 0) break;
  }
  ::close(fd);
}

std::string RawHttpServer::reply_for(const std::string& request) {
  try {
    return responder_ ? responder_(request) : std::string();
  } catch (...) {
    return std::string();
  }
}

std::string RawHttpServer::response(
    int status, const std::string& body,
    const std::vector<std::pair<std::string, std::string>>& headers) {
  std::string out = "HTTP/1.1 " + std::to_string(status) + " " + reason_phrase(status) + "\r\n";
  for (const auto& field : headers) out += field.first + ": " + field.second + "\r\n";
  out += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n";
  return out + body;
}

std::string RawHttpServer::target_of(const std::string& raw_request) {
  const auto first = raw_request.find(' ');
  if (first == std::string::npos) return std::string();
  const auto second = raw_request.find(' ', first + 1);
  return raw_request.substr(first + 1,
                            second == std::string::npos ? std::string::npos : second - first - 1);
}

std::string RawHttpServer::body_of(const std::string& raw_request) {
  const auto end = raw_request.find("\r\n\r\n");
  return end == std::string::npos ? std::string() : raw_request.substr(end + 4);
}

int RawHttpServer::refused_port() {
  int port = 0;
  ::close(bound_loopback_socket(port));
  return port;
}

FullBacklogListener::FullBacklogListener() {
  listen_fd_ = bound_loopback_socket(port_);
  if (::listen(listen_fd_, 0) != 0) {
    ::close(listen_fd_);
    throw std::runtime_error("listen() failed");
  }
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<std::uint16_t>(port_));
  // Never accepted: these fill the queue, so the kernel drops later handshakes (SYNs).
  for (int i = 0; i < 4; ++i) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) continue;
    (void)::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
    fillers_.push_back(fd);
  }
}

FullBacklogListener::~FullBacklogListener() {
  for (int fd : fillers_) ::close(fd);
  ::close(listen_fd_);
}

std::string FullBacklogListener::url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + path;
}

}  // namespace postal_support
