/// @file
/// Postal's webhook signing keys fetched from its JWKS endpoint (spec §2.5, §4.2),
/// cached, and fetched again when a webhook names a key we do not hold (a key rotation), at most
/// once per interval. Header-only, over postal::Transport.
#pragma once

#include <postal/detail/url.hpp>
#include <postal/error.hpp>
#include <postal/result.hpp>
#include <postal/transport.hpp>
#include <postal/version.hpp>
#include <postal/webhook/event_types.hpp>
#include <postal/webhook/events.hpp>
#include <postal/webhook/keys.hpp>
#include <postal/webhook/verify.hpp>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

POSTAL_BEGIN_NAMESPACE
namespace webhook {

/// Settings of a RemoteKeySet. The defaults suit a production receiver.
struct RemoteKeySetOptions {
  /// Deadline for one JWKS request.
  std::chrono::milliseconds timeout{10000};
  /// Once keys are cached, at least this long between two fetches the set starts by itself
  /// (unknown KID, expired cache): a flood of webhooks with forged KIDs costs Postal at most
  /// one request per interval. `refresh()` is not limited.
  std::chrono::seconds min_refresh_interval{300};
  /// While no key was ever fetched, at least this long between two attempts.
  std::chrono::seconds retry_interval{10};
  /// Cached keys older than this are fetched again on next use; a failed fetch keeps them.
  /// nullopt: keep them until a webhook names an unknown KID.
  std::optional<std::chrono::seconds> max_cache_age{std::chrono::hours(24)};
  /// The clock for the intervals; empty means `std::chrono::steady_clock::now`.
  std::function<std::chrono::steady_clock::time_point()> clock;
};

namespace detail {

/// The JWKS URL must be https, or http to a loopback host: a key fetched over plain HTTP from
/// another host could be replaced in transit, and with it every signature check.
inline Result<void> check_jwks_url(std::string_view url) {
  auto invalid = [&](const std::string& why) {
    Error e;
    e.code = ErrorCode::InvalidArgument;
    e.message = "JWKS URL is not usable: " + why;
    return e;
  };
  // Checked first, and the URL not quoted: a password holding '/' would pass the check of the
  // host below, and the message would show it.
  if (url.find('@') != std::string_view::npos)
    return invalid("it contains '@' (a user name or password); the JWKS endpoint needs none");
  for (char c : url)
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7F)
      return invalid("it contains spaces or control characters");
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return invalid("it has no scheme (https://...)");
  const std::string_view scheme = url.substr(0, scheme_end);
  const bool https = postal::detail::iequals(scheme, "https");
  if (!https && !postal::detail::iequals(scheme, "http"))
    return invalid("the scheme must be https");
  postal::detail::HostPort parts;
  if (auto problem = postal::detail::split_host_port(postal::detail::url_authority(url), parts))
    return invalid(*problem);
  const std::string_view host = parts.host;
  if (https) return {};
  bool loopback = postal::detail::iequals(host, "localhost") || host == "[::1]";
  if (!loopback && host.substr(0, 4) == "127.") {
    int dots = 0;
    loopback = true;
    for (char c : host) {
      if (c == '.') ++dots;
      loopback = loopback && ((c >= '0' && c <= '9') || c == '.');
    }
    loopback = loopback && dots == 3;
  }
  if (!loopback)
    return invalid(
        "plain http is allowed only to a loopback host (127.0.0.1, localhost, [::1]); a key "
        "fetched over http could be forged in transit, use https");
  return {};
}

}  // namespace detail

