// postal-cpp: the webhook signature check (spec §4.1, policy in webhook/verify.hpp), with
// OpenSSL's EVP_DigestVerify (RSASSA-PKCS1-v1_5).
#include "openssl_common.hpp"

#include <postal/detail/base64.hpp>
#include <postal/webhook/verify.hpp>

#include <openssl/err.h>

#include <exception>
#include <optional>
#include <string>
#include <string_view>

POSTAL_BEGIN_NAMESPACE
namespace webhook {
namespace detail {
namespace {

Error signature_error(std::string message) {
  Error e;
  e.send_state = SendState::NotSent;  // webhook errors concern no send
  e.code = ErrorCode::Signature;
  e.message = std::move(message);
  return e;
}

/// Optional whitespace around a header value (RFC 9110 OWS), which frameworks may keep.
std::string_view trim_ows(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

/// At most `limit` characters of untrusted text, for error messages.
std::string excerpt(std::string_view s, std::size_t limit = 80) {
  std::string out;
  for (char c : s.substr(0, limit)) out.push_back((c >= 0x20 && c < 0x7F) ? c : '?');
  if (s.size() > limit) out += "...";
  return out;
}

/// RSASSA-PKCS1-v1_5 verification of `signature` over `body` with `md`.
///
/// PKCS#1 v1.5 is the documented default padding of an "RSA" key's context (RSA-PSS keys are
/// refused when loaded), so it is not set per call: that costs ~1 us of a ~40 us verification.
bool rsa_verify(EVP_PKEY* pkey, const EVP_MD* md, std::string_view body,
                const std::string& signature) {
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, md, nullptr, pkey) != 1) {
    ERR_clear_error();
    return false;
  }
  const int rc = EVP_DigestVerify(
      ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
      reinterpret_cast<const unsigned char*>(body.empty() ? "" : body.data()), body.size());
  if (rc != 1) ERR_clear_error();
  return rc == 1;
}

/// The first value of each signature header (names in any case), found in one pass over the
/// headers without copying them.
struct SignatureHeaders {
  std::optional<std::string_view> kid;
  std::optional<std::string_view> sha1;
  std::optional<std::string_view> sha256;
};

SignatureHeaders find_signature_headers(const Headers& headers) noexcept {
  SignatureHeaders found;
  for (const auto& field : headers) {
    const std::string& name = field.first;
    std::optional<std::string_view>* slot = nullptr;
    if (postal::detail::iequals(name, signature_sha256_header))
      slot = &found.sha256;
    else if (postal::detail::iequals(name, signature_sha1_header))
      slot = &found.sha1;
    else if (postal::detail::iequals(name, signature_kid_header))
      slot = &found.kid;
    if (slot != nullptr && !*slot) *slot = std::string_view(field.second);
  }
  return found;
}

Result<void> check(std::string_view body, const Headers& headers, const KeySet& keys,
                   bool allow_sha1) {
  if (keys.empty())
    return signature_error("no webhook public key configured; every request is rejected");

  const SignatureHeaders found = find_signature_headers(headers);
  const PublicKey* named = nullptr;  // the key the KID header selects; null: try every key
  if (found.kid) {
    const std::string_view kid = trim_ows(*found.kid);
    named = keys.find(kid);
    if (named == nullptr) {
      Error e;
      e.send_state = SendState::NotSent;  // webhook errors concern no send
      e.code = ErrorCode::UnknownKey;
      e.message = std::string(signature_kid_header) + " \"" + excerpt(kid) +
                  "\" names no key we hold (" + std::to_string(keys.size()) +
                  " key(s); has Postal's signing key changed?)";
      return e;
    }
  }
  const std::size_t candidates = named != nullptr ? 1 : keys.size();
  const PublicKey& first = named != nullptr ? *named : *keys.begin();

  const char* header = nullptr;
  const EVP_MD* md = nullptr;
  std::string_view value;
  if (found.sha256) {  // present: final, never a fallback to SHA-1
    header = signature_sha256_header;
    md = EVP_sha256();
    value = *found.sha256;
  } else if (found.sha1) {
    if (!allow_sha1)
      return signature_error(std::string("only ") + signature_sha1_header +
                             " (RSA-SHA1, Postal < 3.2) is present and SHA-1 is disabled "
                             "(VerifyOptions::allow_sha1)");
    header = signature_sha1_header;
    md = EVP_sha1();
    value = *found.sha1;
  } else {
    return signature_error(std::string("no signature header (") + signature_sha256_header + " or " +
                           signature_sha1_header + ")");
  }

  value = trim_ows(value);
  if (value.empty()) return signature_error(std::string(header) + " is empty");
  const auto signature = postal::detail::base64_decode(value);  // strict: one line, padded
  if (!signature) return signature_error(std::string(header) + " is not valid base64");

  bool size_matched = false;
  auto try_key = [&](const PublicKey& key) {
    if (signature->size() != key.signature_size()) return false;
    size_matched = true;
    return rsa_verify(KeyAccess::pkey(key), md, body, *signature);
  };
  if (named != nullptr) {
    if (try_key(*named)) return {};
  } else {
    for (const auto& key : keys)
      if (try_key(key)) return {};
  }
  if (!size_matched) {
    std::string message =
        std::string(header) + " is " + std::to_string(signature->size()) + " bytes, ";
    if (candidates == 1)
      message += "but a " + std::to_string(first.bits()) + "-bit key signs with " +
                 std::to_string(first.signature_size());
    else
      message += "the signature size of none of the " + std::to_string(candidates) + " keys";
    return signature_error(message);
  }
  if (candidates == 1)
    return signature_error(std::string(header) + " does not verify with key " + first.kid() +
                           " (body altered or signed by another key)");
  return signature_error(std::string(header) + " does not verify with any of the " +
                         std::to_string(candidates) + " keys");
}

}  // namespace

Result<void> verify_signature(std::string_view raw_body, const Headers& headers, const KeySet& keys,
                              bool allow_sha1) {
  try {
    return check(raw_body, headers, keys, allow_sha1);
  } catch (const std::exception& ex) {
    ERR_clear_error();
    return signature_error(std::string("webhook verification failed: ") + ex.what());
  }
}

}  // namespace detail
}  // namespace webhook
POSTAL_END_NAMESPACE
