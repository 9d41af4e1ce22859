// optim::SparseAdam (torch.optim.SparseAdam): lazy Adam for row-sparse gradients, the optimizer
// for Embedding(sparse=true) weights. A step costs time proportional to the rows present in the
// gradient, never to the table size.
#pragma once

#include "core/arg.h"
#include "optim/adam.h"
#include "optim/optimizer.h"

namespace ember::optim {

struct SparseAdamOptions : OptimizerCloneableOptions<SparseAdamOptions> {
  explicit SparseAdamOptions(double lr = 1e-3) : lr_(lr) {}
  /// Learning rate, > 0 (strictly, as in PyTorch). Default: 1e-3.
  EMBER_ARG(double, lr);
  /// Decay rates of the first and second moment estimates, each in [0, 1). Default: {0.9, 0.999}.
  EMBER_ARG(betas_t, betas) = {0.9, 0.999};
  /// Added to the uncorrected sqrt(v), > 0 (strictly). Default: 1e-8.
  EMBER_ARG(double, eps) = 1e-8;
  /// Maximize the objective. Default: false.
  EMBER_ARG(bool, maximize) = false;

 public:
  void visit(OptionsVisitor& visitor) override;
};

// The moments are dense tensors of the parameter's shape (2x the table's memory, as in
// PyTorch); only the rows present in a gradient are read or written.
struct SparseAdamParamState : ParamState {
  std::int64_t step = 0;  // one count per parameter, not per row
  Tensor exp_avg;
  Tensor exp_avg_sq;
  void visit(StateVisitor& visitor) override;
};

// PyTorch's algorithm exactly. Per parameter with a gradient:
//   t += 1;  g = coalesce(grad) (negated if maximize): R = unique rows, duplicates summed
//   m[R] += (1-b1) * (g - m[R]);  v[R] += (1-b2) * (g^2 - v[R])
//   p[R] -= lr * sqrt(1-b2^t)/(1-b1^t) * m[R] / (sqrt(v[R]) + eps)
// Rows not in R keep their m, v and p (moments do not decay). A present row whose gradient is
// all zeros still counts as present. An empty gradient counts the step and changes nothing
// (PyTorch 2.x; 1.13 crashed). A dense gradient is rejected with a pointer to Adam.
class SparseAdam : public Optimizer {
 public:
  SparseAdam(std::vector<Tensor> params, const SparseAdamOptions& defaults = SparseAdamOptions());
  SparseAdam(std::vector<ParamGroup> groups, const SparseAdamOptions& defaults = SparseAdamOptions());
  void step() override;

 protected:
  void validate_options(const OptimizerOptions& options, const std::string& where) const override;
  std::unique_ptr<ParamState> make_state(const Tensor& param) const override;
};

}  // namespace ember::optim
