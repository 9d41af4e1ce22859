// The differentiable ops: what users call. Each records one tape entry (when grad mode is on
// and an input requires grad) and is implemented, forward beside backward, in one of
// ops_unary.cpp, ops_binary.cpp, ops_reduce.cpp, ops_shape.cpp, ops_index.cpp, ops_linalg.cpp.
// Ops on int64/bool tensors (comparisons, argmax) are not differentiable and never record.
#pragma once

#include "core/tensor.h"

#include <optional>
#include <type_traits>
#include <utility>
#include <vector>

namespace ember {

// ---- elementwise, unary (float dtypes) --------------------------------------------------
Tensor neg(const Tensor& x);      // dx = -dy
Tensor exp(const Tensor& x);      // dx = dy * y
Tensor log(const Tensor& x);      // dx = dy / x
Tensor tanh(const Tensor& x);     // dx = dy * (1 - y^2)
Tensor sigmoid(const Tensor& x);  // dx = dy * y * (1 - y)
Tensor relu(const Tensor& x);     // dx = dy * (x > 0)
Tensor sqrt(const Tensor& x);     // dx = dy / (2 y)
Tensor abs(const Tensor& x);      // dx = dy * sign(x)
Tensor pow(const Tensor& x, double exponent);  // dx = dy * p * x^(p-1)
// dx = dy where min <= x <= max, else 0
Tensor clamp(const Tensor& x, std::optional<double> min, std::optional<double> max);

// ---- type promotion ------------------------------------------------------------------------
// A C++ scalar operand (x * 2, x + 0.5, x == true): its value and the dtype it counts as in
// promotion (int64 for integers, float32 for floating point, bool for bool), as PyTorch treats a
// Python number. Integers beyond 2^53 lose precision (the value is held as a double).
struct Scalar {
  template <typename S>
    requires std::is_arithmetic_v<S>
  Scalar(S v) : value(static_cast<double>(v)), dtype(scalar_dtype<S>()) {}  // NOLINT: implicit, as c10::Scalar
  double value;
  DType dtype;
};

// torch.result_type: the dtype a binary op computes in (core/dtype.h, ResultType, has the rules).
DType result_type(const Tensor& a, const Tensor& b);
DType result_type(const Tensor& a, Scalar b);

// ---- elementwise, binary, with broadcasting and type promotion ---------------------------------
// Operands of different dtypes are converted to result_type(a, b) first (float32 with float64
// computes in float64; int64 with a float32 tensor in float32); div of integers is float32.
// bool operands: add and maximum are logical or, mul and minimum logical and; sub refuses them.
Tensor add(const Tensor& a, const Tensor& b, double alpha = 1.0);  // a + alpha * b
Tensor sub(const Tensor& a, const Tensor& b, double alpha = 1.0);  // a - alpha * b
Tensor mul(const Tensor& a, const Tensor& b);
Tensor div(const Tensor& a, const Tensor& b);
Tensor pow(const Tensor& a, const Tensor& b);
Tensor maximum(const Tensor& a, const Tensor& b);  // ties: gradient split evenly, as PyTorch
Tensor minimum(const Tensor& a, const Tensor& b);
Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b);
Tensor where(const Tensor& cond, const Tensor& a, Scalar b);  // where(mask, x, 0.0)
Tensor masked_fill(const Tensor& x, const Tensor& mask, double value);

Tensor operator+(const Tensor& a, const Tensor& b);
Tensor operator-(const Tensor& a, const Tensor& b);
Tensor operator*(const Tensor& a, const Tensor& b);
Tensor operator/(const Tensor& a, const Tensor& b);
Tensor operator-(const Tensor& x);
// A scalar takes part in promotion by category only: float32 x * 2.0 is float32, int64 ids + 1
// is int64, ids * 0.5 is float32.
Tensor operator+(const Tensor& a, Scalar b);
Tensor operator+(Scalar a, const Tensor& b);
Tensor operator-(const Tensor& a, Scalar b);
Tensor operator-(Scalar a, const Tensor& b);
Tensor operator*(const Tensor& a, Scalar b);
Tensor operator*(Scalar a, const Tensor& b);
Tensor operator/(const Tensor& a, Scalar b);
Tensor operator/(Scalar a, const Tensor& b);

// Comparisons: computed in the promoted dtype, bool results, not differentiable.
Tensor eq(const Tensor& a, const Tensor& b);
Tensor ne(const Tensor& a, const Tensor& b);
Tensor lt(const Tensor& a, const Tensor& b);
Tensor le(const Tensor& a, const Tensor& b);
Tensor gt(const Tensor& a, const Tensor& b);
Tensor ge(const Tensor& a, const Tensor& b);

