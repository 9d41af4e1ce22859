// optim::Adagrad (torch.optim.Adagrad): dense and row-sparse gradients; state is created when a
// parameter group is added, as PyTorch does.
#pragma once

#include "core/arg.h"
#include "optim/optimizer.h"

namespace ember::optim {

struct AdagradOptions : OptimizerCloneableOptions<AdagradOptions> {
  explicit AdagradOptions(double lr = 1e-2) : lr_(lr) {}
  /// Learning rate, >= 0. Default: 1e-2.
  EMBER_ARG(double, lr);
  /// Learning-rate decay per step: lr / (1 + (t - 1) * lr_decay), >= 0. Default: 0.
  EMBER_ARG(double, lr_decay) = 0.0;
  /// Added to the denominator for numerical stability, >= 0. Default: 1e-10.
  EMBER_ARG(double, eps) = 1e-10;
  /// L2 penalty added to the gradient, >= 0; not allowed with sparse gradients. Default: 0.
  EMBER_ARG(double, weight_decay) = 0.0;
  /// Starting value of the sum of squared gradients, >= 0. Default: 0.
  EMBER_ARG(double, initial_accumulator_value) = 0.0;
  /// Maximize the objective. Default: false.
  EMBER_ARG(bool, maximize) = false;

 public:
  void visit(OptionsVisitor& visitor) override;
};

struct AdagradParamState : ParamState {
  std::int64_t step = 0;
  Tensor sum;  // running sum of g^2, same shape as the parameter
  void visit(StateVisitor& visitor) override;
};

// t += 1; g = grad (negated if maximize) + weight_decay * p; clr = lr / (1 + (t - 1) * lr_decay)
// sum += g^2;  p -= clr * g / (sqrt(sum) + eps)
// A row-sparse gradient is coalesced and updates only the rows present (the same result as the
// dense rule, since rows with zero gradient do not move). An empty sparse gradient (an
// all-padding batch) counts the step and changes nothing, as in PyTorch 2.x (1.13 crashed).
class Adagrad : public Optimizer {
 public:
  Adagrad(std::vector<Tensor> params, const AdagradOptions& defaults = AdagradOptions());
  Adagrad(std::vector<ParamGroup> groups, const AdagradOptions& defaults = AdagradOptions());
  void step() override;

 protected:
  void validate_options(const OptimizerOptions& options, const std::string& where) const override;
  std::unique_ptr<ParamState> make_state(const Tensor& param) const override;
  void on_group_added(std::size_t group) override;
};

}  // namespace ember::optim
