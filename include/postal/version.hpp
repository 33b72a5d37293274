// postal-cpp: version numbers and the inline ABI namespace.
#pragma once

#define POSTAL_VERSION_MAJOR 0
#define POSTAL_VERSION_MINOR 1
#define POSTAL_VERSION_PATCH 0
#define POSTAL_VERSION_STRING "0.1.0"

/// Marks the few functions compiled into the library (src/) as its exported interface.
#if defined(_WIN32) && defined(POSTAL_SHARED)
#if defined(POSTAL_BUILDING)
#define POSTAL_API __declspec(dllexport)
#else
#define POSTAL_API __declspec(dllimport)
#endif
#elif defined(__GNUC__) || defined(__clang__)
#define POSTAL_API __attribute__((visibility("default")))
#else
#define POSTAL_API
#endif

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
