// Element types a Tensor can hold, and compile-time mapping between C++ types and DType.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace ember {

enum class DType : std::uint8_t { Float32, Float64, Int64, Bool };

inline constexpr DType kFloat32 = DType::Float32;
inline constexpr DType kFloat64 = DType::Float64;
inline constexpr DType kInt64 = DType::Int64;
inline constexpr DType kBool = DType::Bool;

constexpr std::size_t element_size(DType dtype) {
  switch (dtype) {
    case DType::Float32: return 4;
    case DType::Float64: return 8;
    case DType::Int64: return 8;
    case DType::Bool: return 1;
  }
  return 0;
}

constexpr std::string_view dtype_name(DType dtype) {
  switch (dtype) {
    case DType::Float32: return "float32";
    case DType::Float64: return "float64";
    case DType::Int64: return "int64";
    case DType::Bool: return "bool";
  }
  return "unknown";
}

constexpr bool is_floating(DType dtype) { return dtype == kFloat32 || dtype == kFloat64; }

// dtype_of<float>() == kFloat32, ...; bool tensors store one byte per element.
template <typename T> constexpr DType dtype_of();
template <> constexpr DType dtype_of<float>() { return kFloat32; }
template <> constexpr DType dtype_of<double>() { return kFloat64; }
template <> constexpr DType dtype_of<std::int64_t>() { return kInt64; }
template <> constexpr DType dtype_of<bool>() { return kBool; }

}  // namespace ember
