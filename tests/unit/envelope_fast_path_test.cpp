// The fast path for Postal's answer to a send (detail::decode_send_result_fast, taken by
// ClientCore::interpret for a SendResult) gives exactly the Result of the general path
// (nlohmann's parser, decode_envelope, parse_send_result) for every input: the fixtures, and
// malformed and unusual answers, most of which the fast path hands over to the general path.
#include "support/catch.hpp"
#include "support/scripted_transport.hpp"

#include <postal/detail/client_core.hpp>
#include <postal/detail/envelope.hpp>
#include <postal/json.hpp>
#include <postal/options.hpp>
#include <postal/result.hpp>

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

namespace {

using postal::HttpResponse;
using postal::SendResult;
using postal_test::http_response;

constexpr const char* kApiKey = "ApiKeyForFastPathTests1";

const postal::detail::ClientCore& core() {
  static const postal::detail::ClientCore instance(
      postal::ClientOptions{"https://postal.example.com", kApiKey, std::chrono::seconds(5),
                            std::make_shared<postal_test::ScriptedTransport>()});
  return instance;
}

postal::Result<SendResult> parse(const nlohmann::json& data) {
  return postal::parse_send_result(data);
}

bool taken_fast(const HttpResponse& response) {
  return postal::detail::decode_send_result_fast(response).has_value();
}

/// Both paths, compared field by field. Returns whether the fast path answered by itself.
bool check_same(const HttpResponse& response) {
  INFO("HTTP " << response.status << " body: " << response.body);
  const auto via_client = core().interpret<SendResult>(response, parse);
  const auto general = core().interpret_general<SendResult>(response, parse);
  REQUIRE(via_client.has_value() == general.has_value());
  if (general) {
    CHECK(via_client->message_id == general->message_id);
    REQUIRE(via_client->messages.size() == general->messages.size());
    auto it = via_client->messages.begin();
    for (const auto& [address, ref] : general->messages) {
      CHECK(it->first == address);
      CHECK(it->second.id == ref.id);
      CHECK(it->second.token == ref.token);
      ++it;
    }
  } else {
    const postal::Error& a = via_client.error();
    const postal::Error& b = general.error();
    CHECK(a.code == b.code);
    CHECK(a.message == b.message);
    CHECK(a.http_status == b.http_status);
    CHECK(a.api_code == b.api_code);
    CHECK(a.details == b.details);
    CHECK(a.body == b.body);
    CHECK(a.send_state == b.send_state);
    CHECK(a.retry_after == b.retry_after);
    CHECK(a.attempts == b.attempts);
  }
  const bool fast = taken_fast(response);
  if (fast) CHECK(general.has_value());  // the fast path only ever answers a success
  return fast;
}

bool check_same(const std::string& body, int status = 200) {
  return check_same(http_response(status, body));
}

std::string wrap(const std::string& data) {
  return R"({"status":"success","time":0.012,"flags":{},"data":)" + data + "}";
}

const std::string kBench =
    R"({"status":"success","time":0.01,"flags":{},"data":{"message_id":"bench@example.com",)"
    R"("messages":{"to@example.com":{"id":1,"token":"abc123"}}}})";

}  // namespace

TEST_CASE("envelope fast path: the send fixtures and the benchmark answer are read fast") {
  for (const char* name : {"send_message_success.json", "send_raw_success.json"}) {
    INFO(name);
    const std::string body = postal_test::read_test_data(name);
    CHECK(check_same(body));
    const auto fast = postal::detail::decode_send_result_fast(http_response(200, body));
    REQUIRE(fast.has_value());
    CHECK_FALSE(fast->messages.empty());
  }
  CHECK(check_same(kBench));
  const auto fast = postal::detail::decode_send_result_fast(http_response(200, kBench));
  REQUIRE(fast.has_value());
  CHECK(fast->message_id == "bench@example.com");
  REQUIRE(fast->messages.count("to@example.com") == 1);
  CHECK(fast->messages.at("to@example.com").id == 1);
  CHECK(fast->messages.at("to@example.com").token == "abc123");
}

TEST_CASE("envelope fast path: every file in tests/data gives the general path's result") {
  namespace fs = std::filesystem;
  std::size_t files = 0;
  for (const auto& entry : fs::recursive_directory_iterator(POSTAL_TEST_DATA_DIR)) {
    if (!entry.is_regular_file()) continue;
    const std::string name =
        fs::relative(entry.path(), fs::path(POSTAL_TEST_DATA_DIR)).generic_string();
    INFO(name);
    const std::string body = postal_test::read_test_data(name);
    check_same(body);
    check_same(body, 500);
    ++files;
  }
  CHECK(files >= 4);
}

