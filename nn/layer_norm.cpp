// nn::LayerNorm: options validation, PyTorch's parameters and init, printing; the math is the
// fused layer_norm op (autograd/ops_norm.cpp).
#include "nn/layer_norm.h"

#include "autograd/grad_mode.h"
#include "autograd/ops_norm.h"
#include "nn/embedding.h"

#include <fmt/format.h>

#include <cmath>

namespace ember::nn {

LayerNorm::LayerNorm(const LayerNormOptions& options) : Module("LayerNorm"), options_(options) {
  const Shape& shape = options_.normalized_shape();
  EMBER_CHECK(!shape.empty(), ValueError, "LayerNorm: normalized_shape = []; expected at least one dimension");
  for (std::int64_t size : shape)
    EMBER_CHECK(size > 0, ValueError, "LayerNorm: normalized_shape = {}; expected sizes > 0", shape_str(shape));
  EMBER_CHECK(options_.eps() >= 0.0 && std::isfinite(options_.eps()), ValueError,
              "LayerNorm: eps = {}; expected a finite eps >= 0", options_.eps());
  if (options_.elementwise_affine()) {
    register_parameter("weight", empty(shape));
    register_parameter("bias", empty(shape));
  }
  reset_parameters();
}

void LayerNorm::reset_parameters() {
  NoGradGuard no_grad;
  for (auto& [name, p] : named_parameters(false)) p.fill_(name == "weight" ? 1.0 : 0.0);
}

Tensor LayerNorm::forward(const Tensor& x) const {
  check_defined(x, "LayerNorm.forward", "input");
  Tensor weight, bias;
  // Looked up on every call (two entries) so that load_state_dict / replace_parameter are seen.
  for (const auto& [name, p] : named_parameters(false)) (name == "weight" ? weight : bias) = p;
  return ember::layer_norm(x, options_.normalized_shape(), weight, bias, options_.eps());
}

std::string LayerNorm::extra_repr() const {
  const Shape& shape = options_.normalized_shape();
  std::string dims;
  for (std::size_t i = 0; i < shape.size(); ++i) dims += fmt::format("{}{}", i ? ", " : "", shape[i]);
  if (shape.size() == 1) dims += ",";  // a Python 1-tuple: (4,)
  return fmt::format("({}), eps={}, elementwise_affine={}", dims, detail::python_float(options_.eps()),
                     options_.elementwise_affine() ? "True" : "False");
}

namespace functional {
Tensor layer_norm(const Tensor& x, const LayerNormFuncOptions& options) {
  return ember::layer_norm(x, options.normalized_shape(), options.weight(), options.bias(), options.eps());
}
}  // namespace functional

}  // namespace ember::nn
