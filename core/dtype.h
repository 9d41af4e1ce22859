// Element types a Tensor can hold, and compile-time mapping between C++ types and DType.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <type_traits>

namespace ember {

enum class DType : std::uint8_t { Float32, Float64, Int64, Bool, Int32 };

inline constexpr DType kFloat32 = DType::Float32;
inline constexpr DType kFloat64 = DType::Float64;
inline constexpr DType kInt64 = DType::Int64;
inline constexpr DType kBool = DType::Bool;
inline constexpr DType kInt32 = DType::Int32;

constexpr std::size_t element_size(DType dtype) {
  switch (dtype) {
    case DType::Float32: return 4;
    case DType::Float64: return 8;
    case DType::Int64: return 8;
    case DType::Bool: return 1;
    case DType::Int32: return 4;
  }
  return 0;
}

constexpr std::string_view dtype_name(DType dtype) {
  switch (dtype) {
    case DType::Float32: return "float32";
    case DType::Float64: return "float64";
    case DType::Int64: return "int64";
    case DType::Bool: return "bool";
    case DType::Int32: return "int32";
  }
  return "unknown";
}

constexpr bool is_floating(DType dtype) { return dtype == kFloat32 || dtype == kFloat64; }
constexpr bool is_integral(DType dtype) { return dtype == kInt32 || dtype == kInt64; }  // bool is not

// ---- type promotion, as torch.promote_types and torch.result_type ----------------------------
// For ember's dtypes the lattice is a line: bool < int32 < int64 < float32 < float64 (so
// int64 with float32 gives float32, as in PyTorch).
constexpr int promotion_rank(DType dtype) {
  switch (dtype) {
    case DType::Bool: return 0;
    case DType::Int32: return 1;
    case DType::Int64: return 2;
    case DType::Float32: return 3;
    case DType::Float64: return 4;
  }
  return 0;
}
constexpr DType promote_types(DType a, DType b) { return promotion_rank(a) >= promotion_rank(b) ? a : b; }

// The category of a dtype: bool < integer < floating.
constexpr int dtype_category(DType dtype) { return is_floating(dtype) ? 2 : is_integral(dtype) ? 1 : 0; }

// How an operand takes part in torch.result_type: tensors with dimensions decide the dtype within
// a category; 0-d tensors and C++ scalars only raise the category (torch.tensor([1], dtype=int32)
// + torch.tensor(5) is int32, + 2.5 is float32). A floating scalar counts as the default float
// dtype (float32), an integer scalar as int64, a bool as bool.
enum class OperandKind : std::uint8_t { kTensor, kZeroDim, kScalar };

class ResultType {
 public:
  constexpr ResultType& add(DType dtype, OperandKind kind) {
    std::optional<DType>& slot = kind == OperandKind::kTensor ? tensors_ : kind == OperandKind::kZeroDim ? zero_dim_ : scalars_;
    slot = slot ? promote_types(*slot, dtype) : dtype;
    return *this;
  }
  // PyTorch's combine_categories: a lower-priority group changes the result only when its
  // category is higher.
  constexpr DType result() const {
    const std::optional<DType> lower = combine(zero_dim_, scalars_);
    const std::optional<DType> all = combine(tensors_, lower);
    return all ? *all : DType::Float32;
  }

 private:
  static constexpr std::optional<DType> combine(std::optional<DType> higher, std::optional<DType> lower) {
    if (!higher) return lower;
    if (!lower) return higher;
    return dtype_category(*lower) > dtype_category(*higher) ? promote_types(*higher, *lower) : *higher;
  }
  std::optional<DType> tensors_, zero_dim_, scalars_;
};

// The dtype a C++ scalar counts as in promotion.
template <typename S> constexpr DType scalar_dtype() {
  if constexpr (std::is_same_v<S, bool>) return DType::Bool;
  else if constexpr (std::is_integral_v<S>) return DType::Int64;
  else return DType::Float32;
}

// dtype_of<float>() == kFloat32, ...; bool tensors store one byte per element.
template <typename T> constexpr DType dtype_of();
template <> constexpr DType dtype_of<float>() { return kFloat32; }
template <> constexpr DType dtype_of<double>() { return kFloat64; }
template <> constexpr DType dtype_of<std::int64_t>() { return kInt64; }
template <> constexpr DType dtype_of<bool>() { return kBool; }
template <> constexpr DType dtype_of<std::int32_t>() { return kInt32; }

}  // namespace ember