TEST_CASE("envelope fast path: variations it reads itself") {
  const std::vector<std::string> bodies = {
      // whitespace everywhere JSON allows it
      " \t\r\n{ \"status\" : \"success\" ,\n\"time\":0.5,\"flags\":{ },\"data\" : { \"message_id\""
      " : \"m@x\" , \"messages\" : { \"a@b\" : { \"id\" : 7 , \"token\" : \"t\" } } } }\r\n ",
      // key orders
      R"({"data":{"messages":{"a@b":{"token":"t","id":7}},"message_id":"m"},"status":"success"})",
      R"({"time":0.1,"data":{"message_id":"m","messages":{}},"flags":{},"status":"success"})",
      // extra keys of every kind, at every level
      R"({"status":"success","time":-0.0,"extra":[1,-2.5,true,false,null,"s\n",{"k":[[]]}],)"
      R"("flags":{"a":{"b":{"c":[{"d":null}]}}},"data":{"x":1,"message_id":"m","y":{"z":[]},)"
      R"("messages":{"a@b":{"id":1,"token":"t","extra":{"q":"\u00e9"}},"c@d":{"id":2,)"
      R"("token":"u","n":123456789012345678901234567890}},"w":"\/"}})",
      // nulls and absences
      wrap(R"({"message_id":null,"messages":{"a@b":{"id":1,"token":null}}})"),
      wrap(R"({"messages":{"a@b":{"id":1}}})"),
      wrap(R"({"message_id":"m"})"),
      wrap(R"({})"),
      // integers at the edges of what it reads
      wrap(R"({"messages":{"a":{"id":0},"b":{"id":-0},"c":{"id":-5},"d":{"id":999999999999999999},)"
           R"("e":{"id":-999999999999999999}}})"),
      // escapes and UTF-8 in keys and values
      wrap(
          R"({"message_id":"\u003cabc\u003e@x\"\\\/\b\f\n\r\t\u0000\u00e9\u20ac\uFFFF",)"
          R"("messages":{"j\u00f6hn@example.com":{"id":1,"token":"t"},)"
          "\"j\xc3\xb6hn@exampl\xe2\x82\xac.com\":{\"id\":2,\"token\":\"\xf0\x9f\x98\x80\x7f\"}}}"),
      // keys spelled with escapes
      R"({"st\u0061tus":"succ\u0065ss","d\u0061ta":{"message\u005fid":"m",)"
      R"("messages":{"a":{"\u0069d":3,"tok\u0065n":"t"}}}})",
  };
  for (const auto& body : bodies) {
    INFO(body);
    CHECK(check_same(body));
  }
}

