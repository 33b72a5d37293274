// postal-cpp built without webhook support (POSTAL_WEBHOOK=OFF; the vcpkg port without its
// `webhook` feature): no OpenSSL. The functions that src/openssl_*.cpp define otherwise are
// defined here, failing with a typed error that says why, so that code referring to them links.
// FakePostal does (its signing key, take_webhooks and the JWKS route): it still sends and stores
// messages; only those webhook calls fail (they throw postal::Exception with this error).
#include <postal/error.hpp>
#include <postal/result.hpp>
#include <postal/testing/webhook_signer.hpp>
#include <postal/transport.hpp>
#include <postal/version.hpp>
#include <postal/webhook/keys.hpp>
#include <postal/webhook/verify.hpp>

#include <string>
#include <string_view>

POSTAL_BEGIN_NAMESPACE
namespace {

/// InvalidArgument, NotSent: `what` is not available in this build.
Error webhook_disabled(const char* what) {
  Error e;
  e.send_state = SendState::NotSent;  // webhook errors concern no send
  e.code = ErrorCode::InvalidArgument;
  e.message = std::string(what) +
              " is not available: postal-cpp was built without webhook support "
              "(CMake option POSTAL_WEBHOOK=OFF; vcpkg: the port without its `webhook` feature)";
  return e;
}

}  // namespace

namespace webhook {

Result<PublicKey> load_public_key_pem(std::string_view) {
  return webhook_disabled("load_public_key_pem");
}

Result<PublicKey> load_public_key_der(std::string_view) {
  return webhook_disabled("load_public_key_der");
}

Result<PublicKey> load_public_key_dkim(std::string_view) {
  return webhook_disabled("load_public_key_dkim");
}

Result<KeySet> load_jwks(std::string_view) { return webhook_disabled("load_jwks"); }

namespace detail {

// Signature, as for a request that does not verify: a receiver refuses it (fails closed).
Result<void> verify_signature(std::string_view, const Headers&, const KeySet&, bool) {
  Error e = webhook_disabled("webhook signature verification");
  e.code = ErrorCode::Signature;
  return e;
}

}  // namespace detail
}  // namespace webhook

namespace testing {

Result<Headers> sign_webhook(std::string_view, std::string_view) {
  return webhook_disabled("sign_webhook");
}

Result<PublishedKey> published_key(std::string_view) { return webhook_disabled("published_key"); }

Result<TestKeyPair> generate_test_key(int) { return webhook_disabled("generate_test_key"); }

}  // namespace testing
POSTAL_END_NAMESPACE
