/// @file
/// Test tooling: FakePostal's webhook signing key (the process-wide default test key or
/// one set by the test), signing a queued webhook the way Postal sends it, and the JWKS route.
///
/// Internal to FakePostal (namespace postal::testing::detail): no stability promise.
#pragma once

#include <postal/error.hpp>
#include <postal/testing/fake_webhook_payloads.hpp>
#include <postal/testing/webhook_signer.hpp>
#include <postal/transport.hpp>
#include <postal/version.hpp>

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

POSTAL_BEGIN_NAMESPACE
namespace testing {
namespace detail {

/// A webhook signing key and what a Postal server with it publishes.
struct SigningMaterial {
  std::string private_pem;  ///< PEM private key
  PublishedKey published;   ///< public PEM, KID, DKIM record, JWKS
};

/// Loads a PEM private key. Throws postal::Exception (ErrorCode::InvalidArgument) when unusable.
inline std::shared_ptr<const SigningMaterial> load_signing_material(std::string_view private_pem) {
  auto published = published_key(private_pem);
  if (!published) throw Exception(published.error());
  return std::make_shared<const SigningMaterial>(
      SigningMaterial{std::string(private_pem), std::move(*published)});
}

/// The key every FakePostal in the process signs with until set_signing_key: one 2048-bit key,
/// generated on first use (0.1-1 s) and then shared, so a suite of many fakes pays for it once.
inline std::shared_ptr<const SigningMaterial> default_signing_material() {
  static std::mutex mutex;
  static std::shared_ptr<const SigningMaterial> cached;
  std::lock_guard<std::mutex> lock(mutex);
  if (!cached) cached = load_signing_material(generate_test_key(2048).value().private_pem);
  return cached;
}

/// A webhook body queued for delivery. It is signed when taken, as Postal signs when it
/// delivers (a key rotated in between signs it with the new key).
struct PendingWebhook {
  std::string event;  ///< event name
  std::string body;   ///< the exact body bytes
};

/// Signs a pending webhook: the headers Postal sends, in its order (spec §5).
/// Throws postal::Exception when signing fails.
inline WebhookRequest sign_pending(const SigningMaterial& key, PendingWebhook pending) {
  const Headers signature = sign_webhook(pending.body, key.private_pem).value();
  WebhookRequest request;
  request.headers.add("Content-Type", "application/json");
  for (const auto& field : signature) request.headers.add(field.first, field.second);
  request.headers.add("User-Agent", std::string("Postal/") + fake_postal_version);
  request.body = std::move(pending.body);
  request.event = std::move(pending.event);
  return request;
}

/// True when `path` is Postal's JWKS route, after the path prefix FakePostal routes with
/// (nullopt: any prefix).
inline bool is_jwks_path(std::string_view path, const std::optional<std::string>& prefix) {
  constexpr std::string_view route = "/.well-known/jwks.json";
  if (!prefix)
    return path.size() >= route.size() && path.substr(path.size() - route.size()) == route;
  std::string wanted = *prefix;
  while (!wanted.empty() && wanted.back() == '/') wanted.pop_back();
  if (!wanted.empty() && wanted.front() != '/') wanted.insert(wanted.begin(), '/');
  return path == wanted + std::string(route);
}

}  // namespace detail
}  // namespace testing
POSTAL_END_NAMESPACE
