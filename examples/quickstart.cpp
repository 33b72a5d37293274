// quickstart: sends a message with an attachment and a raw message, then reads the first one back
// with every expansion and its deliveries.
//
// With POSTAL_URL and POSTAL_API_KEY set (and POSTAL_FROM, POSTAL_TO) it talks to that Postal.
// Otherwise it starts a fake Postal on 127.0.0.1 and talks to it through the real libcurl
// transport, exactly as it would to a real server.
#include <postal/postal.hpp>
#include <postal/testing/fake_postal.hpp>

#include "support/fake_postal_server.hpp"

#include <cstddef>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace {

std::string env_or(const char* name, const std::string& fallback) {
  const char* value = std::getenv(name);
  return (value != nullptr && *value != '\0') ? value : fallback;
}

template <class T>
T or_exit(postal::Result<T> result, const char* what) {
  if (!result) {
    std::cerr << what << " failed: " << result.error().describe() << '\n';
    std::exit(1);
  }
  return std::move(*result);
}

// Indents continuation lines so multi-line text lines up under its label.
std::string indented(std::string text) {
  while (!text.empty() && text.back() == '\n') text.pop_back();
  for (auto pos = text.find('\n'); pos != std::string::npos; pos = text.find('\n', pos + 1))
    text.insert(pos + 1, "               ");
  return text;
}

void print_message(const postal::Message& m) {
  std::cout << "\nMessage " << m.id << " (token " << m.token << ")\n";
  if (m.status)
    std::cout << "  status:      " << m.status->status_name << (m.status->held ? " (held)" : "")
              << '\n';
  if (m.details) {
    const auto& d = *m.details;
    std::cout << "  to:          " << d.rcpt_to << '\n'
              << "  from:        " << d.mail_from.value_or("(none)") << '\n'
              << "  subject:     " << d.subject.value_or("(none)") << '\n'
              << "  message-id:  " << d.message_id.value_or("(none)") << '\n'
              << "  size:        " << (d.size ? std::to_string(*d.size) + " bytes" : "?") << '\n'
              << "  tag:         " << d.tag.value_or("(none)") << '\n';
  }
  if (m.inspection) std::cout << "  spam score:  " << m.inspection->spam_score << '\n';
  if (m.plain_body) std::cout << "  plain body:  " << indented(*m.plain_body) << '\n';
  if (m.html_body) std::cout << "  html body:   " << indented(*m.html_body) << '\n';
  if (m.attachments)
    for (const auto& a : *m.attachments)
      std::cout << "  attachment:  " << a.filename << " (" << a.content_type << ", "
                << a.data.size() << " bytes, sha1 " << a.hash << ")\n";
  if (m.headers) std::cout << "  headers:     " << m.headers->size() << " distinct names\n";
  if (m.raw_message) std::cout << "  raw message: " << m.raw_message->size() << " bytes\n";
  if (m.activity_entries)
    std::cout << "  activity:    " << m.activity_entries->loads.size() << " loads, "
              << m.activity_entries->clicks.size() << " clicks\n";
}

}  // namespace

