// Compile-cost benchmark: what a user's translation unit that sends a message costs to build.
#include <postal/postal.hpp>

int main() {
  postal::ClientOptions options;
  options.base_url = "https://postal.example.com";
  options.api_key = "key";
  postal::Client client(options);
  postal::SendMessageRequest message;
  message.to = {"john@example.com"};
  message.from = "sales@example.com";
  message.subject = "Welcome";
  message.plain_body = "Hello";
  auto sent = client.send_message(message);
  return sent ? 0 : 1;
}
