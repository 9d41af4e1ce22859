// nn::Linear: options validation, PyTorch's init, and a forward that names the module in errors.
#include "nn/linear.h"

#include "autograd/grad_mode.h"
#include "autograd/ops_nn.h"
#include "nn/init.h"

#include <fmt/format.h>

#include <cmath>

namespace ember::nn {

Linear::Linear(const LinearOptions& options) : Module("Linear"), options_(options) {
  EMBER_CHECK(options.in_features() >= 0 && options.out_features() >= 0, ValueError,
              "Linear: in_features={} and out_features={} must both be >= 0", options.in_features(),
              options.out_features());
  weight = register_parameter("weight", empty({options.out_features(), options.in_features()}));
  if (options.bias()) bias = register_parameter("bias", empty({options.out_features()}));
  reset_parameters();
}

void Linear::reset_parameters() {
  NoGradGuard no_grad;
  // kaiming_uniform_ with a = sqrt(5): gain sqrt(1/3), bound sqrt(3) gain / sqrt(in) = 1/sqrt(in).
  init::kaiming_uniform_(weight, std::sqrt(5.0));
  if (bias.defined()) {
    const double bound = options_.in_features() > 0 ? 1.0 / std::sqrt(static_cast<double>(options_.in_features())) : 0.0;
    init::uniform_(bias, -bound, bound);
  }
}

Tensor Linear::forward(const Tensor& x) const {
  check_defined(x, "Linear.forward", "input");
  EMBER_CHECK(x.defined() && x.dim() >= 1 && x.size(-1) == options_.in_features(), ShapeError,
              "Linear: input shape {} does not match in_features={}; expected [..., {}]",
              x.defined() ? shape_str(x.shape()) : "undefined", options_.in_features(), options_.in_features());
  EMBER_CHECK(x.dtype() == weight.dtype(), TypeError, "Linear: input dtype {} does not match weight dtype {}",
              dtype_name(x.dtype()), dtype_name(weight.dtype()));
  return ember::linear(x, weight, bias);
}

std::string Linear::extra_repr() const {
  return fmt::format("in_features={}, out_features={}, bias={}", options_.in_features(), options_.out_features(),
                     options_.bias() ? "True" : "False");
}

}  // namespace ember::nn