int main() {
  const char* url = std::getenv("POSTAL_URL");
  const char* key = std::getenv("POSTAL_API_KEY");
  const bool real = url != nullptr && *url != '\0' && key != nullptr && *key != '\0';

  std::shared_ptr<postal::testing::FakePostal> fake;
  std::unique_ptr<postal_support::FakePostalServer> server;
  postal::ClientOptions options;
  if (real) {
    options.base_url = url;
    options.api_key = key;
    std::cout << "Using the Postal server at " << options.base_url << '\n';
  } else {
    fake = std::make_shared<postal::testing::FakePostal>();
    server = std::make_unique<postal_support::FakePostalServer>(fake);
    options.base_url = server->base_url();
    options.api_key = "test-api-key";
    std::cout << "POSTAL_URL/POSTAL_API_KEY not set: using the built-in fake Postal at "
              << options.base_url << " (over HTTP, through libcurl)\n";
  }
  postal::Client client(options);
  const std::string from = env_or("POSTAL_FROM", "Demo <demo@example.com>");
  const std::string to = env_or("POSTAL_TO", "alice@example.net");

  // 1. A message that Postal composes, with an attachment.
  postal::SendMessageRequest message;
  message.to = {to};
  message.from = from;
  message.subject = "Hello from postal-cpp";
  message.plain_body = "Hi Alice,\nthis came through postal-cpp.\n";
  message.html_body = "<p>Hi Alice,<br>this came through <b>postal-cpp</b>.</p>";
  message.tag = "quickstart";
  message.headers = {{"X-Campaign", "quickstart"}};
  message.attachments.push_back({"hello.txt", "text/plain", "hello world!"});
  auto sent = or_exit(client.send_message(message), "send_message");
  std::cout << "\nsend_message: Message-ID " << sent.message_id.value_or("(none)") << '\n';
  for (const auto& [address, ref] : sent.messages)
    std::cout << "  " << address << " -> id " << ref.id << ", token " << ref.token << '\n';

  // 2. A raw RFC 5322 message.
  postal::SendRawRequest raw;
  raw.mail_from = "demo@example.com";
  raw.rcpt_to = {to};
  raw.data = "From: " + from + "\r\nTo: " + to +
             "\r\nSubject: Raw hello\r\nMessage-ID: <raw-1@example.com>\r\n"
             "Content-Type: text/plain; charset=UTF-8\r\n\r\nA raw message.\r\n";
  auto raw_sent = or_exit(client.send_raw(raw), "send_raw");
  std::cout << "send_raw: Message-ID " << raw_sent.message_id.value_or("(none)") << ", "
            << raw_sent.messages.size() << " message(s)\n";

  // 3. Read the first message back with every expansion, and its deliveries.
  const auto id = sent.messages.begin()->second.id;
  if (fake) {
    postal::testing::DeliveryAttempt attempt;
    attempt.status = postal::DeliveryStatus::Sent;
    attempt.details = "Message for " + to + " accepted by 192.0.2.10:25 (mx.example.net)";
    attempt.output = "250 2.0.0 OK";
    attempt.sent_with_ssl = true;
    attempt.time = 0.42;
    fake->record_delivery(id, attempt);
    std::cout << "(the fake Postal recorded a delivery attempt for message " << id << ")\n";
  }
  print_message(or_exit(client.get_message(id, postal::Expansions::all()), "get_message"));

  auto deliveries = or_exit(client.get_deliveries(id), "get_deliveries");
  std::cout << "\nDeliveries of message " << id << ": " << deliveries.size() << '\n';
  for (const auto& d : deliveries)
    std::cout << "  #" << d.id << " " << d.status_name << ": " << d.details.value_or("") << " ["
              << d.output.value_or("") << "]" << (d.sent_with_ssl ? " TLS" : "") << '\n';

  // 4. A batch: one request per message, several in flight, one result per message in order.
  std::vector<postal::SendMessageRequest> batch;
  for (int i = 1; i <= 5; ++i) {
    postal::SendMessageRequest item;
    item.to = {to};
    item.from = from;
    item.subject = "Batch message " + std::to_string(i);
    item.plain_body = "Message " + std::to_string(i) + " of a send_many batch.\n";
    batch.push_back(item);
  }
  batch[3].to.clear();  // an invalid item fails alone, before sending
  postal::BatchOptions batch_options;
  batch_options.max_in_flight = 4;
  auto results = client.send_many(batch, batch_options);
  std::cout << "\nsend_many: " << results.size() << " results\n";
  for (std::size_t i = 0; i < results.size(); ++i) {
    if (results[i])
      std::cout << "  #" << i << " sent, id " << results[i]->messages.begin()->second.id << '\n';
    else
      std::cout << "  #" << i << " " << results[i].error().describe() << '\n';
  }

  // 5. Errors are values: a wrong id is Postal's MessageNotFound.
  auto missing = client.get_message(999999);
  if (!missing) std::cout << "\nget_message(999999): " << missing.error().describe() << '\n';
  std::cout << "\nDone.\n";
  return 0;
}
