// Non-recording tensor kernels: they compute values and know nothing about autograd.
// The differentiable ops users call (ember::add, ember::matmul, ...) live in autograd/ops.h and
// are built from these. Every kernel validates its arguments first and throws before writing.
#pragma once

#include "core/tensor.h"

#include <optional>
#include <utility>
#include <vector>

namespace ember::kernels {

// ---- views: share storage, copy nothing -------------------------------------------------
Tensor as_strided(const Tensor& x, const Shape& shape, const Shape& strides, std::int64_t offset);
Tensor view(const Tensor& x, Shape shape);     // one -1 allowed; throws if strides forbid it
Tensor reshape(const Tensor& x, Shape shape);  // a view when possible, else a copy
Tensor transpose(const Tensor& x, std::int64_t dim0, std::int64_t dim1);
Tensor permute(const Tensor& x, const std::vector<std::int64_t>& dims);
Tensor narrow(const Tensor& x, std::int64_t dim, std::int64_t start, std::int64_t length);
Tensor select(const Tensor& x, std::int64_t dim, std::int64_t index);
Tensor unsqueeze(const Tensor& x, std::int64_t dim);
Tensor squeeze(const Tensor& x);                    // all size-1 dims
Tensor squeeze(const Tensor& x, std::int64_t dim);  // that dim, if it has size 1
Tensor expand(const Tensor& x, const Shape& shape);  // size-1 dims get stride 0; -1 keeps a size

// ---- copies and conversions -------------------------------------------------------------
Tensor contiguous(const Tensor& x);  // x itself when already contiguous
Tensor clone(const Tensor& x);       // always a fresh contiguous copy
Tensor to(const Tensor& x, DType dtype);  // x itself when the dtype already matches
// dst[...] = src[...] with src broadcast to dst's shape and converted to dst's dtype.
void copy_into(const Tensor& dst, const Tensor& src);

// ---- elementwise, unary (float dtypes; abs/neg/clamp also take int64) --------------------
Tensor neg(const Tensor& x);
Tensor exp(const Tensor& x);
Tensor log(const Tensor& x);
Tensor tanh(const Tensor& x);
Tensor sigmoid(const Tensor& x);
Tensor relu(const Tensor& x);
Tensor sqrt(const Tensor& x);
Tensor abs(const Tensor& x);
Tensor sign(const Tensor& x);
Tensor pow(const Tensor& x, double exponent);
Tensor clamp(const Tensor& x, std::optional<double> min, std::optional<double> max);

// ---- elementwise, binary with broadcasting (dtypes must match) ---------------------------
Tensor add(const Tensor& a, const Tensor& b);
Tensor sub(const Tensor& a, const Tensor& b);
Tensor mul(const Tensor& a, const Tensor& b);
Tensor div(const Tensor& a, const Tensor& b);
Tensor pow(const Tensor& a, const Tensor& b);
Tensor maximum(const Tensor& a, const Tensor& b);
Tensor minimum(const Tensor& a, const Tensor& b);
// Comparisons give bool tensors.
Tensor eq(const Tensor& a, const Tensor& b);
Tensor ne(const Tensor& a, const Tensor& b);
Tensor lt(const Tensor& a, const Tensor& b);
Tensor le(const Tensor& a, const Tensor& b);
Tensor gt(const Tensor& a, const Tensor& b);
Tensor ge(const Tensor& a, const Tensor& b);
// cond ? a : b, all three broadcast together; cond must be bool.
Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b);
// x with `value` where mask is true (mask broadcast to x's shape).
Tensor masked_fill(const Tensor& x, const Tensor& mask, double value);
// In place, accumulating: dst += alpha * src (src broadcast to dst's shape).
void add_into(const Tensor& dst, const Tensor& src, double alpha = 1.0);
// In place, plain writes (core/tensor.cpp); the caller bumps the version.
void fill_(const Tensor& t, double value);
void uniform_(const Tensor& t, double low, double high);  // U[low, high) from the default generator
void normal_(const Tensor& t, double mean, double std);
void mul_(const Tensor& t, double factor);
// True when two elements of `t` share one memory location (a stride-0 dim of size > 1, as expand
// makes): a write into such a tensor is refused, as PyTorch refuses it.
bool has_internal_overlap(const Tensor& t);

// ---- reductions (empty `dims` = all dims) -----------------------------------------------
Tensor sum(const Tensor& x, const std::vector<std::int64_t>& dims = {}, bool keepdim = false);
Tensor mean(const Tensor& x, const std::vector<std::int64_t>& dims = {}, bool keepdim = false);
// Max/min over one dim: (values, int64 indices of the first extremum).
std::pair<Tensor, Tensor> max(const Tensor& x, std::int64_t dim, bool keepdim = false);
std::pair<Tensor, Tensor> min(const Tensor& x, std::int64_t dim, bool keepdim = false);
Tensor max(const Tensor& x);  // over all elements, 0-d
Tensor min(const Tensor& x);
Tensor argmax(const Tensor& x, std::int64_t dim, bool keepdim = false);
// p-norm over dims (p may be inf); empty dims = all elements.
Tensor norm(const Tensor& x, double p = 2.0, const std::vector<std::int64_t>& dims = {},
            bool keepdim = false);
// Sums a broadcast gradient back down to `shape` (the inverse of expand).
Tensor sum_to(const Tensor& x, const Shape& shape);

// ---- linear algebra (OpenBLAS; transposed views go to BLAS as flags, not copies) ---------
Tensor mm(const Tensor& a, const Tensor& b);   // [n, k] x [k, m]
Tensor bmm(const Tensor& a, const Tensor& b);  // [B, n, k] x [B, k, m]
Tensor matmul(const Tensor& a, const Tensor& b);  // torch.matmul rules: 1-D, 2-D, batched
// C = alpha * op(A) op(B) + beta * C for 2-D tensors; C must be contiguous.
void gemm(const Tensor& a, bool transpose_a, const Tensor& b, bool transpose_b, const Tensor& c,
          double alpha = 1.0, double beta = 0.0);

// ---- indexing ---------------------------------------------------------------------------
Tensor index_select(const Tensor& x, std::int64_t dim, const Tensor& index);
Tensor gather(const Tensor& x, std::int64_t dim, const Tensor& index);
// out = x.clone(); out[index[i][j]][j] += src[i][j] (dim 0 shown)
Tensor scatter_add(const Tensor& x, std::int64_t dim, const Tensor& index, const Tensor& src);
// In place: x[index[i]] += alpha * src[i] along dim.
void index_add_(const Tensor& x, std::int64_t dim, const Tensor& index, const Tensor& src,
                double alpha = 1.0);

// ---- joining ----------------------------------------------------------------------------
Tensor cat(const std::vector<Tensor>& tensors, std::int64_t dim = 0);
Tensor stack(const std::vector<Tensor>& tensors, std::int64_t dim = 0);

}  // namespace ember::kernels
