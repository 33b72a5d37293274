/// @file
/// Test tooling: how a request reaches one of Postal's API actions through Rails:
/// routing, parameters (JSON body, form field `params`, query string, deep_munge) and the
/// X-Server-API-Key header; plus the Ruby truthiness rules the actions apply to parameters.
///
/// Internal to FakePostal (namespace postal::testing::detail): no stability promise.
#pragma once

#include <postal/detail/json_read.hpp>
#include <postal/testing/rails_json.hpp>
#include <postal/testing/ruby_compat.hpp>
#include <postal/transport.hpp>
#include <postal/version.hpp>

#include <nlohmann/json.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

POSTAL_BEGIN_NAMESPACE
namespace testing {
namespace detail {

/// Ruby's truthiness for a JSON value: everything except null and false is true.
inline bool ruby_truthy(const nlohmann::ordered_json& value) {
  return !(value.is_null() || (value.is_boolean() && !value.get<bool>()));
}

/// ActiveSupport's Object#blank? for a JSON value.
inline bool json_blank(const nlohmann::ordered_json& value) {
  if (value.is_null()) return true;
  if (value.is_boolean()) return !value.get<bool>();
  if (value.is_string()) return is_blank(value.get_ref<const std::string&>());
  if (value.is_array() || value.is_object()) return value.empty();
  return false;  // numbers
}

/// Rails' deep_munge on parsed JSON parameters: removes null elements from arrays that are
/// values of an object, recursing into nested objects (and objects inside such arrays).
inline void deep_munge(nlohmann::ordered_json& object) {
  if (!object.is_object()) return;
  for (auto& item : object.items()) {
    auto& value = item.value();
    if (value.is_array()) {
      nlohmann::ordered_json kept = nlohmann::ordered_json::array();
      for (auto& element : value) {
        if (element.is_object()) deep_munge(element);
        if (!element.is_null()) kept.push_back(std::move(element));
      }
      value = std::move(kept);
    } else if (value.is_object()) {
      deep_munge(value);
    }
  }
}

/// Percent-decoding of an application/x-www-form-urlencoded component ('+' is a space).
inline std::string form_decode(std::string_view text) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+') {
      out.push_back(' ');
    } else if (text[i] == '%' && i + 2 < text.size() && hex(text[i + 1]) >= 0 &&
               hex(text[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex(text[i + 1]) * 16 + hex(text[i + 2])));
      i += 2;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

/// Parses `a=1&b=2&list[]=x` into a JSON object of strings (`name[]` collects an array), merged
/// into `into` (later fields win, as Rack does).
inline void parse_form_into(std::string_view text, nlohmann::ordered_json& into) {
  if (!into.is_object()) into = nlohmann::ordered_json::object();
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find('&', start);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view field = text.substr(start, end - start);
    start = end + 1;
    if (field.empty()) {
      if (end == text.size()) break;
      continue;
    }
    const std::size_t eq = field.find('=');
    std::string name = form_decode(field.substr(0, eq));
    std::string value =
        eq == std::string_view::npos ? std::string() : form_decode(field.substr(eq + 1));
    if (name.size() > 2 && name.compare(name.size() - 2, 2, "[]") == 0) {
      name.resize(name.size() - 2);
      if (!into.contains(name) || !into[name].is_array())
        into[name] = nlohmann::ordered_json::array();
      into[name].push_back(std::move(value));
    } else if (!name.empty()) {
      into[name] = std::move(value);
    }
    if (end == text.size()) break;
  }
}

/// Ruby's `to_s` of a parameter value (nil → "", true → "true", floats as Float#to_s; arrays
/// and objects, which Ruby would `inspect`, as JSON).
inline std::string ruby_to_s(const nlohmann::ordered_json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_null()) return "";
  if (value.is_boolean()) return value.get<bool>() ? "true" : "false";
  if (value.is_number_float()) return ruby_float_to_s(value.get<double>());
  if (value.is_number()) return value.dump();
  return rails_json(value);
}

/// The path and query of a URL; scheme, host, port and fragment are dropped.
inline std::pair<std::string, std::string> split_url(std::string_view url) {
  if (const auto scheme = url.find("://");
      scheme != std::string_view::npos && url.find_first_of("/?#") > scheme) {
    url.remove_prefix(scheme + 3);
    const auto start = url.find_first_of("/?#");
    url = start == std::string_view::npos ? std::string_view() : url.substr(start);
  }
  if (const auto hash = url.find('#'); hash != std::string_view::npos) url = url.substr(0, hash);
  const auto question = url.find('?');
  std::string path(url.substr(0, question));
  std::string query(question == std::string_view::npos ? std::string_view()
                                                       : url.substr(question + 1));
  if (path.empty() || path[0] != '/') path.insert(path.begin(), '/');
  return {std::move(path), std::move(query)};
}

