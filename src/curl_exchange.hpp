// postal-cpp (private): one HTTP exchange on a libcurl easy handle. Shared by the blocking path
// (`send`, curl_easy_perform) and the batch path (`send_all`, the multi interface), so that both
// set up handles and classify failures in exactly the same way. Never installed.
#pragma once

#include "response_head.hpp"

#include <postal/error.hpp>
#include <postal/result.hpp>
#include <postal/transport.hpp>

#include <curl/curl.h>

#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

// libcurl 7.80 added CURLOPT_PREREQFUNCTION, which lets a request body go in CURLOPT_POSTFIELDS
// while libcurl's own resend stays refused.
#if LIBCURL_VERSION_NUM >= 0x075000
#define POSTAL_CURL_HAS_PREREQ 1
#else
#define POSTAL_CURL_HAS_PREREQ 0
#endif

POSTAL_BEGIN_NAMESPACE
namespace detail {

/// A request's header fields as libcurl takes them (CURLOPT_HTTPHEADER), with the lines the
/// transport adds: an empty Expect (no 100-continue round trip), an empty Content-Type when the
/// request names none (libcurl would label a POST body form-urlencoded) and the User-Agent when
/// the request names none. Built once and shared, unchanged, by the requests with these fields.
class HeaderList {
 public:
  explicit HeaderList(const Headers& fields);  ///< throws std::bad_alloc
  ~HeaderList() { curl_slist_free_all(list_); }
  HeaderList(const HeaderList&) = delete;
  HeaderList& operator=(const HeaderList&) = delete;

  /// Whether this list was built for exactly `fields` (names, values and order).
  bool made_for(const Headers& fields) const noexcept;
  curl_slist* get() const noexcept { return list_; }

 private:
  void append(const std::string& line);

  Headers fields_;
  curl_slist* list_ = nullptr;
};

/// The header list built last, handed to the next request with the same fields (a client's
/// requests mostly share theirs: the API key and the content type) instead of building it again.
class HeaderListCache {
 public:
  /// The last list built, when it was built for exactly `fields`; nullptr otherwise.
  std::shared_ptr<const HeaderList> find(const Headers& fields);
  /// A new list for `fields`, which becomes the last one. Throws std::bad_alloc.
  /// Precondition: `fields` passed CurlExchange::check_request. A request whose fields find()
  /// matches skips that check, so a list made for unchecked fields would let them through.
  std::shared_ptr<const HeaderList> make(const Headers& fields);

 private:
  std::mutex mutex_;
  std::shared_ptr<const HeaderList> last_;
};

/// The settings of one transport, worked out once from its CurlOptions: the proxy URL without
/// its credentials, the credentials apart (libcurl quotes a proxy URL in its error messages),
/// and the secrets every error message is scrubbed of.
struct CurlConfig {
  explicit CurlConfig(CurlOptions given);

  CurlOptions options;
  std::string proxy_url;           ///< options.proxy without "user:password@"
  std::string proxy_user;          ///< URL-decoded; empty when the proxy URL names none
  std::string proxy_password;      ///< URL-decoded
  bool proxy_credentials = false;  ///< the proxy URL held "user[:password]@"
  /// The CURLOPT_HTTP_VERSION that offers HTTP/2: CURL_HTTP_VERSION_2TLS (HTTP/2 over TLS,
  /// HTTP/1.1 on http://; libcurl's own default from 7.62) where the libcurl in use is 7.62 or
  /// later and built with HTTP/2, CURL_HTTP_VERSION_1_1 elsewhere.
  long http2_version = 0;
  std::vector<std::string> secrets;  ///< never in a message: the proxy string and its password
  mutable HeaderListCache header_lists;
};

/// The state of one request while libcurl works on it. Its address is handed to libcurl's
/// callbacks, so it never moves while a transfer runs.
class CurlExchange {
 public:
  CurlExchange(const HttpRequest& request, const CurlConfig& config)
      : request_(&request), config_(&config) {}
  CurlExchange(const CurlExchange&) = delete;
  CurlExchange& operator=(const CurlExchange&) = delete;

