// postal-cpp (private): one HTTP exchange on a libcurl easy handle. Shared by the blocking path
// (`send`, curl_easy_perform) and the batch path (`send_all`, the multi interface), so that both
// set up handles and classify failures in exactly the same way. Never installed.
#pragma once

#include <postal/error.hpp>
#include <postal/result.hpp>
#include <postal/transport.hpp>

#include <curl/curl.h>

#include <optional>
#include <string>

POSTAL_BEGIN_NAMESPACE
namespace detail {

/// The state of one request while libcurl works on it. Its address is handed to libcurl's
/// callbacks, so it never moves while a transfer runs.
class CurlExchange {
 public:
  explicit CurlExchange(const HttpRequest& request) : request_(&request) {}
  ~CurlExchange() { curl_slist_free_all(header_list_); }
  CurlExchange(const CurlExchange&) = delete;
  CurlExchange& operator=(const CurlExchange&) = delete;

  /// Resets `handle` (live connections and caches survive a reset) and sets every option for
  /// this request. An Error (NotSent) when the request cannot be sent as given.
  std::optional<Error> prepare(CURL* handle, const CurlOptions& options, CURLSH* share);

  /// The response, or the classified Error, once libcurl reports `code` for this transfer.
  Result<HttpResponse> finish(CURLcode code);

  /// An Error about this request: the message names the method and host, never a header value.
  Error error(ErrorCode code, SendState state, const std::string& what) const;

  const HttpRequest& request() const noexcept { return *request_; }

 private:
  static std::size_t on_header(char* data, std::size_t size, std::size_t count, void* self);
  static std::size_t on_body(char* data, std::size_t size, std::size_t count, void* self);
  void header_line(std::string_view line);
  void flush_pending_header();

  const HttpRequest* request_;
  CURL* handle_ = nullptr;
  curl_slist* header_list_ = nullptr;
  char error_buffer_[CURL_ERROR_SIZE] = {};
  HttpResponse response_;
  std::string pending_name_;  // the last header field, kept open for obs-fold continuations
  std::string pending_value_;
  bool has_pending_ = false;
  bool callback_failed_ = false;  // a callback could not allocate; the transfer was aborted
};

/// Whether a libcurl failure proves that no request byte reached the server.
bool curl_code_proves_not_sent(CURLcode code) noexcept;

}  // namespace detail
POSTAL_END_NAMESPACE
