// Internal: walking N strided tensors of one shape in row-major order without per-element
// index arithmetic. The innermost dim runs as a plain loop the compiler can vectorise when
// its strides are 1.
#pragma once

#include "core/shape.h"

#include <array>
#include <cstdint>

namespace ember::detail {

// For every position of `shape`, in row-major order, calls
//   inner(offsets, n, inner_strides)
// once per innermost row: offsets[k] is the element offset of that row's first element in
// tensor k, n the row length, inner_strides[k] tensor k's stride along the last dim.
template <std::size_t N, typename Inner>
void for_each_row(const Shape& shape, const std::array<const Shape*, N>& strides,
                  Inner&& inner) {
  const std::int64_t ndim = static_cast<std::int64_t>(shape.size());
  std::array<std::int64_t, N> offsets{};
  std::array<std::int64_t, N> inner_strides{};
  if (ndim == 0) {
    inner(offsets, std::int64_t{1}, inner_strides);
    return;
  }
  for (std::int64_t s : shape)
    if (s == 0) return;
  const std::int64_t n = shape[ndim - 1];
  for (std::size_t k = 0; k < N; ++k) inner_strides[k] = (*strides[k])[ndim - 1];
  std::int64_t rows = 1;
  for (std::int64_t d = 0; d + 1 < ndim; ++d) rows *= shape[d];
  Shape counter(ndim > 1 ? ndim - 1 : 0, 0);
  for (std::int64_t r = 0; r < rows; ++r) {
    inner(offsets, n, inner_strides);
    // Advance the multi-index of the outer dims like an odometer.
    for (std::int64_t d = ndim - 2; d >= 0; --d) {
      if (++counter[d] < shape[d]) {
        for (std::size_t k = 0; k < N; ++k) offsets[k] += (*strides[k])[d];
        break;
      }
      for (std::size_t k = 0; k < N; ++k) offsets[k] -= (*strides[k])[d] * (shape[d] - 1);
      counter[d] = 0;
    }
  }
}

}  // namespace ember::detail
