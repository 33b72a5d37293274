// postal-cpp: setting up one libcurl transfer and classifying its outcome.
#include "curl_exchange.hpp"

#include <postal/version.hpp>

#include <chrono>
#include <climits>
#include <cstring>
#include <new>
#include <string_view>

POSTAL_BEGIN_NAMESPACE
namespace detail {
namespace {

constexpr const char* kUserAgent = "postal-cpp/" POSTAL_VERSION_STRING;

// A header value at least this long is scrubbed from error messages (defence in depth: libcurl's
// messages never quote request headers, and the API key must never reach a log line).
constexpr std::size_t kRedactMinLength = 8;

bool is_token_char(char c) noexcept {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return c != '\0' && std::strchr("!#$%&'*+-.^_`|~", c) != nullptr;
}

bool is_token(std::string_view text) noexcept {
  if (text.empty()) return false;
  for (char c : text)
    if (!is_token_char(c)) return false;
  return true;
}

// CR, LF or NUL would let a value start a new header line (header injection).
bool has_line_break(std::string_view text) noexcept {
  return text.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos;
}

std::string_view trim(std::string_view text) noexcept {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() &&
         (text.back() == ' ' || text.back() == '\t' || text.back() == '\r' || text.back() == '\n'))
    text.remove_suffix(1);
  return text;
}

// At most `limit` bytes of `text`, control characters replaced, for an error message.
std::string printable(std::string_view text, std::size_t limit = 200) {
  std::string out(text.substr(0, limit));
  for (char& c : out)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  return out;
}

// "scheme://host:port" of an absolute URL, without user info, path or query.
std::string origin_of(std::string_view url) {
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return "(invalid URL)";
  auto authority = url.substr(scheme_end + 3);
  authority = authority.substr(0, authority.find_first_of("/?#"));
  const auto at = authority.rfind('@');
  if (at != std::string_view::npos) authority.remove_prefix(at + 1);
  return printable(url.substr(0, scheme_end + 3), 20) + printable(authority);
}

long to_curl_ms(std::chrono::milliseconds duration) noexcept {
  const auto count = duration.count();
  if (count <= 0) return 0;  // libcurl: 0 means no deadline
  return count > LONG_MAX ? LONG_MAX : static_cast<long>(count);
}

}  // namespace

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
  out.message = request_->method + " " + origin_of(request_->url) + ": " + what;
  for (const auto& field : request_->headers) {
    const std::string& secret = field.second;
    if (secret.size() < kRedactMinLength) continue;
    constexpr std::string_view kMask = "[redacted]";
    for (auto at = out.message.find(secret); at != std::string::npos;
         at = out.message.find(secret, at + kMask.size()))
      out.message.replace(at, secret.size(), kMask);
  }
  return out;
}

std::optional<Error> CurlExchange::prepare(CURL* handle, const CurlOptions& options,
                                           CURLSH* share) {
  const HttpRequest& request = *request_;
  if (!is_token(request.method))
    return error(ErrorCode::InvalidArgument, SendState::NotSent, "invalid HTTP method");
  if (has_line_break(request.url))
    return error(ErrorCode::InvalidArgument, SendState::NotSent, "line break in the URL");
  for (const auto& field : request.headers) {
    // The name is not secret; the value may be (the API key), so it is never quoted.
    if (!is_token(field.first))
      return error(ErrorCode::InvalidArgument, SendState::NotSent, "invalid header name");
    if (has_line_break(field.second))
      return error(ErrorCode::InvalidArgument, SendState::NotSent,
                   "line break in the value of header " + printable(field.first, 100));
  }

  handle_ = handle;
  curl_easy_reset(handle);
  error_buffer_[0] = '\0';

  auto append = [this](const std::string& line) {
    curl_slist* grown = curl_slist_append(header_list_, line.c_str());
    if (grown == nullptr) throw std::bad_alloc();
    header_list_ = grown;
  };
  for (const auto& field : request.headers)  // "Name;" is libcurl's spelling of an empty value
    append(field.second.empty() ? field.first + ";" : field.first + ": " + field.second);
  if (!request.headers.contains("Expect")) append("Expect:");  // no 100-continue round trip
  // libcurl would label a POST body form-urlencoded; send only the type the caller chose.
  if (!request.headers.contains("Content-Type")) append("Content-Type:");

  CURLcode rc = CURLE_OK;
  auto check = [&rc](CURLcode code) {
    if (rc == CURLE_OK) rc = code;
  };
  check(curl_easy_setopt(handle, CURLOPT_ERRORBUFFER, error_buffer_));
  check(curl_easy_setopt(handle, CURLOPT_SHARE, share));
  check(curl_easy_setopt(handle, CURLOPT_NOSIGNAL, 1L));
  check(curl_easy_setopt(handle, CURLOPT_FOLLOWLOCATION, 0L));  // a redirect would leak the key
  check(curl_easy_setopt(handle, CURLOPT_SSL_VERIFYPEER, options.verify_peer ? 1L : 0L));
  check(curl_easy_setopt(handle, CURLOPT_SSL_VERIFYHOST, options.verify_host ? 2L : 0L));
  if (!options.ca_file.empty())
    check(curl_easy_setopt(handle, CURLOPT_CAINFO, options.ca_file.c_str()));
  if (!options.ca_path.empty())
    check(curl_easy_setopt(handle, CURLOPT_CAPATH, options.ca_path.c_str()));
  // An empty string disables proxies, including http_proxy & co. from the environment.
  check(curl_easy_setopt(handle, CURLOPT_PROXY, options.proxy.c_str()));
  check(curl_easy_setopt(handle, CURLOPT_CONNECTTIMEOUT_MS, to_curl_ms(options.connect_timeout)));
  check(curl_easy_setopt(handle, CURLOPT_TIMEOUT_MS, to_curl_ms(request.timeout)));
#if LIBCURL_VERSION_NUM >= 0x075500
  check(curl_easy_setopt(handle, CURLOPT_PROTOCOLS_STR, "http,https"));
#else
  check(curl_easy_setopt(handle, CURLOPT_PROTOCOLS,
                         static_cast<long>(CURLPROTO_HTTP | CURLPROTO_HTTPS)));
#endif
  check(curl_easy_setopt(handle, CURLOPT_TCP_KEEPALIVE, 1L));
  check(curl_easy_setopt(handle, CURLOPT_URL, request.url.c_str()));
  if (!request.headers.contains("User-Agent"))
    check(curl_easy_setopt(handle, CURLOPT_USERAGENT, kUserAgent));
  check(curl_easy_setopt(handle, CURLOPT_HTTPHEADER, header_list_));

  const bool has_body = !request.body.empty();
  if (request.method == "GET" && !has_body) {
    check(curl_easy_setopt(handle, CURLOPT_HTTPGET, 1L));
  } else if (request.method == "HEAD" && !has_body) {
    check(curl_easy_setopt(handle, CURLOPT_NOBODY, 1L));
  } else {
    if (request.method != "POST")
      check(curl_easy_setopt(handle, CURLOPT_CUSTOMREQUEST, request.method.c_str()));
    if (request.method == "POST" || has_body) {  // the body is sent in place, never copied
      check(curl_easy_setopt(handle, CURLOPT_POSTFIELDSIZE_LARGE,
                             static_cast<curl_off_t>(request.body.size())));
      check(curl_easy_setopt(handle, CURLOPT_POSTFIELDS, request.body.data()));
    }
  }

  check(curl_easy_setopt(handle, CURLOPT_HEADERFUNCTION, &CurlExchange::on_header));
  check(curl_easy_setopt(handle, CURLOPT_HEADERDATA, static_cast<void*>(this)));
  check(curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, &CurlExchange::on_body));
  check(curl_easy_setopt(handle, CURLOPT_WRITEDATA, static_cast<void*>(this)));
  if (rc != CURLE_OK)
    return error(ErrorCode::Transport, SendState::NotSent,
                 std::string("libcurl rejected an option: ") + curl_easy_strerror(rc));
  return std::nullopt;
}

