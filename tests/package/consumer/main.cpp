// Every package test's consumer: sends a message through FakePostal and reads it back, then
// verifies a signed webhook, so that a missing dependency fails to link or to run.
// POSTAL_CONSUMER_WEBHOOK=0: postal-cpp was built without webhooks (POSTAL_WEBHOOK=OFF); sending
// still works, and the webhook functions fail with a typed error.
#include <postal/postal.hpp>
#include <postal/testing/fake_postal.hpp>
#include <postal/testing/webhook_signer.hpp>
#include <postal/webhook.hpp>

#include <iostream>
#include <memory>
#include <string>

#ifndef POSTAL_CONSUMER_WEBHOOK
#define POSTAL_CONSUMER_WEBHOOK 1
#endif

int main() {
  auto fake = std::make_shared<postal::testing::FakePostal>();
  postal::ClientOptions options;
  options.base_url = "https://postal.example.test";
  options.api_key = "test-api-key";
  options.transport = fake;
  postal::Client client(options);

  postal::SendMessageRequest m;
  m.to = {"john@example.net"};
  m.from = "sales@example.com";
  m.subject = "Installed";
  m.plain_body = "It links.";
  auto sent = client.send_message(m);
  if (!sent) {
    std::cerr << sent.error().describe() << '\n';
    return 1;
  }
  auto id = sent->messages.at("john@example.net").id;
  postal::Expansions details;
  details.details = true;
  auto message = client.get_message(id, details);
  if (!message || !message->details || message->details->subject != "Installed") return 1;

#if POSTAL_CONSUMER_WEBHOOK
  // A signed webhook verifies with the public key and parses into a typed event.
  auto key = postal::testing::generate_test_key(2048);
  if (!key) return 1;
  const std::string body =
      R"({"event":"MessageLoaded","timestamp":1713456789.5,"payload":{"message":{"id":1,)"
      R"("token":"t","direction":"outgoing","message_id":null,"to":"a@example.net","from":null,)"
      R"("subject":null,"timestamp":1.5,"spam_status":"NotSpam","tag":null},)"
      R"("ip_address":"192.0.2.1","user_agent":null},"uuid":"u-1"})";
  auto headers = postal::testing::sign_webhook(body, key->private_pem);
  auto public_key = postal::webhook::load_public_key_pem(key->public_pem);
  if (!headers || !public_key) return 1;
  auto event =
      postal::webhook::verify_and_parse(body, *headers, postal::webhook::KeySet(*public_key));
  if (!event || event->type != postal::webhook::EventType::MessageLoaded) {
    std::cerr << "webhook did not verify\n";
    return 1;
  }
#else
  auto key = postal::testing::generate_test_key(2048);
  if (key || key.error().code != postal::ErrorCode::InvalidArgument ||
      key.error().message.find("POSTAL_WEBHOOK=OFF") == std::string::npos) {
    std::cerr << "without webhooks, generate_test_key must fail with InvalidArgument\n";
    return 1;
  }
  std::cout << "consumer: built without webhooks: " << key.error().describe() << '\n';
#endif
  std::cout << "consumer: sent message " << id << " with postal-cpp " << postal::version_string
            << '\n';
  return 0;
}
