// Test support: a scripted TCP server on 127.0.0.1 for transport failure tests. It speaks just
// enough HTTP/1.1 to find where a request ends (headers plus Content-Length), records the raw
// request bytes, and answers with exactly the bytes a test scripts, even broken ones.
// Every wait is bounded: stop() (and the destructor) returns within a few tens of milliseconds.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace postal_support {

/// A scripted HTTP server on an ephemeral loopback port, one thread per connection.
///
/// @code
/// RawHttpServer server(RawHttpServer::Mode::ReplyAndClose, RawHttpServer::response(200, "ok"));
/// auto reply = transport->send({"GET", server.url("/x"), {}, "", std::chrono::seconds(5)});
/// @endcode
class RawHttpServer {
 public:
  /// What the server does with each accepted connection.
  enum class Mode {
    ReplyAndClose,  ///< read one request, write the reply, close
    KeepAlive,      ///< answer every request and keep the connection open; an empty reply
                    ///< closes it instead (the request was read in full, never answered), and
                    ///< reset_reply() resets it (RST: the client reads "connection reset")
    NeverAnswer,    ///< read and record requests, never write; hold the connection open
    SpeakFirst,     ///< write the reply as soon as the connection is accepted, then close
  };
  /// Makes the reply bytes from the raw request bytes ("" in SpeakFirst mode).
  using Responder = std::function<std::string(const std::string& raw_request)>;

  /// Starts listening; `responder` writes each reply.
  RawHttpServer(Mode mode, Responder responder);
  /// Starts listening; every reply is `reply`.
  RawHttpServer(Mode mode, std::string reply);
  ~RawHttpServer();
  RawHttpServer(const RawHttpServer&) = delete;
  RawHttpServer& operator=(const RawHttpServer&) = delete;

  /// The port it listens on.
  int port() const { return port_; }
  /// "http://127.0.0.1:<port><path>".
  std::string url(const std::string& path = "/") const;
  /// TCP connections accepted so far.
  std::size_t connections() const { return connections_.load(); }
  /// The most connections that were open at the same time.
  std::size_t max_concurrent_connections() const;
  /// The raw bytes (head and body) of every complete request received, in arrival order.
  std::vector<std::string> requests() const;
  /// Number of complete requests received.
  std::size_t request_count() const;
  /// Waits until at least `count` requests arrived; false if `timeout` passed first.
  bool wait_for_requests(std::size_t count, std::chrono::milliseconds timeout) const;
  /// Stops accepting and closes the listening socket, so later connections are refused, as when
  /// the server process exits; open connections carry on. Returns once the socket is closed.
  /// Safe to call from a Responder (idempotent).
  void stop_listening();
  /// Stops accepting, closes every connection and joins the threads (idempotent).
  void stop();

  /// The bytes of a complete HTTP/1.1 response with a Content-Length.
  static std::string response(int status, const std::string& body,
                              const std::vector<std::pair<std::string, std::string>>& headers = {});
  /// The request-target of a raw request ("/api/v1/send/message").
  static std::string target_of(const std::string& raw_request);
  /// The body of a raw request.
  static std::string body_of(const std::string& raw_request);
  /// Header lines of 1 KB each ("X-Filler: fff...\r\n") adding up to at least `bytes`: over
  /// libcurl's 300 KiB of header lines in all, while no line is over its 100 KiB a line.
  static std::string filler_header_lines(std::size_t bytes);
  /// The reply that makes KeepAlive mode reset the connection (SO_LINGER 0) unanswered.
  static const std::string& reset_reply();
  /// A loopback port that refuses connections (bound once, then released, never listened on).
  static int refused_port();

 private:
  void accept_loop();
  void serve(int fd);
  bool read_request(int fd, std::string& buffer, std::string& request);
  bool write_all(int fd, const std::string& bytes);
  void linger_close(int fd);
  std::string reply_for(const std::string& request);

  Mode mode_;
  Responder responder_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> stop_listening_{false};
  std::atomic<std::size_t> connections_{0};
  std::thread acceptor_;

  mutable std::mutex mutex_;
  mutable std::condition_variable arrived_;
  std::vector<std::string> requests_;
  std::vector<std::thread> workers_;
  std::size_t open_ = 0;
  std::size_t max_open_ = 0;
  bool listener_closed_ = false;  // the acceptor closed the listening socket and returned
};

/// A loopback listener whose accept queue is full, so a new connection never completes its TCP
/// handshake: for connect timeouts (the request cannot have been sent).
class FullBacklogListener {
 public:
  FullBacklogListener();
  ~FullBacklogListener();
  FullBacklogListener(const FullBacklogListener&) = delete;
  FullBacklogListener& operator=(const FullBacklogListener&) = delete;

  /// "http://127.0.0.1:<port><path>".
  std::string url(const std::string& path = "/") const;

 private:
  int listen_fd_ = -1;
  int port_ = 0;
  std::vector<int> fillers_;
};

}  // namespace postal_support
