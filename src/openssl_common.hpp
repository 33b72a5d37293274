// postal-cpp internals shared by src/openssl_*.cpp: owning pointers for OpenSSL objects, the
// PublicKey implementation, error text and the KID. Never included by public headers.
#pragma once

#include <postal/error.hpp>
#include <postal/result.hpp>
#include <postal/version.hpp>
#include <postal/webhook/keys.hpp>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include <memory>
#include <string>
#include <string_view>

POSTAL_BEGIN_NAMESPACE
namespace webhook {
namespace detail {

/// A deleter calling an OpenSSL free function.
template <class T, void (*Free)(T*)>
struct OsslDeleter {
  void operator()(T* p) const noexcept { Free(p); }
};

using PkeyPtr = std::unique_ptr<EVP_PKEY, OsslDeleter<EVP_PKEY, EVP_PKEY_free>>;
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, OsslDeleter<EVP_PKEY_CTX, EVP_PKEY_CTX_free>>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, OsslDeleter<EVP_MD_CTX, EVP_MD_CTX_free>>;
using BignumPtr = std::unique_ptr<BIGNUM, OsslDeleter<BIGNUM, BN_free>>;
using ParamBldPtr =
    std::unique_ptr<OSSL_PARAM_BLD, OsslDeleter<OSSL_PARAM_BLD, OSSL_PARAM_BLD_free>>;
using ParamPtr = std::unique_ptr<OSSL_PARAM, OsslDeleter<OSSL_PARAM, OSSL_PARAM_free>>;

/// BIO_free returns int, so it needs its own deleter.
struct BioDeleter {
  void operator()(BIO* p) const noexcept { BIO_free(p); }
};
using BioPtr = std::unique_ptr<BIO, BioDeleter>;

/// The OpenSSL key behind a PublicKey. Immutable after construction.
struct PublicKeyImpl {
  PkeyPtr pkey;  ///< an RSA public key
};

/// Builds PublicKeys and reaches their EVP_PKEY (PublicKey's only friend).
struct KeyAccess {
  /// Wraps an RSA key (computing its KID and size). InvalidArgument when it is not usable.
  static Result<PublicKey> make(PkeyPtr pkey);
  /// The EVP_PKEY of a key.
  static EVP_PKEY* pkey(const PublicKey& key) noexcept { return key.impl_->pkey.get(); }
};

/// A read-only memory BIO over `bytes` (nullptr when allocation fails).
BioPtr memory_bio(std::string_view bytes);

/// The text of OpenSSL's error queue (empty when none), and clears the queue.
std::string take_openssl_errors();

/// An InvalidArgument error: `message`, plus OpenSSL's reason when it has one. Clears the queue.
Error key_error(std::string message);

/// The KID of an RSA key: lower-case hex SHA-256 of its PKCS#1 RSAPublicKey DER.
Result<std::string> rsa_kid(EVP_PKEY* pkey);

/// True when `pkey` is a plain RSA key (not RSA-PSS, EC, Ed25519, ...).
bool is_rsa(EVP_PKEY* pkey) noexcept;

}  // namespace detail
}  // namespace webhook
POSTAL_END_NAMESPACE
