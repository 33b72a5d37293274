/// @file
/// Test tooling: sign a webhook body the way Postal does (spec §4.1), and make RSA
/// key pairs for tests. For your receiver's tests; a production receiver never signs.
#pragma once

#include <postal/result.hpp>
#include <postal/transport.hpp>
#include <postal/version.hpp>

#include <string>
#include <string_view>
#include <utility>

POSTAL_BEGIN_NAMESPACE
namespace testing {

/// The three headers Postal 3.2+ adds to a webhook, in Postal's order:
/// `X-Postal-Signature-KID` (hex SHA-256 of the PKCS#1 public key DER),
/// `X-Postal-Signature` (RSA-SHA1) and `X-Postal-Signature-256` (RSA-SHA256), both
/// RSASSA-PKCS1-v1_5 over the body bytes, strict base64 on one line.
///
/// `private_key_pem` is a PEM RSA private key: PKCS#8 (`BEGIN PRIVATE KEY`) or PKCS#1
/// (`BEGIN RSA PRIVATE KEY`, what `openssl genrsa` and Postal's installer write). An encrypted,
/// non-RSA or damaged key is an ErrorCode::InvalidArgument error. Never throws.
///
/// @code
/// auto keys = postal::testing::generate_test_key(2048).value();
/// auto headers = postal::testing::sign_webhook(body, keys.private_pem).value();
/// auto event = postal::webhook::verify_and_parse(
///     body, headers, postal::webhook::load_public_key_pem(keys.public_pem).value());
/// @endcode
POSTAL_API Result<Headers> sign_webhook(std::string_view body, std::string_view private_key_pem);

/// An RSA key pair in PEM, made for tests.
struct TestKeyPair {
  std::string private_pem;  ///< PKCS#8 `-----BEGIN PRIVATE KEY-----`
  std::string public_pem;   ///< SubjectPublicKeyInfo `-----BEGIN PUBLIC KEY-----`
};

/// Generates a fresh RSA key pair (exponent 65537) of `bits` bits (1024 to 16384).
/// Larger keys take longer (4096 bits: typically under a second or two).
POSTAL_API Result<TestKeyPair> generate_test_key(int bits = 2048);

/// The public half of a webhook signing key, in every form Postal publishes it.
struct PublishedKey {
  std::string public_pem;   ///< SubjectPublicKeyInfo `-----BEGIN PUBLIC KEY-----`
  std::string kid;          ///< `X-Postal-Signature-KID` and the JWKS `kid` (64 hex digits)
  std::string dkim_record;  ///< `v=DKIM1; t=s; h=sha256; p=<base64 DER>;` (spec §4.2)
  std::string jwks;         ///< the `/.well-known/jwks.json` body (spec §2.5)
};

/// What a Postal server with this private key publishes: the public key PEM, the KID, the
/// DKIM-style TXT record (`postal default-dkim-record`) and the JWKS document, compact, keys in
/// ruby-jwt's order: `{"keys":[{"kty":"RSA","n":…,"e":…,"use":"sig","alg":"RS256","kid":…}]}`
/// (`n`, `e`: unpadded base64url of the big-endian integers).
///
/// Accepts the same PEM private keys as `sign_webhook`; anything else is an
/// ErrorCode::InvalidArgument error. Never throws.
///
/// @code
/// auto published = postal::testing::published_key(keys.private_pem).value();
/// serve("/.well-known/jwks.json", published.jwks);
/// @endcode
POSTAL_API Result<PublishedKey> published_key(std::string_view private_key_pem);

/// Just the JWKS document of `published_key`.
inline Result<std::string> jwks_for_private_key(std::string_view private_key_pem) {
  auto published = published_key(private_key_pem);
  if (!published) return published.error();
  return std::move(published->jwks);
}

}  // namespace testing
POSTAL_END_NAMESPACE
