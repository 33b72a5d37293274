// postal-cpp: loading RSA public keys from PEM and DER, and their KID (OpenSSL 3 EVP APIs).
#include "openssl_common.hpp"

#include <postal/webhook/keys.hpp>

#include <openssl/decoder.h>
#include <openssl/encoder.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include <climits>
#include <cstddef>
#include <exception>
#include <string>
#include <string_view>
#include <utility>

POSTAL_BEGIN_NAMESPACE
namespace webhook {
namespace detail {
namespace {

using DecoderCtxPtr =
    std::unique_ptr<OSSL_DECODER_CTX, OsslDeleter<OSSL_DECODER_CTX, OSSL_DECODER_CTX_free>>;
using EncoderCtxPtr =
    std::unique_ptr<OSSL_ENCODER_CTX, OsslDeleter<OSSL_ENCODER_CTX, OSSL_ENCODER_CTX_free>>;

/// Keys smaller than this are refused: a signature by a factorable key proves nothing.
constexpr int minimum_bits = 1024;

/// Decodes an RSA public key with OSSL_DECODER ("PEM" or "DER"; structure may be nullptr).
/// When `whole` is set, bytes left over after the key are an error.
PkeyPtr decode_rsa_public(std::string_view bytes, const char* input_type, const char* structure,
                          bool whole) {
  EVP_PKEY* raw = nullptr;
  DecoderCtxPtr ctx(OSSL_DECODER_CTX_new_for_pkey(&raw, input_type, structure, "RSA",
                                                  EVP_PKEY_PUBLIC_KEY, nullptr, nullptr));
  if (!ctx || OSSL_DECODER_CTX_get_num_decoders(ctx.get()) == 0) return nullptr;
  const auto* data = reinterpret_cast<const unsigned char*>(bytes.data());
  std::size_t length = bytes.size();
  const int ok = OSSL_DECODER_from_data(ctx.get(), &data, &length);
  PkeyPtr pkey(raw);
  if (ok != 1 || !pkey || (whole && length != 0)) return nullptr;
  return pkey;
}

/// The label of the first PEM block ("PUBLIC KEY", ...), or empty when there is none.
std::string pem_label(std::string_view pem) {
  constexpr std::string_view begin = "-----BEGIN ";
  const auto start = pem.find(begin);
  if (start == std::string_view::npos) return {};
  const auto label_start = start + begin.size();
  const auto end = pem.find("-----", label_start);
  if (end == std::string_view::npos || end - label_start > 64) return {};
  return std::string(pem.substr(label_start, end - label_start));
}

Result<PublicKey> load_pem(std::string_view pem) {
  const std::string label = pem_label(pem);
  if (label.empty())
    return key_error("not a PEM public key: no \"-----BEGIN ...-----\" line found");
  if (label == "PUBLIC KEY") {
    BioPtr bio = memory_bio(pem);
    if (!bio) return key_error("out of memory reading a PEM key");
    PkeyPtr pkey(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
    if (!pkey) return key_error("invalid PEM SubjectPublicKeyInfo (BEGIN PUBLIC KEY)");
    return KeyAccess::make(std::move(pkey));
  }
  if (label == "RSA PUBLIC KEY") {
    PkeyPtr pkey = decode_rsa_public(pem, "PEM", "type-specific", false);
    if (!pkey) return key_error("invalid PEM PKCS#1 RSA public key (BEGIN RSA PUBLIC KEY)");
    return KeyAccess::make(std::move(pkey));
  }
  if (label.find("PRIVATE KEY") != std::string::npos)
    return key_error("this PEM holds a private key (" + label +
                     "); give the public key (openssl rsa -in signing.key -pubout)");
  if (label == "CERTIFICATE")
    return key_error(
        "this PEM holds a certificate; extract its key with "
        "openssl x509 -in cert.pem -pubkey -noout");
  return key_error("unsupported PEM block \"" + label +
                   "\"; expected BEGIN PUBLIC KEY or BEGIN RSA PUBLIC KEY");
}

Result<PublicKey> load_der(std::string_view der) {
  if (der.empty()) return key_error("empty DER public key");
  const auto* data = reinterpret_cast<const unsigned char*>(der.data());
  const unsigned char* cursor = data;
  PkeyPtr pkey(d2i_PUBKEY(nullptr, &cursor, static_cast<long>(der.size())));
  if (pkey) {
    if (cursor != data + der.size())
      return key_error("DER public key has " + std::to_string(data + der.size() - cursor) +
                       " trailing bytes");
    return KeyAccess::make(std::move(pkey));
  }
  ERR_clear_error();
  pkey = decode_rsa_public(der, "DER", "type-specific", true);
  if (!pkey)
    return key_error(
        "not a DER public key (neither SubjectPublicKeyInfo nor PKCS#1 "
        "RSAPublicKey)");
  return KeyAccess::make(std::move(pkey));
}

}  // namespace

BioPtr memory_bio(std::string_view bytes) {
  if (bytes.size() > static_cast<std::size_t>(INT_MAX)) return nullptr;
  return BioPtr(BIO_new_mem_buf(bytes.data(), static_cast<int>(bytes.size())));
}

std::string take_openssl_errors() {
  std::string out;
  while (const unsigned long code = ERR_get_error()) {
    char buffer[256];
    ERR_error_string_n(code, buffer, sizeof buffer);
    if (!out.empty()) out += "; ";
    out += buffer;
  }
  return out;
}

Error key_error(std::string message) {
  Error e;
  e.send_state = SendState::NotSent;  // webhook errors concern no send
  e.code = ErrorCode::InvalidArgument;
  e.message = std::move(message);
  const std::string reason = take_openssl_errors();
  if (!reason.empty()) e.message += " (OpenSSL: " + reason + ")";
  return e;
}

bool is_rsa(EVP_PKEY* pkey) noexcept { return pkey != nullptr && EVP_PKEY_is_a(pkey, "RSA") == 1; }

Result<std::string> rsa_kid(EVP_PKEY* pkey) {
  EncoderCtxPtr ctx(
      OSSL_ENCODER_CTX_new_for_pkey(pkey, EVP_PKEY_PUBLIC_KEY, "DER", "type-specific", nullptr));
  if (!ctx || OSSL_ENCODER_CTX_get_num_encoders(ctx.get()) == 0)
    return key_error("cannot encode the key as PKCS#1 RSAPublicKey");
  unsigned char* der = nullptr;
  std::size_t der_length = 0;
  if (OSSL_ENCODER_to_data(ctx.get(), &der, &der_length) != 1 || der == nullptr)
    return key_error("cannot encode the key as PKCS#1 RSAPublicKey");
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_length = 0;
  const int ok = EVP_Digest(der, der_length, digest, &digest_length, EVP_sha256(), nullptr);
  OPENSSL_free(der);
  if (ok != 1) return key_error("SHA-256 of the public key failed");
  static constexpr char hex[] = "0123456789abcdef";
  std::string kid;
  kid.reserve(digest_length * 2);
  for (unsigned int i = 0; i < digest_length; ++i) {
    kid.push_back(hex[digest[i] >> 4]);
    kid.push_back(hex[digest[i] & 0x0F]);
  }
  return kid;
}

Result<PublicKey> KeyAccess::make(PkeyPtr pkey) {
  if (!pkey) return key_error("no key");
  if (!is_rsa(pkey.get())) {
    const char* type = EVP_PKEY_get0_type_name(pkey.get());
    return key_error(std::string("not an RSA key (") + (type ? type : "unknown type") +
                     "); Postal signs webhooks with RSA");
  }
  const int bits = EVP_PKEY_get_bits(pkey.get());
  if (bits < minimum_bits)
    return key_error("RSA key of " + std::to_string(bits) + " bits is too small (minimum " +
                     std::to_string(minimum_bits) + ")");
  PkeyCtxPtr check(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey.get(), nullptr));
  if (!check || EVP_PKEY_public_check(check.get()) != 1)
    return key_error("RSA public key fails validation (modulus or exponent invalid)");
  auto kid = rsa_kid(pkey.get());
  if (!kid) return kid.error();
  auto impl = std::make_shared<PublicKeyImpl>();
  impl->pkey = std::move(pkey);
  return PublicKey(std::shared_ptr<const PublicKeyImpl>(std::move(impl)), std::move(*kid), bits);
}

}  // namespace detail

Result<PublicKey> load_public_key_pem(std::string_view pem) {
  try {
    return detail::load_pem(pem);
  } catch (const std::exception& ex) {
    return detail::key_error(std::string("loading a PEM key failed: ") + ex.what());
  }
}

Result<PublicKey> load_public_key_der(std::string_view der) {
  try {
    return detail::load_der(der);
  } catch (const std::exception& ex) {
    return detail::key_error(std::string("loading a DER key failed: ") + ex.what());
  }
}

}  // namespace webhook
POSTAL_END_NAMESPACE
