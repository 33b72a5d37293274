// postal-cpp internals: the host and port of an http(s) URL, read the same way for the Client's
// base_url and a webhook JWKS URL.
#pragma once

#include <postal/version.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

POSTAL_BEGIN_NAMESPACE
namespace detail {

/// "host[:port]" of "scheme://host[:port][/path][?query][#fragment]" (user info is left in: the
/// callers refuse any '@' first); empty when `url` names no scheme.
inline std::string_view url_authority(std::string_view url) noexcept {
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return {};
  const auto authority = url.substr(scheme_end + 3);
  return authority.substr(0, authority.find_first_of("/?#"));
}

/// Whether `text` may be the inside of "[...]": hex digits, ':' and '.' (an embedded IPv4
/// address), at least one ':', and an optional zone of 1 to 15 characters after '%' or "%25"
/// ("%25eth0", "%eth0", "%1"), as libcurl reads it.
inline bool is_ipv6_text(std::string_view text) noexcept {
  const auto percent = text.find('%');
  const std::string_view address = text.substr(0, percent);
  if (address.find(':') == std::string_view::npos) return false;
  for (char c : address)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ':' ||
          c == '.'))
      return false;
  if (percent == std::string_view::npos) return true;
  std::string_view zone = text.substr(percent + 1);
  if (zone.substr(0, 2) == "25")
    zone.remove_prefix(2);  // "%25" is an escaped '%', as libcurl reads it
  if (zone.empty() || zone.size() > 15) return false;
  for (char c : zone)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' ||
          c == '.' || c == '_' || c == '~' || c == ':'))
      return false;
  return true;
}

/// The parts of "host[:port]" or "[IPv6 address][:port]".
struct HostPort {
  std::string_view host;  ///< brackets kept for an IPv6 address
  std::optional<unsigned> port;
};

/// Splits an authority into host and port; the reason, worded for "<URL> is not usable (...)",
/// when it has no host, a broken IPv6 address, or a port that is not a number from 1 to 65535.
inline std::optional<std::string> split_host_port(std::string_view authority, HostPort& out) {
  std::size_t port_at = authority.find(':');
  if (!authority.empty() && authority.front() == '[') {  // [IPv6 address]
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return "its IPv6 address has no closing ]";
    if (!is_ipv6_text(authority.substr(1, close - 1))) return "its IPv6 address is not one";
    port_at = close + 1 == authority.size() ? std::string_view::npos : close + 1;
    if (port_at != std::string_view::npos && authority[port_at] != ':')
      return "it has text after the IPv6 address";
  } else if (authority.find_first_of("[]") != std::string_view::npos) {
    return "it has a bracket outside an IPv6 address";
  }
  out.host = authority.substr(0, port_at);
  out.port.reset();
  if (out.host.empty()) return "it has no host";
  if (port_at == std::string_view::npos) return std::nullopt;
  const std::string_view port = authority.substr(port_at + 1);
  unsigned long number = 0;
  for (char c : port)
    number = c >= '0' && c <= '9' && number <= 65535 ? number * 10 + (c - '0') : 65536;
  if (port.empty() || number == 0 || number > 65535)
    return "its port must be a number from 1 to 65535";
  out.port = static_cast<unsigned>(number);
  return std::nullopt;
}

}  // namespace detail
POSTAL_END_NAMESPACE
