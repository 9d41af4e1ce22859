// optim::Optimizer: the base of every optimizer. Parameter groups with their own options,
// one state struct per parameter, zero_grad, learning-rate access for schedulers, and
// checkpoints (safetensors for state tensors + JSON for options and step counts).
#pragma once

#include "core/safetensors.h"
#include "core/sparse.h"
#include "core/tensor.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace ember::optim {

// Reads or writes every hyper-parameter of an Options struct by its PyTorch name (checkpoints).
class OptionsVisitor {
 public:
  virtual ~OptionsVisitor() = default;
  virtual void number(const char* name, double& value) = 0;
  virtual void flag(const char* name, bool& value) = 0;
  virtual void pair(const char* name, std::pair<double, double>& value) = 0;
};

// The per-group hyper-parameters of an optimizer: SGDOptions, AdamOptions, ... derive from
// OptimizerCloneableOptions<Self>, which fills in everything but visit().
struct OptimizerOptions {
  virtual ~OptimizerOptions() = default;
  virtual std::unique_ptr<OptimizerOptions> clone() const = 0;
  virtual double get_lr() const = 0;
  virtual void set_lr(double lr) = 0;
  // Visits each hyper-parameter in PyTorch's param_groups key order.
  virtual void visit(OptionsVisitor& visitor) = 0;
};

template <typename Derived>
struct OptimizerCloneableOptions : OptimizerOptions {
  std::unique_ptr<OptimizerOptions> clone() const override {
    return std::make_unique<Derived>(static_cast<const Derived&>(*this));
  }
  double get_lr() const override { return static_cast<const Derived&>(*this).lr(); }
  void set_lr(double lr) override { static_cast<Derived&>(*this).lr(lr); }
};

// A list of parameters optimized with the same options. Without options, a group uses the
// optimizer's defaults (like a PyTorch param-group dict that overrides nothing):
//   optim::SGD sgd({optim::ParamGroup(encoder_params),
//                   optim::ParamGroup(head_params, optim::SGDOptions(0.01))},
//                  optim::SGDOptions(0.1).momentum(0.9));
struct ParamGroup {
  explicit ParamGroup(std::vector<Tensor> params) : params(std::move(params)) {}
  template <typename Options>
  ParamGroup(std::vector<Tensor> params, const Options& options)
      : params(std::move(params)), options(std::make_unique<Options>(options)) {}
  ParamGroup(const ParamGroup& other);
  ParamGroup& operator=(const ParamGroup& other);
  ParamGroup(ParamGroup&&) = default;
  ParamGroup& operator=(ParamGroup&&) = default;

  std::vector<Tensor> params;
  // Null until the optimizer fills in its defaults; change lr through Optimizer::set_lr.
  std::unique_ptr<OptimizerOptions> options;
};

// Reads or writes the fields of a per-parameter state (checkpoints).
class StateVisitor {
 public:
  virtual ~StateVisitor() = default;
  virtual void step(std::int64_t& step) = 0;
  // A state tensor; may be undefined (e.g. no momentum buffer yet).
  virtual void tensor(const char* name, Tensor& value) = 0;
  // A row-sparse state tensor (SGD's momentum buffer for sparse gradients); may be undefined.
  virtual void sparse(const char* name, SparseTensor& value) = 0;
};

// One parameter's optimizer state (AdamParamState: step, exp_avg, exp_avg_sq, ...).
struct ParamState {
  virtual ~ParamState() = default;
  virtual void visit(StateVisitor& visitor) = 0;
};

// What save() writes and load() reads, in memory: the state tensors under the names
// "state.<index>.<field>" (index counts parameters across groups, as PyTorch does) and a JSON
// document with the optimizer's name, each group's hyper-parameters and each state's step.
struct OptimizerStateDict {
  NamedTensorList tensors;
  std::string json;
};

class Optimizer {
 public:
  virtual ~Optimizer() = default;
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;

  // "SGD", "Adam", ...: used in messages and checked when a checkpoint is loaded.
  const std::string& name() const { return name_; }

