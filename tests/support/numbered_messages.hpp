// Test support: batches of distinguishable messages. Item i goes to user<i>@example.org with
// subject "Message <i>", so a test can match each result to its request.
#pragma once

#include <postal/models.hpp>
#include <postal/testing/fake_postal.hpp>

#include "catch.hpp"

#include <cstddef>
#include <string>
#include <vector>

namespace postal_test {

inline postal::SendMessageRequest numbered(std::size_t i) {
  postal::SendMessageRequest m;
  m.to = {"user" + std::to_string(i) + "@example.org"};
  m.from = "sales@example.com";
  m.subject = "Message " + std::to_string(i);
  m.plain_body = "Body " + std::to_string(i);
  m.tag = "batch";
  return m;
}

inline std::vector<postal::SendMessageRequest> numbered_batch(std::size_t count) {
  std::vector<postal::SendMessageRequest> batch;
  batch.reserve(count);
  for (std::size_t i = 0; i < count; ++i) batch.push_back(numbered(i));
  return batch;
}

/// The subject FakePostal stored for the one message a send result names.
inline std::string stored_subject(const postal::testing::FakePostal& fake,
                                  const postal::SendResult& sent) {
  REQUIRE(sent.messages.size() == 1);
  auto stored = fake.find_message(sent.messages.begin()->second.id);
  REQUIRE(stored.has_value());
  return stored->subject.value_or("");
}

}  // namespace postal_test