TEST_CASE("envelope fast path: what it leaves to the general path gives the same result") {
  const std::vector<std::string> bodies = {
      "",
      " ",
      "null",
      "[]",
      "{}",
      "\"success\"",
      "{\"status\":\"success\"}",
      "\xef\xbb\xbf" + kBench,  // a byte order mark (nlohmann skips it)
      kBench + "x",
      kBench + "}",
      kBench + std::string(1, '\0'),
      std::string(1, '\0') + kBench,
      // other statuses
      R"({"status":"error","time":0.1,"flags":{},"data":{"message":"No.","code":"NoRecipients"}})",
      R"({"status":"error","time":0.1,"flags":{},"data":{"code":"ServerSuspended"}})",
      R"({"status":"error","data":{"code":7,"extra":[1]}})",
      R"({"status":"parameter-error","time":0.1,"flags":{},"data":{"message":"bad"}})",
      R"({"status":"succes","data":{}})",
      R"({"status":"Success","data":{}})",
      R"({"status":null,"data":{}})",
      R"({"status":1,"data":{}})",
      R"({"status":"success"})",
      R"({"data":{}})",
      R"({"status":"success","data":[]})",
      R"({"status":"success","data":"x"})",
      R"({"status":"success","data":null})",
      // repeated keys (nlohmann keeps the last)
      R"({"status":"success","status":"error","data":{"code":"X"}})",
      R"({"status":"error","status":"success","data":{}})",
      R"({"status":"success","data":{},"data":{"messages":{"a":{"id":1}}}})",
      R"({"status":"success","data":{"messages":{"a":{"id":1}}},"data":7})",
      wrap(R"({"message_id":"a","message_id":"b"})"),
      wrap(R"({"messages":{"a":{"id":1}},"messages":{"b":{"id":2}}})"),
      wrap(R"({"messages":{"a":{"id":1},"a":{"id":2}}})"),
      wrap(R"({"messages":{"a":{"id":1,"id":2}}})"),
      wrap(R"({"messages":{"a":{"id":1,"token":"x","token":"y"}}})"),
      // shapes parse_send_result reads differently or refuses
      wrap(R"({"message_id":5,"messages":{}})"),
      wrap(R"({"message_id":["m"]})"),
      wrap(R"({"messages":null})"),
      wrap(R"({"messages":[]})"),
      wrap(R"({"messages":"x"})"),
      wrap(R"({"messages":{"a":null}})"),
      wrap(R"({"messages":{"a":[]}})"),
      wrap(R"({"messages":{"a":{}}})"),
      wrap(R"({"messages":{"a":{"token":"t"}}})"),
      wrap(R"({"messages":{"a":{"id":null}}})"),
      wrap(R"({"messages":{"a":{"id":"37171"}}})"),
      wrap(R"({"messages":{"a":{"id":"12x"}}})"),
      wrap(R"({"messages":{"a":{"id":1.0}}})"),
      wrap(R"({"messages":{"a":{"id":1.5}}})"),
      wrap(R"({"messages":{"a":{"id":1e3}}})"),
      wrap(R"({"messages":{"a":{"id":1E3}}})"),
      wrap(R"({"messages":{"a":{"id":true}}})"),
      wrap(R"({"messages":{"a":{"id":1234567890123456789}}})"),
      wrap(R"({"messages":{"a":{"id":9223372036854775807}}})"),
      wrap(R"({"messages":{"a":{"id":9223372036854775808}}})"),
      wrap(R"({"messages":{"a":{"id":18446744073709551615}}})"),
      wrap(R"({"messages":{"a":{"id":18446744073709551616}}})"),
      wrap(R"({"messages":{"a":{"id":-9223372036854775809}}})"),
      wrap(R"({"messages":{"a":{"id":1,"token":5}}})"),
      wrap(R"({"messages":{"a":{"id":1,"token":{}}}})"),
      wrap(R"({"messages":{"a":{"id":1},"b":{"id":"x"}}})"),
      // invalid numbers and literals
      wrap(R"({"messages":{"a":{"id":01}}})"),
      wrap(R"({"messages":{"a":{"id":-}}})"),
      wrap(R"({"messages":{"a":{"id":+1}}})"),
      wrap(R"({"messages":{"a":{"id":1.}}})"),
      wrap(R"({"messages":{"a":{"id":.5}}})"),
      wrap(R"({"messages":{"a":{"id":1x}}})"),
      wrap(R"({"messages":{"a":{"id":1}},"n":1e400})"),
      wrap(R"({"n":-1E-400})"),
      wrap(R"({"n":1e5})"),
      wrap(R"({"n":00})"),
      wrap(R"({"n":-01.5})"),
      wrap(R"({"n":1.5e})"),
      wrap("{\"n\":" + std::string(400, '9') + "}"),
      wrap("{\"n\":" + std::string(290, '9') + "}"),
      wrap("{\"n\":0." + std::string(400, '1') + "}"),
      wrap(R"({"n":tru})"),
      wrap(R"({"n":nul})"),
      wrap(R"({"n":True})"),
      wrap(R"({"n":falsey})"),
      wrap(R"({"n":NaN})"),
      wrap(R"({"n":Infinity})"),
      // strings
      wrap(R"({"message_id":"\ud83d\ude00"})"),
      wrap(R"({"message_id":"\ud83d"})"),
      wrap(R"({"message_id":"\ude00"})"),
      wrap(R"({"message_id":"\ud83dx"})"),
      wrap(R"({"message_id":"\x41"})"),
      wrap(R"({"message_id":"\u12"})"),
      wrap(R"({"message_id":"\u12g4"})"),
      wrap(R"({"message_id":"\'"})"),
      wrap("{\"message_id\":\"a\x01\"}"),
      wrap("{\"message_id\":\"a\tb\"}"),
      wrap("{\"message_id\":\"a\nb\"}"),
      wrap("{\"message_id\":\"\xff\"}"),
      wrap("{\"message_id\":\"\xc0\xaf\"}"),
      wrap("{\"message_id\":\"\xe0\x80\xaf\"}"),
      wrap("{\"message_id\":\"\xed\xa0\x80\"}"),
      wrap("{\"message_id\":\"\xf4\x90\x80\x80\"}"),
      wrap("{\"message_id\":\"\xc3\"}"),
      wrap("{\"message_id\":\"\xe2\x82\"}"),
      wrap("{\"message_id\":\"\x80\"}"),
      wrap("{\"message_id\":'m'}"),
      wrap("{\"messages\":{\"\xff\":{\"id\":1}}}"),
      wrap(R"({message_id:"m"})"),
      // structure
      wrap(R"({"message_id":"m",})"),
      wrap(R"({,"message_id":"m"})"),
      wrap(R"({"message_id" "m"})"),
      wrap(R"({"message_id":"m" "x":1})"),
      wrap(R"({"n":[1,]})"),
      wrap(R"({"n":[,1]})"),
      wrap(R"({"n":{"a"}})"),
      wrap(R"({"n":{1:2}})"),
      wrap(R"({"n":[}})"),
      wrap(R"({"n":{]})"),
      R"({"status":"success","data":{"messages":{"a":{"id":1}}}})" + std::string("\n\n"),
      R"({"status":"success","data":{"messages":{"a":{"id":1}}}} {})",
      "{\"status\":\"success\",\"data\":{}}\x0b",
      "{\"status\":\"success\",\"data\":{}}\f",
      "\x0b{\"status\":\"success\",\"data\":{}}",
      // nesting
      wrap("{\"n\":" + std::string(20, '[') + std::string(20, ']') + "}"),
      wrap("{\"n\":" + std::string(60, '[') + std::string(60, ']') + "}"),
      wrap("{\"n\":" + std::string(70, '[') + std::string(70, ']') + "}"),
  };
  for (const auto& body : bodies) check_same(body);
}

TEST_CASE("envelope fast path: other HTTP statuses never take it") {
  for (int status : {0, 100, 201, 204, 301, 400, 404, 408, 429, 500, 502, 503}) {
    HttpResponse response = http_response(status, kBench);
    response.headers.add("Retry-After", "7");
    CHECK_FALSE(check_same(response));
  }
}

TEST_CASE("envelope fast path: every truncation of the fixtures gives the general path's result") {
  for (const std::string& body :
       {postal_test::read_test_data("send_message_success.json"), kBench,
        wrap(R"({"message_id":"\u003ca\u003e \u00e9","messages":{"\u00e9@x":{"id":-12,"token":)"
             R"("\"q\""},"b":{"id":0,"token":null,"x":[1.5,{"y":false}]}}})")}) {
    const std::size_t last = body.find_last_not_of(" \t\r\n");  // the closing brace
    for (std::size_t length = 0; length < body.size(); ++length) {
      INFO("length " << length);
      const bool fast = check_same(body.substr(0, length));
      if (length <= last) CHECK_FALSE(fast);
    }
    CHECK(check_same(body));
  }
}

