// Sends a message through FakePostal with the installed package, and reads it back.
#include <postal/postal.hpp>
#include <postal/testing/fake_postal.hpp>

#include <iostream>
#include <memory>

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
  std::cout << "consumer: sent message " << id << " with postal-cpp " << postal::version_string
            << '\n';
  return 0;
}
