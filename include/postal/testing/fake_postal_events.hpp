/// @file
/// Test tooling: what happens to mail after FakePostal accepted it (delivery attempts,
/// bounces, loads, clicks), server events (DNS checks, send limits), and the signed webhooks
/// Postal would POST for each (spec §3-5). FakePostal inherits all of it from FakePostalEvents.
#pragma once

#include <postal/error.hpp>
#include <postal/models.hpp>
#include <postal/testing/fake_server_state.hpp>
#include <postal/testing/fake_signing_key.hpp>
#include <postal/testing/fake_webhook_payloads.hpp>
#include <postal/testing/ruby_compat.hpp>
#include <postal/testing/stored_message.hpp>
#include <postal/transport.hpp>
#include <postal/version.hpp>

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

POSTAL_BEGIN_NAMESPACE
namespace testing {

/// FakePostal's event side: record what happens to mail after it was sent, and take the
/// webhooks Postal would POST for it, signed with the fake's key. Use it through FakePostal.
///
/// Every `record_*` call that Postal would follow with a webhook queues one (as if one webhook
/// subscribed to all events were configured); `take_webhooks` drains the queue. Webhooks are
/// signed when taken, with the current signing key. The signing key defaults to a 2048-bit test
/// key shared by every FakePostal of the process (generated once, on first use); give a fake its
/// own with `set_signing_key`. FakePostal serves the matching JWKS at `/.well-known/jwks.json`.
///
/// @code
/// auto keys = postal::webhook::load_jwks(fake->jwks()).value();
/// fake->record_delivery(id, {postal::DeliveryStatus::Sent, "Message accepted", "250 OK"});
/// for (const auto& hook : fake->take_webhooks()) {
///   auto event = postal::webhook::verify_and_parse(hook.body, hook.headers, keys);
///   // ... or hand hook.body and hook.headers to your receiver
/// }
/// @endcode
///
/// @par Thread Safety
/// Every member function may be called from many threads at once (FakePostal's one mutex).
class FakePostalEvents {
 public:
  // --- what happens to mail ------------------------------------------------------------------

  /// Records a delivery attempt for message `message_id`, as Postal's sender would
  /// (Message#create_delivery): the message takes the attempt's status and timestamp, and is
  /// held with hold_expiry now + 7 days when the status is Held. Details and output are cut to
  /// 250 characters, time rounded to 2 decimals. Sent, SoftFail, HardFail and Held queue
  /// MessageSent, MessageDelayed, MessageDeliveryFailed and MessageHeld; other statuses queue
  /// nothing. Returns the delivery id. Throws std::out_of_range for an unknown message.
  std::int64_t record_delivery(std::int64_t message_id, DeliveryAttempt attempt = {}) {
    std::lock_guard<std::mutex> lock(mutex_);
    StoredMessage& message = state_.message_or_throw(message_id);
    const StoredDelivery& delivery = add_delivery(message, std::move(attempt));
    if (const char* event = detail::delivery_event_name(delivery.status))
      webhooks_.push_back(pending(event, detail::delivery_payload(message, delivery)));
    return delivery.id;
  }
  /// Records a load of the tracking pixel (now) and queues MessageLoaded. Throws
  /// std::out_of_range for an unknown message.
  void record_load(std::int64_t message_id, std::string ip_address,
                   std::optional<std::string> user_agent = std::nullopt) {
    std::lock_guard<std::mutex> lock(mutex_);
    StoredMessage& message = state_.message_or_throw(message_id);
    message.loads.push_back({std::move(ip_address), std::move(user_agent),
                             detail::micros_to_seconds(state_.next_micros())});
    webhooks_.push_back(
        pending("MessageLoaded", detail::load_payload(message, message.loads.back())));
  }
  /// Records a click on a tracked link (now) and queues MessageLinkClicked. The link token is
  /// the one of an earlier click on the same URL of this message, else a new one. Throws
  /// std::out_of_range for an unknown message.
  void record_click(std::int64_t message_id, std::string url, std::string ip_address,
                    std::optional<std::string> user_agent = std::nullopt) {
    std::lock_guard<std::mutex> lock(mutex_);
    StoredMessage& message = state_.message_or_throw(message_id);
    std::string token;
    for (const auto& earlier : message.clicks)
      if (earlier.url == url) token = earlier.token;
    if (token.empty()) token = state_.random_token();
    message.clicks.push_back({std::move(url), std::move(ip_address), std::move(user_agent),
                              detail::micros_to_seconds(state_.next_micros()), std::move(token)});
    webhooks_.push_back(
        pending("MessageLinkClicked", detail::click_payload(message, message.clicks.back())));
  }
  /// Records an incoming bounce for message `message_id` (Message#bounce!): stores the bounce as
  /// an incoming message (bounce = true, spam_status NotSpam), gives the original a Bounced
  /// delivery ("We've received a bounce message for this e-mail. See <msg:ID> for details.",
  /// which triggers no webhook of its own) and queues MessageBounced. Returns the bounce's
  /// message id. Throws std::out_of_range for an unknown message.
  std::int64_t record_bounce(std::int64_t message_id, BounceMessage bounce = {}) {
    std::lock_guard<std::mutex> lock(mutex_);
    StoredMessage& original = state_.message_or_throw(message_id);
    const StoredMessage& stored = store_bounce(original, std::move(bounce));
    DeliveryAttempt attempt;
    attempt.status = DeliveryStatus::Bounced;
    attempt.details =
        "We've received a bounce message for this e-mail. See <msg:" + std::to_string(stored.id) +
        "> for details.";
    add_delivery(original, std::move(attempt));
    webhooks_.push_back(pending("MessageBounced", detail::bounce_payload(original, stored)));
    return stored.id;
  }
  /// Queues DomainDNSError for this check of the server's domain (Postal sends it after each
  /// failing hourly check). A domain keeps one UUID unless `check.uuid` gives one.
  void record_dns_error(DomainDnsCheck check) {
    std::lock_guard<std::mutex> lock(mutex_);
    std::string uuid = check.uuid ? *check.uuid : domain_uuid(check.domain);
    const double checked_at = check.dns_checked_at
                                  ? *check.dns_checked_at
                                  : detail::micros_to_seconds(state_.next_micros());
    webhooks_.push_back(
        pending("DomainDNSError", detail::dns_error_payload(server(), check, uuid, checked_at)));
  }
  /// Queues SendLimitApproaching: `volume` messages in the last hour, `limit` the send limit.
  void record_send_limit_approaching(std::int64_t volume, std::int64_t limit) {
    std::lock_guard<std::mutex> lock(mutex_);
    webhooks_.push_back(
        pending("SendLimitApproaching", detail::send_limit_payload(server(), volume, limit)));
  }
  /// Queues SendLimitExceeded: `volume` messages in the last hour, `limit` the send limit.
  void record_send_limit_exceeded(std::int64_t volume, std::int64_t limit) {
    std::lock_guard<std::mutex> lock(mutex_);
    webhooks_.push_back(
        pending("SendLimitExceeded", detail::send_limit_payload(server(), volume, limit)));
  }

