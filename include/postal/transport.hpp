/// @file
/// The HTTP seam: one exchange in, one response (or a transport error) out.
#pragma once

#include <postal/result.hpp>
#include <postal/version.hpp>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <exception>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

POSTAL_BEGIN_NAMESPACE

namespace detail {
/// The Error for an exception that escaped a transport (or an allocation): the request may
/// have left.
inline Error unexpected_exception(const std::string& what) {
  Error error;
  error.code = ErrorCode::Transport;
  error.message = "unexpected exception during the request: " + what;
  error.send_state = SendState::MaybeSent;
  return error;
}

/// ASCII case-insensitive comparison, for HTTP header names.
inline bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}
}  // namespace detail

/// HTTP header fields in order; names compare case-insensitively.
///
/// @code
/// postal::Headers headers{{"Content-Type", "application/json"}};
/// headers.add("X-Postal-Signature-256", signature);
/// auto kid = headers.get("x-postal-signature-kid");  // std::optional<std::string>
/// @endcode
class Headers {
 public:
  /// One field: name and value.
  using value_type = std::pair<std::string, std::string>;
  /// Iterator over the fields, in order.
  using const_iterator = std::vector<value_type>::const_iterator;

  /// No fields.
  Headers() = default;
  /// Headers from a list of name/value pairs.
  Headers(std::initializer_list<value_type> fields) : fields_(fields) {}
  /// Headers that take over a list of name/value pairs, in order. Passed with std::move, the
  /// list's storage is taken over and nothing is copied (an lvalue is copied first).
  explicit Headers(std::vector<value_type> fields) noexcept : fields_(std::move(fields)) {}

  /// Appends a field (keeps any field of the same name).
  void add(std::string name, std::string value) {
    fields_.emplace_back(std::move(name), std::move(value));
  }
  /// Makes room for `count` fields in all, so that adding that many allocates no more storage.
  void reserve(std::size_t count) { fields_.reserve(count); }
  /// Replaces every field of this name with one field.
  void set(std::string name, std::string value) {
    erase(name);
    add(std::move(name), std::move(value));
  }
  /// Removes every field of this name.
  void erase(std::string_view name) {
    fields_.erase(
        std::remove_if(fields_.begin(), fields_.end(),
                       [&](const value_type& f) { return detail::iequals(f.first, name); }),
        fields_.end());
  }
  /// The value of the first field of this name, if any.
  std::optional<std::string> get(std::string_view name) const {
    for (const auto& field : fields_)
      if (detail::iequals(field.first, name)) return field.second;
    return std::nullopt;
  }
  /// True when a field of this name is present.
  bool contains(std::string_view name) const { return get(name).has_value(); }

  /// The first field.
  const_iterator begin() const noexcept { return fields_.begin(); }
  /// Past the last field.
  const_iterator end() const noexcept { return fields_.end(); }
  /// The number of fields (repeated names counted each time).
  std::size_t size() const noexcept { return fields_.size(); }
  /// True when there is no field.
  bool empty() const noexcept { return fields_.empty(); }

 private:
  std::vector<value_type> fields_;
};

/// One HTTP request, as the client builds it.
struct HttpRequest {
  std::string method = "POST";               ///< HTTP method
  std::string url;                           ///< absolute URL
  Headers headers;                           ///< request headers (API key included)
  std::string body;                          ///< request body bytes
  std::chrono::milliseconds timeout{30000};  ///< deadline for the whole exchange
};

/// One HTTP response. Any status is a successful transport call.
struct HttpResponse {
  int status = 0;    ///< HTTP status code
  Headers headers;   ///< response headers
  std::string body;  ///< response body bytes
};

/// The only seam to the network: implement it to plug in your own HTTP stack or a test double.
///
/// `send` returns an error only when there is no complete HTTP response (ErrorCode::Transport,
/// Timeout or ResponseTooLarge) and must say in `send_state` whether the request may have reached
/// the server. Implementations must be safe to call from many threads at once.
///
/// @code
/// struct CannedTransport : postal::Transport {
///   postal::Result<postal::HttpResponse> send(const postal::HttpRequest&) override {
///     return postal::HttpResponse{200, {}, R"({"status":"success","data":{}})"};
///   }
/// };
/// options.transport = std::make_shared<CannedTransport>();
/// @endcode
class Transport {
 public:
  /// Destroys the transport (when the last Client copy using it lets go of it).
  virtual ~Transport() = default;

