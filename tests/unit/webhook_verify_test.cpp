// The verification policy of webhook/verify.hpp over real RSA signatures: the worked vector
// of spec §4.4, every way a request can be altered, KID selection, and the SHA-1 rules.
#include "unit/webhook_test_support.hpp"

#include <postal/detail/base64.hpp>
#include <postal/testing/webhook_signer.hpp>
#include <postal/webhook/verify.hpp>

#include <nlohmann/json.hpp>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace webhook_test;
using postal::ErrorCode;
using postal::Headers;
namespace wh = postal::webhook;

const char* const kid_h = "X-Postal-Signature-KID";
const char* const sha1_h = "X-Postal-Signature";
const char* const sha256_h = "X-Postal-Signature-256";

/// Verify expected to fail with `code`, the message mentioning `mentions`.
void check_rejected(const postal::Result<void>& result, ErrorCode code,
                    const std::string& mentions) {
  REQUIRE_FALSE(result);
  CHECK(result.error().code == code);
  CHECK(result.error().send_state == postal::SendState::NotSent);
  INFO(result.error().message);
  CHECK(contains(result.error().message, mentions));
}

wh::VerifyOptions sha1_allowed() {
  wh::VerifyOptions options;
  options.allow_sha1 = true;
  return options;
}

}  // namespace

TEST_CASE("The worked vector of spec 4.4 verifies with every form of its key") {
  const std::string body = fixture("message_sent.json");
  REQUIRE(body.size() == 587);
  const auto headers = vector::headers();
  CHECK(wh::verify(body, headers, vector::key()));
  CHECK(wh::verify(body, headers, wh::load_public_key_pem(vector::spki_pem).value()));
  CHECK(wh::verify(body, headers, wh::load_public_key_pem(vector::pkcs1_pem).value()));
  CHECK(wh::verify(body, headers, wh::load_jwks(vector::jwks).value()));
  CHECK(wh::verify(body, headers, wh::load_jwks(fixture("jwks_two_keys.json")).value()));
}

TEST_CASE("The worked vector's SHA-1 signature verifies alone when SHA-1 is allowed") {
  const Headers legacy{{sha1_h, vector::signature_1}};
  CHECK(wh::verify(fixture("message_sent.json"), legacy, vector::key(), sha1_allowed()));
}

TEST_CASE("sign_webhook sets Postal's three headers in Postal's order and format") {
  for (int bits : {1024, 2048, 4096}) {
    const auto headers = sign(fixture("message_sent.json"), bits);
    REQUIRE(headers.size() == 3);
    auto it = headers.begin();
    CHECK(it->first == kid_h);
    CHECK(it->second == test_public_key(bits).kid());
    CHECK((++it)->first == sha1_h);
    CHECK((++it)->first == sha256_h);
    const std::size_t b64_length = (static_cast<std::size_t>(bits) / 8 + 2) / 3 * 4;
    for (const char* name : {sha1_h, sha256_h}) {
      const std::string value = header(headers, name);
      CHECK(value.size() == b64_length);  // 1024 bits: 172 characters, 2048: 344
      CHECK(value.find_first_of("\r\n ") == std::string::npos);
      CHECK(postal::detail::base64_decode(value).value().size() ==
            static_cast<std::size_t>(bits) / 8);
    }
  }
}

TEST_CASE("sign_webhook is deterministic (PKCS#1 v1.5) and reads PKCS#1 private keys") {
  const std::string body = fixture("message_held.json");
  const auto& pem = test_key(2048).private_pem;
  CHECK(header(postal::testing::sign_webhook(body, pem).value(), sha256_h) ==
        header(postal::testing::sign_webhook(body, pem).value(), sha256_h));
  const auto headers = postal::testing::sign_webhook(body, fixture("second_key.pem"));
  REQUIRE(headers);
  CHECK(wh::verify(body, *headers, wh::load_public_key_pem(fixture("second_key.pub.pem")).value()));
}

TEST_CASE("sign_webhook rejects key material that is not an RSA private key") {
  auto bad = postal::testing::sign_webhook("{}", test_key(2048).public_pem);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code == ErrorCode::InvalidArgument);
  CHECK_FALSE(postal::testing::sign_webhook("{}", ""));
  CHECK_FALSE(postal::testing::sign_webhook("{}", "-----BEGIN PRIVATE KEY-----\nAAAA\n"));
  CHECK_FALSE(postal::testing::generate_test_key(512));
}

