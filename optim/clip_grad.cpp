// Gradient clipping by total norm or by value, for dense and row-sparse gradients.
#include "optim/clip_grad.h"

#include "autograd/grad_mode.h"
#include "core/dispatch.h"
#include "core/kernels.h"
#include "core/sparse.h"
#include "optim/optimizer.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace ember::nn::utils {

using optim::py_float;

namespace {

// ||x||_p of all elements, accumulated in double (p = inf: max |x|).
double norm_of(const Tensor& x, double p) {
  const Tensor c = kernels::contiguous(x);
  return ember::detail::dispatch_floating(c.dtype(), "clip_grad_norm_", [&]<typename T>() {
    const T* data = c.data_ptr<T>();
    const std::int64_t n = c.numel();
    double acc = 0.0;
    if (std::isinf(p)) {
      for (std::int64_t i = 0; i < n; ++i) {
        const double a = std::abs(double(data[i]));
        if (std::isnan(a)) return a;
        acc = std::max(acc, a);
      }
      return acc;
    }
    for (std::int64_t i = 0; i < n; ++i) {
      const double a = std::abs(double(data[i]));
      acc += p == 2.0 ? a * a : p == 1.0 ? a : std::pow(a, p);
    }
    return p == 1.0 ? acc : std::pow(acc, 1.0 / p);
  });
}

// The parameters' gradients: dense ones as they are, sparse ones coalesced.
struct Grads {
  std::vector<Tensor> dense;
  std::vector<std::pair<Tensor, SparseTensor>> sparse;  // (parameter, coalesced gradient)
};

Grads collect(const std::vector<Tensor>& parameters) {
  Grads grads;
  for (const Tensor& p : parameters) {
    if (p.has_sparse_grad()) grads.sparse.emplace_back(p, p.sparse_grad().coalesce());
    else if (Tensor g = p.grad(); g.defined()) grads.dense.push_back(g);
  }
  return grads;
}

}  // namespace

double clip_grad_norm_(const std::vector<Tensor>& parameters, double max_norm, double norm_type,
                       bool error_if_nonfinite) {
  EMBER_CHECK(max_norm >= 0.0, ValueError, "clip_grad_norm_: max_norm {} is invalid; expected max_norm >= 0",
              py_float(max_norm));
  EMBER_CHECK(norm_type > 0.0, ValueError, "clip_grad_norm_: norm_type {} is invalid; expected norm_type > 0 or inf",
              py_float(norm_type));
  NoGradGuard no_grad;
  const Grads grads = collect(parameters);
  std::vector<double> norms;
  for (const Tensor& g : grads.dense) norms.push_back(norm_of(g, norm_type));
  for (const auto& [p, g] : grads.sparse) norms.push_back(norm_of(g.values, norm_type));
  if (norms.empty()) return 0.0;
  double total = 0.0;
  if (std::isinf(norm_type)) {
    for (double n : norms) total = std::isnan(n) || std::isnan(total) ? std::nan("") : std::max(total, n);
  } else {
    for (double n : norms) total += std::pow(n, norm_type);
    total = std::pow(total, 1.0 / norm_type);
  }
  EMBER_CHECK(!error_if_nonfinite || std::isfinite(total), ValueError,
              "clip_grad_norm_: The total norm of order {} for gradients from `parameters` is non-finite, so it "
              "cannot be clipped. To disable this error and scale the gradients by the non-finite norm anyway, set "
              "`error_if_nonfinite=False`",
              py_float(norm_type));
  // min() would drop a NaN; PyTorch's clamp keeps it, so every gradient becomes NaN.
  const double coefficient = max_norm / (total + 1e-6);
  const double clamped = std::isnan(coefficient) ? coefficient : std::min(coefficient, 1.0);
  for (Tensor g : grads.dense) g.mul_(clamped);
  // A sparse gradient keeps its own layout (nnz, row order, duplicates): the coalesced copy only
  // served the norm, where duplicate rows must be summed first.
  for (const auto& [p, g] : grads.sparse) {
    Tensor param = p;
    param.set_sparse_grad(param.sparse_grad().mul(clamped));
  }
  return total;
}

double clip_grad_norm_(const Tensor& parameter, double max_norm, double norm_type, bool error_if_nonfinite) {
  return clip_grad_norm_(std::vector<Tensor>{parameter}, max_norm, norm_type, error_if_nonfinite);
}

void clip_grad_value_(const std::vector<Tensor>& parameters, double clip_value) {
  EMBER_CHECK(clip_value >= 0.0, ValueError, "clip_grad_value_: clip_value {} is invalid; expected clip_value >= 0",
              py_float(clip_value));
  NoGradGuard no_grad;
  const Grads grads = collect(parameters);
  for (Tensor g : grads.dense) {
    Tensor clamped = kernels::clamp(g, -clip_value, clip_value);
    g.copy_(clamped);
  }
  for (const auto& [p, g] : grads.sparse) {
    Tensor param = p;
    param.set_sparse_grad(SparseTensor(g.indices, kernels::clamp(g.values, -clip_value, clip_value), g.shape, true));
  }
}

void clip_grad_value_(const Tensor& parameter, double clip_value) {
  clip_grad_value_(std::vector<Tensor>{parameter}, clip_value);
}

}  // namespace ember::nn::utils
