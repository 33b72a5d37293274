// postal-cpp: version numbers and the inline ABI namespace.
#pragma once

#define POSTAL_VERSION_MAJOR 0
#define POSTAL_VERSION_MINOR 1
#define POSTAL_VERSION_PATCH 0
#define POSTAL_VERSION_STRING "0.1.0"

/// Opens the library namespace with its inline ABI namespace (`postal::v0`).
#define POSTAL_BEGIN_NAMESPACE \
  namespace postal {           \
  inline namespace v0 {
/// Closes what POSTAL_BEGIN_NAMESPACE opened.
#define POSTAL_END_NAMESPACE \
  }                          \
  }

POSTAL_BEGIN_NAMESPACE
/// The library version, e.g. "0.1.0"; also sent in the User-Agent header.
inline constexpr const char* version_string = POSTAL_VERSION_STRING;
POSTAL_END_NAMESPACE