// ---- reductions (empty dims = all) --------------------------------------------------------
Tensor sum(const Tensor& x, const std::vector<std::int64_t>& dims = {}, bool keepdim = false);
Tensor mean(const Tensor& x, const std::vector<std::int64_t>& dims = {}, bool keepdim = false);
// (values, indices); the gradient goes to the selected element.
std::pair<Tensor, Tensor> max(const Tensor& x, std::int64_t dim, bool keepdim = false);
std::pair<Tensor, Tensor> min(const Tensor& x, std::int64_t dim, bool keepdim = false);
Tensor max(const Tensor& x);  // over all elements; ties share the gradient evenly
Tensor min(const Tensor& x);
Tensor argmax(const Tensor& x, std::int64_t dim, bool keepdim = false);  // not differentiable
Tensor norm(const Tensor& x, double p = 2.0, const std::vector<std::int64_t>& dims = {},
            bool keepdim = false);
Tensor softmax(const Tensor& x, std::int64_t dim);
Tensor log_softmax(const Tensor& x, std::int64_t dim);  // stable: subtracts the row max

// ---- linear algebra -----------------------------------------------------------------------
Tensor mm(const Tensor& a, const Tensor& b);
Tensor bmm(const Tensor& a, const Tensor& b);
Tensor matmul(const Tensor& a, const Tensor& b);

// ---- shape and views (views share storage with their input) --------------------------------
Tensor view(const Tensor& x, const Shape& shape);
Tensor reshape(const Tensor& x, const Shape& shape);
Tensor flatten(const Tensor& x, std::int64_t start_dim = 0, std::int64_t end_dim = -1);
Tensor transpose(const Tensor& x, std::int64_t dim0, std::int64_t dim1);
Tensor t(const Tensor& x);  // transpose of a 2-D tensor
Tensor permute(const Tensor& x, const std::vector<std::int64_t>& dims);
Tensor narrow(const Tensor& x, std::int64_t dim, std::int64_t start, std::int64_t length);
// x[start:end:1] along dim, with Python-style negative and clamped bounds.
Tensor slice(const Tensor& x, std::int64_t dim, std::int64_t start, std::int64_t end);
Tensor select(const Tensor& x, std::int64_t dim, std::int64_t index);
Tensor unsqueeze(const Tensor& x, std::int64_t dim);
Tensor squeeze(const Tensor& x);
Tensor squeeze(const Tensor& x, std::int64_t dim);
Tensor expand(const Tensor& x, const Shape& shape);
std::vector<Tensor> unbind(const Tensor& x, std::int64_t dim = 0);
Tensor contiguous(const Tensor& x);
Tensor clone(const Tensor& x);
Tensor to(const Tensor& x, DType dtype);  // float <-> float is differentiable

// ---- indexing and joining -------------------------------------------------------------------
Tensor index_select(const Tensor& x, std::int64_t dim, const Tensor& index);
Tensor gather(const Tensor& x, std::int64_t dim, const Tensor& index);
Tensor scatter_add(const Tensor& x, std::int64_t dim, const Tensor& index, const Tensor& src);
Tensor index_add(const Tensor& x, std::int64_t dim, const Tensor& index, const Tensor& src);
Tensor cat(const std::vector<Tensor>& tensors, std::int64_t dim = 0);
Tensor stack(const std::vector<Tensor>& tensors, std::int64_t dim = 0);

// ---- comparison and logical operators: bool results, never recorded ---------------------------
inline Tensor operator==(const Tensor& a, const Tensor& b) { return eq(a, b); }
inline Tensor operator!=(const Tensor& a, const Tensor& b) { return ne(a, b); }
inline Tensor operator<(const Tensor& a, const Tensor& b) { return lt(a, b); }
inline Tensor operator<=(const Tensor& a, const Tensor& b) { return le(a, b); }
inline Tensor operator>(const Tensor& a, const Tensor& b) { return gt(a, b); }
inline Tensor operator>=(const Tensor& a, const Tensor& b) { return ge(a, b); }
// Against a scalar, in the promoted dtype: int64 ids == 0.5 is false everywhere, not ids == 0.
Tensor operator==(const Tensor& a, Scalar b);
Tensor operator!=(const Tensor& a, Scalar b);
Tensor operator<(const Tensor& a, Scalar b);
Tensor operator<=(const Tensor& a, Scalar b);
Tensor operator>(const Tensor& a, Scalar b);
Tensor operator>=(const Tensor& a, Scalar b);
// Elementwise and, or, not (broadcast), as torch.logical_*: any dtype, nonzero is true; bool results.
Tensor logical_and(const Tensor& a, const Tensor& b);
Tensor logical_or(const Tensor& a, const Tensor& b);
Tensor logical_not(const Tensor& x);
// & | ~ are libtorch's bitwise operators; ember has them for bool tensors only (where they are the
// logical ones) and refuses other dtypes by name rather than guess.
Tensor operator&(const Tensor& a, const Tensor& b);
Tensor operator|(const Tensor& a, const Tensor& b);
Tensor operator~(const Tensor& x);

}  // namespace ember

#include "autograd/ops_activation.h"  // gelu, silu, softplus, leaky_relu, elu
#include "autograd/ops_norm.h"        // layer_norm
#include "autograd/ops_gru.h"         // gru_layer
#include "autograd/ops_rnn.h"         // rnn_layer
#include "autograd/ops_word2vec.h"    // negative_sampling_loss
