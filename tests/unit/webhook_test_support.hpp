// Shared by the webhook tests: fixtures from tests/data/webhooks, RSA test keys made once per
// run, and the worked vector of spec §4.4.
#pragma once

#include "support/catch.hpp"

#include <postal/testing/webhook_signer.hpp>
#include <postal/transport.hpp>
#include <postal/webhook.hpp>

#include <fstream>
#include <iterator>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>

namespace webhook_test {

/// The exact bytes of tests/data/webhooks/<name>.
inline std::string fixture(const std::string& name) {
  const std::string path = std::string(POSTAL_TEST_DATA_DIR) + "/webhooks/" + name;
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("missing fixture " + path);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

/// An RSA key pair of `bits` bits, generated once per test run (4096-bit keys are slow).
/// `slot` gives a second, different key of the same size.
inline const postal::testing::TestKeyPair& test_key(int bits, int slot = 0) {
  static std::mutex mutex;
  static std::map<std::pair<int, int>, postal::testing::TestKeyPair> keys;
  std::lock_guard<std::mutex> lock(mutex);
  auto it = keys.find({bits, slot});
  if (it == keys.end())
    it = keys.emplace(std::make_pair(bits, slot), postal::testing::generate_test_key(bits).value())
             .first;
  return it->second;
}

/// The public half of test_key(bits, slot), loaded.
inline postal::webhook::PublicKey test_public_key(int bits, int slot = 0) {
  return postal::webhook::load_public_key_pem(test_key(bits, slot).public_pem).value();
}

/// Signs `body` with test_key(bits, slot).
inline postal::Headers sign(const std::string& body, int bits = 2048, int slot = 0) {
  return postal::testing::sign_webhook(body, test_key(bits, slot).private_pem).value();
}

/// The header `name` of `headers` (throws when absent).
inline std::string header(const postal::Headers& headers, const char* name) {
  return headers.get(name).value();
}

/// True when `text` contains `part`.
inline bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// The worked vector of spec §4.4: Postal's public CI key (1024 bits) and the 587-byte
// MessageSent body of spec §3.3 (tests/data/webhooks/message_sent.json).
namespace vector {
inline constexpr const char* p =
    "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDWt+8XMJEoeOd5DW0ETcj7oklUiyd39h71ZsBxlZSOSydsb+ft26C/"
    "dfJmT/1W38oxhct1iuRN6ETNHNeLtwrysxhpmSiea/"
    "eU8Iv3s4WVgdTJyneTH++yuXwOyEmb1opc7igSRfbFLkeVcYm45rnzbjf/"
    "26UaFwmtZlxPI0LZrQIDAQAB";
inline constexpr const char* kid =
    "84402f67559ca0731352690d8ad545ac0314dd41d6836cfbd13076b567bec845";
inline constexpr const char* signature_256 =
    "m4/MGUPWDthQ84jFprhv71yxDoVjmxUinwe0jZ3qdipkUxhc+xoqYdS8qEtXMv9PorL3xn1rezKeFiVGK2e/"
    "CxliQ9LcDr65a1v6CiFJKSWgBO0rUvPHtZz7mbQN8QKelNPDV5V3pGtdlH3eK4CC+Q1O9TgsQ1c9kCAjkrIcrN8=";
inline constexpr const char* signature_1 =
    "NekqFn2zvKit52aZqq65ekWOcj7Wqy2r/"
    "lcdYB2UCuoNt4d2e5r4q1M3ojBS4cjkUjl1sOcHAjMw9SlIiS0KAKA8kb9XGOT"
    "faMRu7f+EAcX+03ZjMtuKq9RotYNNpv6Y+GlGlgqpF4XQ/H2g09s27VE/qwFjlOr8p9Y5soGHuMg=";
inline constexpr const char* jwks =
    R"({"keys":[{"kty":"RSA","n":"1rfvFzCRKHjneQ1tBE3I-6JJVIsnd_Ye9WbAcZWUjksnbG_n7dugv3XyZk_9Vt_KMYXLdYrkTehEzRzXi7cK8rMYaZkonmv3lPCL97OFlYHUycp3kx_vsrl8DshJm9aKXO4oEkX2xS5HlXGJuOa58243_9ulGhcJrWZcTyNC2a0","e":"AQAB","use":"sig","alg":"RS256","kid":"84402f67559ca0731352690d8ad545ac0314dd41d6836cfbd13076b567bec845"}]})";
/// `openssl rsa -pubin -in postal_pub.pem -RSAPublicKey_out` of the same key.
inline constexpr const char* pkcs1_pem =
    "-----BEGIN RSA PUBLIC KEY-----\n"
    "MIGJAoGBANa37xcwkSh453kNbQRNyPuiSVSLJ3f2HvVmwHGVlI5LJ2xv5+3boL91\n"
    "8mZP/VbfyjGFy3WK5E3oRM0c14u3CvKzGGmZKJ5r95Twi/ezhZWB1MnKd5Mf77K5\n"
    "fA7ISZvWilzuKBJF9sUuR5VxibjmufNuN//bpRoXCa1mXE8jQtmtAgMBAAE=\n"
    "-----END RSA PUBLIC KEY-----\n";
/// The SubjectPublicKeyInfo PEM made from `p` by the recipe of spec §4.4 (fold -w 64).
inline constexpr const char* spki_pem =
    "-----BEGIN PUBLIC KEY-----\n"
    "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDWt+8XMJEoeOd5DW0ETcj7oklU\n"
    "iyd39h71ZsBxlZSOSydsb+ft26C/dfJmT/1W38oxhct1iuRN6ETNHNeLtwrysxhp\n"
    "mSiea/eU8Iv3s4WVgdTJyneTH++yuXwOyEmb1opc7igSRfbFLkeVcYm45rnzbjf/\n"
    "26UaFwmtZlxPI0LZrQIDAQAB\n"
    "-----END PUBLIC KEY-----\n";

/// The headers Postal sent with the vector body.
inline postal::Headers headers() {
  return postal::Headers{{"X-Postal-Signature-KID", kid},
                         {"X-Postal-Signature", signature_1},
                         {"X-Postal-Signature-256", signature_256}};
}
/// The vector key, from its DKIM p= value.
inline postal::webhook::PublicKey key() { return postal::webhook::load_public_key_dkim(p).value(); }
}  // namespace vector

}  // namespace webhook_test