  /// Performs one exchange.
  virtual Result<HttpResponse> send(const HttpRequest& request) = 0;

  /// Performs many exchanges, up to `max_in_flight` at once; results in input order.
  /// The default runs them one after another; an exception from `send` fails only its own
  /// request (Transport, MaybeSent: it may have left), and the others still run.
  virtual std::vector<Result<HttpResponse>> send_all(const std::vector<HttpRequest>& requests,
                                                     std::size_t max_in_flight) {
    (void)max_in_flight;
    std::vector<Result<HttpResponse>> out;
    out.reserve(requests.size());
    for (const auto& request : requests) {
      try {
        out.push_back(send(request));
      } catch (const std::exception& e) {
        out.push_back(detail::unexpected_exception(e.what()));
      } catch (...) {
        out.push_back(detail::unexpected_exception("not a std::exception"));
      }
    }
    return out;
  }
};

/// Settings of the libcurl transport. Secure by default.
struct CurlOptions {
  bool verify_peer = true;  ///< verify the server's TLS certificate chain
  bool verify_host = true;  ///< verify that the certificate names the host
  std::string ca_file{};    ///< CA bundle file (PEM); empty: libcurl's default
  std::string ca_path{};    ///< CA directory; empty: libcurl's default
  std::string proxy{};      ///< proxy URL, e.g. "http://proxy:3128"; empty: none
  std::chrono::milliseconds connect_timeout{10000};  ///< deadline for DNS + TCP + TLS; > 0
  std::size_t max_idle_connections = 16;             ///< easy handles kept for reuse
  /// How long a kept-alive connection may sit unused and still be reused (CURLOPT_MAXAGE_CONN;
  /// libcurl counts whole seconds). A server closes idle connections after its own timeout
  /// (Puma's default: 20 s); a request written into a connection the server is closing at that
  /// moment fails, and for a send that failure is MaybeSent (the SDK never resends it). Keeping
  /// this below the server's timeout lowers the chance of that race. Must not be negative.
  std::chrono::seconds max_idle_time{15};
  /// The most bytes of one response (header lines and body) accepted. A larger response fails
  /// with ErrorCode::ResponseTooLarge, MaybeSent (never retried), instead of filling memory.
  /// Must be positive.
  std::size_t max_response_bytes = std::size_t{64} << 20;
  /// Offer HTTP/2 on https:// URLs (ALPN; used when the server accepts it, and where the SDK
  /// offers it: libcurl 7.62 or later built with HTTP/2) to batches: send_all, hence send_many,
  /// whose transfers then share one connection as HTTP/2 streams. A batch one transfer wide
  /// (max_in_flight 1) goes the same way. false: HTTP/1.1 only, over parallel connections. A
  /// server that ends HTTP/2 connections with GOAWAY while streams are in flight (nginx after
  /// `keepalive_requests`) makes the refused sends of send_many fail MaybeSent; HTTP/1.1 closes
  /// such connections between requests instead.
  bool http2 = true;
  /// Offer HTTP/2 to single exchanges as well (send: send_message, get_message, ...). Off by
  /// default: a single exchange has its connection to itself (a pooled handle's connections are
  /// its own, one request at a time), so HTTP/2's streams gain it nothing, while HTTP/2's framing
  /// costs client CPU (libcurl 7.88 against nginx over loopback: about 140 µs per sequential
  /// send over HTTP/2, 100 µs over HTTP/1.1). Independent of `http2`.
  bool http2_single = false;
};

/// A libcurl transport: pooled handles with keep-alive and TLS session reuse, no redirects,
/// TLS verification on. Thread-safe.
///
/// @code
/// postal::CurlOptions curl;
/// curl.ca_file = "/etc/ssl/private-ca.pem";
/// options.transport = postal::make_curl_transport(curl);
/// @endcode
POSTAL_API std::shared_ptr<Transport> make_curl_transport(CurlOptions options = {});

POSTAL_END_NAMESPACE
