// Modules without parameters that wrap one function each: Dropout, ReLU, Tanh, Sigmoid, GELU, SiLU,
// Softplus, LeakyReLU, ELU. They hold no math (see nn/functional.h); Dropout reads the module's
// training flag. Options of the activations are in nn/activation_options.h.
#pragma once

#include "core/arg.h"
#include "nn/activation_options.h"
#include "nn/module.h"

#include <string>

namespace ember::nn {

struct DropoutOptions {
  DropoutOptions(double p = 0.5) : p_(p) {}  // NOLINT: libtorch allows Dropout(0.2)
  /// Probability of zeroing an element, in [0, 1]. Default: 0.5.
  EMBER_ARG(double, p);
};

// Training: inverted dropout (survivors scaled by 1 / (1 - p)); eval: the identity.
class Dropout : public Module {
 public:
  explicit Dropout(const DropoutOptions& options = DropoutOptions());
  Tensor forward(const Tensor& x) const;
  // "p=0.5, inplace=False" as PyTorch prints it (ember's Dropout is never in place).
  std::string extra_repr() const override;
  const DropoutOptions& options() const { return options_; }

 private:
  DropoutOptions options_;
};

class ReLU : public Module {
 public:
  ReLU() : Module("ReLU") {}
  Tensor forward(const Tensor& x) const;
};

class Tanh : public Module {
 public:
  Tanh() : Module("Tanh") {}
  Tensor forward(const Tensor& x) const;
};

class Sigmoid : public Module {
 public:
  Sigmoid() : Module("Sigmoid") {}
  Tensor forward(const Tensor& x) const;
};

class SiLU : public Module {
 public:
  SiLU() : Module("SiLU") {}
  Tensor forward(const Tensor& x) const;
};

// The options are checked on construction (PyTorch's GELU checks `approximate` only at forward).
class GELU : public Module {
 public:
  explicit GELU(const GELUOptions& options = GELUOptions());
  Tensor forward(const Tensor& x) const;
  std::string extra_repr() const override;  // "approximate='none'"
  const GELUOptions& options() const { return options_; }

 private:
  GELUOptions options_;
};

class Softplus : public Module {
 public:
  explicit Softplus(const SoftplusOptions& options = SoftplusOptions());
  Tensor forward(const Tensor& x) const;
  std::string extra_repr() const override;  // "beta=1, threshold=20"
  const SoftplusOptions& options() const { return options_; }

 private:
  SoftplusOptions options_;
};

class LeakyReLU : public Module {
 public:
  explicit LeakyReLU(const LeakyReLUOptions& options = LeakyReLUOptions());
  Tensor forward(const Tensor& x) const;
  std::string extra_repr() const override;  // "negative_slope=0.01"
  const LeakyReLUOptions& options() const { return options_; }

 private:
  LeakyReLUOptions options_;
};

class ELU : public Module {
 public:
  explicit ELU(const ELUOptions& options = ELUOptions());
  Tensor forward(const Tensor& x) const;
  std::string extra_repr() const override;  // "alpha=1.0"
  const ELUOptions& options() const { return options_; }

 private:
  ELUOptions options_;
};

}  // namespace ember::nn