  // --- webhooks ------------------------------------------------------------------------------

  /// Every queued webhook, oldest first, signed with the current key; the queue is emptied.
  /// Throws postal::Exception if the default key cannot be generated.
  std::vector<WebhookRequest> take_webhooks() {
    std::unique_lock<std::mutex> lock(mutex_);
    std::deque<detail::PendingWebhook> taken;
    taken.swap(webhooks_);
    const auto key = signing_key();
    lock.unlock();
    std::vector<WebhookRequest> out;
    out.reserve(taken.size());
    for (auto& item : taken) out.push_back(detail::sign_pending(*key, std::move(item)));
    return out;
  }
  /// A new webhook request (new uuid, timestamp now) for a recorded delivery, without queueing
  /// it. Throws std::out_of_range for an unknown message or delivery, std::invalid_argument for
  /// a status that triggers no webhook (Bounced, Processed, HoldCancelled, Error).
  WebhookRequest webhook_for_delivery(std::int64_t message_id, std::int64_t delivery_id) {
    std::unique_lock<std::mutex> lock(mutex_);
    const StoredMessage& message = state_.message_or_throw(message_id);
    for (const auto& delivery : message.deliveries) {
      if (delivery.id != delivery_id) continue;
      const char* event = detail::delivery_event_name(delivery.status);
      if (event == nullptr)
        throw std::invalid_argument(std::string("FakePostal: a ") + to_string(delivery.status) +
                                    " delivery triggers no webhook");
      return sign(lock, pending(event, detail::delivery_payload(message, delivery)));
    }
    throw std::out_of_range("FakePostal: message " + std::to_string(message_id) +
                            " has no delivery " + std::to_string(delivery_id));
  }
  /// A new MessageLoaded request for the load at `index` of the message (see webhook_for_delivery).
  WebhookRequest webhook_for_load(std::int64_t message_id, std::size_t index) {
    std::unique_lock<std::mutex> lock(mutex_);
    const StoredMessage& message = state_.message_or_throw(message_id);
    return sign(lock,
                pending("MessageLoaded", detail::load_payload(message, message.loads.at(index))));
  }
  /// A new MessageLinkClicked request for the click at `index` of the message.
  WebhookRequest webhook_for_click(std::int64_t message_id, std::size_t index) {
    std::unique_lock<std::mutex> lock(mutex_);
    const StoredMessage& message = state_.message_or_throw(message_id);
    return sign(lock, pending("MessageLinkClicked",
                              detail::click_payload(message, message.clicks.at(index))));
  }
  /// A new MessageBounced request for a bounce recorded with record_bounce.
  WebhookRequest webhook_for_bounce(std::int64_t message_id, std::int64_t bounce_message_id) {
    std::unique_lock<std::mutex> lock(mutex_);
    const StoredMessage& original = state_.message_or_throw(message_id);
    const StoredMessage& bounce = state_.message_or_throw(bounce_message_id);
    return sign(lock, pending("MessageBounced", detail::bounce_payload(original, bounce)));
  }

