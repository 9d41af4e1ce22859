// Row-sparse tensors: coalescing, densifying and accumulation.
#include "core/sparse.h"

#include "core/dispatch.h"
#include "core/kernels.h"

#include <algorithm>
#include <numeric>

namespace ember {

SparseTensor::SparseTensor(Tensor indices_, Tensor values_, Shape shape_, bool coalesced_)
    : indices(std::move(indices_)), values(std::move(values_)), shape(std::move(shape_)), coalesced(coalesced_) {
  indices.check_dtype(kInt64, "SparseTensor (indices)");
  EMBER_CHECK(indices.dim() == 1, ShapeError, "SparseTensor: indices must be 1-D, got shape {}",
              shape_str(indices.shape()));
  EMBER_CHECK(!shape.empty(), ShapeError, "SparseTensor: the dense shape must have at least 1 dim");
  Shape expected = shape;
  expected[0] = indices.numel();
  EMBER_CHECK(values.shape() == expected, ShapeError,
              "SparseTensor: values of shape {} do not match {} indices of a {} tensor; expected {}",
              shape_str(values.shape()), indices.numel(), shape_str(shape), shape_str(expected));
}

SparseTensor SparseTensor::empty(const Shape& shape, DType dtype) {
  Shape values_shape = shape;
  values_shape[0] = 0;
  return SparseTensor(ember::empty({0}, kInt64), ember::empty(values_shape, dtype), shape, true);
}

namespace {

// The positions 0..n-1 ordered by keys[position], equal keys in their original order. An LSD radix
// sort, 11 bits a pass and only as many passes as the largest key needs (2 for a million rows):
// linear time, and stable by construction. Negative keys (invalid rows, rejected later by the
// caller's range check) take the comparison sort.
std::vector<std::int64_t> stable_order(const std::int64_t* keys, std::int64_t n) {
  std::vector<std::int64_t> order(static_cast<std::size_t>(n));
  std::iota(order.begin(), order.end(), 0);
  if (n == 0) return order;
  const auto [min_key, max_key] = std::minmax_element(keys, keys + n);
  if (*min_key < 0) {
    std::stable_sort(order.begin(), order.end(), [&](std::int64_t a, std::int64_t b) { return keys[a] < keys[b]; });
    return order;
  }
  constexpr int kBits = 11;
  constexpr std::int64_t kMask = (1 << kBits) - 1;
  std::vector<std::int64_t> next(order.size()), start(kMask + 2);
  for (int shift = 0; shift < 63 && (*max_key >> shift) > 0; shift += kBits) {
    std::fill(start.begin(), start.end(), 0);
    for (std::int64_t k : order) ++start[((keys[k] >> shift) & kMask) + 1];
    std::partial_sum(start.begin(), start.end(), start.begin());  // start[d]: first slot of digit d
    for (std::int64_t k : order) next[start[(keys[k] >> shift) & kMask]++] = k;
    order.swap(next);
  }
  return order;
}

}  // namespace

SparseTensor SparseTensor::coalesce() const {
  if (coalesced) return *this;
  const std::int64_t n = nnz();
  const std::int64_t row = n == 0 ? 0 : values.numel() / n;
  const Tensor idx = kernels::contiguous(indices);
  const Tensor vals = kernels::contiguous(values);
  const std::int64_t* pi = idx.data_ptr<std::int64_t>();
  // Stable: duplicates are summed in their original order, as PyTorch does.
  const std::vector<std::int64_t> order = stable_order(pi, n);
  std::int64_t unique = 0;
  for (std::int64_t k = 0; k < n; ++k)
    if (k == 0 || pi[order[k]] != pi[order[k - 1]]) ++unique;
  Tensor out_idx = ember::empty({unique}, kInt64);
  Shape out_shape = values.shape();
  out_shape[0] = unique;
  Tensor out_vals = ember::empty(out_shape, values.dtype());
  std::int64_t* po = out_idx.data_ptr<std::int64_t>();
  detail::dispatch_floating(values.dtype(), "coalesce", [&]<typename T>() {
    const T* pv = vals.data_ptr<T>();
    T* pov = out_vals.data_ptr<T>();
    std::int64_t u = -1;
    for (std::int64_t k = 0; k < n; ++k) {
      const T* src = pv + order[k] * row;
      if (k == 0 || pi[order[k]] != pi[order[k - 1]]) {  // a new row: its first value, copied
        po[++u] = pi[order[k]];
        std::copy(src, src + row, pov + u * row);
        continue;
      }
      T* dst = pov + u * row;
      for (std::int64_t j = 0; j < row; ++j) dst[j] += src[j];
    }
  });
  return SparseTensor(out_idx, out_vals, shape, true);
}

Tensor SparseTensor::to_dense() const {
  Tensor dense = zeros(shape, values.dtype());
  add_to_dense(dense);
  return dense;
}

SparseTensor SparseTensor::concat(const SparseTensor& other) const {
  EMBER_CHECK(shape == other.shape, ShapeError, "SparseTensor: cannot accumulate a {} gradient into a {} one",
              shape_str(other.shape), shape_str(shape));
  EMBER_CHECK(dtype() == other.dtype(), TypeError, "SparseTensor: dtypes {} and {} do not match",
              dtype_name(dtype()), dtype_name(other.dtype()));
  return SparseTensor(kernels::cat({indices, other.indices}, 0), kernels::cat({values, other.values}, 0), shape, false);
}

void SparseTensor::add_to_dense(const Tensor& dense, double alpha) const {
  EMBER_CHECK(dense.shape() == shape, ShapeError, "SparseTensor: cannot add a {} sparse tensor to a {} dense one",
              shape_str(shape), shape_str(dense.shape()));
  if (nnz() == 0) return;
  kernels::index_add_(dense, 0, indices, values, alpha);
}

SparseTensor SparseTensor::mul(double factor) const {
  Tensor scaled = kernels::clone(values);
  kernels::mul_(scaled, factor);
  return SparseTensor(indices, scaled, shape, coalesced);
}

}  // namespace ember
