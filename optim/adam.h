// optim::Adam and optim::AdamW (torch.optim.Adam / AdamW): dense gradients only; a row-sparse
// gradient (Embedding(sparse=true)) is rejected with a pointer to SparseAdam.
#pragma once

#include "core/arg.h"
#include "optim/optimizer.h"

#include <utility>

namespace ember::optim {

using betas_t = std::pair<double, double>;

struct AdamOptions : OptimizerCloneableOptions<AdamOptions> {
  explicit AdamOptions(double lr = 1e-3) : lr_(lr) {}
  /// Learning rate, >= 0. Default: 1e-3.
  EMBER_ARG(double, lr);
  /// Decay rates of the first and second moment estimates, each in [0, 1). Default: {0.9, 0.999}.
  EMBER_ARG(betas_t, betas) = {0.9, 0.999};
  /// Added to the denominator for numerical stability, >= 0. Default: 1e-8.
  EMBER_ARG(double, eps) = 1e-8;
  /// L2 penalty added to the gradient (coupled), >= 0. Default: 0.
  EMBER_ARG(double, weight_decay) = 0.0;
  /// Use the running maximum of the second moment (AMSGrad). Default: false.
  EMBER_ARG(bool, amsgrad) = false;
  /// Maximize the objective. Default: false.
  EMBER_ARG(bool, maximize) = false;

 public:
  void visit(OptionsVisitor& visitor) override;
};

// AdamW: as AdamOptions, but weight decay is decoupled (p *= 1 - lr * weight_decay before the
// Adam step) and defaults to 1e-2.
struct AdamWOptions : OptimizerCloneableOptions<AdamWOptions> {
  explicit AdamWOptions(double lr = 1e-3) : lr_(lr) {}
  /// Learning rate, >= 0. Default: 1e-3.
  EMBER_ARG(double, lr);
  /// Decay rates of the first and second moment estimates, each in [0, 1). Default: {0.9, 0.999}.
  EMBER_ARG(betas_t, betas) = {0.9, 0.999};
  /// Added to the denominator for numerical stability, >= 0. Default: 1e-8.
  EMBER_ARG(double, eps) = 1e-8;
  /// Decoupled weight decay, >= 0. Default: 1e-2.
  EMBER_ARG(double, weight_decay) = 1e-2;
  /// Use the running maximum of the second moment (AMSGrad). Default: false.
  EMBER_ARG(bool, amsgrad) = false;
  /// Maximize the objective. Default: false.
  EMBER_ARG(bool, maximize) = false;

 public:
  void visit(OptionsVisitor& visitor) override;
};

// Created at a parameter's first step with a gradient; max_exp_avg_sq only with amsgrad.
struct AdamParamState : ParamState {
  std::int64_t step = 0;
  Tensor exp_avg;         // m: moving average of g
  Tensor exp_avg_sq;      // v: moving average of g^2
  Tensor max_exp_avg_sq;  // running max of v (amsgrad)
  void visit(StateVisitor& visitor) override;
};

// t += 1; g = grad (negated if maximize) [+ weight_decay * p for Adam]
// m = b1*m + (1-b1)*g;  v = b2*v + (1-b2)*g^2;  (amsgrad: v = vmax = max(vmax, v))
// p -= lr/(1-b1^t) * m / (sqrt(v)/sqrt(1-b2^t) + eps)
// Note: rows of an embedding whose gradient is zero still move (momentum), unlike SparseAdam.
class Adam : public Optimizer {
 public:
  Adam(std::vector<Tensor> params, const AdamOptions& defaults = AdamOptions());
  Adam(std::vector<ParamGroup> groups, const AdamOptions& defaults = AdamOptions());
  void step() override;

  // Hyper-parameters of one group, read from AdamOptions or AdamWOptions.
  struct Hyper {
    double lr, beta1, beta2, eps, weight_decay;
    bool amsgrad, maximize, decoupled_weight_decay;
  };

 protected:
  Adam(std::string name, const OptimizerOptions& defaults) : Optimizer(std::move(name), defaults) {}
  virtual Hyper hyper(std::size_t group) const;
  void validate_options(const OptimizerOptions& options, const std::string& where) const override;
  std::unique_ptr<ParamState> make_state(const Tensor& param) const override;
};

// The same algorithm with decoupled weight decay; its sparse-gradient error names SparseAdam too.
class AdamW : public Adam {
 public:
  AdamW(std::vector<Tensor> params, const AdamWOptions& defaults = AdamWOptions());
  AdamW(std::vector<ParamGroup> groups, const AdamWOptions& defaults = AdamWOptions());

 protected:
  Hyper hyper(std::size_t group) const override;
  void validate_options(const OptimizerOptions& options, const std::string& where) const override;
};

}  // namespace ember::optim
