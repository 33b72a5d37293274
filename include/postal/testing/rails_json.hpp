/// @file
/// Test tooling: what Rails does around Postal's API actions, so FakePostal answers
/// with the same bytes: ActiveSupport's JSON encoding, request parameter parsing (JSON body,
/// form fields, query string, deep_munge) and the public error pages.
///
/// Internal to FakePostal (namespace postal::testing::detail): no stability promise.
#pragma once

#include <postal/testing/ruby_compat.hpp>
#include <postal/transport.hpp>
#include <postal/version.hpp>

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

POSTAL_BEGIN_NAMESPACE
namespace testing {
namespace detail {

/// Appends a JSON string literal encoded like Rails (the json gem plus ActiveSupport's
/// escaping of `<`, `>`, `&`, U+2028 and U+2029). `/` and other non-ASCII stay as they are;
/// invalid UTF-8 is replaced by U+FFFD (the json gem would raise instead).
inline void append_rails_json_string(std::string& out, std::string_view text) {
  static constexpr char hex[] = "0123456789abcdef";
  out.push_back('"');
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t start = i;
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x80) {
      const std::uint32_t cp = utf8_next(text, i);
      if (i - start == 1) {
        out += "\xEF\xBF\xBD";  // an invalid byte
      } else if (cp == 0x2028) {
        out += "\\u2028";
      } else if (cp == 0x2029) {
        out += "\\u2029";
      } else {
        out.append(text.substr(start, i - start));
      }
      continue;
    }
    ++i;
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '<':
        out += "\\u003c";
        break;
      case '>':
        out += "\\u003e";
        break;
      case '&':
        out += "\\u0026";
        break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out.push_back(hex[c >> 4]);
          out.push_back(hex[c & 0xF]);
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  out.push_back('"');
}

/// Appends `value` as compact JSON, as Rails' `render json:` writes it: keys in insertion
/// order, floats as Ruby's Float#to_s (non-finite as null).
inline void append_rails_json(std::string& out, const nlohmann::ordered_json& value) {
  using Type = nlohmann::ordered_json::value_t;
  switch (value.type()) {
    case Type::object: {
      out.push_back('{');
      bool first = true;
      for (const auto& item : value.items()) {
        if (!first) out.push_back(',');
        first = false;
        append_rails_json_string(out, item.key());
        out.push_back(':');
        append_rails_json(out, item.value());
      }
      out.push_back('}');
      break;
    }
    case Type::array: {
      out.push_back('[');
      bool first = true;
      for (const auto& element : value) {
        if (!first) out.push_back(',');
        first = false;
        append_rails_json(out, element);
      }
      out.push_back(']');
      break;
    }
    case Type::string:
      append_rails_json_string(out, value.get_ref<const std::string&>());
      break;
    case Type::boolean:
      out += value.get<bool>() ? "true" : "false";
      break;
    case Type::number_integer:
      out += std::to_string(value.get<std::int64_t>());
      break;
    case Type::number_unsigned:
      out += std::to_string(value.get<std::uint64_t>());
      break;
    case Type::number_float: {
      const double number = value.get<double>();
      out += std::isfinite(number) ? ruby_float_to_s(number) : "null";
      break;
    }
    default:
      out += "null";
      break;
  }
}

/// `value` as compact JSON, encoded like Rails (see append_rails_json).
inline std::string rails_json(const nlohmann::ordered_json& value) {
  std::string out;
  append_rails_json(out, value);
  return out;
}

/// The body Rails' PublicExceptions serves for `status` (400, 404 or 500): the JSON form
/// `{"status":404,"error":"Not Found"}` when the request accepts JSON, else an HTML page in the
/// style of Rails' public/<status>.html.
inline HttpResponse rails_error_page(int status, const Headers& request_headers) {
  std::string reason = status == 400   ? "Bad Request"
                       : status == 404 ? "Not Found"
                       : status == 403 ? "Forbidden"
                                       : "Internal Server Error";
  HttpResponse response;
  response.status = status;
  const auto accept = request_headers.get("Accept");
  if (accept && accept->find("application/json") != std::string::npos) {
    response.headers.set("Content-Type", "application/json; charset=utf-8");
    response.body = "{\"status\":" + std::to_string(status) + ",\"error\":\"" + reason + "\"}";
    return response;
  }
  std::string title, heading, detail;
  if (status == 404) {
    title = "The page you were looking for doesn't exist (404)";
    heading = "The page you were looking for doesn't exist.";
    detail = "You may have mistyped the address or the page may have moved.";
  } else if (status == 400) {
    title = "The server cannot process the request due to a client error (400)";
    heading = "The server cannot process the request due to a client error.";
    detail = "Please check the request and try again.";
  } else {
    title = "We're sorry, but something went wrong (" + std::to_string(status) + ")";
    heading = "We're sorry, but something went wrong.";
    detail = "";
  }
  response.headers.set("Content-Type", "text/html; charset=utf-8");
  response.body =
      "<!DOCTYPE html>\n<html>\n<head>\n  <title>" + title +
      "</title>\n  <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\n"
      "</head>\n\n<body class=\"rails-default-error-page\">\n  <!-- This file lives in public/" +
      std::to_string(status) + ".html -->\n  <div class=\"dialog\">\n    <div>\n      <h1>" +
      heading + "</h1>\n" + (detail.empty() ? std::string() : "      <p>" + detail + "</p>\n") +
      "    </div>\n    <p>If you are the application owner check the logs for more "
      "information.</p>\n  </div>\n</body>\n</html>\n";
  return response;
}

}  // namespace detail
}  // namespace testing
POSTAL_END_NAMESPACE
