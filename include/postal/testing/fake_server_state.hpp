/// @file
/// Test tooling: the state behind FakePostal — configuration, stored messages, ids,
/// randomness — and the Postal model code that works on it (credential lookup, domain
/// authentication, MessageDB::Message#save). Not thread-safe by itself: FakePostal locks.
///
/// Internal to FakePostal (namespace postal::testing::detail): no stability promise.
#pragma once

#include <postal/testing/mime_parser.hpp>
#include <postal/testing/mime_text.hpp>
#include <postal/testing/rails_request.hpp>
#include <postal/testing/ruby_compat.hpp>
#include <postal/testing/stored_message.hpp>
#include <postal/transport.hpp>
#include <postal/version.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

POSTAL_BEGIN_NAMESPACE
namespace testing {
namespace detail {

/// Where Postal would raise an unhandled exception; FakePostal answers HTTP 500.
struct InternalServerError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// A verified domain of the fake server.
struct FakeDomain {
  std::string name;          ///< domain name
  bool use_for_any = false;  ///< Postal's "use for any" flag
};

/// Everything FakePostal knows, without the lock.
struct FakeServerState {
  std::mt19937_64 rng{std::random_device{}()};                ///< tokens, uuids, boundaries
  std::vector<std::string> api_keys{"test-api-key"};          ///< accepted API keys
  std::vector<FakeDomain> domains{{"example.com", false}};    ///< verified domains
  bool suspended = false;                                     ///< server suspended
  bool allow_sender = false;                                  ///< Sender may authenticate
  std::string web_hostname = "postal.example.test";           ///< for Received headers
  std::string return_path_domain = "rp.postal.example.test";  ///< for Message-IDs
  std::optional<std::string> path_prefix = std::string();     ///< "": Postal's routing
  std::map<std::int64_t, StoredMessage> messages;             ///< by id
  std::int64_t next_message_id = 1;                           ///< next message id
  std::int64_t next_delivery_id = 1;                          ///< next delivery id
  std::int64_t last_micros = 0;                               ///< last timestamp handed out

  /// Epoch microseconds, strictly increasing across calls (so records order by time).
  std::int64_t next_micros() {
    last_micros = (std::max)(now_micros(), last_micros + 1);
    return last_micros;
  }

  /// `length` characters drawn uniformly from `alphabet`.
  std::string random_string(std::string_view alphabet, std::size_t length) {
    std::uniform_int_distribution<std::size_t> pick(0, alphabet.size() - 1);
    std::string out;
    for (std::size_t i = 0; i < length; ++i) out.push_back(alphabet[pick(rng)]);
    return out;
  }
  /// SecureRandom.alphanumeric(16).
  std::string random_token() {
    return random_string("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", 16);
  }
  /// SecureRandom.uuid: a lower-case version 4 UUID.
  std::string random_uuid() {
    std::string hex = random_string("0123456789abcdef", 32);
    hex[12] = '4';
    hex[16] = random_string("89ab", 1)[0];
    return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" +
           hex.substr(16, 4) + "-" + hex.substr(20);
  }
  /// A tag like the mail gem's for MIME boundaries and Content-IDs.
  std::string random_mime_tag() {
    return random_string("0123456789abcdef", 13) + "_" + random_string("0123456789", 7);
  }

  /// Credential lookup. MySQL's utf8mb4_general_ci compares case-insensitively and ignores
  /// trailing spaces, so this does too.
  bool key_known(std::string_view key) const {
    auto trim = [](std::string_view s) {
      while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
      return s;
    };
    return std::any_of(api_keys.begin(), api_keys.end(), [&](const std::string& known) {
      return postal::detail::iequals(trim(known), trim(key));
    });
  }

  /// Server#authenticated_domain_for_address: the domain after the first `@` of the
  /// name-stripped address is verified (case-insensitive), or a domain is "use for any".
  bool domain_authenticated(std::string_view address) const {
    if (is_blank(address)) return false;
    const std::string stripped = strip_name_from_address(address);
    const auto at = stripped.find('@');
    if (at == std::string::npos) return false;
    const std::string_view domain = std::string_view(stripped).substr(at + 1);
    for (const auto& d : domains)
      if (postal::detail::iequals(d.name, domain)) return true;
    return std::any_of(domains.begin(), domains.end(),
                       [](const FakeDomain& d) { return d.use_for_any; });
  }
  /// The same for a parameter value: blank → false; a non-string raises in Ruby (→ HTTP 500).
  bool domain_authenticated(const nlohmann::ordered_json& address) const {
    if (json_blank(address)) return false;
    if (!address.is_string()) throw InternalServerError("NoMethodError: undefined method `gsub'");
    return domain_authenticated(std::string_view(address.get_ref<const std::string&>()));
  }

  /// The message with this id; throws std::out_of_range when there is none.
  StoredMessage& message_or_throw(std::int64_t id) {
    const auto it = messages.find(id);
    if (it == messages.end())
      throw std::out_of_range("FakePostal: no message with id " + std::to_string(id));
    return it->second;
  }

  /// Stores one outgoing message (MessageDB::Message#save): id, token, timestamp; subject (last
  /// Subject, first 200 characters), Message-ID (without <>) from the raw headers; the tag, or
  /// the last X-Postal-Tag header when no tag was given (OutgoingMessageProcessor#add_tag).
  StoredMessage& store_message(std::string rcpt_to, std::string mail_from, const std::string& raw,
                               const std::optional<std::string>& tag, bool bounce,
                               const std::string& api_key) {
    StoredMessage message;
    message.id = next_message_id++;
    message.token = random_token();
    message.rcpt_to = std::move(rcpt_to);
    if (!mail_from.empty()) message.mail_from = std::move(mail_from);
    message.raw_message = raw;
    message.bounce = bounce;
    message.api_key = api_key;
    message.timestamp = micros_to_seconds(next_micros());
    std::optional<std::string> subject, message_id, header_tag;
    for (const auto& field : parse_fields(split_head_body(raw).first)) {
      const std::string name = ascii_lower(field.name);
      if (name == "subject") subject = ruby_strip(decode_encoded_words(field.value));
      if (name == "message-id" && !message_id) message_id = strip_name_from_address(field.value);
      if (name == "x-postal-tag") header_tag = ruby_strip(decode_encoded_words(field.value));
    }
    if (subject && !subject->empty()) message.subject = utf8_prefix(*subject, 200);
    if (message_id && !message_id->empty()) message.message_id = message_id;
    if (tag && !tag->empty()) {
      message.tag = tag;
    } else if (header_tag && !header_tag->empty()) {
      message.tag = header_tag;
    }
    const std::int64_t id = message.id;
    return messages.emplace(id, std::move(message)).first->second;
  }
};

}  // namespace detail
}  // namespace testing
POSTAL_END_NAMESPACE
