// layer_norm (autograd/ops_norm.h): validation, the forward kernel, and the backward kernel
// recorded beneath it.
#include "autograd/ops_norm.h"

#include "autograd/function.h"
#include "core/kernels.h"
#include "core/kernels_layernorm.h"

#include <fmt/ranges.h>

#include <cmath>

namespace ember {
namespace {

void check_layer_norm_args(const Tensor& x, const Shape& normalized_shape, const Tensor& weight, const Tensor& bias,
                           double eps) {
  check_defined(x, "layer_norm", "input");
  EMBER_CHECK(!normalized_shape.empty(), ShapeError,
              "layer_norm: normalized_shape = []; expected at least one dimension");
  for (std::int64_t size : normalized_shape)
    EMBER_CHECK(size > 0, ShapeError, "layer_norm: normalized_shape = {}; expected sizes > 0",
                shape_str(normalized_shape));
  EMBER_CHECK(is_floating(x.dtype()), TypeError, "layer_norm: input has dtype {}; expected float32 or float64",
              dtype_name(x.dtype()));
  const std::int64_t k = static_cast<std::int64_t>(normalized_shape.size());
  bool fits = x.dim() >= k;
  for (std::int64_t d = 0; fits && d < k; ++d) fits = x.size(x.dim() - k + d) == normalized_shape[d];
  EMBER_CHECK(fits, ShapeError, "layer_norm: input has shape {}; expected [*, {}] for normalized_shape = {}",
              shape_str(x.shape()), fmt::format("{}", fmt::join(normalized_shape, ", ")), shape_str(normalized_shape));
  for (const auto& [name, t] : {std::pair{"weight", &weight}, std::pair{"bias", &bias}}) {
    if (!t->defined()) continue;
    EMBER_CHECK(t->shape() == normalized_shape, ShapeError,
                "layer_norm: {} has shape {}; expected normalized_shape = {}", name, shape_str(t->shape()),
                shape_str(normalized_shape));
    EMBER_CHECK(t->dtype() == x.dtype(), TypeError, "layer_norm: {} has dtype {}; expected {} like the input", name,
                dtype_name(t->dtype()), dtype_name(x.dtype()));
  }
  EMBER_CHECK(eps >= 0.0 && std::isfinite(eps), ValueError, "layer_norm: eps = {}; expected a finite eps >= 0", eps);
}

}  // namespace

// y = (x - mean) * rstd * w + b;  with xh = (x - mean) * rstd, g = dy * w:
//   dx = rstd (g - mean(g) - xh mean(g xh)),  dw = sum_rows dy xh,  db = sum_rows dy
Tensor layer_norm(const Tensor& x, const Shape& normalized_shape, const Tensor& weight, const Tensor& bias,
                  double eps) {
  check_layer_norm_args(x, normalized_shape, weight, bias, eps);
  std::int64_t row_size = 1;
  for (std::int64_t size : normalized_shape) row_size *= size;
  kernels::LayerNormForward f = kernels::layer_norm_forward(x, row_size, weight, bias, eps);
  if (!autograd::any_requires_grad({x, weight, bias})) return f.y;
  return autograd::record(
      "layer_norm", f.y, {x, weight, bias},
      [x_saved = autograd::SavedTensor(x, "layer_norm"),
       w_saved = weight.defined() ? autograd::SavedTensor(weight, "layer_norm") : autograd::SavedTensor(),
       mean = autograd::SavedTensor(f.mean, "layer_norm"), rstd = autograd::SavedTensor(f.rstd, "layer_norm"),
       row_size, normalized_shape](const Tensor& dy) {
        const Tensor w = w_saved.defined() ? w_saved.unpack() : Tensor();
        kernels::LayerNormGrads g = kernels::layer_norm_backward(dy, x_saved.unpack(), mean.unpack(), rstd.unpack(), w,
                                                                 row_size, autograd::needs_grad(0),
                                         autograd::needs_grad(1), autograd::needs_grad(2));
        const auto as_param = [&](const Tensor& t) { return t.defined() ? kernels::view(t, normalized_shape) : t; };
        return autograd::Grads{g.dx, as_param(g.dweight), as_param(g.dbias)};
      });
}

}  // namespace ember
