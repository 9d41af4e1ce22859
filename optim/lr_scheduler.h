// Learning-rate schedulers (torch.optim.lr_scheduler): StepLR, MultiStepLR, ExponentialLR,
// CosineAnnealingLR, LambdaLR, stepped once per epoch after optimizer.step(), and
// ReduceLROnPlateau, stepped with a validation metric.
//
//   optim::SGD sgd(model.parameters(), optim::SGDOptions(0.1));
//   optim::StepLR scheduler(sgd, optim::StepLROptions(30).gamma(0.1));
//   for (int epoch = 0; epoch < 100; ++epoch) { train(sgd); scheduler.step(); }
#pragma once

#include "core/arg.h"
#include "optim/optimizer.h"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace ember::optim {

// Where a scheduler stands: what it needs to continue after a restart (PyTorch's
// scheduler.state_dict() without the options, which the constructor already has). To resume,
// build the optimizer and the scheduler as the first run did, then load the optimizer's state
// (which holds the current lrs) and the scheduler's, in either order.
struct LRSchedulerState {
  std::int64_t last_epoch = -1;
  std::vector<double> base_lrs;  // one per parameter group
  std::vector<double> last_lr;   // one per parameter group

  // A JSON object {"last_epoch": ..., "base_lrs": [...], "last_lr": [...]}, and back (IoError on
  // malformed text, naming what is wrong).
  std::string to_json() const;
  static LRSchedulerState from_json(const std::string& text);
};

// The chainable schedulers' base. As in PyTorch, construction performs the first step
// (last_epoch becomes 0 and each group's lr is set to get_lr(), normally unchanged), and each
// step() then advances last_epoch by one and writes the new lrs into the optimizer. The
// recursive forms read the optimizer's current lr, so they compose with other changes to it.
// base_lrs are the groups' lrs when the scheduler is built (PyTorch's `initial_lr`).
class LRScheduler {
 public:
  virtual ~LRScheduler() = default;
  LRScheduler(const LRScheduler&) = delete;
  LRScheduler& operator=(const LRScheduler&) = delete;

  // Advances one epoch. All new lrs are checked (>= 0) before any is written.
  void step();
  const std::vector<double>& get_last_lr() const { return last_lr_; }
  std::int64_t last_epoch() const { return last_epoch_; }
  const std::vector<double>& base_lrs() const { return base_lrs_; }

  LRSchedulerState state_dict() const { return {last_epoch_, base_lrs_, last_lr_}; }
  // Replaces the scheduler's state; the optimizer is not touched (its lrs come from its own
  // state). Checked first (one value per group, lrs finite and >= 0, last_epoch >= 0): a
  // ValueError changes nothing.
  void load_state_dict(const LRSchedulerState& state);

 protected:
  LRScheduler(Optimizer& optimizer, std::string name);
  // The new lr of every group at last_epoch_ (already advanced).
  virtual std::vector<double> get_lr() = 0;
  // The derived constructor's last statement (virtual get_lr reaches it only then).
  void initial_step() { step(); }
  std::vector<double> current_lrs() const;

  Optimizer& optimizer_;
  std::string name_;
  std::vector<double> base_lrs_;
  std::int64_t last_epoch_ = -1;
  std::vector<double> last_lr_;
};

struct StepLROptions {
  explicit StepLROptions(std::int64_t step_size) : step_size_(step_size) {}
  /// Period of decay in epochs (required), >= 1.
  EMBER_ARG(std::int64_t, step_size);
  /// Multiplicative factor of decay, >= 0. Default: 0.1.
  EMBER_ARG(double, gamma) = 0.1;
};

// lr = base * gamma^floor(epoch / step_size)
class StepLR : public LRScheduler {
 public:
  StepLR(Optimizer& optimizer, const StepLROptions& options);

 protected:
  std::vector<double> get_lr() override;

 private:
  StepLROptions options_;
};

struct MultiStepLROptions {
  explicit MultiStepLROptions(std::vector<std::int64_t> milestones) : milestones_(std::move(milestones)) {}
  /// Epochs at which lr is multiplied by gamma (required); a repeated milestone applies twice.
  EMBER_ARG(std::vector<std::int64_t>, milestones);
  /// Multiplicative factor of decay, >= 0. Default: 0.1.
  EMBER_ARG(double, gamma) = 0.1;
};

// lr = base * gamma^(number of milestones <= epoch)
class MultiStepLR : public LRScheduler {
 public:
  MultiStepLR(Optimizer& optimizer, const MultiStepLROptions& options);

 protected:
  std::vector<double> get_lr() override;

 private:
  MultiStepLROptions options_;
};

