// postal-cpp: setting up one libcurl transfer and classifying its outcome.
#include "curl_exchange.hpp"

#include <postal/detail/redact.hpp>
#include <postal/detail/validate.hpp>
#include <postal/version.hpp>

#include <algorithm>
#include <chrono>
#include <climits>
#include <cstdio>
#include <cstring>
#include <limits>
#include <new>
#include <string_view>

POSTAL_BEGIN_NAMESPACE
namespace detail {
namespace {

#define POSTAL_USER_AGENT "postal-cpp/" POSTAL_VERSION_STRING
constexpr const char* kUserAgent = POSTAL_USER_AGENT;
// The default User-Agent goes in the header list (libcurl would format CURLOPT_USERAGENT into a
// header line again for every request); CURLOPT_USERAGENT is set for a proxy's CONNECT.
constexpr const char* kUserAgentLine = "User-Agent: " POSTAL_USER_AGENT;
#undef POSTAL_USER_AGENT

// A header value at least this long is scrubbed from error messages (defence in depth: libcurl's
// messages never quote request headers, and the API key must never reach a log line).
constexpr std::size_t kRedactMinLength = 8;

bool is_token_char(char c) noexcept {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  switch (c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '.':
    case '^':
    case '_':
    case '`':
    case '|':
    case '~':
      return true;
    default:
      return false;
  }
}

// Headers::contains without copying the value.
bool has_header(const Headers& headers, std::string_view name) noexcept {
  for (const auto& field : headers)
    if (iequals(field.first, name)) return true;
  return false;
}

// CURLINFO_PRIVATE: the CurlConfig of a handle whose options prepare may keep, or nullptr.
const void* handle_mark(CURL* handle) noexcept {
  char* mark = nullptr;
  if (curl_easy_getinfo(handle, CURLINFO_PRIVATE, &mark) != CURLE_OK) return nullptr;
  return mark;
}

bool is_token(std::string_view text) noexcept {
  if (text.empty()) return false;
  for (char c : text)
    if (!is_token_char(c)) return false;
  return true;
}

int hex_digit(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Decodes %XX escapes, as libcurl does for credentials in a URL; a stray '%' stays as is.
std::string percent_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const int high = text[i] == '%' && i + 2 < text.size() ? hex_digit(text[i + 1]) : -1;
    const int low = high >= 0 ? hex_digit(text[i + 2]) : -1;
    if (low >= 0) {
      out += static_cast<char>(high * 16 + low);
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

long to_curl_ms(std::chrono::milliseconds duration) noexcept {
  const auto count = duration.count();  // positive: check_request rejects the rest
  return count > LONG_MAX ? LONG_MAX : static_cast<long>(count);
}

curl_off_t to_curl_off(std::size_t size) noexcept {
  constexpr auto kMax = std::numeric_limits<curl_off_t>::max();
  return size > static_cast<std::size_t>(kMax) ? kMax : static_cast<curl_off_t>(size);
}

}  // namespace

HeaderList::HeaderList(const Headers& fields) : fields_(fields) {
  try {
    for (const auto& field : fields)  // "Name;" is libcurl's spelling of an empty value
      append(field.second.empty() ? field.first + ";" : field.first + ": " + field.second);
    if (!has_header(fields, "Expect")) append("Expect:");
    if (!has_header(fields, "Content-Type")) append("Content-Type:");
    if (!has_header(fields, "User-Agent")) append(kUserAgentLine);
  } catch (...) {
    curl_slist_free_all(list_);
    throw;
  }
}

void HeaderList::append(const std::string& line) {
  curl_slist* grown = curl_slist_append(list_, line.c_str());
  if (grown == nullptr) throw std::bad_alloc();
  list_ = grown;
}

bool HeaderList::made_for(const Headers& fields) const noexcept {
  return std::equal(fields_.begin(), fields_.end(), fields.begin(), fields.end());
}

std::shared_ptr<const HeaderList> HeaderListCache::find(const Headers& fields) {
  std::lock_guard<std::mutex> guard(mutex_);
  if (last_ && last_->made_for(fields)) return last_;
  return nullptr;
}

std::shared_ptr<const HeaderList> HeaderListCache::make(const Headers& fields) {
  auto built = std::make_shared<const HeaderList>(fields);  // outside the lock
  std::lock_guard<std::mutex> guard(mutex_);
  last_ = built;
  return built;
}

namespace {
// Worked out once per process: curl_version_info rewrites a static struct on every call, so
// transports made on several threads at once must not each call it.
long version_offering_http2() noexcept {
  static const long version = [] {
#if LIBCURL_VERSION_NUM >= 0x072f00
    // From 7.62, where 2TLS is libcurl's own default; older HTTP/2 support is left alone.
    const curl_version_info_data* info = curl_version_info(CURLVERSION_NOW);
    if (info != nullptr && info->version_num >= 0x073e00 &&
        (info->features & CURL_VERSION_HTTP2) != 0)
      return static_cast<long>(CURL_HTTP_VERSION_2TLS);
#endif
    return static_cast<long>(CURL_HTTP_VERSION_1_1);
  }();
  return version;
}
}  // namespace

CurlConfig::CurlConfig(CurlOptions given)
    : options(std::move(given)), http2_version(version_offering_http2()) {
  const std::string& proxy = options.proxy;
  // "[scheme://][user[:password]@]host[:port]". The last '@' ends the user info, so that a
  // password holding an unescaped '/', '#' or '@' is still split off whole.
  const auto scheme_end = proxy.find("://");
  const std::size_t authority = scheme_end == std::string::npos ? 0 : scheme_end + 3;
  const auto at = proxy.rfind('@');
  if (at == std::string::npos || at < authority) {
    proxy_url = proxy;
  } else {
    const std::string_view userinfo(proxy.data() + authority, at - authority);
    const auto colon = userinfo.find(':');
    proxy_user = percent_decode(userinfo.substr(0, colon));
    if (colon != std::string_view::npos) {
      const std::string_view raw_password = userinfo.substr(colon + 1);
      proxy_password = percent_decode(raw_password);
      secrets.emplace_back(raw_password);
      secrets.push_back(proxy_password);
    }
    secrets.emplace_back(userinfo);
    proxy_url = proxy.substr(0, authority) + proxy.substr(at + 1);
    proxy_credentials = true;
  }
  secrets.push_back(proxy);
  secrets.erase(std::remove_if(secrets.begin(), secrets.end(),
                               [](const std::string& secret) { return secret.empty(); }),
                secrets.end());
}

bool curl_code_proves_not_sent(CURLcode code) noexcept {
  switch (code) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
      return true;
    default:
      return false;
  }
}

Error CurlExchange::error(ErrorCode code, SendState state, const std::string& what) const {
  Error out;
  out.code = code;
  out.send_state = state;
  out.message = printable(request_->method, 20) + " " +
                printable_origin(request_->url).value_or("(invalid URL)") + ": " + what;
  std::vector<std::string_view> secrets(config_->secrets.begin(), config_->secrets.end());
  for (const auto& field : request_->headers)
    if (field.second.size() >= kRedactMinLength) secrets.push_back(field.second);
  // The longest first, so that no part of a secret survives in one it contains.
  std::sort(secrets.begin(), secrets.end(),
            [](std::string_view a, std::string_view b) { return a.size() > b.size(); });
  for (const auto secret : secrets) redact_in(out.message, secret);
  return out;
}

std::optional<Error> CurlExchange::check_request(bool check_headers) const {
  const HttpRequest& request = *request_;
  const CurlOptions& options = config_->options;
  auto invalid = [this](const std::string& what) {
    return error(ErrorCode::InvalidArgument, SendState::NotSent, what);
  };
  if (!is_token(request.method)) return invalid("invalid HTTP method");
  if (has_line_break(request.url)) return invalid("line break in the URL");
  if (check_headers) {
    for (const auto& field : request.headers) {
      // The name is not secret; the value may be (the API key), so it is never quoted.
      if (!is_token(field.first)) return invalid("invalid header name");
      if (has_line_break(field.second))
        return invalid("line break in the value of header " + printable(field.first, 100));
    }
  }
  // libcurl reads 0 as "no deadline": a request that could hang forever is refused instead.
  if (request.timeout.count() <= 0)
    return invalid("the request timeout must be positive (got " +
                   std::to_string(request.timeout.count()) + " ms)");
  if (options.connect_timeout.count() <= 0)
    return invalid("CurlOptions::connect_timeout must be positive (got " +
                   std::to_string(options.connect_timeout.count()) + " ms)");
  if (options.max_idle_time.count() < 0)
    return invalid("CurlOptions::max_idle_time must not be negative");
  if (options.max_response_bytes == 0)
    return invalid("CurlOptions::max_response_bytes must be positive");
  return std::nullopt;
}

// A handle keeps its options between requests only for the common request, a POST with a body:
// CURLOPT_PRIVATE then holds the transport's CurlConfig, set by finish() after a transfer that
// went cleanly (one request written, a response, nothing resent), and cleared whenever a request
// starts. Such a handle gets only the options that differ between these requests; any other
// handle is reset and set up in full.
std::optional<Error> CurlExchange::prepare(CURL* handle, CURLSH* share, bool in_batch) {
  const HttpRequest& request = *request_;
  // A header list is only ever built for fields that passed check_request: when the last one
  // was built for these fields, they need no checking again.
  auto cached = config_->header_lists.find(request.headers);
  if (auto invalid = check_request(cached == nullptr)) return invalid;
  const CurlOptions& options = config_->options;

  handle_ = handle;
  error_buffer_[0] = '\0';
  const bool has_body = !request.body.empty();
  const bool is_post = request.method == "POST";
  const bool is_head = !is_post && request.method == "HEAD";
  reusable_request_ = POSTAL_CURL_HAS_PREREQ && is_post && has_body;
  const bool configured = reusable_request_ && handle_mark(handle) == config_;

  header_list_ = cached ? std::move(cached) : config_->header_lists.make(request.headers);

  CURLcode rc = CURLE_OK;
  auto check = [&rc](CURLcode code) {
    if (rc == CURLE_OK) rc = code;
  };
  if (configured) {
    // The handle still holds what the branch below sets (the same for every such request); the
    // rest is set again further down.
    // (A smaller receive buffer a batch set is gone: see ~InFlight in curl_transport.cpp.)
    check(curl_easy_setopt(handle, CURLOPT_PRIVATE, static_cast<void*>(nullptr)));
  } else {
    curl_easy_reset(handle);
    check(curl_easy_setopt(handle, CURLOPT_SHARE, share));
    check(curl_easy_setopt(handle, CURLOPT_NOSIGNAL, 1L));
    check(curl_easy_setopt(handle, CURLOPT_FOLLOWLOCATION, 0L));  // a redirect would leak the key
    check(curl_easy_setopt(handle, CURLOPT_SSL_VERIFYPEER, options.verify_peer ? 1L : 0L));
    check(curl_easy_setopt(handle, CURLOPT_SSL_VERIFYHOST, options.verify_host ? 2L : 0L));
    if (!options.ca_file.empty())
      check(curl_easy_setopt(handle, CURLOPT_CAINFO, options.ca_file.c_str()));
    if (!options.ca_path.empty())
      check(curl_easy_setopt(handle, CURLOPT_CAPATH, options.ca_path.c_str()));
    // An empty string disables proxies, including http_proxy & co. from the environment. The
    // credentials go apart: libcurl quotes the proxy URL in some of its error messages.
    check(curl_easy_setopt(handle, CURLOPT_PROXY, config_->proxy_url.c_str()));
    if (config_->proxy_credentials) {
      check(curl_easy_setopt(handle, CURLOPT_PROXYUSERNAME, config_->proxy_user.c_str()));
      check(curl_easy_setopt(handle, CURLOPT_PROXYPASSWORD, config_->proxy_password.c_str()));
    }
    check(curl_easy_setopt(handle, CURLOPT_CONNECTTIMEOUT_MS, to_curl_ms(options.connect_timeout)));
#if LIBCURL_VERSION_NUM >= 0x074100
    const auto max_idle = options.max_idle_time.count();
    check(curl_easy_setopt(handle, CURLOPT_MAXAGE_CONN,
                           max_idle > LONG_MAX ? LONG_MAX : static_cast<long>(max_idle)));
#endif
#if LIBCURL_VERSION_NUM >= 0x075500
    check(curl_easy_setopt(handle, CURLOPT_PROTOCOLS_STR, "http,https"));
#else
    check(curl_easy_setopt(handle, CURLOPT_PROTOCOLS,
                           static_cast<long>(CURLPROTO_HTTP | CURLPROTO_HTTPS)));
#endif
    check(curl_easy_setopt(handle, CURLOPT_TCP_KEEPALIVE, 1L));
    // Used only where the header list has no User-Agent: in a CONNECT to a proxy (set only then:
    // libcurl spends ~3k instructions per request on it even when the list has one).
    if (!config_->proxy_url.empty()) check(curl_easy_setopt(handle, CURLOPT_USERAGENT, kUserAgent));
    // libcurl rejects a too long Content-Length up front (not for HEAD: its Content-Length is
    // that of a body never sent); on_header and on_body count every byte that arrives.
    if (!is_head)
      check(curl_easy_setopt(handle, CURLOPT_MAXFILESIZE_LARGE,
                             to_curl_off(options.max_response_bytes)));
    check(curl_easy_setopt(handle, CURLOPT_HEADERFUNCTION, &CurlExchange::on_header));
    check(curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, &CurlExchange::on_body));
  }

