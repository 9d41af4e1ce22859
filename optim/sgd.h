// optim::SGD: stochastic gradient descent with momentum, dampening, Nesterov momentum, weight
// decay and maximize, for dense and row-sparse gradients (torch.optim.SGD).
#pragma once

#include "core/arg.h"
#include "optim/optimizer.h"

namespace ember::optim {

struct SGDOptions : OptimizerCloneableOptions<SGDOptions> {
  explicit SGDOptions(double lr) : lr_(lr) {}
  /// Learning rate (required), >= 0.
  EMBER_ARG(double, lr);
  /// Momentum factor, >= 0. Default: 0.
  EMBER_ARG(double, momentum) = 0.0;
  /// Dampening of the momentum (not applied on the first step). Default: 0.
  EMBER_ARG(double, dampening) = 0.0;
  /// L2 penalty added to the gradient, >= 0; not allowed with sparse gradients. Default: 0.
  EMBER_ARG(double, weight_decay) = 0.0;
  /// Nesterov momentum; needs momentum > 0 and dampening == 0. Default: false.
  EMBER_ARG(bool, nesterov) = false;
  /// Maximize the objective (ascend the gradient). Default: false.
  EMBER_ARG(bool, maximize) = false;

 public:
  void visit(OptionsVisitor& visitor) override;
};

// momentum_buffer is created on the first step with a gradient when momentum > 0. It stays
// row-sparse (sorted unique rows) while the gradients are sparse, so memory and time follow the
// rows ever touched rather than the table size; a dense gradient makes it dense.
struct SGDParamState : ParamState {
  Tensor momentum_buffer;
  SparseTensor sparse_momentum_buffer;
  void visit(StateVisitor& visitor) override;
};

// p -= lr * d, with d built from g = grad (negated if maximize) + weight_decay * p:
//   buf = g on the first step, else momentum * buf + (1 - dampening) * g
//   d   = nesterov ? g + momentum * buf : buf          (d = g without momentum)
// A row-sparse gradient (Embedding(sparse=true)) updates the rows present in plain SGD. With
// momentum the result equals PyTorch's (which equals dense SGD on the densified gradient): rows
// in the buffer keep moving on later steps, and an empty gradient acts as a zero gradient.
class SGD : public Optimizer {
 public:
  SGD(std::vector<Tensor> params, const SGDOptions& defaults);
  SGD(std::vector<ParamGroup> groups, const SGDOptions& defaults);
  void step() override;

 protected:
  void validate_options(const OptimizerOptions& options, const std::string& where) const override;
  std::unique_ptr<ParamState> make_state(const Tensor& param) const override;
};

}  // namespace ember::optim
