// postal-cpp: the Client's calls. Compiled once into the library, so that a user's translation
// unit that includes postal/postal.hpp does not instantiate the request, retry and JSON code.
#include <postal/client.hpp>
#include <postal/detail/client_core.hpp>
#include <postal/detail/send_batch.hpp>
#include <postal/detail/send_body.hpp>
#include <postal/json.hpp>

#include <nlohmann/json.hpp>

#include <utility>

POSTAL_BEGIN_NAMESPACE

namespace {
template <class Request>
Result<SendResult> send_one(const detail::ClientCore& core, const Request& request) {
  return core.call<SendResult>(detail::CallKind::Send, detail::send_endpoint(request),
                               detail::send_body(request),
                               [](const nlohmann::json& d) { return parse_send_result(d); });
}
}  // namespace

Client::Client(ClientOptions options)
    : core_(std::make_shared<const detail::ClientCore>(std::move(options))) {}

Result<SendResult> Client::send_message(const SendMessageRequest& request) const {
  return send_one(*core_, request);
}

Result<SendResult> Client::send_raw(const SendRawRequest& request) const {
  return send_one(*core_, request);
}

std::vector<Result<SendResult>> Client::send_many(const std::vector<SendMessageRequest>& requests,
                                                  BatchOptions options) const {
  return detail::SendBatch<SendMessageRequest>(*core_, requests, options).run();
}

std::vector<Result<SendResult>> Client::send_many(const std::vector<SendRawRequest>& requests,
                                                  BatchOptions options) const {
  return detail::SendBatch<SendRawRequest>(*core_, requests, options).run();
}

Result<Message> Client::get_message(std::int64_t id, Expansions expansions) const {
  if (id <= 0) return detail::invalid_argument("message id must be positive");
  nlohmann::json params{{"id", id}, {"_expansions", expansions.names()}};
  return core_->call<Message>(detail::CallKind::Read, "messages/message",
                              detail::encode_params(params),
                              [](const nlohmann::json& d) { return parse_message(d); });
}

Result<std::vector<Delivery>> Client::get_deliveries(std::int64_t id) const {
  if (id <= 0) return detail::invalid_argument("message id must be positive");
  nlohmann::json params{{"id", id}};
  return core_->call<std::vector<Delivery>>(
      detail::CallKind::Read, "messages/deliveries", detail::encode_params(params),
      [](const nlohmann::json& d) { return parse_deliveries(d); });
}

const std::shared_ptr<Transport>& Client::transport() const noexcept { return core_->transport(); }

POSTAL_END_NAMESPACE
