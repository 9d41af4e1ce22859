// Dropout, ReLU and Tanh modules: each forwards to nn::functional.
#include "nn/activation.h"

#include "nn/functional.h"

#include <fmt/format.h>

namespace ember::nn {

Dropout::Dropout(const DropoutOptions& options) : Module("Dropout"), options_(options) {
  EMBER_CHECK(options.p() >= 0.0 && options.p() <= 1.0, ValueError,
              "Dropout: dropout probability has to be between 0 and 1, but got {}", options.p());
}

Tensor Dropout::forward(const Tensor& x) const {
  check_defined(x, "Dropout.forward", "input");
  return functional::dropout(x, options_.p(), is_training());
}

namespace {
// A double as Python's repr prints it: 0.5, 1e-05, and 0.0 rather than fmt's 0.
std::string python_float(double value) {
  std::string text = fmt::format("{}", value);
  if (text.find_first_of(".einf") == std::string::npos) text += ".0";
  return text;
}
}  // namespace

std::string Dropout::extra_repr() const { return fmt::format("p={}, inplace=False", python_float(options_.p())); }

Tensor ReLU::forward(const Tensor& x) const {
  check_defined(x, "ReLU.forward", "input");
  return functional::relu(x);
}

Tensor Tanh::forward(const Tensor& x) const {
  check_defined(x, "Tanh.forward", "input");
  return functional::tanh(x);
}

}  // namespace ember::nn
