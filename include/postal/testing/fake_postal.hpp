/// @file
/// Test tooling: FakePostal, an in-memory Postal mail server behind the Transport seam.
///
/// It answers Postal's legacy API (send/message, send/raw, messages/message,
/// messages/deliveries) with the bytes Postal 3.3.3+ sends: HTTP 200 envelopes with the exact
/// error codes, texts and order, per-recipient ids and tokens, the nine expansions, deliveries,
/// Rails' JSON escaping and float format. Tests can record deliveries, bounces, loads and clicks
/// and take the signed webhooks Postal would send for them (fake_postal_events.hpp), fetch the
/// JWKS at /.well-known/jwks.json, inspect what was stored and inject faults.
#pragma once

#include <postal/error.hpp>
#include <postal/models.hpp>
#include <postal/result.hpp>
#include <postal/testing/fake_postal_actions.hpp>
#include <postal/testing/fake_postal_events.hpp>
#include <postal/testing/fake_server_state.hpp>
#include <postal/testing/rails_json.hpp>
#include <postal/testing/rails_request.hpp>
#include <postal/testing/ruby_compat.hpp>
#include <postal/testing/stored_message.hpp>
#include <postal/transport.hpp>
#include <postal/version.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

POSTAL_BEGIN_NAMESPACE
namespace testing {

/// When an injected fault (FakePostal::fail_next) takes effect.
enum class FaultTiming {
  BeforeProcessing,  ///< the request is not processed (nothing is created)
  AfterProcessing,   ///< the request is processed (mail may be created), then the answer is lost
};

/// An in-memory Postal server: a Transport that answers like Postal 3.3.3+ does.
///
/// Defaults: API key "test-api-key", verified domain "example.com", not suspended, web
/// hostname "postal.example.test", return path domain "rp.postal.example.test".
///
/// @code
/// auto fake = std::make_shared<postal::testing::FakePostal>();
/// postal::ClientOptions options;
/// options.base_url = "https://postal.example.test";
/// options.api_key = "test-api-key";
/// options.transport = fake;
/// // ... send mail with a postal::Client, then:
/// fake->record_delivery(1, {postal::DeliveryStatus::Sent, "Message accepted", "250 OK"});
/// auto hooks = fake->take_webhooks();  // the signed MessageSent webhook
/// @endcode
///
/// Besides Postal's legacy API it serves `GET /.well-known/jwks.json` (no API key), the public
/// half of its webhook signing key (see FakePostalEvents).
///
/// @par Thread Safety
/// Every member function may be called from many threads at once (one mutex).
class FakePostal : public Transport, public FakePostalEvents {
 public:
  /// A server with the default key and domain (see the class comment).
  FakePostal() = default;

  // --- configuration ---------------------------------------------------------------------

