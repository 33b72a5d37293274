// postal-cpp test tooling: sign like Postal's lib/postal/signer.rb (spec §4.1) and make test
// keys, with OpenSSL 3 EVP APIs.
#include "openssl_common.hpp"

#include <postal/detail/base64.hpp>
#include <postal/testing/webhook_signer.hpp>
#include <postal/webhook/verify.hpp>

#include <openssl/buffer.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <cstddef>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

POSTAL_BEGIN_NAMESPACE
namespace testing {
namespace {

using webhook::detail::BioPtr;
using webhook::detail::key_error;
using webhook::detail::MdCtxPtr;
using webhook::detail::PkeyCtxPtr;
using webhook::detail::PkeyPtr;

/// A passphrase callback that refuses, so OpenSSL never prompts on a terminal.
int no_passphrase(char*, int, int, void*) { return -1; }

/// RSASSA-PKCS1-v1_5 signature of `body` with `md`, or nullopt.
std::optional<std::string> rsa_sign(EVP_PKEY* pkey, const EVP_MD* md, std::string_view body) {
  MdCtxPtr ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;  // owned by ctx
  std::size_t length = 0;
  const auto* data = reinterpret_cast<const unsigned char*>(body.empty() ? "" : body.data());
  if (!ctx || EVP_DigestSignInit(ctx.get(), &pctx, md, nullptr, pkey) != 1 ||
      EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) <= 0 ||
      EVP_DigestSign(ctx.get(), nullptr, &length, data, body.size()) != 1)
    return std::nullopt;
  std::string signature(length, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(&signature[0]), &length, data,
                     body.size()) != 1)
    return std::nullopt;
  signature.resize(length);
  return signature;
}

/// The contents of a memory BIO.
std::string bio_text(BIO* bio) {
  BUF_MEM* memory = nullptr;
  BIO_get_mem_ptr(bio, &memory);
  return memory == nullptr ? std::string() : std::string(memory->data, memory->length);
}

/// An unencrypted PEM RSA private key (PKCS#8 or PKCS#1).
Result<PkeyPtr> read_private_key(std::string_view private_key_pem) {
  BioPtr bio = webhook::detail::memory_bio(private_key_pem);
  if (!bio) return key_error("out of memory reading the private key");
  PkeyPtr pkey(PEM_read_bio_PrivateKey(bio.get(), nullptr, no_passphrase, nullptr));
  if (!pkey) return key_error("not an unencrypted PEM RSA private key");
  if (!webhook::detail::is_rsa(pkey.get())) return key_error("not an RSA private key");
  return Result<PkeyPtr>(std::move(pkey));
}

/// Unpadded base64url (RFC 7515 §2) of a big-endian integer parameter of the key.
std::optional<std::string> base64url_param(EVP_PKEY* pkey, const char* name) {
  BIGNUM* raw = nullptr;
  if (EVP_PKEY_get_bn_param(pkey, name, &raw) != 1 || raw == nullptr) return std::nullopt;
  webhook::detail::BignumPtr number(raw);
  std::string bytes(static_cast<std::size_t>(BN_num_bytes(number.get())), '\0');
  if (!bytes.empty()) BN_bn2bin(number.get(), reinterpret_cast<unsigned char*>(&bytes[0]));
  std::string text = postal::detail::base64_encode(bytes);
  while (!text.empty() && text.back() == '=') text.pop_back();
  for (char& c : text) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  return text;
}

