// postal-cpp: settings of a Client.
#pragma once

#include <postal/transport.hpp>
#include <postal/version.hpp>

#include <chrono>
#include <memory>
#include <string>

POSTAL_BEGIN_NAMESPACE

/// Settings of a Client; a plain aggregate with safe defaults.
///
/// @code
/// postal::ClientOptions options;
/// options.base_url = "https://postal.example.com";
/// if (const char* key = std::getenv("POSTAL_API_KEY")) options.api_key = key;
/// postal::Client client(options);
/// @endcode
struct ClientOptions {
  /// Where Postal's web server is, e.g. "https://postal.example.com". The scheme is required; a
  /// path prefix is kept ("https://example.com/postal" → ".../postal/api/v1/...").
  std::string base_url;
  /// The server's API key, sent as X-Server-API-Key. Never appears in errors or logs. Must be
  /// visible ASCII (no spaces or line breaks), as Postal's keys are.
  std::string api_key;
  /// Deadline for one whole HTTP exchange; must be positive.
  std::chrono::milliseconds timeout{std::chrono::seconds(30)};
  /// How requests travel. nullptr: the libcurl transport with default CurlOptions.
  std::shared_ptr<Transport> transport;
};

POSTAL_END_NAMESPACE