/// Postal's webhook signing keys, fetched from its JWKS endpoint (`/.well-known/jwks.json`,
/// Postal 3.2+) through a Transport, cached, and refreshed on a key rotation.
///
/// - The first use fetches the keys; later uses read the cache.
/// - A webhook whose `X-Postal-Signature-KID` names no cached key makes the set fetch the JWKS
///   again, once, then verify. Automatic fetches are rate limited (`min_refresh_interval`), so
///   forged KIDs cannot make the receiver hammer Postal; such webhooks fail with UnknownKey.
/// - A failed fetch keeps serving the keys already cached. A fresh fetch replaces the cache, so
///   a key Postal no longer publishes stops verifying.
/// - Errors: an invalid URL is ErrorCode::InvalidArgument (from every call); no key yet because
///   the fetch failed is ErrorCode::Transport / Timeout (no response), Http (a status other
///   than 200) or Decode (not a JWKS with an RSA signing key). No API key is ever sent.
///
/// Answer a webhook that fails with Transport, Timeout, Http or Decode-of-the-JWKS with a 5xx:
/// Postal retries it for ~36 minutes.
///
/// @code
/// postal::webhook::RemoteKeySet keys = postal::webhook::RemoteKeySet::for_server(
///     nullptr, "https://postal.example.com");  // nullptr: the libcurl transport
/// auto event = keys.verify_and_parse(raw_body, headers);
/// @endcode
///
/// @par Thread Safety
/// Safe to use from many threads at once; one fetch runs at a time and callers that need its
/// result wait for it. Copies are cheap and share the cache.
class RemoteKeySet {
 public:
  /// Keys from `jwks_url` (such as "https://postal.example.com/.well-known/jwks.json") through
  /// `transport` (nullptr: the libcurl transport). Fetches nothing yet.
  RemoteKeySet(std::shared_ptr<Transport> transport, std::string jwks_url,
               RemoteKeySetOptions options = {})
      : state_(std::make_shared<State>()) {
    state_->url = std::move(jwks_url);
    state_->options = std::move(options);
    auto valid = detail::check_jwks_url(state_->url);
    if (!valid) {
      state_->config_error = valid.error();
      return;
    }
    state_->transport = transport ? std::move(transport) : make_curl_transport();
  }

  /// Keys from the server at `base_url` (as in ClientOptions, a path prefix kept):
  /// `<base_url>/.well-known/jwks.json`.
  static RemoteKeySet for_server(std::shared_ptr<Transport> transport, std::string_view base_url,
                                 RemoteKeySetOptions options = {}) {
    std::string url(base_url);
    while (!url.empty() && url.back() == '/') url.pop_back();
    return RemoteKeySet(std::move(transport), url + "/.well-known/jwks.json", std::move(options));
  }

  /// The JWKS URL.
  const std::string& url() const noexcept { return state_->url; }

  /// The cached keys; fetched on first use and when older than `max_cache_age` (a failed fetch
  /// then keeps the old keys). Never throws.
  Result<KeySet> keys() const {
    auto keys = current("");
    if (!keys) return keys.error();
    return KeySet(**keys);
  }

  /// Fetches the JWKS now, ignoring the rate limit, and replaces the cache on success. If a fetch
  /// is already running, waits for it and reports its outcome. Never throws.
  Result<void> refresh() const {
    if (state_->config_error) return *state_->config_error;
    std::unique_lock<std::mutex> lock(state_->mutex);
    if (state_->fetching) {
      state_->fetched.wait(lock, [&] { return !state_->fetching; });
      if (state_->last_error) return *state_->last_error;
      return {};
    }
    return fetch(lock);
  }

  /// `webhook::verify` with these keys: a KID we do not hold triggers one refresh (rate
  /// limited) before the check. Never throws.
  Result<void> verify(std::string_view raw_body, const Headers& headers,
                      const VerifyOptions& options = {}) const {
    auto keys = keys_for(headers);
    if (!keys) return keys.error();
    return webhook::verify(raw_body, headers, **keys, options);
  }

  /// `webhook::verify_and_parse` with these keys: a KID we do not hold triggers one refresh
  /// (rate limited) before the check. Never throws.
  ///
  /// @code
  /// auto event = keys.verify_and_parse(raw_body, headers);
  /// if (!event) return respond(event.error().code == postal::ErrorCode::Signature ||
  ///                            event.error().code == postal::ErrorCode::UnknownKey ? 401 : 503);
  /// @endcode
  Result<Event> verify_and_parse(std::string_view raw_body, const Headers& headers,
                                 const VerifyOptions& options = {}) const {
    auto keys = keys_for(headers);
    if (!keys) return keys.error();
    return webhook::verify_and_parse(raw_body, headers, **keys, options);
  }

 private:
  using Clock = std::chrono::steady_clock;
  using KeysPtr = std::shared_ptr<const KeySet>;

  struct State {
    std::shared_ptr<Transport> transport;
    std::string url;
    RemoteKeySetOptions options;
    std::optional<Error> config_error;  // an unusable URL, reported by every call
    std::mutex mutex;                   // guards the members below
    std::condition_variable fetched;    // signalled when a fetch ends
    bool fetching = false;              // a fetch is running (without the lock)
    KeysPtr keys;                       // the cache; null before the first successful fetch
    std::optional<Clock::time_point> last_attempt;
    std::optional<Clock::time_point> last_success;
    std::optional<Error> last_error;  // the last fetch's error; reset by a success

    Clock::time_point now() const { return options.clock ? options.clock() : Clock::now(); }
  };