  /// Checks the request and the options, then resets `handle` (live connections and caches
  /// survive a reset) and sets every option for this request; a handle whose last request was
  /// of the same common kind (a POST with a body) and went cleanly keeps the options that do
  /// not change and gets only the others. `in_batch`: the transfer runs on a multi handle with
  /// others (send_all), so it waits for a connection it may share (PIPEWAIT) and offers HTTP/2
  /// as CurlOptions::http2 says; a single exchange follows CurlOptions::http2_single. An Error
  /// (NotSent) when the request cannot be sent as given.
  std::optional<Error> prepare(CURL* handle, CURLSH* share, bool in_batch);

  /// Readies a handle for the idle pool once its exchange is gone: no option may point into a
  /// finished request. A handle prepare may reuse keeps its other options; any other is reset.
  static void release_handle(CURL* handle) noexcept;

  /// The response, or the classified Error, once libcurl reports `code` for this transfer.
  Result<HttpResponse> finish(CURLcode code);

  /// An Error about this request: the message names the method and host, and holds no header
  /// value of 8 characters or more and no proxy credential.
  Error error(ErrorCode code, SendState state, const std::string& what) const;

  const HttpRequest& request() const noexcept { return *request_; }

 private:
  static std::size_t on_header(char* data, std::size_t size, std::size_t count, void* self);
  static std::size_t on_body(char* data, std::size_t size, std::size_t count, void* self);
  static std::size_t on_read(char* buffer, std::size_t size, std::size_t count, void* self);
  static int on_seek(void* self, curl_off_t offset, int origin);
#if POSTAL_CURL_HAS_PREREQ
  static int on_prereq(void* self, char* remote_ip, char* local_ip, int remote_port,
                       int local_port);
#endif
  /// NotSent for a request libcurl must not be given; `check_headers`: its header fields too
  /// (not needed when a header list built for the same fields was found in the cache).
  std::optional<Error> check_request(bool check_headers) const;
  bool take_response_bytes(std::size_t length) noexcept;
  /// NotSent or MaybeSent for a transfer that ended with `code`; `unsent`: nothing_written().
  SendState failure_state(CURLcode code, bool unsent) const;
  /// Whether no byte of the request provably reached the socket, in any attempt.
  bool nothing_written() const;
  /// Why libcurl refused the response's head as too large, when `code` says it did.
  std::optional<std::string> head_over_curl_limit(CURLcode code) const;

  const HttpRequest* request_;
  const CurlConfig* config_;
  CURL* handle_ = nullptr;
  std::shared_ptr<const HeaderList> header_list_;  // what the handle's CURLOPT_HTTPHEADER holds
  char error_buffer_[CURL_ERROR_SIZE] = {};
  HttpResponse response_;
  ResponseHeadReader head_;  // the response's header lines, read into response_.headers at the end
  std::size_t body_offset_ = 0;     // request body bytes handed to libcurl, in all attempts
  std::size_t response_bytes_ = 0;  // header and body bytes received, against the limit
  bool too_large_ = false;          // the response exceeded options.max_response_bytes
  bool callback_failed_ = false;    // a callback could not allocate; the transfer was aborted
  int prereq_calls_ = 0;            // requests libcurl was about to write (on_prereq)
  bool prereq_set_ = false;         // on_prereq is this request's CURLOPT_PREREQFUNCTION
  bool reusable_request_ = false;   // a POST with a body: its handle's options may be kept
  bool resend_refused_ = false;     // libcurl tried to send the request again; it was refused
};

/// Whether a libcurl failure, on a transfer that wrote no request byte, proves that nothing
/// reached the server.
bool curl_code_proves_not_sent(CURLcode code) noexcept;

}  // namespace detail
POSTAL_END_NAMESPACE