  /// The server hash of DomainDNSError and SendLimit* webhooks (an empty uuid is generated).
  void set_webhook_server(WebhookServer server) {
    std::lock_guard<std::mutex> lock(mutex_);
    server_ = std::move(server);
  }
  /// The server hash webhooks carry (its uuid generated on first use).
  WebhookServer webhook_server() {
    std::lock_guard<std::mutex> lock(mutex_);
    return server();
  }

  // --- the signing key -----------------------------------------------------------------------

  /// Signs webhooks from now on (also those already queued) with this PEM RSA private key
  /// (PKCS#8 or PKCS#1), and publishes it in the JWKS: a key rotation. Throws postal::Exception
  /// (ErrorCode::InvalidArgument) for an unusable key.
  void set_signing_key(std::string_view private_key_pem) {
    auto key = detail::load_signing_material(private_key_pem);
    std::lock_guard<std::mutex> lock(mutex_);
    signing_key_ = std::move(key);
  }
  /// The PEM private key webhooks are signed with (for signing bodies of your own with
  /// sign_webhook).
  std::string signing_private_key_pem() const { return current_key()->private_pem; }
  /// The public key as `-----BEGIN PUBLIC KEY-----` PEM (for webhook::load_public_key_pem).
  std::string signing_public_key_pem() const { return current_key()->published.public_pem; }
  /// The KID: what X-Postal-Signature-KID carries and the JWKS `kid`.
  std::string signing_key_kid() const { return current_key()->published.kid; }
  /// The DKIM-style TXT record (`v=DKIM1; t=s; h=sha256; p=…;`), for load_public_key_dkim.
  std::string signing_key_dkim_record() const { return current_key()->published.dkim_record; }
  /// The body of `/.well-known/jwks.json`, as Postal publishes it (for webhook::load_jwks).
  std::string jwks() const { return current_key()->published.jwks; }

 protected:
  /// Made only as part of a FakePostal.
  FakePostalEvents() = default;
  /// Not virtual: never deleted through a FakePostalEvents pointer.
  ~FakePostalEvents() = default;
  /// Not copyable (it holds FakePostal's state and mutex).
  FakePostalEvents(const FakePostalEvents&) = delete;
  /// Not copyable (it holds FakePostal's state and mutex).
  FakePostalEvents& operator=(const FakePostalEvents&) = delete;

  /// (mutex_ held) The signing key; the default key is fetched (maybe generated) on first use.
  std::shared_ptr<const detail::SigningMaterial> signing_key() const {
    if (!signing_key_) signing_key_ = detail::default_signing_material();
    return signing_key_;
  }
  /// (mutex_ held) The answer to GET /.well-known/jwks.json (WellKnownController#jwks).
  HttpResponse jwks_response() const {
    HttpResponse response;
    response.status = 200;
    response.headers.set("Content-Type", "application/json; charset=utf-8");
    response.body = signing_key()->published.jwks;
    return response;
  }

  mutable std::mutex mutex_;       ///< guards everything below and FakePostal's own state
  detail::FakeServerState state_;  ///< the server's configuration and mail

 private:
  std::shared_ptr<const detail::SigningMaterial> current_key() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return signing_key();
  }

  /// (mutex_ held) A new webhook request: WebhookRequest#created_at now, a new v4 uuid.
  detail::PendingWebhook pending(const char* event, nlohmann::ordered_json payload) {
    const double timestamp = detail::micros_to_seconds(state_.next_micros());
    return {event,
            detail::webhook_body(event, timestamp, std::move(payload), state_.random_uuid())};
  }
  /// Signs outside the lock (signing takes a millisecond or two).
  WebhookRequest sign(std::unique_lock<std::mutex>& lock, detail::PendingWebhook item) {
    const auto key = signing_key();
    lock.unlock();
    return detail::sign_pending(*key, std::move(item));
  }