  /// The cache for a request's KID header (trimmed, as verify reads it).
  Result<KeysPtr> keys_for(const Headers& headers) const {
    std::string kid = headers.get(signature_kid_header).value_or("");
    while (!kid.empty() && (kid.back() == ' ' || kid.back() == '\t')) kid.pop_back();
    std::size_t start = 0;
    while (start < kid.size() && (kid[start] == ' ' || kid[start] == '\t')) ++start;
    return current(std::string_view(kid).substr(start));
  }

  /// The keys to verify with. Fetches when nothing is cached, when the cache expired, or when
  /// `kid` is non-empty and not cached, as far as the rate limit allows.
  Result<KeysPtr> current(std::string_view kid) const {
    if (state_->config_error) return *state_->config_error;
    State& s = *state_;
    std::unique_lock<std::mutex> lock(s.mutex);
    const auto now = s.now();
    const bool known = s.keys && (kid.empty() || s.keys->find(kid) != nullptr);
    const bool expired = s.keys && s.options.max_cache_age && s.last_success &&
                         now - *s.last_success >= *s.options.max_cache_age;
    if (known && !expired) return s.keys;
    if (s.fetching) {
      if (known) return s.keys;  // expired but usable: do not wait for the refresh
      s.fetched.wait(lock, [&] { return !s.fetching; });
      return cached_or_error(lock);
    }
    const auto interval = s.keys ? s.options.min_refresh_interval : s.options.retry_interval;
    if (s.last_attempt && now - *s.last_attempt < interval) return cached_or_error(lock);
    (void)fetch(lock);  // a failure keeps the cache; its error is kept for callers without keys
    return cached_or_error(lock);
  }

  /// (lock held) The cache, or why there is none.
  Result<KeysPtr> cached_or_error(std::unique_lock<std::mutex>&) const {
    if (state_->keys) return state_->keys;
    if (state_->last_error) return *state_->last_error;
    Error e;  // unreachable in practice: no keys without an error
    e.code = ErrorCode::Transport;
    e.message = "no JWKS fetched yet from " + state_->url;
    return e;
  }

  /// (lock held, no fetch running) Fetches without the lock, then stores the outcome.
  Result<void> fetch(std::unique_lock<std::mutex>& lock) const {
    State& s = *state_;
    s.fetching = true;
    s.last_attempt = s.now();
    lock.unlock();
    Result<KeySet> fetched = download();
    KeysPtr keys;
    try {
      if (fetched) keys = std::make_shared<const KeySet>(std::move(*fetched));
    } catch (const std::exception& ex) {
      fetched = fetch_error(std::string("storing the JWKS failed: ") + ex.what());
    }
    lock.lock();
    s.fetching = false;
    s.fetched.notify_all();  // waiters need the lock, so they see the outcome stored below
    if (!keys) {
      s.last_error = fetched.error();
      return fetched.error();
    }
    s.keys = std::move(keys);
    s.last_success = s.now();
    s.last_error.reset();
    return {};
  }

  /// One GET of the JWKS, decoded. Never throws.
  Result<KeySet> download() const {
    const State& s = *state_;
    try {
      HttpRequest request;
      request.method = "GET";
      request.url = s.url;
      request.headers.set("Accept", "application/json");
      request.headers.set("User-Agent", std::string("postal-cpp/") + version_string);
      request.timeout = s.options.timeout;
      auto response = s.transport->send(request);
      if (!response) {
        Error e = response.error();
        e.message = "fetching the JWKS from " + s.url + " failed: " + e.message;
        e.send_state = SendState::NotSent;
        return e;
      }
      Error e;
      e.http_status = response->status;
      e.body = response->body.substr(0, 2048);
      if (response->status != 200) {
        e.code = ErrorCode::Http;
        e.message = "the JWKS endpoint " + s.url + " answered HTTP " +
                    std::to_string(response->status) + " (expected 200)";
        return e;
      }
      auto keys = load_jwks(response->body);
      if (!keys) {
        e.code = ErrorCode::Decode;
        e.message = "the JWKS from " + s.url + " is not usable: " + keys.error().message;
        return e;
      }
      return keys;
    } catch (const std::exception& ex) {
      return fetch_error(std::string("fetching the JWKS failed: ") + ex.what());
    }
  }

  /// An ErrorCode::Transport error about the JWKS URL.
  Error fetch_error(std::string message) const {
    Error e;
    e.code = ErrorCode::Transport;
    e.message = std::move(message) + " (" + state_->url + ")";
    return e;
  }

  std::shared_ptr<State> state_;
};

}  // namespace webhook
POSTAL_END_NAMESPACE