  // One update of every parameter that has a gradient. Parameters whose gradient is undefined
  // are skipped: no state is created and no step is counted (PyTorch's rule). Everything is
  // validated before the first parameter is written, so a failed step changes nothing.
  virtual void step() = 0;

  // Clears the gradients of every parameter. set_to_none=true (PyTorch 2.x's default; 1.13
  // defaulted to false) drops them, so the next step skips parameters that get no new gradient.
  // set_to_none=false zeroes dense gradients in place and replaces row-sparse ones by empty
  // sparse tensors, so the next step still counts (and momentum still moves) for them.
  void zero_grad(bool set_to_none = true);

  // Adds a group after construction, validated like the constructor's groups.
  void add_param_group(ParamGroup group);
  const std::vector<ParamGroup>& param_groups() const { return groups_; }
  std::size_t num_parameters() const;

  // Learning rate of one group, for schedulers. set_lr only requires lr >= 0.
  double lr(std::size_t group = 0) const;
  void set_lr(std::size_t group, double lr);

  // State of parameter `index` of `group`; null while it has none (before its first step).
  const ParamState* state(std::size_t group, std::size_t index) const;

  // Checkpoints. state_dict() shares the state tensors (like PyTorch's); load_state_dict()
  // copies them, cast to each parameter's dtype. Loading checks the optimizer name, the number
  // of groups and parameters, every tensor's shape and every hyper-parameter, and changes
  // nothing unless all of it fits. Parameters are matched by position, as in PyTorch.
  OptimizerStateDict state_dict() const;
  void load_state_dict(const OptimizerStateDict& state);
  // <prefix>.safetensors and <prefix>.json, each written atomically; both carry the same
  // save id, so a crash between the two writes is detected at load.
  void save(const std::string& prefix) const;
  void load(const std::string& prefix);

 protected:
  // The derived constructor then calls init(groups): virtual functions reach the derived
  // class only once its own constructor runs.
  Optimizer(std::string name, const OptimizerOptions& defaults);
  // Validates the defaults, rejects an empty parameter list, then adds each group.
  void init(std::vector<ParamGroup> groups);

  // Each optimizer checks its options (PyTorch's messages; `where` is "" or " in parameter
  // group 1") and makes a fresh per-parameter state.
  virtual void validate_options(const OptimizerOptions& options, const std::string& where) const = 0;
  virtual std::unique_ptr<ParamState> make_state(const Tensor& param) const = 0;
  // Called for each new group (Adagrad creates its state eagerly here).
  virtual void on_group_added(std::size_t /*group*/) {}

  // Typed access for step(): `options_as<SGDOptions>(g)`, `state_as<SGDParamState>(g, i)`
  // (which creates the state on first use).
  template <typename Options> const Options& options_as(std::size_t group) const {
    return static_cast<const Options&>(*groups_[group].options);
  }
  template <typename State> State& state_as(std::size_t group, std::size_t index) {
    auto& slot = state_[group][index];
    if (!slot) slot = make_state(groups_[group].params[index]);
    return static_cast<State&>(*slot);
  }
  bool has_state(std::size_t group, std::size_t index) const { return state_[group][index] != nullptr; }

 private:
  std::string name_;
  std::unique_ptr<OptimizerOptions> defaults_;
  std::vector<ParamGroup> groups_;
  std::vector<std::vector<std::unique_ptr<ParamState>>> state_;  // parallel to groups_[g].params
};

namespace detail {
// Throws IndexError unless every row index of `grad` is in [0, rows): checked before any write,
// because the update loops index parameter memory with them.
void check_sparse_rows(const SparseTensor& grad, const std::string& op, std::size_t param);
// Throws ValueError "<op>: Invalid <what>: <value><where>; expected <expected>" unless ok
// (PyTorch's wording, e.g. "Invalid learning rate: -1.0", plus the valid range).
void check_option(bool ok, const std::string& op, const char* what, double value, const std::string& where,
                  const char* expected);
}  // namespace detail

// Python's repr of a float ("-1.0", "1e-08", "inf"), so messages read like PyTorch's.
std::string py_float(double value);

}  // namespace ember::optim
