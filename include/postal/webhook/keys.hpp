/// @file
/// The public keys that verify Postal's webhook signatures (spec §4.1-4.2).
///
/// A key is loaded once (PEM, DER, the DKIM TXT record, or JWKS) and then shared, immutable, by
/// every verification. OpenSSL stays behind an opaque type: this header includes none of it.
#pragma once

#include <postal/result.hpp>
#include <postal/version.hpp>

#include <cstddef>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

POSTAL_BEGIN_NAMESPACE
namespace webhook {

namespace detail {
/// The OpenSSL key behind a PublicKey (defined in src/; opaque here).
struct PublicKeyImpl;
/// The one door from src/ into PublicKey's private parts.
struct KeyAccess;
}  // namespace detail

/// An RSA public key that can verify Postal webhook signatures.
///
/// Obtain one from a loader (`load_public_key_pem`, `load_public_key_der`,
/// `load_public_key_dkim`) or a whole set from `load_jwks`. Copies are cheap and share the key.
///
/// @par Thread Safety
/// Immutable; safe to use from many threads at once.
///
/// @code
/// auto key = postal::webhook::load_public_key_dkim(dns_txt_value).value();
/// std::cout << key.kid() << " (" << key.bits() << " bits)\n";
/// @endcode
class PublicKey {
 public:
  /// The key id Postal sends in `X-Postal-Signature-KID` and publishes as the JWKS `kid`:
  /// 64 lower-case hex digits, SHA-256 of the PKCS#1 `RSAPublicKey` DER.
  const std::string& kid() const noexcept { return kid_; }
  /// The modulus size in bits (e.g. 1024 for the installer's default key, 2048).
  int bits() const noexcept { return bits_; }
  /// The signature size in bytes this key produces and accepts (`bits() / 8`, rounded up).
  std::size_t signature_size() const noexcept { return static_cast<std::size_t>((bits_ + 7) / 8); }

 private:
  friend struct detail::KeyAccess;
  // Made by the loaders only (through detail::KeyAccess).
  PublicKey(std::shared_ptr<const detail::PublicKeyImpl> impl, std::string kid, int bits)
      : impl_(std::move(impl)), kid_(std::move(kid)), bits_(bits) {}

  std::shared_ptr<const detail::PublicKeyImpl> impl_;
  std::string kid_;
  int bits_ = 0;
};

/// Several keys, found by KID (a Postal key rotation publishes old and new side by side).
///
/// A single PublicKey converts to a KeySet, so `verify(body, headers, key)` works.
///
/// @par Thread Safety
/// Build it once, then share it: const member functions are safe to call concurrently; `add`
/// and `merge` are not safe while other threads use the set.
///
/// @code
/// postal::webhook::KeySet keys = postal::webhook::load_jwks(jwks_json).value();
/// keys.add(postal::webhook::load_public_key_pem(old_pem).value());
/// @endcode
class KeySet {
 public:
  /// Iterator over the keys, in the order they were added.
  using const_iterator = std::vector<PublicKey>::const_iterator;

  /// An empty set (verifies nothing: every verification fails closed).
  KeySet() = default;
  /// A set of one key.
  KeySet(PublicKey key) { add(std::move(key)); }  // NOLINT: implicit on purpose
  /// A set of several keys.
  KeySet(std::initializer_list<PublicKey> keys) {
    for (const auto& key : keys) add(key);
  }

  /// Adds a key. Returns false (and keeps the set unchanged) when a key with the same KID is
  /// already present.
  bool add(PublicKey key) {
    if (find(key.kid()) != nullptr) return false;
    keys_.push_back(std::move(key));
    return true;
  }
  /// Adds every key of another set (skipping KIDs already present).
  void merge(const KeySet& other) {
    for (const auto& key : other) add(key);
  }
  /// The key with this KID (hex digits compare case-insensitively), or nullptr.
  const PublicKey* find(std::string_view kid) const noexcept {
    for (const auto& key : keys_)
      if (same_kid(key.kid(), kid)) return &key;
    return nullptr;
  }

  /// Number of keys.
  std::size_t size() const noexcept { return keys_.size(); }
  /// True when the set holds no key.
  bool empty() const noexcept { return keys_.empty(); }
  /// First key.
  const_iterator begin() const noexcept { return keys_.begin(); }
  /// Past the last key.
  const_iterator end() const noexcept { return keys_.end(); }

 private:
  static bool same_kid(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
      const char x = (b[i] >= 'A' && b[i] <= 'Z') ? static_cast<char>(b[i] + 32) : b[i];
      if (a[i] != x) return false;
    }
    return true;
  }

  std::vector<PublicKey> keys_;
};

/// Loads a PEM public key: SubjectPublicKeyInfo (`-----BEGIN PUBLIC KEY-----`, what
/// `openssl rsa -pubout` writes) or PKCS#1 (`-----BEGIN RSA PUBLIC KEY-----`).
///
/// A private key, a certificate, a non-RSA key or damaged PEM is an ErrorCode::InvalidArgument
/// error that says what was found.
POSTAL_API Result<PublicKey> load_public_key_pem(std::string_view pem);

/// Loads a DER public key: SubjectPublicKeyInfo (the bytes behind the DKIM `p=` value) or
/// PKCS#1 `RSAPublicKey`. Trailing bytes are an error.
POSTAL_API Result<PublicKey> load_public_key_der(std::string_view der);

/// Loads the key from Postal's DKIM-style TXT record, as an operator finds it:
/// - the full record `v=DKIM1; t=s; h=sha256; p=MIGfMA0G...;` (`postal default-dkim-record`);
/// - `dig` output, split into quoted strings: `"v=DKIM1; ... p=MIIBIj..." "...AQAB;"`;
/// - the bare `p=` value (base64 of the DER SubjectPublicKeyInfo), whitespace allowed.
///
/// An empty `p=` (a revoked key) or a `k=` other than `rsa` is an error.
POSTAL_API Result<PublicKey> load_public_key_dkim(std::string_view record);

/// Loads every usable RSA signing key of a JWKS document (Postal's `/.well-known/jwks.json`).
///
/// Keys with another `kty` or with `use` other than `sig` are skipped. Each key's KID is
/// computed from its modulus and exponent (it equals Postal's `kid`). Invalid JSON, or a
/// document without a usable RSA key, is an ErrorCode::InvalidArgument error.
POSTAL_API Result<KeySet> load_jwks(std::string_view jwks_json);

}  // namespace webhook
POSTAL_END_NAMESPACE
