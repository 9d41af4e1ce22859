// The activation modules and Dropout: each forwards to nn::functional; the option checks happen
// on construction, through the op itself run on an empty tensor, so the rules live in one place.
#include "nn/activation.h"

#include "autograd/ops_activation.h"
#include "nn/embedding.h"
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

Tensor Sigmoid::forward(const Tensor& x) const {
  check_defined(x, "Sigmoid.forward", "input");
  return functional::sigmoid(x);
}

Tensor SiLU::forward(const Tensor& x) const {
  check_defined(x, "SiLU.forward", "input");
  return functional::silu(x);
}

GELU::GELU(const GELUOptions& options) : Module("GELU"), options_(options) {
  functional::gelu(empty({0}), options_);  // refuses an unknown `approximate`, naming it
}

Tensor GELU::forward(const Tensor& x) const {
  check_defined(x, "GELU.forward", "input");
  return functional::gelu(x, options_);
}

std::string GELU::extra_repr() const { return fmt::format("approximate='{}'", options_.approximate()); }

Softplus::Softplus(const SoftplusOptions& options) : Module("Softplus"), options_(options) {
  functional::softplus(empty({0}), options_);
}

Tensor Softplus::forward(const Tensor& x) const {
  check_defined(x, "Softplus.forward", "input");
  return functional::softplus(x, options_);
}

// PyTorch prints the values as given; its defaults are the ints 1 and 20.
std::string Softplus::extra_repr() const {
  return fmt::format("beta={}, threshold={}", options_.beta(), options_.threshold());
}

LeakyReLU::LeakyReLU(const LeakyReLUOptions& options) : Module("LeakyReLU"), options_(options) {
  functional::leaky_relu(empty({0}), options_);
}

Tensor LeakyReLU::forward(const Tensor& x) const {
  check_defined(x, "LeakyReLU.forward", "input");
  return functional::leaky_relu(x, options_);
}

std::string LeakyReLU::extra_repr() const {
  return "negative_slope=" + detail::python_float(options_.negative_slope());
}

ELU::ELU(const ELUOptions& options) : Module("ELU"), options_(options) { functional::elu(empty({0}), options_); }

Tensor ELU::forward(const Tensor& x) const {
  check_defined(x, "ELU.forward", "input");
  return functional::elu(x, options_);
}

std::string ELU::extra_repr() const { return "alpha=" + detail::python_float(options_.alpha()); }

}  // namespace ember::nn
