// Every endpoint through postal::Client → libcurl → loopback TCP → FakePostal.
#include <postal/postal.hpp>
#include <postal/testing/fake_postal.hpp>

#include "support/catch.hpp"
#include "support/fake_postal_server.hpp"

#include <atomic>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace {

constexpr const char* secret_key = "LoopbackSecretKey0123456789";

struct Served {
  std::shared_ptr<postal::testing::FakePostal> fake =
      std::make_shared<postal::testing::FakePostal>();
  postal_support::FakePostalServer server{fake};
  Served() { fake->add_api_key(secret_key); }
  postal::Client client(std::string key = secret_key) const {
    postal::ClientOptions options;
    options.base_url = server.base_url();
    options.api_key = std::move(key);
    options.timeout = std::chrono::seconds(10);
    return postal::Client(options);
  }
};

postal::SendMessageRequest welcome() {
  postal::SendMessageRequest m;
  m.to = {"John <john@example.net>"};
  m.cc = {"cc@example.net"};
  m.from = "Shop <sales@example.com>";
  m.subject = "Welcome <friend> & co";
  m.plain_body = "Hello John";
  m.html_body = "<p>Hello John</p>";
  m.tag = "welcome";
  m.headers = {{"X-Order", "1234"}};
  m.attachments.push_back({"example.txt", "text/plain", "hello world!"});
  return m;
}

void require_no_key(const postal::Error& e) {
  const std::string all = e.message + e.api_code + e.body + e.details.dump() + e.describe() +
                          postal::Exception(e).what();
  REQUIRE(all.find(secret_key) == std::string::npos);
}

}  // namespace

TEST_CASE("send_message over loopback returns one message per recipient keyed by bare address") {
  Served s;
  auto sent = s.client().send_message(welcome());
  REQUIRE(sent);
  REQUIRE(sent->message_id.has_value());
  REQUIRE(sent->messages.size() == 2);
  REQUIRE(sent->messages.count("john@example.net") == 1);
  REQUIRE(sent->messages.count("cc@example.net") == 1);
  REQUIRE(sent->messages.at("john@example.net").id != sent->messages.at("cc@example.net").id);
  REQUIRE(sent->messages.at("john@example.net").token.size() == 16);
}

TEST_CASE("get_message over loopback returns every expansion of what was sent") {
  Served s;
  auto client = s.client();
  auto sent = client.send_message(welcome()).value();
  const auto id = sent.messages.at("john@example.net").id;
  auto m = client.get_message(id, postal::Expansions::all());
  REQUIRE(m);
  REQUIRE(m->id == id);
  REQUIRE(m->token == sent.messages.at("john@example.net").token);
  REQUIRE(m->status);
  REQUIRE(m->status->status == postal::DeliveryStatus::Pending);
  REQUIRE(m->details);
  REQUIRE(m->details->rcpt_to == "john@example.net");
  REQUIRE(m->details->subject == std::optional<std::string>("Welcome <friend> & co"));
  REQUIRE(m->details->message_id == sent.message_id);
  REQUIRE(m->details->tag == std::optional<std::string>("welcome"));
  REQUIRE(m->details->size.has_value());
  REQUIRE(*m->details->size > 0);
  REQUIRE(m->details->direction == postal::Direction::Outgoing);
  REQUIRE(m->inspection);
  REQUIRE(m->plain_body == std::optional<std::string>("Hello John"));
  REQUIRE(m->html_body == std::optional<std::string>("<p>Hello John</p>"));
  REQUIRE(m->attachments);
  REQUIRE(m->attachments->size() == 1);
  REQUIRE(m->attachments->at(0).filename == "example.txt");
  REQUIRE(m->attachments->at(0).data == "hello world!");
  REQUIRE(m->attachments->at(0).hash == "430ce34d020724ed75a196dfc2ad67c77772d169");
  REQUIRE(m->headers);
  REQUIRE(m->headers->count("x-order") == 1);
  REQUIRE(m->raw_message);
  REQUIRE(m->raw_message->size() == static_cast<std::size_t>(*m->details->size));
  REQUIRE(m->activity_entries);
}

TEST_CASE("get_message without expansions returns only id and token") {
  Served s;
  auto client = s.client();
  auto sent = client.send_message(welcome()).value();
  auto m = client.get_message(sent.messages.begin()->second.id).value();
  REQUIRE_FALSE(m.status);
  REQUIRE_FALSE(m.details);
  REQUIRE_FALSE(m.attachments);
  REQUIRE_FALSE(m.raw_message);
}

TEST_CASE("send_raw over loopback stores the exact bytes and returns their Message-ID") {
  Served s;
  auto client = s.client();
  postal::SendRawRequest raw;
  raw.mail_from = "sales@example.com";
  raw.rcpt_to = {"a@example.net", "b@example.net"};
  raw.data =
      "From: sales@example.com\r\nTo: a@example.net\r\nSubject: Raw\r\n"
      "Message-ID: <raw-42@example.com>\r\n\r\nBody \xff\x00 bytes\r\n";
  raw.data.push_back('\x01');
  auto sent = client.send_raw(raw);
  REQUIRE(sent);
  REQUIRE(sent->message_id == std::optional<std::string>("raw-42@example.com"));
  REQUIRE(sent->messages.size() == 2);
  postal::Expansions e;
  e.raw_message = true;
  auto m = client.get_message(sent->messages.at("a@example.net").id, e).value();
  REQUIRE(m.raw_message == std::optional<std::string>(raw.data));
}