Result<PublishedKey> publish(std::string_view private_key_pem) {
  auto pkey = read_private_key(private_key_pem);
  if (!pkey) return pkey.error();
  EVP_PKEY* key = pkey->get();
  auto kid = webhook::detail::rsa_kid(key);
  if (!kid) return kid.error();
  BioPtr public_bio(BIO_new(BIO_s_mem()));
  if (!public_bio || PEM_write_bio_PUBKEY(public_bio.get(), key) != 1)
    return key_error("writing the public key as PEM failed");
  unsigned char* der = nullptr;
  const int der_length = i2d_PUBKEY(key, &der);
  if (der_length <= 0 || der == nullptr) return key_error("writing the public key as DER failed");
  const std::string spki(reinterpret_cast<const char*>(der), static_cast<std::size_t>(der_length));
  OPENSSL_free(der);
  const auto n = base64url_param(key, OSSL_PKEY_PARAM_RSA_N);
  const auto e = base64url_param(key, OSSL_PKEY_PARAM_RSA_E);
  if (!n || !e) return key_error("reading the RSA modulus and exponent failed");
  PublishedKey out;
  out.public_pem = bio_text(public_bio.get());
  out.dkim_record = "v=DKIM1; t=s; h=sha256; p=" + postal::detail::base64_encode(spki) + ";";
  // Postal: JWT::JWK::Set.new(Postal.signer.jwk).export.to_json. Every value is base64url or
  // hex, so no JSON escaping is needed.
  out.jwks = R"({"keys":[{"kty":"RSA","n":")" + *n + R"(","e":")" + *e +
             R"(","use":"sig","alg":"RS256","kid":")" + *kid + R"("}]})";
  out.kid = std::move(*kid);
  return out;
}

Result<Headers> sign(std::string_view body, std::string_view private_key_pem) {
  auto private_key = read_private_key(private_key_pem);
  if (!private_key) return private_key.error();
  PkeyPtr pkey = std::move(*private_key);
  auto kid = webhook::detail::rsa_kid(pkey.get());
  if (!kid) return kid.error();
  const auto sha1 = rsa_sign(pkey.get(), EVP_sha1(), body);
  const auto sha256 = rsa_sign(pkey.get(), EVP_sha256(), body);
  if (!sha1 || !sha256) return key_error("RSA signing failed");
  Headers headers;
  headers.add(webhook::signature_kid_header, std::move(*kid));
  headers.add(webhook::signature_sha1_header, postal::detail::base64_encode(*sha1));
  headers.add(webhook::signature_sha256_header, postal::detail::base64_encode(*sha256));
  return headers;
}

Result<TestKeyPair> generate(int bits) {
  if (bits < 1024 || bits > 16384)
    return key_error("test key size " + std::to_string(bits) + " is outside 1024..16384 bits");
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr));
  EVP_PKEY* raw = nullptr;
  if (!ctx || EVP_PKEY_keygen_init(ctx.get()) != 1 ||
      EVP_PKEY_CTX_set_rsa_keygen_bits(ctx.get(), bits) <= 0 ||
      EVP_PKEY_generate(ctx.get(), &raw) != 1)
    return key_error("RSA key generation failed");
  PkeyPtr pkey(raw);
  BioPtr private_bio(BIO_new(BIO_s_mem()));
  BioPtr public_bio(BIO_new(BIO_s_mem()));
  if (!private_bio || !public_bio ||
      PEM_write_bio_PrivateKey(private_bio.get(), pkey.get(), nullptr, nullptr, 0, nullptr,
                               nullptr) != 1 ||
      PEM_write_bio_PUBKEY(public_bio.get(), pkey.get()) != 1)
    return key_error("writing the test key as PEM failed");
  return TestKeyPair{bio_text(private_bio.get()), bio_text(public_bio.get())};
}

}  // namespace

Result<Headers> sign_webhook(std::string_view body, std::string_view private_key_pem) {
  try {
    return sign(body, private_key_pem);
  } catch (const std::exception& ex) {
    return key_error(std::string("signing failed: ") + ex.what());
  }
}

Result<PublishedKey> published_key(std::string_view private_key_pem) {
  try {
    return publish(private_key_pem);
  } catch (const std::exception& ex) {
    return key_error(std::string("publishing the key failed: ") + ex.what());
  }
}

Result<TestKeyPair> generate_test_key(int bits) {
  try {
    return generate(bits);
  } catch (const std::exception& ex) {
    return key_error(std::string("generating a test key failed: ") + ex.what());
  }
}

}  // namespace testing
POSTAL_END_NAMESPACE