TEST_CASE("A tampered body is rejected") {
  std::string body = fixture("message_sent.json");
  const auto headers = vector::headers();
  body.replace(body.find("\"Sent\""), 6, "\"Held\"");
  check_rejected(wh::verify(body, headers, vector::key()), ErrorCode::Signature, "does not verify");
}

TEST_CASE("One added byte of whitespace is rejected") {
  const std::string body = fixture("message_sent.json");
  const auto headers = vector::headers();
  check_rejected(wh::verify(body + "\n", headers, vector::key()), ErrorCode::Signature,
                 "does not verify");
  std::string spaced = body;
  spaced.insert(spaced.find(':') + 1, " ");
  check_rejected(wh::verify(spaced, headers, vector::key()), ErrorCode::Signature,
                 "does not verify");
}

TEST_CASE("A re-serialised body never verifies") {
  for (const char* name : {"message_sent.json", "message_delayed.json"}) {
    const std::string body = fixture(name);
    const auto headers = sign(body);
    REQUIRE(wh::verify(body, headers, test_public_key(2048)));
    const std::string reserialised = nlohmann::json::parse(body).dump();
    REQUIRE(reserialised != body);  // key order, \u003c escapes and floats change
    check_rejected(wh::verify(reserialised, headers, test_public_key(2048)), ErrorCode::Signature,
                   "does not verify");
  }
}

TEST_CASE("A signature by an unpublished key is rejected") {
  const std::string body = fixture("message_sent.json");
  Headers headers = sign(body, 2048, /*slot=*/1);
  headers.erase(kid_h);
  check_rejected(wh::verify(body, headers, test_public_key(2048)), ErrorCode::Signature,
                 "does not verify");
}

TEST_CASE("An unknown KID is UnknownKey, even when another key would verify") {
  const std::string body = fixture("message_sent.json");
  Headers headers = sign(body, 2048, 1);
  check_rejected(wh::verify(body, headers, test_public_key(2048)), ErrorCode::UnknownKey,
                 test_public_key(2048, 1).kid());
  Headers wrong_kid = sign(body, 2048);
  wrong_kid.set(kid_h, std::string(64, 'a'));
  check_rejected(wh::verify(body, wrong_kid, test_public_key(2048)), ErrorCode::UnknownKey,
                 "names no key");
}

TEST_CASE("The KID selects the key among several, without it every key is tried") {
  const wh::KeySet keys{test_public_key(1024), test_public_key(2048), test_public_key(4096),
                        test_public_key(2048, 1)};
  const std::string body = fixture("domain_dns_error.json");
  for (int bits : {1024, 2048, 4096}) {
    Headers headers = sign(body, bits);
    CHECK(wh::verify(body, headers, keys));
    headers.erase(kid_h);
    CHECK(wh::verify(body, headers, keys));
  }
  Headers other = sign(body, 2048, 1);
  other.erase(kid_h);
  CHECK(wh::verify(body, other, keys));
}

TEST_CASE("No signature header, or no key at all, fails closed") {
  const std::string body = fixture("message_sent.json");
  check_rejected(wh::verify(body, Headers{{kid_h, vector::kid}}, vector::key()),
                 ErrorCode::Signature, "no signature header");
  check_rejected(wh::verify(body, Headers{}, vector::key()), ErrorCode::Signature,
                 "no signature header");
  check_rejected(wh::verify(body, vector::headers(), wh::KeySet{}), ErrorCode::Signature,
                 "no webhook public key");
}

TEST_CASE("A SHA-1-only request is rejected by default and accepted with allow_sha1") {
  const std::string body = fixture("message_bounced.json");
  Headers headers = sign(body);
  headers.erase(sha256_h);
  check_rejected(wh::verify(body, headers, test_public_key(2048)), ErrorCode::Signature,
                 "SHA-1 is disabled");
  CHECK(wh::verify(body, headers, test_public_key(2048), sha1_allowed()));
  headers.erase(kid_h);  // Postal < 3.2 sends no KID either
  CHECK(wh::verify(body, headers, test_public_key(2048), sha1_allowed()));
  check_rejected(wh::verify(body + " ", headers, test_public_key(2048), sha1_allowed()),
                 ErrorCode::Signature, "X-Postal-Signature does not verify");
}