TEST_CASE(
    "envelope fast path: random byte changes to the fixtures give the general path's result") {
  const std::vector<std::string> seeds = {
      postal_test::read_test_data("send_message_success.json"),
      postal_test::read_test_data("send_raw_success.json"), kBench,
      wrap(R"({"message_id":"\u003ca\u003e","messages":{"a":{"id":-1,"token":"\n"}},"k":[null]})")};
  const std::string alphabet =
      "{}[]:,\"\\/0123456789-+.eEtrufalsn \t\r\nabu\x01\x7f\x80\xc3\xa9\xff";
  std::mt19937 random(20240418u);
  std::size_t fast = 0;
  for (int round = 0; round < 4000; ++round) {
    std::string body = seeds[static_cast<std::size_t>(round) % seeds.size()];
    const int edits = 1 + static_cast<int>(random() % 3);
    for (int e = 0; e < edits; ++e) {
      const std::size_t at = random() % (body.size() + 1);
      const char c = alphabet[random() % alphabet.size()];
      switch (random() % 3) {
        case 0:  // replace
          if (at < body.size()) body[at] = c;
          break;
        case 1:  // insert
          body.insert(body.begin() + static_cast<std::ptrdiff_t>(at), c);
          break;
        default:  // delete
          if (at < body.size()) body.erase(at, 1);
          break;
      }
    }
    if (check_same(body)) ++fast;
  }
  // Some changes keep the answer readable (inside strings, whitespace): the fast path was used.
  CHECK(fast > 0);
}
