/// @file
/// Version numbers, the export macro and the inline ABI namespace.
///
/// @code
/// #if POSTAL_VERSION_MAJOR == 0 && POSTAL_VERSION_MINOR >= 1
/// std::cout << "postal-cpp " << postal::version_string << '\n';
/// #endif
/// @endcode
#pragma once

/// The major version; it also names the inline ABI namespace (`postal::v0`).
#define POSTAL_VERSION_MAJOR 0
/// The minor version.
#define POSTAL_VERSION_MINOR 1
/// The patch version.
#define POSTAL_VERSION_PATCH 0
/// The version as a string literal, "major.minor.patch" (see also postal::version_string).
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

/// @namespace postal
/// The SDK: the Client, its options, models, Result and Error (`#include <postal/postal.hpp>`).
///
/// The names live in an inline namespace named after the major version (`postal::v0`), so that
/// two incompatible versions cannot be linked into one program unnoticed; write `postal::Client`.
/// Names in `postal::detail` (and in every other `detail` namespace) are internal: no stability
/// promise, not documented here.

POSTAL_BEGIN_NAMESPACE
/// The library version, e.g. "0.1.0"; also sent in the User-Agent header.
inline constexpr const char* version_string = POSTAL_VERSION_STRING;
POSTAL_END_NAMESPACE