  /// (mutex_ held) Message#create_delivery.
  const StoredDelivery& add_delivery(StoredMessage& message, DeliveryAttempt attempt) {
    StoredDelivery delivery;
    delivery.id = state_.next_delivery_id++;
    delivery.message_id = message.id;
    delivery.status = attempt.status;
    delivery.details = detail::utf8_prefix(attempt.details, 250);
    delivery.output = detail::utf8_prefix(attempt.output, 250);
    delivery.sent_with_ssl = attempt.sent_with_ssl;
    delivery.log_id = std::move(attempt.log_id);
    if (attempt.time) delivery.time = std::round(*attempt.time * 100) / 100;  // decimal(8,2)
    const std::int64_t now = state_.next_micros();
    delivery.timestamp = attempt.timestamp ? *attempt.timestamp : detail::micros_to_seconds(now);
    message.status = delivery.status;
    message.last_delivery_attempt = delivery.timestamp;
    message.held = delivery.status == DeliveryStatus::Held;
    message.hold_expiry = std::nullopt;
    if (message.held)
      message.hold_expiry = detail::micros_to_seconds(now + std::int64_t{7} * 24 * 3600 * 1000000);
    message.deliveries.push_back(std::move(delivery));
    return message.deliveries.back();
  }

  /// (mutex_ held) Stores an incoming bounce of `original` as Postal's SMTP server would.
  const StoredMessage& store_bounce(const StoredMessage& original, BounceMessage bounce) {
    StoredMessage stored;
    stored.id = state_.next_message_id++;
    stored.token = state_.random_token();
    stored.direction = "incoming";
    stored.rcpt_to =
        bounce.rcpt_to ? *bounce.rcpt_to : server_token() + "@" + state_.return_path_domain;
    if (bounce.mail_from && !bounce.mail_from->empty()) stored.mail_from = bounce.mail_from;
    if (!bounce.subject.empty()) stored.subject = detail::utf8_prefix(bounce.subject, 200);
    stored.message_id =
        bounce.message_id ? *bounce.message_id : state_.random_uuid() + "@mx.bounce.test";
    const std::int64_t now = bounce.timestamp
                                 ? static_cast<std::int64_t>(std::llround(*bounce.timestamp * 1e6))
                                 : state_.next_micros();
    stored.timestamp = bounce.timestamp ? *bounce.timestamp : detail::micros_to_seconds(now);
    stored.bounce = true;
    stored.bounce_for_id = original.id;
    stored.received_with_ssl = false;
    stored.inspected = true;
    stored.spam_status = "NotSpam";
    stored.api_key.clear();
    // A DSN that quotes the original's X-Postal-MsgID, which is how Postal matches bounces.
    stored.raw_message =
        "From: Mail Delivery System <MAILER-DAEMON@mx.bounce.test>\r\nTo: " + stored.rcpt_to +
        "\r\nSubject: " + bounce.subject + "\r\nMessage-ID: <" + *stored.message_id +
        ">\r\nDate: " + detail::format_rfc2822(now) +
        "\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n"
        "This message was created automatically by mail delivery software.\r\n\r\n"
        "A message that you sent could not be delivered to one or more of its "
        "recipients:\r\n\r\n  " +
        original.rcpt_to +
        "\r\n\r\n--- The header of the original message:\r\n\r\n"
        "X-Postal-MsgID: " +
        original.token + "\r\n";
    const std::int64_t id = stored.id;
    return state_.messages.emplace(id, std::move(stored)).first->second;
  }

  /// (mutex_ held) The server hash, its uuid generated once.
  const WebhookServer& server() {
    if (server_.uuid.empty()) server_.uuid = state_.random_uuid();
    return server_;
  }
  /// (mutex_ held) The server's token, the local part of its return path (generated once).
  const std::string& server_token() {
    if (server_token_.empty())
      server_token_ = state_.random_string("abcdefghijklmnopqrstuvwxyz0123456789", 6);
    return server_token_;
  }
  /// (mutex_ held) One UUID per domain name.
  std::string domain_uuid(const std::string& domain) {
    auto& uuid = domain_uuids_[domain];
    if (uuid.empty()) uuid = state_.random_uuid();
    return uuid;
  }

  std::deque<detail::PendingWebhook> webhooks_;                         ///< queued, oldest first
  mutable std::shared_ptr<const detail::SigningMaterial> signing_key_;  ///< null: the default
  WebhookServer server_;                                                ///< the server hash
  std::string server_token_;                         ///< the return path's local part
  std::map<std::string, std::string> domain_uuids_;  ///< domain name → UUID
};

}  // namespace testing
POSTAL_END_NAMESPACE