  // Set for every request: what differs between a batch's transfers and single exchanges (a
  // handle serves both), and what points into this exchange or its request.
  // A batch's transfer waits for a connection that may multiplex (HTTP/2) rather than open one
  // per transfer.
  const bool offer_http2 = in_batch ? options.http2 : options.http2_single;
  check(curl_easy_setopt(handle, CURLOPT_PIPEWAIT, in_batch ? 1L : 0L));
  check(curl_easy_setopt(
      handle, CURLOPT_HTTP_VERSION,
      offer_http2 ? config_->http2_version : static_cast<long>(CURL_HTTP_VERSION_1_1)));
  check(curl_easy_setopt(handle, CURLOPT_ERRORBUFFER, error_buffer_));
  check(curl_easy_setopt(handle, CURLOPT_TIMEOUT_MS, to_curl_ms(request.timeout)));
  check(curl_easy_setopt(handle, CURLOPT_URL, request.url.c_str()));
  check(curl_easy_setopt(handle, CURLOPT_HTTPHEADER, header_list_->get()));
  check(curl_easy_setopt(handle, CURLOPT_HEADERDATA, static_cast<void*>(this)));
  check(curl_easy_setopt(handle, CURLOPT_WRITEDATA, static_cast<void*>(this)));

  if (!has_body && request.method == "GET") {
    check(curl_easy_setopt(handle, CURLOPT_HTTPGET, 1L));
  } else if (is_head && !has_body) {
    check(curl_easy_setopt(handle, CURLOPT_NOBODY, 1L));
  } else {
    if (!is_post) check(curl_easy_setopt(handle, CURLOPT_CUSTOMREQUEST, request.method.c_str()));
    if (is_post || has_body) {
      // When a reused connection dies after the request was written, libcurl sends the request
      // again on a new connection on its own (the server may act twice). That must not happen.
      // The known size gives a Content-Length (not chunked).
      check(
          curl_easy_setopt(handle, CURLOPT_POSTFIELDSIZE_LARGE, to_curl_off(request.body.size())));
#if POSTAL_CURL_HAS_PREREQ
      // The body goes in CURLOPT_POSTFIELDS (not copied; headers and body leave in one write),
      // and on_prereq, which libcurl calls before each request it makes on a connection,
      // refuses every call after the first: the retry fails with CURLE_ABORTED_BY_CALLBACK.
      check(curl_easy_setopt(handle, CURLOPT_POSTFIELDS, request.body.data()));
#else
      // libcurl < 7.80 has no pre-request callback: the body goes through on_read. Before a
      // retry libcurl must rewind it, on_seek refuses, and the transfer fails with
      // CURLE_SEND_FAIL_REWIND instead.
      check(curl_easy_setopt(handle, CURLOPT_POST, 1L));
      check(curl_easy_setopt(handle, CURLOPT_READFUNCTION, &CurlExchange::on_read));
      check(curl_easy_setopt(handle, CURLOPT_READDATA, static_cast<void*>(this)));
      check(curl_easy_setopt(handle, CURLOPT_SEEKFUNCTION, &CurlExchange::on_seek));
      check(curl_easy_setopt(handle, CURLOPT_SEEKDATA, static_cast<void*>(this)));
#endif
    }
#if POSTAL_CURL_HAS_PREREQ
    // Any method but GET and HEAD, with a body or not (a DELETE), may act on the server: it is
    // written at most once, and counts as written once libcurl was about to (failure_state).
    check(curl_easy_setopt(handle, CURLOPT_PREREQFUNCTION, &CurlExchange::on_prereq));
    check(curl_easy_setopt(handle, CURLOPT_PREREQDATA, static_cast<void*>(this)));
    prereq_set_ = true;
#endif
  }

