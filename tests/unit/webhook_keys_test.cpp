// Loading Postal's webhook key from every form an operator finds it in (spec §4.2), its KID,
// and clear errors (never a crash) for bad key material.
#include "unit/webhook_test_support.hpp"

#include <postal/detail/base64.hpp>
#include <postal/webhook/keys.hpp>

#include <algorithm>
#include <cctype>
#include <cstddef>
#include <random>
#include <string>
#include <vector>

namespace {

using namespace webhook_test;
using postal::ErrorCode;
namespace wh = postal::webhook;

/// The p= value of a SubjectPublicKeyInfo PEM (what `postal default-dkim-record` publishes).
std::string p_value(const std::string& pem) {
  std::string out;
  const std::size_t start = pem.find('\n') + 1;
  const std::size_t end = pem.find("-----END");
  for (char c : pem.substr(start, end - start))
    if (c != '\n') out.push_back(c);
  return out;
}

/// A TXT record as dig prints it: quoted strings of at most 255 bytes, space separated.
std::string dig_output(const std::string& record, std::size_t chunk = 255) {
  std::string out;
  for (std::size_t i = 0; i < record.size(); i += chunk) {
    if (!out.empty()) out += ' ';
    out += '"' + record.substr(i, chunk) + '"';
  }
  return out + "\n";
}

void check_invalid(const postal::Result<wh::PublicKey>& key, const std::string& mentions) {
  REQUIRE_FALSE(key);
  CHECK(key.error().code == ErrorCode::InvalidArgument);
  CHECK(key.error().send_state == postal::SendState::NotSent);
  INFO(key.error().message);
  CHECK(contains(key.error().message, mentions));
}

}  // namespace

TEST_CASE("The KID of the spec's worked vector key is the SHA-256 of its PKCS#1 DER") {
  const auto key = vector::key();
  CHECK(key.kid() == vector::kid);
  CHECK(key.bits() == 1024);
  CHECK(key.signature_size() == 128);
}

TEST_CASE("A SubjectPublicKeyInfo PEM loads with the same KID") {
  const auto key = wh::load_public_key_pem(vector::spki_pem);
  REQUIRE(key);
  CHECK(key->kid() == vector::kid);
}

TEST_CASE("A PKCS#1 RSA PUBLIC KEY PEM loads with the same KID") {
  const auto key = wh::load_public_key_pem(vector::pkcs1_pem);
  REQUIRE(key);
  CHECK(key->kid() == vector::kid);
  CHECK(key->bits() == 1024);
}

TEST_CASE("DER keys load in SubjectPublicKeyInfo and PKCS#1 form") {
  const auto spki = postal::detail::base64_decode(vector::p).value();
  const auto from_spki = wh::load_public_key_der(spki);
  REQUIRE(from_spki);
  CHECK(from_spki->kid() == vector::kid);

  std::string pkcs1_b64;
  const std::string pem = vector::pkcs1_pem;
  for (char c : pem.substr(pem.find('\n') + 1, pem.find("-----END") - pem.find('\n') - 1))
    if (c != '\n') pkcs1_b64.push_back(c);
  const auto from_pkcs1 = wh::load_public_key_der(postal::detail::base64_decode(pkcs1_b64).value());
  REQUIRE(from_pkcs1);
  CHECK(from_pkcs1->kid() == vector::kid);
}

TEST_CASE("The full DKIM record loads") {
  const std::string record = std::string("v=DKIM1; t=s; h=sha256; p=") + vector::p + ";";
  const auto key = wh::load_public_key_dkim(record);
  REQUIRE(key);
  CHECK(key->kid() == vector::kid);
}

TEST_CASE("The bare p= value loads, also folded over lines or prefixed with p=") {
  CHECK(wh::load_public_key_dkim(vector::p).value().kid() == vector::kid);
  std::string folded;
  const std::string p = vector::p;
  for (std::size_t i = 0; i < p.size(); i += 64) folded += p.substr(i, 64) + "\r\n";
  CHECK(wh::load_public_key_dkim("  " + folded).value().kid() == vector::kid);
  CHECK(wh::load_public_key_dkim("p=" + p).value().kid() == vector::kid);
}