/// The action a path routes to ("send/message", "send/raw", "messages/message",
/// "messages/deliveries"), or nullopt (Rails answers 404). `prefix` nullopt: anything before
/// "/api/v1/" is ignored; otherwise the path must start with exactly `prefix` + "/api/v1/"
/// ("" is Rails' own routing). A trailing slash and a ".format" suffix are accepted.
inline std::optional<std::string> route_action(
    std::string path, const std::optional<std::string>& prefix = std::nullopt) {
  std::string squeezed;
  for (char c : path)
    if (!(c == '/' && !squeezed.empty() && squeezed.back() == '/')) squeezed.push_back(c);
  std::size_t at = std::string::npos;
  if (!prefix) {
    at = squeezed.find("/api/v1/");
  } else {
    std::string wanted = *prefix;
    while (!wanted.empty() && wanted.back() == '/') wanted.pop_back();
    if (!wanted.empty() && wanted.front() != '/') wanted.insert(wanted.begin(), '/');
    if (squeezed.compare(0, wanted.size() + 8, wanted + "/api/v1/") == 0) at = wanted.size();
  }
  if (at == std::string::npos) return std::nullopt;
  std::string action = squeezed.substr(at + 8);
  if (!action.empty() && action.back() == '/') action.pop_back();
  const auto dot = action.rfind('.');
  const auto slash = action.rfind('/');
  if (dot != std::string::npos && (slash == std::string::npos || dot > slash) &&
      dot + 1 < action.size()) {
    bool word = true;
    for (std::size_t i = dot + 1; i < action.size(); ++i) {
      const char c = action[i];
      word = word && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '_');
    }
    if (word) action.resize(dot);
  }
  if (action == "send/message" || action == "send/raw" || action == "messages/message" ||
      action == "messages/deliveries")
    return action;
  return std::nullopt;
}

/// The request parameters as Rails parsed them, before Postal's `api_params` picks its source.
struct RequestParams {
  bool json = false;  ///< Content-Type starts with "application/json" (case-sensitive)
  nlohmann::ordered_json values = nlohmann::ordered_json::object();  ///< Rails' params
};

/// Ruby's JSON.parse default max_nesting.
inline constexpr std::size_t kRailsMaxJsonNesting = 100;

/// Parses the parameters; nullopt when the body is not valid JSON under a JSON content type
/// (Rails' ParseError, answered with HTTP 400 before any action code runs).
inline std::optional<RequestParams> read_request_params(const HttpRequest& request,
                                                        const std::string& query) {
  RequestParams params;
  const std::string content_type = request.headers.get("Content-Type").value_or("");
  params.json = content_type.compare(0, 16, "application/json") == 0;
  if (params.json) {
    if (!request.body.empty()) {
      // Ruby's JSON.parse refuses nesting deeper than 100 (JSON::NestingError, a ParseError);
      // checked first, so that a hostile body cannot exhaust the stack here.
      if (::postal::detail::json_nesting_exceeds(request.body, kRailsMaxJsonNesting))
        return std::nullopt;
      nlohmann::ordered_json parsed = nlohmann::ordered_json::parse(request.body, nullptr, false);
      if (parsed.is_discarded()) return std::nullopt;
      if (parsed.is_object()) {
        params.values = std::move(parsed);
        deep_munge(params.values);
      } else {
        params.values["_json"] = std::move(parsed);
      }
    }
  } else {
    std::string media = content_type.substr(0, content_type.find(';'));
    for (char& c : media)
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    media = ruby_strip(media);
    if (media.empty() || media == "application/x-www-form-urlencoded")
      parse_form_into(request.body, params.values);
  }
  parse_form_into(query, params.values);  // the query string wins, as in Rails
  return params;
}

/// The X-Server-API-Key header (repeated fields joined with ", "), or nullopt.
inline std::optional<std::string> api_key_header(const Headers& headers) {
  std::optional<std::string> key;
  for (const auto& field : headers) {
    if (!postal::detail::iequals(field.first, "X-Server-API-Key")) continue;
    key = key ? *key + ", " + field.second : field.second;
  }
  return key;
}

}  // namespace detail
}  // namespace testing
POSTAL_END_NAMESPACE