TEST_CASE("get_deliveries over loopback lists recorded attempts oldest first") {
  Served s;
  auto client = s.client();
  auto id = client.send_message(welcome()).value().messages.at("john@example.net").id;
  REQUIRE(client.get_deliveries(id).value().empty());
  postal::testing::DeliveryAttempt soft;
  soft.status = postal::DeliveryStatus::SoftFail;
  soft.details = "no server found";
  soft.output = "404";
  s.fake->record_delivery(id, soft);
  postal::testing::DeliveryAttempt ok;
  ok.status = postal::DeliveryStatus::Sent;
  ok.details = "sent successfully";
  ok.output = "250 OK";
  ok.sent_with_ssl = true;
  ok.time = 0.5;
  s.fake->record_delivery(id, ok);
  auto deliveries = client.get_deliveries(id).value();
  REQUIRE(deliveries.size() == 2);
  REQUIRE(deliveries[0].status == postal::DeliveryStatus::SoftFail);
  REQUIRE(deliveries[0].details == std::optional<std::string>("no server found"));
  REQUIRE(deliveries[1].status == postal::DeliveryStatus::Sent);
  REQUIRE(deliveries[1].sent_with_ssl);
  REQUIRE(deliveries[0].timestamp <= deliveries[1].timestamp);
  postal::Expansions e;
  e.status = true;
  REQUIRE(client.get_message(id, e).value().status->status == postal::DeliveryStatus::Sent);
}

TEST_CASE("Postal's errors arrive over loopback as typed errors without the key") {
  Served s;
  SECTION("a wrong key is InvalidServerAPIKey and its echo is redacted") {
    auto sent = s.client(std::string(secret_key) + "-wrong").send_message(welcome());
    REQUIRE_FALSE(sent);
    REQUIRE(sent.error().code == postal::ErrorCode::Api);
    REQUIRE(sent.error().api_code == "InvalidServerAPIKey");
    REQUIRE(sent.error().send_state == postal::SendState::NotSent);
    require_no_key(sent.error());
  }
  SECTION("an unverified From is UnauthenticatedFromAddress") {
    auto m = welcome();
    m.from = "someone@unverified.example";
    auto sent = s.client().send_message(m);
    REQUIRE(sent.error().api_code == "UnauthenticatedFromAddress");
    REQUIRE(sent.error().message ==
            "The From address is not authorised to send mail from this server");
  }
  SECTION("an unknown message is MessageNotFound with the id in details") {
    auto m = s.client().get_message(424242);
    REQUIRE(m.error().api_code == "MessageNotFound");
    REQUIRE(m.error().details["id"] == 424242);
  }
  SECTION("a suspended server is ServerSuspended") {
    s.fake->set_suspended(true);
    REQUIRE(s.client().get_deliveries(1).error().api_code == "ServerSuspended");
  }
  SECTION("a wrong base path is an Http 404 error, not sent") {
    postal::ClientOptions options;
    options.base_url = s.server.base_url() + "/not-postal";
    options.api_key = secret_key;
    auto sent = postal::Client(options).send_message(welcome());
    REQUIRE_FALSE(sent);
    REQUIRE(sent.error().code == postal::ErrorCode::Http);
    REQUIRE(sent.error().http_status == 404);
    REQUIRE(sent.error().send_state == postal::SendState::NotSent);
    REQUIRE(s.fake->messages().empty());
  }
  SECTION("a proxy's HTML 502 is an Http error, maybe sent, without the key") {
    postal::HttpResponse page;
    page.status = 502;
    page.headers.add("Content-Type", "text/html");
    page.body = std::string("<html><body>Bad Gateway for key ") + secret_key + "</body></html>";
    s.fake->fail_next(page);
    auto sent = s.client().send_message(welcome());
    REQUIRE_FALSE(sent);
    REQUIRE(sent.error().code == postal::ErrorCode::Http);
    REQUIRE(sent.error().http_status == 502);
    REQUIRE(sent.error().send_state == postal::SendState::MaybeSent);
    REQUIRE(sent.error().body.find("Bad Gateway") != std::string::npos);
    require_no_key(sent.error());
  }
}

TEST_CASE("8 threads x 50 sends through one Client get unique message ids") {
  Served s;
  const auto client = s.client();
  std::vector<std::vector<std::int64_t>> ids(8);
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        postal::SendMessageRequest m;
        m.to = {"t" + std::to_string(t) + "-" + std::to_string(i) + "@example.net"};
        m.from = "sales@example.com";
        m.plain_body = "load";
        auto sent = client.send_message(m);
        if (!sent || sent->messages.size() != 1) {
          ++failures;
          continue;
        }
        ids[static_cast<std::size_t>(t)].push_back(sent->messages.begin()->second.id);
      }
    });
  }
  for (auto& th : threads) th.join();
  REQUIRE(failures == 0);
  std::set<std::int64_t> unique;
  for (const auto& list : ids) unique.insert(list.begin(), list.end());
  REQUIRE(unique.size() == 400);
  REQUIRE(s.fake->messages().size() == 400);
}