  /// Accepts `key` as an API credential of this server.
  void add_api_key(std::string key) {
    std::lock_guard<std::mutex> lock(mutex_);
    state_.api_keys.push_back(std::move(key));
  }
  /// Stops accepting `key`.
  void remove_api_key(std::string_view key) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto& keys = state_.api_keys;
    keys.erase(std::remove(keys.begin(), keys.end(), key), keys.end());
  }
  /// Adds a verified domain: From addresses at it (case-insensitive) are authenticated.
  /// `use_for_any`: Postal's "use for any" flag, which authenticates every From address.
  void add_verified_domain(std::string domain, bool use_for_any = false) {
    std::lock_guard<std::mutex> lock(mutex_);
    state_.domains.push_back({std::move(domain), use_for_any});
  }
  /// Removes a verified domain (case-insensitive).
  void remove_verified_domain(std::string_view domain) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto& domains = state_.domains;
    domains.erase(std::remove_if(domains.begin(), domains.end(),
                                 [&](const detail::FakeDomain& d) {
                                   return postal::detail::iequals(d.name, domain);
                                 }),
                  domains.end());
  }
  /// Suspends the server: every authenticated request answers `ServerSuspended`.
  void set_suspended(bool suspended) {
    std::lock_guard<std::mutex> lock(mutex_);
    state_.suspended = suspended;
  }
  /// Postal's "allow sender" server option: a verified Sender also authenticates the mail.
  void set_allow_sender(bool allow) {
    std::lock_guard<std::mutex> lock(mutex_);
    state_.allow_sender = allow;
  }
  /// The domain of generated Message-IDs ("<uuid>@<domain>").
  void set_return_path_domain(std::string domain) {
    std::lock_guard<std::mutex> lock(mutex_);
    state_.return_path_domain = std::move(domain);
  }
  /// The host name in the Received header of send/message mail.
  void set_web_hostname(std::string hostname) {
    std::lock_guard<std::mutex> lock(mutex_);
    state_.web_hostname = std::move(hostname);
  }

  /// Which path prefix may come before "/api/v1/". "" (the default): none, as Postal itself
  /// routes, so a wrong base_url path answers 404. "/postal": exactly that prefix, as behind a
  /// reverse proxy mounted there. nullopt: any prefix is ignored.
  void set_path_prefix(std::optional<std::string> prefix) {
    std::lock_guard<std::mutex> lock(mutex_);
    state_.path_prefix = std::move(prefix);
  }

  // --- faults ----------------------------------------------------------------------------

  /// The next request is answered with `response` verbatim (such as a proxy's 502 page).
  /// Faults queue up, one per request.
  void fail_next(HttpResponse response, FaultTiming when = FaultTiming::BeforeProcessing) {
    std::lock_guard<std::mutex> lock(mutex_);
    Fault fault;
    fault.response = std::move(response);
    fault.when = when;
    faults_.push_back(std::move(fault));
  }
  /// The next request fails with `error` as a transport error; for example ErrorCode::Timeout,
  /// SendState::MaybeSent and FaultTiming::AfterProcessing: the mail is created, the answer lost.
  void fail_next(Error error, FaultTiming when = FaultTiming::BeforeProcessing) {
    std::lock_guard<std::mutex> lock(mutex_);
    Fault fault;
    fault.error = std::move(error);
    fault.when = when;
    faults_.push_back(std::move(fault));
  }

  // --- the Transport ---------------------------------------------------------------------

  /// Handles one HTTP exchange as Postal's web server does. Never throws: what would be an
  /// unhandled exception in Postal is answered with HTTP 500, as Rails would.
  Result<HttpResponse> send(const HttpRequest& request) override {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto started = Clock::now();
    ++request_count_;
    std::optional<Fault> fault;
    try {
      requests_.push_back(request);
      if (!faults_.empty()) {
        fault = std::move(faults_.front());
        faults_.pop_front();
      }
    } catch (...) {
      // Out of memory while logging: carry on without the record.
    }
    if (fault && fault->when == FaultTiming::BeforeProcessing) return take(std::move(*fault));
    HttpResponse response;
    try {
      response = handle(request, started);
    } catch (...) {
      try {
        response = detail::rails_error_page(500, request.headers);
      } catch (...) {
        response = HttpResponse{500, {}, {}};
      }
    }
    if (fault) return take(std::move(*fault));
    if (request.method == "HEAD") response.body.clear();
    return response;
  }

  // --- inspection --------------------------------------------------------------------------

  /// Every stored message, by id.
  std::vector<StoredMessage> messages() const {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<StoredMessage> out;
    out.reserve(state_.messages.size());
    for (const auto& entry : state_.messages) out.push_back(entry.second);
    return out;
  }
  /// The message with this id, if any.
  std::optional<StoredMessage> find_message(std::int64_t id) const {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto it = state_.messages.find(id);
    if (it == state_.messages.end()) return std::nullopt;
    return it->second;
  }
  /// How many HTTP requests send() has handled (faults and 404s included).
  std::size_t request_count() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return request_count_;
  }
  /// Copies of every request send() has handled, in order.
  std::vector<HttpRequest> requests() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return requests_;
  }
  /// The web hostname (see set_web_hostname).
  std::string web_hostname() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return state_.web_hostname;
  }
  /// The return path domain (see set_return_path_domain).
  std::string return_path_domain() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return state_.return_path_domain;
  }

 private:
  using Json = nlohmann::ordered_json;
  using Clock = std::chrono::steady_clock;
  // Two members, not a std::variant: GCC 12 at -O2 and above reports a moved variant of these
  // as maybe uninitialized (a false positive that -Werror builds of users' tests would hit).
  struct Fault {
    HttpResponse response;  // when `error` is empty
    std::optional<Error> error;
    FaultTiming when = FaultTiming::BeforeProcessing;
  };

  static Result<HttpResponse> take(Fault fault) {
    if (fault.error) return std::move(*fault.error);
    return std::move(fault.response);
  }

  /// Routing, parameters, authentication (before_action :authenticate_as_server), the action,
  /// and the envelope.
  HttpResponse handle(const HttpRequest& request, Clock::time_point started) {
    const auto [path, query] = detail::split_url(request.url);
    const std::string& method = request.method;
    if (detail::is_jwks_path(path, state_.path_prefix)) {  // no authentication (spec §2.5)
      if (method == "GET" || method == "HEAD") return jwks_response();
      return detail::rails_error_page(404, request.headers);
    }
    const auto action = detail::route_action(path, state_.path_prefix);
    const bool routed_method = method == "GET" || method == "POST" || method == "PUT" ||
                               method == "PATCH" || method == "HEAD";
    if (!action || !routed_method) return detail::rails_error_page(404, request.headers);
    const auto params = detail::read_request_params(request, query);
    if (!params) return detail::rails_error_page(400, request.headers);
    return envelope(started, run(*action, *params, detail::api_key_header(request.headers)));
  }

  detail::ApiOutcome run(const std::string& action, const detail::RequestParams& params,
                         const std::optional<std::string>& key) {
    if (!key || detail::is_blank(*key)) {
      Json data = Json::object();
      data["message"] = "Must be authenticated as a server.";
      return detail::api_error("AccessDenied", std::move(data));
    }
    if (!state_.key_known(*key)) {
      Json data = Json::object();
      data["message"] = "The API token provided in X-Server-API-Key was not valid.";
      data["token"] = *key;
      return detail::api_error("InvalidServerAPIKey", std::move(data));
    }
    if (state_.suspended) return detail::api_error("ServerSuspended");
    const Json api = api_params(params);
    if (action == "send/message") return detail::send_message_action(state_, api, *key);
    if (action == "send/raw") return detail::send_raw_action(state_, api, *key);
    return detail::messages_action(state_, api, action == "messages/deliveries");
  }

  /// LegacyAPI::BaseController#api_params: the JSON params; else the `params` field parsed as
  /// JSON (a parse failure raises → HTTP 500); else {}.
  static Json api_params(const detail::RequestParams& params) {
    if (params.json) return params.values;
    const auto field = params.values.find("params");
    if (field == params.values.end() || detail::json_blank(*field)) return Json::object();
    if (!field->is_string()) throw detail::InternalServerError("TypeError: no implicit conversion");
    Json parsed = Json::parse(field->get_ref<const std::string&>(), nullptr, false);
    if (parsed.is_discarded() || !parsed.is_object())
      throw detail::InternalServerError("JSON::ParserError");
    return parsed;
  }

  /// `{"status":…,"time":…,"flags":{},"data":…}`, HTTP 200, Rails' JSON.
  static HttpResponse envelope(Clock::time_point started, detail::ApiOutcome outcome) {
    const double elapsed = std::chrono::duration<double>(Clock::now() - started).count();
    Json body = Json::object();
    body["status"] = std::move(outcome.status);
    body["time"] = std::round(elapsed * 1000) / 1000;
    body["flags"] = Json::object();
    body["data"] = std::move(outcome.data);
    HttpResponse response;
    response.status = 200;
    response.headers.set("Content-Type", "application/json; charset=utf-8");
    response.body = detail::rails_json(body);
    return response;
  }

  std::deque<Fault> faults_;
  std::vector<HttpRequest> requests_;
  std::size_t request_count_ = 0;
};

}  // namespace testing
POSTAL_END_NAMESPACE

/// @namespace postal::testing
/// Test tooling for your code that uses postal-cpp: FakePostal (an in-memory Postal behind the
/// Transport seam, with the webhooks it would send) and sign_webhook (to test a webhook
/// receiver).
///
/// @code
/// #include <postal/testing/fake_postal.hpp>      // FakePostal
/// #include <postal/testing/webhook_signer.hpp>   // sign_webhook, generate_test_key
/// @endcode
///
/// Names in `postal::testing::detail` are FakePostal's internals: no stability promise.