  if (rc != CURLE_OK)
    return error(ErrorCode::Transport, SendState::NotSent,
                 std::string("libcurl rejected an option: ") + curl_easy_strerror(rc));
  return std::nullopt;
}

void CurlExchange::release_handle(CURL* handle) noexcept {
  if (handle_mark(handle) == nullptr) {
    curl_easy_reset(handle);
    return;
  }
  // Options kept for the next request; the pointers into this request are dropped.
  curl_easy_setopt(handle, CURLOPT_ERRORBUFFER, static_cast<char*>(nullptr));
  curl_easy_setopt(handle, CURLOPT_HTTPHEADER, static_cast<curl_slist*>(nullptr));
  curl_easy_setopt(handle, CURLOPT_POSTFIELDS, static_cast<const char*>(nullptr));
  curl_easy_setopt(handle, CURLOPT_HEADERDATA, static_cast<void*>(nullptr));
  curl_easy_setopt(handle, CURLOPT_WRITEDATA, static_cast<void*>(nullptr));
#if POSTAL_CURL_HAS_PREREQ
  curl_easy_setopt(handle, CURLOPT_PREREQDATA, static_cast<void*>(nullptr));
#endif
}

Result<HttpResponse> CurlExchange::finish(CURLcode code) {
  if (too_large_ || code == CURLE_FILESIZE_EXCEEDED)
    return error(ErrorCode::ResponseTooLarge, SendState::MaybeSent,
                 "the response exceeded the limit of " +
                     std::to_string(config_->options.max_response_bytes) +
                     " bytes (CurlOptions::max_response_bytes); the request may have reached the "
                     "server");
  if (callback_failed_)
    return error(ErrorCode::Transport, SendState::MaybeSent,
                 "out of memory while receiving the response");
  if (code == CURLE_OK) {
    response_.headers = head_.take();
    long status = 0;
    curl_easy_getinfo(handle_, CURLINFO_RESPONSE_CODE, &status);
    response_.status = static_cast<int>(status);
    // One request written and nothing resent: the handle's state is that of a clean transfer,
    // and its options may serve the next request of the same kind (see prepare).
    if (reusable_request_ && prereq_calls_ == 1 && !resend_refused_)
      curl_easy_setopt(handle_, CURLOPT_PRIVATE,
                       const_cast<void*>(static_cast<const void*>(config_)));
    return std::move(response_);
  }

  const bool unsent = nothing_written();
  const SendState state = failure_state(code, unsent);
  // libcurl refuses a response's head when a status or header line is over 100 KiB, or (from 8.3,
  // and Debian's 7.88) its header lines over 300 KiB in all, before any body byte (on_body is
  // never called with nothing). It reports the line as CURLE_OUT_OF_MEMORY with no detail
  // ("Out of memory" alone would mislead), the total as CURLE_RECV_ERROR, and from 8.6 both as
  // CURLE_TOO_LARGE.
  if (!unsent && response_.body.empty()) {
    if (code == CURLE_OUT_OF_MEMORY)
      return error(ErrorCode::ResponseTooLarge, state,
                   "libcurl stopped reading the response before its body (it reports \"out of "
                   "memory\" for a status or header line over its 100 KiB limit); the request may "
                   "have reached the server");
    if (const auto what = head_over_curl_limit(code))
      return error(ErrorCode::ResponseTooLarge, state,
                   "libcurl stopped reading the response before its body: " + *what +
                       "; the request may have reached the server");
  }
  std::string what;
  if (code == CURLE_SEND_FAIL_REWIND || (code == CURLE_ABORTED_BY_CALLBACK && resend_refused_)) {
    // on_seek or on_prereq refused libcurl's own resend
    what =
        "no response: the connection closed (or an HTTP/2 server refused the stream) after the "
        "request was handed to it, and libcurl's automatic resend was refused";
  } else {
    what = curl_easy_strerror(code);
    const std::string_view detail = trim_line(error_buffer_);
    if (!detail.empty()) what.append(" (").append(printable(detail, 300)).append(")");
    if (state == SendState::MaybeSent && curl_code_proves_not_sent(code))
      what += ", after an attempt that had written the request";
  }
  if (state == SendState::MaybeSent) what += "; the request may have reached the server";
  // A URL libcurl cannot read (e.g. "[zz]" for an IPv6 address) will not be read on a retry.
  const ErrorCode kind = code == CURLE_OPERATION_TIMEDOUT ? ErrorCode::Timeout
                         : code == CURLE_URL_MALFORMAT    ? ErrorCode::InvalidArgument
                                                          : ErrorCode::Transport;
  return error(kind, state, what);
}

// What finish() says of a response head libcurl refused as too large (see there), or nothing.
std::optional<std::string> CurlExchange::head_over_curl_limit(CURLcode code) const {
  const std::string_view detail = trim_line(error_buffer_);
#if LIBCURL_VERSION_NUM >= 0x080600
  if (code == CURLE_TOO_LARGE)
    return "its head is over libcurl's limits (100 KiB a status or header line, 300 KiB of "
           "header lines in all)" +
           (detail.empty() ? std::string() : " (" + printable(detail, 300) + ")");
#endif
  if (code != CURLE_RECV_ERROR) return std::nullopt;
  auto over_total = [](const std::string& how_much) {
    return "its header lines are over libcurl's limit of 300 KiB in all (" + how_much + ")";
  };
  // The response's own status line was read: the head over the limit is not a proxy's answer to
  // CONNECT (libcurl counts that one too, and a GET's request size includes the CONNECT's).
  long status = 0;
  if (curl_easy_getinfo(handle_, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK || status == 0)
    return std::nullopt;
  constexpr std::string_view kMessage = "Too large response headers";
  if (detail.substr(0, kMessage.size()) == kMessage) return over_total(printable(detail, 300));
#if LIBCURL_VERSION_NUM < 0x080300
  // Debian 12's 7.88 has the limit (a backport), on the header bytes of the whole transfer. libcurl
  // keeps the first error message of a transfer: after its own resend of a GET on a new
  // connection (the reused one died), that message is the first attempt's. Header bytes past the
  // limit (libcurl counts the line it refuses) tell instead. (From 8.3 the limit is per attempt
  // while CURLINFO_HEADER_SIZE still sums the transfer: no such inference there.)
  constexpr long kCurlMaxHeaderBytes = 300 * 1024;
  long header_bytes = 0;
  if (curl_easy_getinfo(handle_, CURLINFO_HEADER_SIZE, &header_bytes) == CURLE_OK &&
      header_bytes > kCurlMaxHeaderBytes)
    return over_total(std::to_string(header_bytes) + " bytes");
#endif
  return std::nullopt;
}

// NotSent only when no request byte was written in any attempt: libcurl retries a request on a
// new connection by itself when a reused one dies, and the final code (e.g. a refused reconnect)
// then says nothing about the first attempt, which the server may have processed.
SendState CurlExchange::failure_state(CURLcode code, bool unsent) const {
  if (unsent && !resend_refused_ &&
      (curl_code_proves_not_sent(code) || code == CURLE_OPERATION_TIMEDOUT))
    return SendState::NotSent;
  return SendState::MaybeSent;
}

// With on_prereq set, the request counts as written once libcurl was about to write it:
// CURLINFO_REQUEST_SIZE (libcurl 7.88) counts only what the first write took, so a request
// whose first write would block (EAGAIN) and that libcurl sent later reads as 0 bytes.
bool CurlExchange::nothing_written() const {
  if (prereq_set_) return prereq_calls_ == 0;
  // GET/HEAD (repeating them is harmless), or libcurl < 7.80 (the body goes through on_read)
  long written = -1;  // request bytes written to the socket, summed over libcurl's retries
  if (curl_easy_getinfo(handle_, CURLINFO_REQUEST_SIZE, &written) != CURLE_OK) written = -1;
  return written == 0 && body_offset_ == 0;
}

// Counts received bytes against options.max_response_bytes; false (and too_large_) beyond it.
bool CurlExchange::take_response_bytes(std::size_t length) noexcept {
  if (length > config_->options.max_response_bytes - response_bytes_) {
    too_large_ = true;
    return false;
  }
  response_bytes_ += length;
  return true;
}

// libcurl calls this once per header line, status lines and the blank end line included.
std::size_t CurlExchange::on_header(char* data, std::size_t size, std::size_t count, void* self) {
  auto* exchange = static_cast<CurlExchange*>(self);
  const std::size_t length = size * count;
  if (!exchange->take_response_bytes(length)) return 0;  // a short count aborts the transfer
  try {
    exchange->head_.line(std::string_view(data, length));
    return length;
  } catch (...) {  // never unwind through libcurl
    exchange->callback_failed_ = true;
    return 0;
  }
}

std::size_t CurlExchange::on_body(char* data, std::size_t size, std::size_t count, void* self) {
  auto* exchange = static_cast<CurlExchange*>(self);
  const std::size_t length = size * count;
  if (!exchange->take_response_bytes(length)) return 0;
  try {
    exchange->response_.body.append(data, length);
    return length;
  } catch (...) {
    exchange->callback_failed_ = true;
    return 0;
  }
}

// Hands libcurl the next piece of the request body. body_offset_ never goes back (on_seek
// refuses once a byte was read), so it also says whether any body byte left in any attempt.
std::size_t CurlExchange::on_read(char* buffer, std::size_t size, std::size_t count, void* self) {
  auto* exchange = static_cast<CurlExchange*>(self);
  const std::string& body = exchange->request_->body;
  const std::size_t length = std::min(size * count, body.size() - exchange->body_offset_);
  if (length != 0) std::memcpy(buffer, body.data() + exchange->body_offset_, length);
  exchange->body_offset_ += length;
  return length;
}

#if POSTAL_CURL_HAS_PREREQ
// libcurl calls this once a connection is ready, before it writes the request: once for the
// request, and again only for its own retry on a new connection, which is refused.
int CurlExchange::on_prereq(void* self, char*, char*, int, int) {
  auto* exchange = static_cast<CurlExchange*>(self);
  if (++exchange->prereq_calls_ == 1) return CURL_PREREQFUNC_OK;
  exchange->resend_refused_ = true;
  return CURL_PREREQFUNC_ABORT;
}
#endif

// libcurl rewinds the body before it sends the request again (its own retry on a new
// connection, or an authentication round). Allowed only while nothing was read: once a byte
// went out the server may have the whole request, and a resend could deliver a mail twice.
int CurlExchange::on_seek(void* self, curl_off_t offset, int origin) {
  const auto* exchange = static_cast<const CurlExchange*>(self);
  if (origin == SEEK_SET && offset == 0 && exchange->body_offset_ == 0) return CURL_SEEKFUNC_OK;
  return CURL_SEEKFUNC_CANTSEEK;
}

}  // namespace detail
POSTAL_END_NAMESPACE
