// Modules without parameters that wrap one function each: Dropout, ReLU, Tanh. They hold no
// math (see nn/functional.h); Dropout reads the module's training flag.
#pragma once

#include "core/arg.h"
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

}  // namespace ember::nn
