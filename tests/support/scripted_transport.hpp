// Test double for postal::Transport: records every request it is given (thread-safe) and answers
// from a queue of scripted results, then from an optional handler. No mocking framework.
//
//   auto transport = std::make_shared<postal_test::ScriptedTransport>();
//   transport->push(postal_test::success_response(R"({"id":1,"token":"t"})"));
//   postal::Client client({"https://postal.example.com", "key", std::chrono::seconds(5),
//   transport});
//   ... client.get_message(1) ...
//   CHECK(transport->last_request().url == "https://postal.example.com/api/v1/messages/message");
#pragma once

#include <postal/result.hpp>
#include <postal/transport.hpp>

#include <cstddef>
#include <deque>
#include <fstream>
#include <functional>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace postal_test {

/// A Transport that answers from a script and remembers what it was asked.
class ScriptedTransport : public postal::Transport {
 public:
  using Answer = postal::Result<postal::HttpResponse>;
  using Handler = std::function<Answer(const postal::HttpRequest&)>;

  ScriptedTransport() = default;
  /// Answers every request with `handler` (after any queued answers are used up).
  explicit ScriptedTransport(Handler handler) : handler_(std::move(handler)) {}

  /// Queues the answer to a future request; queued answers are used in order.
  ScriptedTransport& push(Answer answer) {
    std::lock_guard<std::mutex> lock(mutex_);
    answers_.push_back(std::move(answer));
    return *this;
  }

  /// Replaces the handler used once the queue is empty.
  void set_handler(Handler handler) {
    std::lock_guard<std::mutex> lock(mutex_);
    handler_ = std::move(handler);
  }

  /// Records the request, then answers: the next queued answer, else the handler (called without
  /// the lock held, so it may throw or block), else a Transport error.
  Answer send(const postal::HttpRequest& request) override {
    Handler handler;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      requests_.push_back(request);
      if (!answers_.empty()) {
        Answer answer = std::move(answers_.front());
        answers_.pop_front();
        return answer;
      }
      handler = handler_;
    }
    if (handler) return handler(request);
    postal::Error error;
    error.code = postal::ErrorCode::Transport;
    error.message = "ScriptedTransport: no answer scripted for " + request.url;
    error.send_state = postal::SendState::NotSent;
    return error;
  }

  /// Every request seen so far, in order.
  std::vector<postal::HttpRequest> requests() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return requests_;
  }

  /// How many requests were seen.
  std::size_t request_count() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return requests_.size();
  }

  /// The most recent request; throws std::logic_error when there was none.
  postal::HttpRequest last_request() const {
    std::lock_guard<std::mutex> lock(mutex_);
    if (requests_.empty()) throw std::logic_error("ScriptedTransport: no request was made");
    return requests_.back();
  }

 private:
  mutable std::mutex mutex_;
  std::vector<postal::HttpRequest> requests_;
  std::deque<Answer> answers_;
  Handler handler_;
};

/// An HTTP response with the given status and body (Content-Type as Rails sends it).
inline postal::HttpResponse http_response(
    int status, std::string body, std::string content_type = "application/json; charset=utf-8") {
  postal::HttpResponse response;
  response.status = status;
  response.headers.add("Content-Type", std::move(content_type));
  response.body = std::move(body);
  return response;
}

/// Postal's envelope, byte for byte: `{"status":…,"time":0.012,"flags":{},"data":<data_json>}`.
/// `data_json` is inserted verbatim, so key order and escapes are exactly what the test wrote.
inline std::string envelope(std::string_view status, std::string_view data_json) {
  std::string out = "{\"status\":\"";
  out += status;
  out += "\",\"time\":0.012,\"flags\":{},\"data\":";
  out += data_json;
  out += "}";
  return out;
}

/// HTTP 200 with a success envelope around `data_json`.
inline postal::HttpResponse success_response(std::string_view data_json) {
  return http_response(200, envelope("success", data_json));
}

/// HTTP 200 with an error envelope; `data_json` is Postal's data, e.g.
/// `{"message":"…","code":"NoRecipients"}`.
inline postal::HttpResponse error_response(std::string_view data_json) {
  return http_response(200, envelope("error", data_json));
}

/// HTTP 200 with a parameter-error envelope; `data_json` is e.g. `{"message":"…"}`.
inline postal::HttpResponse parameter_error_response(std::string_view data_json) {
  return http_response(200, envelope("parameter-error", data_json));
}

/// The bytes of a fixture file in tests/data (POSTAL_TEST_DATA_DIR); throws if it is missing.
inline std::string read_test_data(const std::string& name) {
  const std::string path = std::string(POSTAL_TEST_DATA_DIR) + "/" + name;
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open test data file " + path);
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

}  // namespace postal_test