TEST_CASE("The downgrade is rejected: a bad SHA-256 header never falls back to a good SHA-1") {
  const std::string body = fixture("message_sent.json");
  const std::string other_256 = header(sign("{}", 1024), sha256_h);  // valid, for another body
  for (const std::string& bad_256 :
       {other_256, std::string("!!!"), std::string(""), other_256.substr(0, 100)}) {
    Headers headers = vector::headers();
    headers.set(sha256_h, bad_256);
    const auto result = wh::verify(body, headers, vector::key(), sha1_allowed());
    REQUIRE_FALSE(result);
    CHECK(result.error().code == ErrorCode::Signature);
    CHECK(contains(result.error().message, sha256_h));
  }
}

TEST_CASE("Non-base64, truncated and empty signatures are Signature errors") {
  const std::string body = fixture("message_sent.json");
  const std::string good = vector::signature_256;
  auto with = [&](const std::string& value) {
    Headers headers = vector::headers();
    headers.set(sha256_h, value);
    return wh::verify(body, headers, vector::key());
  };
  check_rejected(with("not base64 at all!"), ErrorCode::Signature, "not valid base64");
  check_rejected(with(good.substr(0, 60) + "\n" + good.substr(60)), ErrorCode::Signature,
                 "not valid base64");  // strict: no line breaks
  std::string url_safe = good;
  for (char& c : url_safe) c = c == '+' ? '-' : c == '/' ? '_' : c;
  check_rejected(with(url_safe), ErrorCode::Signature, "not valid base64");
  check_rejected(with(good.substr(0, good.size() - 1)), ErrorCode::Signature, "not valid base64");
  check_rejected(with(good.substr(0, good.size() - 4)), ErrorCode::Signature,
                 "is 126 bytes, but a 1024-bit key signs with 128");
  check_rejected(with(""), ErrorCode::Signature, "is empty");
  check_rejected(with("   "), ErrorCode::Signature, "is empty");
  check_rejected(with(header(sign("{}", 2048), sha256_h)), ErrorCode::Signature,
                 "is 256 bytes, but a 1024-bit key signs with 128");
}

TEST_CASE("A SHA-1 signature in the SHA-256 header is rejected") {
  const std::string body = fixture("message_sent.json");
  Headers headers = vector::headers();
  headers.set(sha256_h, vector::signature_1);
  check_rejected(wh::verify(body, headers, vector::key(), sha1_allowed()), ErrorCode::Signature,
                 "X-Postal-Signature-256 does not verify");
}

TEST_CASE("Header names match in any case and values may carry surrounding spaces") {
  const std::string body = fixture("message_sent.json");
  const Headers lower{{"x-postal-signature-kid", vector::kid},
                      {"x-postal-signature", vector::signature_1},
                      {"x-postal-signature-256", vector::signature_256}};
  CHECK(wh::verify(body, lower, vector::key()));
  const Headers mixed{{"X-POSTAL-Signature-Kid", std::string(" ") + vector::kid},
                      {"x-Postal-SIGNATURE-256", std::string(vector::signature_256) + " \t"}};
  CHECK(wh::verify(body, mixed, vector::key()));
  Headers lower_bad = lower;
  lower_bad.set("X-POSTAL-SIGNATURE-256", vector::signature_1);
  CHECK_FALSE(wh::verify(body, lower_bad, vector::key(), sha1_allowed()));
}

TEST_CASE("An empty body can be signed and verified") {
  const auto headers = sign("", 1024);
  CHECK(wh::verify("", headers, test_public_key(1024)));
  CHECK_FALSE(wh::verify(" ", headers, test_public_key(1024)));
}

TEST_CASE("Verification is safe from many threads with shared keys") {
  const wh::KeySet keys{test_public_key(1024), test_public_key(2048)};
  const std::string body = fixture("message_link_clicked.json");
  const Headers good = sign(body, 2048);
  std::atomic<int> verified{0}, rejected{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        const bool tamper = (i + t) % 2 == 0;
        const auto result = wh::verify(tamper ? body + " " : body, good, keys);
        (result ? verified : rejected)++;
      }
    });
  for (auto& thread : threads) thread.join();
  CHECK(verified == 200);
  CHECK(rejected == 200);
}
