// The activations of autograd/ops_activation.h: validate, run the forward kernel, record the
// backward kernel beneath it. Each saves only its input x (the backward formulas read x).
#include "autograd/ops_activation.h"

#include "autograd/function.h"
#include "core/kernels_activation.h"

#include <cmath>

namespace ember {
namespace {

void check_input(const Tensor& x, const char* op) {
  check_defined(x, op, "input");
  EMBER_CHECK(is_floating(x.dtype()), TypeError, "{}: input has dtype {}; expected float32 or float64", op,
              dtype_name(x.dtype()));
}

}  // namespace

Tensor gelu(const Tensor& x, const std::string& approximate) {
  EMBER_CHECK(approximate == "none" || approximate == "tanh", ValueError,
              "gelu: approximate = '{}'; expected 'none' or 'tanh'", approximate);
  check_input(x, "gelu");
  const bool tanh_form = approximate == "tanh";
  Tensor out = kernels::gelu_forward(x, tanh_form);
  return autograd::record("gelu", out, {x}, [saved = autograd::SavedTensor(x, "gelu"), tanh_form](const Tensor& dy) {
    return autograd::Grads{kernels::gelu_backward(dy, saved.unpack(), tanh_form)};
  });
}

Tensor silu(const Tensor& x) {
  check_input(x, "silu");
  Tensor out = kernels::silu_forward(x);
  return autograd::record("silu", out, {x}, [saved = autograd::SavedTensor(x, "silu")](const Tensor& dy) {
    return autograd::Grads{kernels::silu_backward(dy, saved.unpack())};
  });
}

Tensor softplus(const Tensor& x, double beta, double threshold) {
  EMBER_CHECK(beta != 0.0 && std::isfinite(beta), ValueError,
              "softplus: beta = {}; expected a finite non-zero number (y = log(1 + exp(beta x)) / beta)", beta);
  EMBER_CHECK(!std::isnan(threshold), ValueError, "softplus: threshold = {}; expected a number", threshold);
  check_input(x, "softplus");
  Tensor out = kernels::softplus_forward(x, beta, threshold);
  return autograd::record("softplus", out, {x},
                          [saved = autograd::SavedTensor(x, "softplus"), beta, threshold](const Tensor& dy) {
                            return autograd::Grads{kernels::softplus_backward(dy, saved.unpack(), beta, threshold)};
                          });
}

Tensor leaky_relu(const Tensor& x, double negative_slope) {
  EMBER_CHECK(std::isfinite(negative_slope), ValueError, "leaky_relu: negative_slope = {}; expected a finite number",
              negative_slope);
  check_input(x, "leaky_relu");
  Tensor out = kernels::leaky_relu_forward(x, negative_slope);
  return autograd::record("leaky_relu", out, {x},
                          [saved = autograd::SavedTensor(x, "leaky_relu"), negative_slope](const Tensor& dy) {
                            return autograd::Grads{kernels::leaky_relu_backward(dy, saved.unpack(), negative_slope)};
                          });
}

Tensor elu(const Tensor& x, double alpha) {
  EMBER_CHECK(std::isfinite(alpha), ValueError, "elu: alpha = {}; expected a finite number", alpha);
  check_input(x, "elu");
  Tensor out = kernels::elu_forward(x, alpha);
  return autograd::record("elu", out, {x}, [saved = autograd::SavedTensor(x, "elu"), alpha](const Tensor& dy) {
    return autograd::Grads{kernels::elu_backward(dy, saved.unpack(), alpha)};
  });
}

}  // namespace ember
