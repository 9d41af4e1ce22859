// Differentiable reductions (sum mean max min norm) and the row-wise softmax family.
// A reduction's backward broadcasts dy back over the folded dims; max/min route it to the
// selected elements. argmax returns indices and is not differentiable.
#include "autograd/function.h"
#include "autograd/ops.h"
#include "core/kernels.h"

#include <algorithm>
#include <cmath>

namespace ember {
namespace {

// Wrapped, sorted dims of a reduction over `dims` of an `ndim`-d tensor; empty `dims` means all.
// A 0-d tensor folds nothing (PyTorch accepts dim 0 or -1 for it).
std::vector<std::int64_t> reduced_dims(std::vector<std::int64_t> dims, std::int64_t ndim, const char* op) {
  if (ndim == 0) return {};
  if (dims.empty()) {
    for (std::int64_t d = 0; d < ndim; ++d) dims.push_back(d);
    return dims;
  }
  for (std::int64_t& d : dims) d = wrap_dim(d, ndim, op);
  std::sort(dims.begin(), dims.end());
  return dims;
}

// A reduction's output (or its gradient) with the folded dims restored as size 1, so that it
// broadcasts against the input: [3] from summing dim 1 of [3, 4] becomes [3, 1].
Tensor keep_dims(const Tensor& y, std::int64_t ndim, const std::vector<std::int64_t>& dims, bool keepdim) {
  if (keepdim || ndim == 0) return y;
  Tensor out = y;
  for (std::int64_t d : dims) out = kernels::unsqueeze(out, d);
  return out;
}

// The number of input elements folded into each output element.
std::int64_t fold_count(const Shape& shape, const std::vector<std::int64_t>& dims) {
  std::int64_t count = 1;
  for (std::int64_t d : dims) count *= shape[d];
  return count;
}

// dy of max/min along `dim` placed at the selected positions of a zero tensor of `shape`.
Tensor route_to_indices(const Tensor& dy, const Tensor& indices, const Shape& shape, std::int64_t dim, bool keepdim) {
  if (shape.empty()) return dy;  // a 0-d input is its own maximum
  const Tensor g = keepdim ? dy : kernels::unsqueeze(dy, dim);
  const Tensor index = keepdim ? indices : kernels::unsqueeze(indices, dim);
  return kernels::scatter_add(zeros(shape, dy.dtype()), dim, index, g);
}

// dy of a max/min over all elements, shared evenly by every element equal to the result y.
Tensor share_among_ties(const Tensor& dy, const Tensor& x, const Tensor& y) {
  const Tensor ties = kernels::to(kernels::eq(x, y), x.dtype());
  return ties * (dy / kernels::sum(ties));
}

}  // namespace

// y = sum of x over dims;  dx = dy broadcast back over the summed dims.
Tensor sum(const Tensor& x, const std::vector<std::int64_t>& dims, bool keepdim) {
  Tensor out = kernels::sum(x, dims, keepdim);
  const std::vector<std::int64_t> folded = reduced_dims(dims, x.dim(), "sum");
  return autograd::record("sum", out, {x}, [shape = x.shape(), folded, keepdim](const Tensor& dy) {
    const Tensor g = keep_dims(dy, static_cast<std::int64_t>(shape.size()), folded, keepdim);
    return autograd::Grads{kernels::expand(g, shape)};
  });
}

// y = mean of x over dims;  dx = dy / count broadcast back, count = number of elements averaged.
Tensor mean(const Tensor& x, const std::vector<std::int64_t>& dims, bool keepdim) {
  Tensor out = kernels::mean(x, dims, keepdim);
  const std::vector<std::int64_t> folded = reduced_dims(dims, x.dim(), "mean");
  const double count = static_cast<double>(fold_count(x.shape(), folded));
  return autograd::record("mean", out, {x}, [shape = x.shape(), folded, keepdim, count](const Tensor& dy) {
    const Tensor g = keep_dims(dy, static_cast<std::int64_t>(shape.size()), folded, keepdim);
    return autograd::Grads{kernels::expand(g / count, shape)};
  });
}

// (y, i) = max of x along dim;  dx = dy at the index of the (first) maximum, 0 elsewhere.
std::pair<Tensor, Tensor> max(const Tensor& x, std::int64_t dim, bool keepdim) {
  auto [values, indices] = kernels::max(x, dim, keepdim);
  dim = wrap_dim(dim, x.dim(), "max");
  Tensor y = autograd::record("max", values, {x},
      [saved = autograd::SavedTensor(indices, "max"), shape = x.shape(), dim, keepdim](const Tensor& dy) {
        return autograd::Grads{route_to_indices(dy, saved.unpack(), shape, dim, keepdim)};
      });
  return {y, indices};
}

// (y, i) = min of x along dim;  dx = dy at the index of the (first) minimum, 0 elsewhere.
std::pair<Tensor, Tensor> min(const Tensor& x, std::int64_t dim, bool keepdim) {
  auto [values, indices] = kernels::min(x, dim, keepdim);
  dim = wrap_dim(dim, x.dim(), "min");
  Tensor y = autograd::record("min", values, {x},
      [saved = autograd::SavedTensor(indices, "min"), shape = x.shape(), dim, keepdim](const Tensor& dy) {
        return autograd::Grads{route_to_indices(dy, saved.unpack(), shape, dim, keepdim)};
      });
  return {y, indices};
}

// y = max over all elements;  dx = dy / k at each of the k elements equal to y (ties share).
Tensor max(const Tensor& x) {
  Tensor out = kernels::max(x);
  return autograd::record("max", out, {x},
      [saved_x = autograd::SavedTensor(x, "max"), saved_y = autograd::SavedTensor(out, "max")](const Tensor& dy) {
        return autograd::Grads{share_among_ties(dy, saved_x.unpack(), saved_y.unpack())};
      });
}

// y = min over all elements;  dx = dy / k at each of the k elements equal to y (ties share).
Tensor min(const Tensor& x) {
  Tensor out = kernels::min(x);
  return autograd::record("min", out, {x},
      [saved_x = autograd::SavedTensor(x, "min"), saved_y = autograd::SavedTensor(out, "min")](const Tensor& dy) {
        return autograd::Grads{share_among_ties(dy, saved_x.unpack(), saved_y.unpack())};
      });
}

// Indices of the (first) maximum along dim: int64, never recorded.
Tensor argmax(const Tensor& x, std::int64_t dim, bool keepdim) { return kernels::argmax(x, dim, keepdim); }

// y = (sum |x|^p)^(1/p) over dims;  dx = dy * sign(x) |x|^(p-1) / y^(p-1), 0 where y = 0
// (p = 1: dy * sign(x); p = 2: dy * x / y; p = +-inf: dy * sign(x), shared by the elements with
// |x| = y; p = 0: 0). The special cases are PyTorch's norm_backward, term for term.
Tensor norm(const Tensor& x, double p, const std::vector<std::int64_t>& dims, bool keepdim) {
  Tensor out = kernels::norm(x, p, dims, keepdim);
  const std::vector<std::int64_t> folded = reduced_dims(dims, x.dim(), "norm");
  return autograd::record("norm", out, {x},
      [saved_x = autograd::SavedTensor(x, "norm"), saved_y = autograd::SavedTensor(out, "norm"), p, folded,
       keepdim](const Tensor& dy) {
        const Tensor x = saved_x.unpack();
        const Tensor g = keep_dims(dy, x.dim(), folded, keepdim);
        const Tensor y = keep_dims(saved_y.unpack(), x.dim(), folded, keepdim);
        const Tensor zero = scalar_tensor(0.0, x.dtype());
        if (p == 0.0) return autograd::Grads{zeros(x.shape(), x.dtype())};
        if (p == 1.0) return autograd::Grads{kernels::sign(x) * g};
        if (p == 2.0) return autograd::Grads{x * kernels::masked_fill(g / y, kernels::eq(y, zero), 0.0)};
        if (std::isinf(p)) {
          const Tensor ties = kernels::to(kernels::eq(kernels::abs(x), y), x.dtype());
          return autograd::Grads{kernels::sign(x) * ties * (g / kernels::sum(ties, folded, true))};
        }
        // |x|^(p-1) is infinite at x = 0 when p < 1: PyTorch defines that term as 0.
        Tensor scaled = p < 2.0 ? kernels::sign(x) * kernels::pow(kernels::abs(x), p - 1.0)
                                : x * kernels::pow(kernels::abs(x), p - 2.0);
        if (p < 1.0) scaled = kernels::masked_fill(scaled, kernels::eq(x, zero), 0.0);
        const Tensor scale = kernels::masked_fill(g / kernels::pow(y, p - 1.0), kernels::eq(y, zero), 0.0);
        return autograd::Grads{scaled * scale};
      });
}

// y = exp(x - m) / sum(exp(x - m)) along dim, m the row max (exp overflows float32 above ~88);
// dx = y * (dy - sum(dy * y)). Reuses the output.
Tensor softmax(const Tensor& x, std::int64_t dim) {
  dim = wrap_dim(dim, x.dim(), "softmax");
  const Tensor e = kernels::exp(kernels::sub(x, kernels::max(x, dim, true).first));
  Tensor out = kernels::div(e, kernels::sum(e, {dim}, true));
  return autograd::record("softmax", out, {x}, [saved = autograd::SavedTensor(out, "softmax"), dim](const Tensor& dy) {
    const Tensor y = saved.unpack();
    return autograd::Grads{y * (dy - kernels::sum(dy * y, {dim}, true))};
  });
}

// y = (x - m) - log(sum(exp(x - m))) along dim, m the row max;  dx = dy - exp(y) * sum(dy).
// Never forms softmax then log: exp(x - m) may underflow to 0 where y stays finite.
Tensor log_softmax(const Tensor& x, std::int64_t dim) {
  dim = wrap_dim(dim, x.dim(), "log_softmax");
  const Tensor shifted = kernels::sub(x, kernels::max(x, dim, true).first);
  Tensor out = kernels::sub(shifted, kernels::log(kernels::sum(kernels::exp(shifted), {dim}, true)));
  return autograd::record("log_softmax", out, {x},
      [saved = autograd::SavedTensor(out, "log_softmax"), dim](const Tensor& dy) {
        return autograd::Grads{dy - kernels::exp(saved.unpack()) * kernels::sum(dy, {dim}, true)};
      });
}

}  // namespace ember