TEST_CASE("dig output split into 255-byte quoted strings loads (2048-bit key)") {
  const auto& pair = test_key(2048);
  const std::string record = "v=DKIM1; t=s; h=sha256; p=" + p_value(pair.public_pem) + ";";
  REQUIRE(record.size() > 255);
  const std::string dig = dig_output(record);
  CHECK(std::count(dig.begin(), dig.end(), '"') == 4);
  const auto key = wh::load_public_key_dkim(dig);
  REQUIRE(key);
  CHECK(key->kid() == test_public_key(2048).kid());
  CHECK(key->bits() == 2048);
}

TEST_CASE("dig output split anywhere, even inside a tag, loads (4096-bit key)") {
  const std::string record =
      "v=DKIM1; t=s; h=sha256; p=" + p_value(test_key(4096).public_pem) + ";";
  for (std::size_t chunk : {std::size_t{25}, std::size_t{26}, std::size_t{27}, std::size_t{255}}) {
    const auto key = wh::load_public_key_dkim(dig_output(record, chunk));
    REQUIRE(key);
    CHECK(key->bits() == 4096);
    CHECK(key->kid() == test_public_key(4096).kid());
  }
}

TEST_CASE("dig escapes inside quoted strings are undone") {
  const std::string p = vector::p;
  // \059 is ';' in dig's decimal escape form; \" and \\ never occur in base64.
  const std::string dig = "\"v=DKIM1\\059 t=s\\059 p=" + p + "\\059\"";
  CHECK(wh::load_public_key_dkim(dig).value().kid() == vector::kid);
}

TEST_CASE("DKIM records Postal could not have published are clear errors") {
  const std::string p = vector::p;
  check_invalid(wh::load_public_key_dkim("v=DKIM1; t=s; p=;"), "revoked");
  check_invalid(wh::load_public_key_dkim("v=DKIM1; t=s; h=sha256;"), "no p=");
  check_invalid(wh::load_public_key_dkim("v=DKIM1; k=ed25519; p=" + p), "k=ed25519");
  check_invalid(wh::load_public_key_dkim("\"v=DKIM1; p=" + p), "quote");
  check_invalid(wh::load_public_key_dkim("v=DKIM1; p=not*base64!"), "base64");
  check_invalid(wh::load_public_key_dkim(""), "empty");
  check_invalid(wh::load_public_key_dkim("AAAA"), "DER");
}

TEST_CASE("Postal's JWKS loads with the published kid") {
  const auto keys = wh::load_jwks(vector::jwks);
  REQUIRE(keys);
  REQUIRE(keys->size() == 1);
  CHECK(keys->begin()->kid() == vector::kid);
  CHECK(keys->find(vector::kid) != nullptr);
}

TEST_CASE("A two-key JWKS loads both RSA signing keys and skips EC and encryption keys") {
  const auto keys = wh::load_jwks(fixture("jwks_two_keys.json"));
  REQUIRE(keys);
  REQUIRE(keys->size() == 2);
  CHECK(keys->find(vector::kid) != nullptr);
  const auto second = wh::load_public_key_pem(fixture("second_key.pub.pem")).value();
  const auto* found = keys->find(second.kid());
  REQUIRE(found != nullptr);
  CHECK(found->bits() == 2048);
}

TEST_CASE("A JWKS without a usable RSA key is an error naming the reasons") {
  auto check = [](const std::string& doc, const std::string& mentions) {
    const auto keys = wh::load_jwks(doc);
    REQUIRE_FALSE(keys);
    CHECK(keys.error().code == ErrorCode::InvalidArgument);
    INFO(keys.error().message);
    CHECK(contains(keys.error().message, mentions));
  };
  check("not json", "not valid JSON");
  check("{}", "no \"keys\" array");
  check(R"({"keys":[]})", "no usable");
  check(R"({"keys":[{"kty":"EC","crv":"P-256"}]})", "kty is EC");
  check(R"({"keys":[{"kty":"RSA","n":"@@@","e":"AQAB"}]})", "base64url");
  check(R"({"keys":[{"kty":"RSA","e":"AQAB"}]})", "\"n\"");
  check(R"({"keys":[{"kty":"RSA","n":"AQAB","e":"AQAB"}]})", "too small");
  check(R"({"keys":[42, null, "x"]})", "kty is missing");
}

