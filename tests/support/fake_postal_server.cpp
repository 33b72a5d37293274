// Serves a postal::Transport (usually testing::FakePostal) over loopback HTTP with cpp-httplib.
#include "support/fake_postal_server.hpp"

#include <httplib.h>

#include <postal/transport.hpp>

#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>

namespace postal_support {

namespace {

// Marks a response the forwarding handler already produced, so the error handler (which
// httplib also runs for handler responses with status >= 400) leaves it alone.
constexpr const char* kForwardedMarker = "X-Postal-Fake-Forwarded";

bool skipped_response_header(const std::string& name) {
  return postal::detail::iequals(name, "Content-Length") ||
         postal::detail::iequals(name, "Transfer-Encoding") ||
         postal::detail::iequals(name, "Connection") ||
         postal::detail::iequals(name, "Content-Type");
}

// httplib puts connection facts into the request headers; they are not HTTP fields.
bool pseudo_request_header(const std::string& name) {
  return name == "REMOTE_ADDR" || name == "REMOTE_PORT" || name == "LOCAL_ADDR" ||
         name == "LOCAL_PORT";
}

constexpr std::size_t kWorkerThreads = 72;
constexpr int kListenBacklog = 512;

}  // namespace

struct FakePostalServer::Impl {
  std::shared_ptr<postal::Transport> handler;
  httplib::Server server;
  std::thread thread;
  int port = 0;
  std::mutex stop_mutex;
  bool stopped = false;

  void forward(const httplib::Request& in, httplib::Response& out) {
    postal::HttpRequest request;
    request.method = in.method;
    request.url =
        "http://127.0.0.1:" + std::to_string(port) + (in.target.empty() ? in.path : in.target);
    for (const auto& field : in.headers)
      if (!pseudo_request_header(field.first)) request.headers.add(field.first, field.second);
    request.body = in.body;
    auto result = handler->send(request);
    if (!result) {
      // No HTTP response (an injected transport fault): start a chunked response and abort it,
      // so the client sees the connection break instead of an answer.
      out.status = 200;
      out.set_chunked_content_provider("text/plain",
                                       [](std::size_t, httplib::DataSink&) { return false; });
      return;
    }
    out.status = result->status;
    std::string content_type;
    for (const auto& field : result->headers) {
      if (postal::detail::iequals(field.first, "Content-Type")) {
        if (content_type.empty()) content_type = field.second;
        continue;
      }
      if (!skipped_response_header(field.first)) out.headers.emplace(field.first, field.second);
    }
    out.set_content(result->body, content_type.c_str());
    if (content_type.empty()) out.headers.erase("Content-Type");
    if (out.status >= 400) out.set_header(kForwardedMarker, "1");  // see the error handler
  }
};

FakePostalServer::FakePostalServer(std::shared_ptr<postal::Transport> handler)
    : impl_(std::make_unique<Impl>()) {
  impl_->handler = std::move(handler);
  Impl* impl = impl_.get();
  auto forward = [impl](const httplib::Request& in, httplib::Response& out) {
    impl->forward(in, out);
  };
  const std::string any = R"(.*)";
  impl->server.Get(any, forward);
  impl->server.Post(any, forward);
  impl->server.Put(any, forward);
  impl->server.Patch(any, forward);
  impl->server.Delete(any, forward);
  // Methods without a route (OPTIONS, TRACE, ...) end here with 404/400; hand them over too.
  impl->server.set_error_handler(httplib::Server::HandlerWithResponse(
      [impl](const httplib::Request& in, httplib::Response& out) {
        if (out.has_header(kForwardedMarker)) {
          out.headers.erase(kForwardedMarker);
          return httplib::Server::HandlerResponse::Handled;
        }
        const bool unrouted =
            out.status == 404 ||
            (out.status == 400 &&
             (in.method == "OPTIONS" || in.method == "TRACE" || in.method == "CONNECT"));
        if (!unrouted || in.method.empty()) return httplib::Server::HandlerResponse::Unhandled;
        impl->forward(in, out);
        out.headers.erase(kForwardedMarker);
        return httplib::Server::HandlerResponse::Handled;
      }));
  // One thread per connection (httplib keeps a thread on each kept-alive connection): enough for
  // a client with 64 requests in flight.
  impl->server.new_task_queue = [] { return new httplib::ThreadPool(kWorkerThreads); };
  // Debian's compiled cpp-httplib listens with a backlog of 5: a burst of new connections then
  // overflows the accept queue and, with SYN cookies, the kernel resets some of them. Raise the
  // backlog on the listening socket (listen() again updates it on Linux).
  std::atomic<int> listen_fd{-1};
  impl->server.set_socket_options([&listen_fd](socket_t sock) {
    httplib::default_socket_options(sock);
    listen_fd = static_cast<int>(sock);
  });
  impl->port = impl->server.bind_to_any_port("127.0.0.1");
  if (impl->port > 0 && listen_fd >= 0) ::listen(listen_fd, kListenBacklog);
  impl->server.set_socket_options(httplib::default_socket_options);
  if (impl->port <= 0) throw std::runtime_error("FakePostalServer: cannot bind 127.0.0.1");
  impl->thread = std::thread([impl] { impl->server.listen_after_bind(); });
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!impl->server.is_running()) {
    if (std::chrono::steady_clock::now() > deadline) {
      stop();
      throw std::runtime_error("FakePostalServer: the server did not start");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

FakePostalServer::~FakePostalServer() { stop(); }

int FakePostalServer::port() const { return impl_->port; }

std::string FakePostalServer::base_url() const {
  return "http://127.0.0.1:" + std::to_string(impl_->port);
}

void FakePostalServer::stop() {
  std::lock_guard<std::mutex> lock(impl_->stop_mutex);
  if (impl_->stopped) return;
  impl_->stopped = true;
  impl_->server.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

}  // namespace postal_support
