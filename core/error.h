// ember's exception types and the EMBER_CHECK helper that builds messages of the form
// "<op>: <what is wrong> <value>; expected <valid range>".
#pragma once

#include <fmt/format.h>

#include <stdexcept>
#include <string>

namespace ember {

// Base of every error ember raises on bad input. Catch by kind, as in PyTorch.
struct Error : std::runtime_error {
  using std::runtime_error::runtime_error;
};
struct IndexError : Error { using Error::Error; };  // index out of range
struct ValueError : Error { using Error::Error; };  // bad option or value
struct ShapeError : Error { using Error::Error; };  // shapes that do not fit
struct TypeError : Error { using Error::Error; };   // wrong dtype
struct IoError : Error { using Error::Error; };     // files: missing, malformed, truncated

// A broken internal invariant: a bug in ember, not in the caller's input.
struct InternalError : std::logic_error {
  using std::logic_error::logic_error;
};

namespace detail {
[[noreturn]] void throw_internal(const char* condition, const char* file, int line);
}  // namespace detail

}  // namespace ember

// EMBER_CHECK(cond, ShapeError, "linear: input shape {} does not match in_features={}", s, n);
// Throws before any state is touched; the message is formatted only on failure.
#define EMBER_CHECK(cond, ErrorType, ...)                       \
  do {                                                          \
    if (!(cond)) throw ::ember::ErrorType(fmt::format(__VA_ARGS__)); \
  } while (0)

// Internal invariants: always checked, in every build type, and they throw rather than abort.
#define EMBER_INTERNAL_ASSERT(cond)                                        \
  do {                                                                     \
    if (!(cond)) ::ember::detail::throw_internal(#cond, __FILE__, __LINE__); \
  } while (0)