TEST_CASE("Bad PEM is a clear error") {
  check_invalid(wh::load_public_key_pem(""), "no \"-----BEGIN");
  check_invalid(wh::load_public_key_pem("hello"), "no \"-----BEGIN");
  check_invalid(
      wh::load_public_key_pem("-----BEGIN PUBLIC KEY-----\n!!!\n-----END PUBLIC KEY-----\n"),
      "invalid PEM");
  check_invalid(wh::load_public_key_pem(test_key(1024).private_pem), "private key");
  check_invalid(wh::load_public_key_pem(fixture("second_key.pem")), "private key");
  check_invalid(
      wh::load_public_key_pem("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----"),
      "certificate");
  check_invalid(wh::load_public_key_pem(fixture("ec_public.pem")), "not an RSA key");
  check_invalid(wh::load_public_key_pem(fixture("rsa512_public.pem")), "too small");
  std::string truncated = vector::spki_pem;
  truncated.resize(truncated.size() / 2);
  check_invalid(wh::load_public_key_pem(truncated), "invalid PEM");
}

TEST_CASE("Bad DER is a clear error: empty, truncated, trailing bytes") {
  const auto der = postal::detail::base64_decode(vector::p).value();
  check_invalid(wh::load_public_key_der(""), "empty");
  check_invalid(wh::load_public_key_der(der.substr(0, der.size() - 1)), "not a DER");
  check_invalid(wh::load_public_key_der(der + "x"), "trailing");
}

TEST_CASE("Random and mutated key material never crashes a loader") {
  std::mt19937 rng(20240313);
  std::uniform_int_distribution<int> byte(0, 255);
  const auto der = postal::detail::base64_decode(vector::p).value();
  int loaded = 0;
  for (std::size_t i = 0; i < der.size(); ++i) {
    std::string mutated = der;
    mutated[i] = static_cast<char>(mutated[i] ^ (1 << (i % 8)));
    // Some mutations give another valid key (a flipped modulus bit), or the same key (the
    // AlgorithmIdentifier's NULL parameters are not checked); what matters is no crash.
    if (wh::load_public_key_der(mutated)) ++loaded;
  }
  CHECK(loaded < static_cast<int>(der.size()));
  for (int round = 0; round < 300; ++round) {
    std::string noise(static_cast<std::size_t>(byte(rng)), '\0');
    for (char& c : noise) c = static_cast<char>(byte(rng));
    CHECK_FALSE(wh::load_public_key_der(noise));
    CHECK_FALSE(wh::load_public_key_pem("-----BEGIN RSA PUBLIC KEY-----\n" + noise));
    CHECK_FALSE(wh::load_public_key_dkim(noise));
    CHECK_FALSE(wh::load_jwks(noise));
  }
}

TEST_CASE("A KeySet finds keys by KID in any case and ignores duplicates") {
  wh::KeySet keys;
  CHECK(keys.empty());
  CHECK(keys.add(vector::key()));
  CHECK_FALSE(keys.add(wh::load_public_key_pem(vector::pkcs1_pem).value()));
  CHECK(keys.add(test_public_key(2048)));
  CHECK(keys.size() == 2);
  std::string upper = vector::kid;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  REQUIRE(keys.find(upper) != nullptr);
  CHECK(keys.find(upper)->kid() == vector::kid);
  CHECK(keys.find("0000") == nullptr);
  wh::KeySet single = vector::key();  // implicit: one key
  CHECK(single.size() == 1);
  single.merge(keys);
  CHECK(single.size() == 2);
}

TEST_CASE("Generated keys of 1024, 2048 and 4096 bits load with 64-hex-digit KIDs") {
  for (int bits : {1024, 2048, 4096}) {
    const auto key = test_public_key(bits);
    CHECK(key.bits() == bits);
    CHECK(key.signature_size() == static_cast<std::size_t>(bits / 8));
    REQUIRE(key.kid().size() == 64);
    CHECK(key.kid().find_first_not_of("0123456789abcdef") == std::string::npos);
    CHECK(key.kid() != test_public_key(bits, 1).kid());
  }
}
