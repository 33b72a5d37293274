// Test and example support: serves any postal::Transport (usually testing::FakePostal) over
// loopback HTTP, so the real libcurl path runs over TCP. Needs cpp-httplib (not a library
// dependency: only tests and examples link this).
#pragma once

#include <postal/transport.hpp>

#include <memory>
#include <string>

namespace postal_support {

/// An HTTP/1.1 server on 127.0.0.1 (an ephemeral port) that hands every request to `handler`
/// and writes back its response. Starts in the constructor; stops in the destructor.
class FakePostalServer {
 public:
  explicit FakePostalServer(std::shared_ptr<postal::Transport> handler);
  ~FakePostalServer();
  FakePostalServer(const FakePostalServer&) = delete;
  FakePostalServer& operator=(const FakePostalServer&) = delete;

  /// The port it listens on.
  int port() const;
  /// "http://127.0.0.1:<port>", ready for ClientOptions::base_url.
  std::string base_url() const;
  /// Stops listening and joins the server thread (idempotent).
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace postal_support
