/// @file
/// Result<T>, a value or an Error (the shape of C++23 `std::expected<T, Error>`).
#pragma once

#include <postal/error.hpp>
#include <postal/version.hpp>

#include <optional>
#include <type_traits>
#include <utility>
#include <variant>

POSTAL_BEGIN_NAMESPACE

/// A value of type T, or the Error that prevented it.
///
/// Branch on it, or call `.value()` and catch `postal::Exception`:
/// @code
/// auto sent = client.send_message(request);
/// if (!sent) std::cerr << sent.error().describe() << '\n';
/// @endcode
template <class T>
class [[nodiscard]] Result {
  static_assert(!std::is_same_v<T, Error>, "Result<Error> is ambiguous");

 public:
  /// The type of the value held on success.
  using value_type = T;

  /// A result holding a value.
  Result(T value) : state_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit
  /// A result holding an error.
  Result(Error error) : state_(std::in_place_index<1>, std::move(error)) {}  // NOLINT: implicit

  /// True when a value is held.
  bool has_value() const noexcept { return state_.index() == 0; }
  /// True when a value is held.
  explicit operator bool() const noexcept { return has_value(); }

  /// The value; throws postal::Exception when an error is held.
  T& value() & {
    throw_if_error();
    return std::get<0>(state_);
  }
  /// The value; throws postal::Exception when an error is held.
  const T& value() const& {
    throw_if_error();
    return std::get<0>(state_);
  }
  /// The value, moved out; throws postal::Exception when an error is held. Returned by value,
  /// so `for (auto& d : client.get_deliveries(id).value())` is safe.
  T value() && {
    throw_if_error();
    return std::get<0>(std::move(state_));
  }

  /// The value; only when has_value().
  T& operator*() & noexcept { return *std::get_if<0>(&state_); }
  /// The value; only when has_value().
  const T& operator*() const& noexcept { return *std::get_if<0>(&state_); }
  /// The value, moved out; only when has_value().
  T&& operator*() && noexcept { return std::move(*std::get_if<0>(&state_)); }
  /// Member access to the value; only when has_value().
  T* operator->() noexcept { return std::get_if<0>(&state_); }
  /// Member access to the value; only when has_value().
  const T* operator->() const noexcept { return std::get_if<0>(&state_); }

  /// The error; only when !has_value().
  const Error& error() const& noexcept { return *std::get_if<1>(&state_); }
  /// The error; only when !has_value().
  Error& error() & noexcept { return *std::get_if<1>(&state_); }

  /// The value, or `fallback` when an error is held.
  template <class U>
  T value_or(U&& fallback) const& {
    return has_value() ? std::get<0>(state_) : static_cast<T>(std::forward<U>(fallback));
  }
  /// The value (moved), or `fallback` when an error is held.
  template <class U>
  T value_or(U&& fallback) && {
    return has_value() ? std::get<0>(std::move(state_)) : static_cast<T>(std::forward<U>(fallback));
  }

 private:
  void throw_if_error() const {
    if (!has_value()) throw Exception(std::get<1>(state_));
  }
  std::variant<T, Error> state_;
};

/// Success without a value, or an Error.
///
/// @code
/// postal::Result<void> ok = postal::webhook::verify(body, headers, keys);
/// if (!ok) return respond(401, ok.error().message);
/// @endcode
template <>
class [[nodiscard]] Result<void> {
 public:
  /// No value on success: `void`.
  using value_type = void;

  /// A successful result.
  Result() = default;
  /// A result holding an error.
  Result(Error error) : error_(std::move(error)) {}  // NOLINT: implicit

  /// True on success.
  bool has_value() const noexcept { return !error_.has_value(); }
  /// True on success.
  explicit operator bool() const noexcept { return has_value(); }
  /// Throws postal::Exception when an error is held.
  void value() const {
    if (error_) throw Exception(*error_);
  }
  /// The error; only when !has_value().
  const Error& error() const& noexcept { return *error_; }
  /// The error; only when !has_value().
  Error& error() & noexcept { return *error_; }

 private:
  std::optional<Error> error_;
};

POSTAL_END_NAMESPACE
