// libFuzzer target: what a webhook sender or a key server controls, as any bytes. The first byte
// picks what the rest is:
//   0  a body with forged signature headers (any values, the KID of the real key or any):
//      verify and verify_and_parse must refuse it;
//   1  a body signed with the real key: verify_and_parse must accept the signature, and then
//      give what parse_event gives for the body (the same event, or the same error);
//   2  a JWKS document, a PEM, a DER key and a DKIM record (load_jwks, load_public_key_*).
// Nothing may crash, hang, throw or read out of bounds.
#include <postal/testing/webhook_signer.hpp>
#include <postal/webhook.hpp>

#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace {

struct RealKey {
  std::string private_pem;
  std::string kid;
  postal::webhook::KeySet keys;
};

// A fixed key (test material only, made for this target with `openssl genrsa 1024`), so that a
// run from a fixed seed does the same every time.
constexpr const char* kPrivateKeyPem =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIICdgIBADANBgkqhkiG9w0BAQEFAASCAmAwggJcAgEAAoGBANX+7iy7WUL0MEs9\n"
    "g51QURaax9XHMlfYqrUAOOnySp5ilUiMAMVCOTxoPPyCkRprxtwbMRjJL0rhztd4\n"
    "m2On9PY182lI+lOcLDfSPTP88KmoNnoGrMEfvLkhALezMK/49TotzVggwpcRIjTl\n"
    "RVvOR5bWumc1dnY5sXO9Dqtc3jT/AgMBAAECgYEAuTw/vLa7UGqBN0/bEpxIZLG8\n"
    "Uz9nQ4VIVv8HRPK3Rpx9LlwJ+rYVR0XPrJ/0rJMogrSC7jqP1ljaK8e5ci0bq0I8\n"
    "SoXbfuKp2zQ7LoXB3Zyo0oiRdQBkWntW8m/1hRngLR8JFpgbBoAkd4x5DlO7ctN5\n"
    "P2uZ+4Eh8ekPci8zXVkCQQD3Rxq5H8FE/TsH810rYEDCyn8WV1arCOrsVf+ZUhwy\n"
    "K7VSPvtRfEtXhrzQ02WjCkOBe2CoUkwSxVZef9NYzr2dAkEA3YtLDg4vMjnQYWcl\n"
    "RsG5Aem1DJL2NbedYUAQGUrBSP6xIpgET4ETRUZluPhoq5AvVMbLbm0W0bY5XIxY\n"
    "4bLISwJAB0B8liVKQ72xd4A5oUYHYC8UHxGcpxNx4FB9WH/B9+60OJ9EO5WLmBuJ\n"
    "eg5ZErkAVdHKeeU/+eTzrX3OMvKNOQJAKFvu0WGuIWU82/GxbcFu1bVgoSjIp6KK\n"
    "jiPgiur+aTDUziuJZX5rJ0yazWabkt2SccxBVR2UcaHTs1NyAbPTHwJAZYIIYPW8\n"
    "pa13g4eOZel1lXVlnB0ijmQ5P6O/LOz8LijP2OQl/uhPQ/YMkSd27GV+GeqG7nLp\n"
    "Lr5AYVvaO+p7aw==\n"
    "-----END PRIVATE KEY-----\n";

const RealKey& real_key() {
  static const RealKey key = [] {
    RealKey made;
    made.private_pem = kPrivateKeyPem;
    auto published = postal::testing::published_key(made.private_pem);
    if (!published) std::abort();
    auto loaded = postal::webhook::load_public_key_pem(published->public_pem);
    if (!loaded) std::abort();
    made.kid = published->kid;
    made.keys = postal::webhook::KeySet(*loaded);
    return made;
  }();
  return key;
}

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "%s\n", what);
  std::abort();
}

void forged(FuzzedDataProvider& in) {
  postal::Headers headers;
  const auto which = in.ConsumeIntegral<std::uint8_t>();
  if (which & 1)
    headers.add("X-Postal-Signature-KID",
                in.ConsumeBool() ? real_key().kid : in.ConsumeRandomLengthString(80));
  if (which & 2) headers.add("X-Postal-Signature-256", in.ConsumeRandomLengthString(400));
  if (which & 4) headers.add("x-postal-signature", in.ConsumeRandomLengthString(400));
  const std::string body = in.ConsumeRemainingBytesAsString();
  postal::webhook::VerifyOptions options;
  options.allow_sha1 = (which & 8) != 0;
  if (postal::webhook::verify(body, headers, real_key().keys, options))
    fail("a forged signature verified");
  if (postal::webhook::verify_and_parse(body, headers, real_key().keys, options))
    fail("verify_and_parse believed a forged signature");
}

void signed_body(FuzzedDataProvider& in) {
  const std::string body = in.ConsumeRemainingBytesAsString();
  auto headers = postal::testing::sign_webhook(body, real_key().private_pem);
  if (!headers) fail("sign_webhook failed");
  const auto event = postal::webhook::verify_and_parse(body, *headers, real_key().keys);
  const auto parsed = postal::webhook::parse_event(body);
  if (event.has_value() != parsed.has_value()) fail("verify_and_parse and parse_event disagree");
  if (event) {
    if (event->type != parsed->type || event->uuid != parsed->uuid ||
        event->timestamp != parsed->timestamp)
      fail("verify_and_parse and parse_event read different events");
  } else if (event.error().code != parsed.error().code) {
    fail("verify_and_parse and parse_event fail differently");
  }
}

void key_material(FuzzedDataProvider& in) {
  (void)postal::webhook::load_jwks(in.ConsumeRandomLengthString(2000));
  (void)postal::webhook::load_public_key_pem(in.ConsumeRandomLengthString(2000));
  (void)postal::webhook::load_public_key_der(in.ConsumeRandomLengthString(2000));
  (void)postal::webhook::load_public_key_dkim(in.ConsumeRemainingBytesAsString());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  FuzzedDataProvider in(data + 1, size - 1);
  switch (data[0] % 3) {
    case 0:
      forged(in);
      break;
    case 1:
      signed_body(in);
      break;
    default:
      key_material(in);
      break;
  }
  return 0;
}