struct ExponentialLROptions {
  explicit ExponentialLROptions(double gamma) : gamma_(gamma) {}
  /// Multiplicative factor of decay per epoch (required), >= 0.
  EMBER_ARG(double, gamma);
};

// lr = base * gamma^epoch
class ExponentialLR : public LRScheduler {
 public:
  ExponentialLR(Optimizer& optimizer, const ExponentialLROptions& options);

 protected:
  std::vector<double> get_lr() override;

 private:
  ExponentialLROptions options_;
};

struct CosineAnnealingLROptions {
  explicit CosineAnnealingLROptions(std::int64_t T_max) : T_max_(T_max) {}
  /// Half-period in epochs (required), >= 1.
  EMBER_ARG(std::int64_t, T_max);
  /// Minimum learning rate, >= 0. Default: 0.
  EMBER_ARG(double, eta_min) = 0.0;
};

// lr = eta_min + (base - eta_min) * (1 + cos(pi * epoch / T_max)) / 2, computed recursively as
// PyTorch does; it does not stop at T_max but rises again (period 2 * T_max).
class CosineAnnealingLR : public LRScheduler {
 public:
  CosineAnnealingLR(Optimizer& optimizer, const CosineAnnealingLROptions& options);

 protected:
  std::vector<double> get_lr() override;

 private:
  CosineAnnealingLROptions options_;
};

// lr = base * lr_lambda(epoch); one function for all groups or one per group. Note that the
// first step in the constructor already applies lr_lambda(0).
class LambdaLR : public LRScheduler {
 public:
  using Lambda = std::function<double(std::int64_t epoch)>;
  LambdaLR(Optimizer& optimizer, Lambda lr_lambda);
  LambdaLR(Optimizer& optimizer, std::vector<Lambda> lr_lambdas);

 protected:
  std::vector<double> get_lr() override;

 private:
  std::vector<Lambda> lr_lambdas_;
};

struct ReduceLROnPlateauOptions {
  /// "min": reduce when the metric stops decreasing; "max": when it stops increasing. Default: "min".
  EMBER_ARG(std::string, mode) = "min";
  /// new_lr = lr * factor, in [0, 1). Default: 0.1.
  EMBER_ARG(double, factor) = 0.1;
  /// Epochs without improvement tolerated before reducing, >= 0. Default: 10.
  EMBER_ARG(std::int64_t, patience) = 10;
  /// Minimal change that counts as an improvement, >= 0. Default: 1e-4.
  EMBER_ARG(double, threshold) = 1e-4;
  /// "rel": best * (1 -/+ threshold); "abs": best -/+ threshold. Default: "rel".
  EMBER_ARG(std::string, threshold_mode) = "rel";
  /// Epochs to wait after a reduction before counting bad epochs again, >= 0. Default: 0.
  EMBER_ARG(std::int64_t, cooldown) = 0;
  /// Lower bound on lr: one value for all groups or one per group, each >= 0. Default: {0}.
  EMBER_ARG(std::vector<double>, min_lr) = {0.0};
  /// Reductions smaller than eps are skipped, >= 0. Default: 1e-8.
  EMBER_ARG(double, eps) = 1e-8;
};

// Where a ReduceLROnPlateau stands (PyTorch's state_dict without the options).
struct ReduceLROnPlateauState {
  std::int64_t last_epoch = 0;
  double best = 0.0;
  std::int64_t num_bad_epochs = 0;
  std::int64_t cooldown_counter = 0;
  std::vector<double> last_lr;  // one per parameter group

  std::string to_json() const;
  static ReduceLROnPlateauState from_json(const std::string& text);
};

class ReduceLROnPlateau {
 public:
  explicit ReduceLROnPlateau(Optimizer& optimizer, const ReduceLROnPlateauOptions& options = {});
  // One epoch with its validation metric (e.g. the loss).
  void step(double metric);
  const std::vector<double>& get_last_lr() const { return last_lr_; }
  std::int64_t last_epoch() const { return last_epoch_; }
  double best() const { return best_; }
  std::int64_t num_bad_epochs() const { return num_bad_epochs_; }

  ReduceLROnPlateauState state_dict() const {
    return {last_epoch_, best_, num_bad_epochs_, cooldown_counter_, last_lr_};
  }
  // Checked first (one lr per group, counters >= 0, best not NaN): a ValueError changes nothing.
  void load_state_dict(const ReduceLROnPlateauState& state);

 private:
  bool is_better(double a, double best) const;

  Optimizer& optimizer_;
  ReduceLROnPlateauOptions options_;
  std::vector<double> min_lrs_;
  double best_;
  std::int64_t num_bad_epochs_ = 0;
  std::int64_t cooldown_counter_ = 0;
  std::int64_t last_epoch_ = 0;
  std::vector<double> last_lr_;
};

}  // namespace ember::optim