Result<HttpResponse> CurlExchange::finish(CURLcode code) {
  if (callback_failed_)
    return error(ErrorCode::Transport, SendState::MaybeSent,
                 "out of memory while receiving the response");
  if (code == CURLE_OK) {
    flush_pending_header();
    long status = 0;
    curl_easy_getinfo(handle_, CURLINFO_RESPONSE_CODE, &status);
    response_.status = static_cast<int>(status);
    return std::move(response_);
  }

  SendState state = SendState::MaybeSent;
  if (curl_code_proves_not_sent(code)) {
    state = SendState::NotSent;
  } else if (code == CURLE_OPERATION_TIMEDOUT) {
    // Bytes of this request written to the socket; 0 after e.g. a connect timeout.
    long written = -1;
    if (curl_easy_getinfo(handle_, CURLINFO_REQUEST_SIZE, &written) == CURLE_OK && written == 0)
      state = SendState::NotSent;
  }
  std::string what = curl_easy_strerror(code);
  const std::string_view detail = trim(error_buffer_);
  if (!detail.empty()) what.append(" (").append(detail).append(")");
  if (state == SendState::MaybeSent) what += "; the request may have reached the server";
  return error(code == CURLE_OPERATION_TIMEDOUT ? ErrorCode::Timeout : ErrorCode::Transport, state,
               what);
}

// libcurl calls this once per header line, status lines and the blank end line included.
std::size_t CurlExchange::on_header(char* data, std::size_t size, std::size_t count, void* self) {
  auto* exchange = static_cast<CurlExchange*>(self);
  const std::size_t length = size * count;
  try {
    exchange->header_line(std::string_view(data, length));
    return length;
  } catch (...) {  // never unwind through libcurl; a short count aborts the transfer
    exchange->callback_failed_ = true;
    return 0;
  }
}

std::size_t CurlExchange::on_body(char* data, std::size_t size, std::size_t count, void* self) {
  auto* exchange = static_cast<CurlExchange*>(self);
  const std::size_t length = size * count;
  try {
    exchange->response_.body.append(data, length);
    return length;
  } catch (...) {
    exchange->callback_failed_ = true;
    return 0;
  }
}

void CurlExchange::header_line(std::string_view line) {
  if (line.substr(0, 5) == "HTTP/") {  // a new response (after 100 Continue or a proxy CONNECT)
    response_.headers = Headers();
    has_pending_ = false;
    return;
  }
  const bool continuation = !line.empty() && (line.front() == ' ' || line.front() == '\t');
  line = trim(line);
  if (continuation && has_pending_) {  // obsolete line folding: part of the previous value
    if (!line.empty()) pending_value_.append(" ").append(line);
    return;
  }
  flush_pending_header();
  const auto colon = line.find(':');
  if (line.empty() || colon == std::string_view::npos) return;
  pending_name_.assign(trim(line.substr(0, colon)));
  pending_value_.assign(trim(line.substr(colon + 1)));
  has_pending_ = true;
}

void CurlExchange::flush_pending_header() {
  if (!has_pending_) return;
  has_pending_ = false;
  response_.headers.add(std::move(pending_name_), std::move(pending_value_));
  pending_name_.clear();
  pending_value_.clear();
}

}  // namespace detail
POSTAL_END_NAMESPACE
