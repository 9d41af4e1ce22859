// Row-sparse tensors: the gradient of Embedding(sparse=true).
// A SparseTensor of `shape` [V, D...] stands for the dense tensor whose row indices[i] holds the
// sum of every values[i] with that index. Like PyTorch's uncoalesced COO layout (sparse_dim=1),
// indices may repeat and need not be sorted until coalesce(). PyTorch stores indices as [1, nnz];
// ember stores them as [nnz].
#pragma once

#include "core/tensor.h"

namespace ember {

struct SparseTensor {
  Tensor indices;  // int64 [nnz]
  Tensor values;   // [nnz, shape[1], ...], dtype of the dense tensor
  Shape shape;     // the dense shape
  bool coalesced = false;  // sorted, unique indices

  SparseTensor() = default;
  SparseTensor(Tensor indices, Tensor values, Shape shape, bool coalesced = false);
  // nnz 0: what an all-padding batch produces.
  static SparseTensor empty(const Shape& shape, DType dtype);

  bool defined() const { return values.defined(); }
  std::int64_t nnz() const { return indices.defined() ? indices.numel() : 0; }
  DType dtype() const { return values.dtype(); }

  SparseTensor coalesce() const;  // duplicates summed, indices ascending
  Tensor to_dense() const;        // a fresh [shape] tensor
  // Appends other's entries (no coalescing): how sparse gradients accumulate across backward calls.
  SparseTensor concat(const SparseTensor& other) const;
  // dense[indices[i]] += alpha * values[i]
  void add_to_dense(const Tensor& dense, double alpha = 1.0) const;
  SparseTensor mul(double factor) const;  // a copy with values scaled
};

}  // namespace ember
