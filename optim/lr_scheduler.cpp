// Learning-rate schedulers, in PyTorch's recursive ("chainable") forms.
#include "optim/lr_scheduler.h"

#include "core/json_limits.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>

namespace ember::optim {
namespace {

void check_group_values(const std::vector<double>& values, std::size_t groups, const char* who, const char* what) {
  EMBER_CHECK(values.size() == groups, ValueError, "{}: load_state_dict: {} has {} values; expected {} (one per "
              "parameter group)", who, what, values.size(), groups);
  for (std::size_t g = 0; g < values.size(); ++g)
    EMBER_CHECK(std::isfinite(values[g]) && values[g] >= 0.0, ValueError,
                "{}: load_state_dict: {}[{}] = {}; expected a finite value >= 0", who, what, g, py_float(values[g]));
}

// Reads a JSON object written by to_json(); any missing key or wrong type is an IoError naming it.
template <typename Fill>
void parse_state(const std::string& text, const char* what, Fill&& fill) {
  try {
    fill(parse_json(text, fmt::format("{}::from_json: malformed state", what)));
  } catch (const nlohmann::json::exception& e) {
    throw IoError(fmt::format("{}::from_json: malformed state: {}", what, e.what()));
  }
}

// A JSON integer as int64 (a float such as 1e30 would convert with undefined behaviour).
std::int64_t json_integer(const nlohmann::json& j, const char* key, const char* what) {
  const nlohmann::json& value = j.at(key);
  EMBER_CHECK(value.is_number_integer() && !(value.is_number_unsigned() &&
                                             value.get<std::uint64_t>() > std::uint64_t(INT64_MAX)),
              IoError, "{}::from_json: \"{}\" is {}; expected an integer", what, key, excerpt(value.dump()));
  return value.get<std::int64_t>();
}

}  // namespace

std::string LRSchedulerState::to_json() const {
  return nlohmann::json{{"last_epoch", last_epoch}, {"base_lrs", base_lrs}, {"last_lr", last_lr}}.dump();
}

LRSchedulerState LRSchedulerState::from_json(const std::string& text) {
  LRSchedulerState state;
  parse_state(text, "LRSchedulerState", [&](const nlohmann::json& j) {
    state.last_epoch = json_integer(j, "last_epoch", "LRSchedulerState");
    state.base_lrs = j.at("base_lrs").get<std::vector<double>>();
    state.last_lr = j.at("last_lr").get<std::vector<double>>();
  });
  return state;
}

std::string ReduceLROnPlateauState::to_json() const {
  // best starts at +-inf, which JSON cannot hold: written as a string then.
  const nlohmann::json best_value = std::isinf(best) ? nlohmann::json(best > 0 ? "inf" : "-inf") : nlohmann::json(best);
  return nlohmann::json{{"last_epoch", last_epoch},
                        {"best", best_value},
                        {"num_bad_epochs", num_bad_epochs},
                        {"cooldown_counter", cooldown_counter},
                        {"last_lr", last_lr}}
      .dump();
}

ReduceLROnPlateauState ReduceLROnPlateauState::from_json(const std::string& text) {
  ReduceLROnPlateauState state;
  parse_state(text, "ReduceLROnPlateauState", [&](const nlohmann::json& j) {
    const char* what = "ReduceLROnPlateauState";
    state.last_epoch = json_integer(j, "last_epoch", what);
    const nlohmann::json& best = j.at("best");
    if (best.is_string()) {
      const std::string b = best.get<std::string>();
      EMBER_CHECK(b == "inf" || b == "-inf", IoError, "{}::from_json: \"best\" is {}; expected a number, \"inf\" or "
                  "\"-inf\"", what, excerpt(best.dump()));
      state.best = b == "inf" ? std::numeric_limits<double>::infinity() : -std::numeric_limits<double>::infinity();
    } else {
      state.best = best.get<double>();
    }
    state.num_bad_epochs = json_integer(j, "num_bad_epochs", what);
    state.cooldown_counter = json_integer(j, "cooldown_counter", what);
    state.last_lr = j.at("last_lr").get<std::vector<double>>();
  });
  return state;
}

LRScheduler::LRScheduler(Optimizer& optimizer, std::string name) : optimizer_(optimizer), name_(std::move(name)) {
  base_lrs_ = current_lrs();
}

std::vector<double> LRScheduler::current_lrs() const {
  std::vector<double> lrs;
  for (std::size_t g = 0; g < optimizer_.param_groups().size(); ++g) lrs.push_back(optimizer_.lr(g));
  return lrs;
}

void LRScheduler::step() {
  last_epoch_ += 1;
  const std::vector<double> lrs = get_lr();
  for (std::size_t g = 0; g < lrs.size(); ++g) {
    if (!(lrs[g] >= 0.0)) {
      last_epoch_ -= 1;  // nothing was written: leave the scheduler as it was
      throw ValueError(fmt::format("{}: computed learning rate {} for parameter group {} at epoch {}; expected lr >= 0",
                                   name_, py_float(lrs[g]), g, last_epoch_ + 1));
    }
  }
  for (std::size_t g = 0; g < lrs.size(); ++g) optimizer_.set_lr(g, lrs[g]);
  last_lr_ = current_lrs();
}

void LRScheduler::load_state_dict(const LRSchedulerState& state) {
  const std::size_t groups = optimizer_.param_groups().size();
  check_group_values(state.base_lrs, groups, name_.c_str(), "base_lrs");
  check_group_values(state.last_lr, groups, name_.c_str(), "last_lr");
  EMBER_CHECK(state.last_epoch >= 0, ValueError, "{}: load_state_dict: last_epoch = {}; expected >= 0 (a scheduler "
              "has taken its first step when it is built)", name_, state.last_epoch);
  last_epoch_ = state.last_epoch;
  base_lrs_ = state.base_lrs;
  last_lr_ = state.last_lr;
}

// ---- StepLR -----------------------------------------------------------------------------------

StepLR::StepLR(Optimizer& optimizer, const StepLROptions& options)
    : LRScheduler(optimizer, "StepLR"), options_(options) {
  EMBER_CHECK(options.step_size() >= 1, ValueError, "StepLR: step_size {} is invalid; expected step_size >= 1",
              options.step_size());
  EMBER_CHECK(options.gamma() >= 0.0, ValueError, "StepLR: gamma {} is invalid; expected gamma >= 0",
              py_float(options.gamma()));
  initial_step();
}

// Multiply by gamma every step_size epochs.
std::vector<double> StepLR::get_lr() {
  std::vector<double> lrs = current_lrs();
  if (last_epoch_ == 0 || last_epoch_ % options_.step_size() != 0) return lrs;
  for (double& lr : lrs) lr *= options_.gamma();
  return lrs;
}

// ---- MultiStepLR ------------------------------------------------------------------------------

MultiStepLR::MultiStepLR(Optimizer& optimizer, const MultiStepLROptions& options)
    : LRScheduler(optimizer, "MultiStepLR"), options_(options) {
  EMBER_CHECK(options.gamma() >= 0.0, ValueError, "MultiStepLR: gamma {} is invalid; expected gamma >= 0",
              py_float(options.gamma()));
  initial_step();
}

// At a milestone listed k times, multiply by gamma^k (PyTorch counts milestones with a Counter).
std::vector<double> MultiStepLR::get_lr() {
  std::vector<double> lrs = current_lrs();
  const auto count = std::count(options_.milestones().begin(), options_.milestones().end(), last_epoch_);
  if (count == 0) return lrs;
  for (double& lr : lrs) lr *= std::pow(options_.gamma(), double(count));
  return lrs;
}

// ---- ExponentialLR ----------------------------------------------------------------------------

ExponentialLR::ExponentialLR(Optimizer& optimizer, const ExponentialLROptions& options)
    : LRScheduler(optimizer, "ExponentialLR"), options_(options) {
  EMBER_CHECK(options.gamma() >= 0.0, ValueError, "ExponentialLR: gamma {} is invalid; expected gamma >= 0",
              py_float(options.gamma()));
  initial_step();
}

std::vector<double> ExponentialLR::get_lr() {
  std::vector<double> lrs = current_lrs();
  if (last_epoch_ == 0) return lrs;
  for (double& lr : lrs) lr *= options_.gamma();
  return lrs;
}

// ---- CosineAnnealingLR ------------------------------------------------------------------------

CosineAnnealingLR::CosineAnnealingLR(Optimizer& optimizer, const CosineAnnealingLROptions& options)
    : LRScheduler(optimizer, "CosineAnnealingLR"), options_(options) {
  EMBER_CHECK(options.T_max() >= 1, ValueError, "CosineAnnealingLR: T_max {} is invalid; expected T_max >= 1",
              options.T_max());
  EMBER_CHECK(options.eta_min() >= 0.0, ValueError, "CosineAnnealingLR: eta_min {} is invalid; expected eta_min >= 0",
              py_float(options.eta_min()));
  initial_step();
}

// The recursive form: each epoch rescales the distance to eta_min by the ratio of consecutive
// (1 + cos) terms. Where that ratio is 0/0 (the epoch after each minimum), PyTorch adds the
// first step of the rising half instead.
std::vector<double> CosineAnnealingLR::get_lr() {
  std::vector<double> lrs = current_lrs();
  if (last_epoch_ == 0) return lrs;
  const double pi = std::numbers::pi, t_max = double(options_.T_max()), eta_min = options_.eta_min();
  const double epoch = double(last_epoch_);
  if ((last_epoch_ - 1 - options_.T_max()) % (2 * options_.T_max()) == 0) {
    for (std::size_t g = 0; g < lrs.size(); ++g)
      lrs[g] += (base_lrs_[g] - eta_min) * (1 - std::cos(pi / t_max)) / 2;
    return lrs;
  }
  const double ratio = (1 + std::cos(pi * epoch / t_max)) / (1 + std::cos(pi * (epoch - 1) / t_max));
  for (double& lr : lrs) lr = ratio * (lr - eta_min) + eta_min;
  return lrs;
}

// ---- LambdaLR ---------------------------------------------------------------------------------

LambdaLR::LambdaLR(Optimizer& optimizer, Lambda lr_lambda)
    : LambdaLR(optimizer, std::vector<Lambda>(optimizer.param_groups().size(), lr_lambda)) {}

LambdaLR::LambdaLR(Optimizer& optimizer, std::vector<Lambda> lr_lambdas)
    : LRScheduler(optimizer, "LambdaLR"), lr_lambdas_(std::move(lr_lambdas)) {
  EMBER_CHECK(lr_lambdas_.size() == optimizer.param_groups().size(), ValueError,
              "LambdaLR: Expected {} lr_lambdas, but got {}", optimizer.param_groups().size(), lr_lambdas_.size());
  for (std::size_t g = 0; g < lr_lambdas_.size(); ++g)
    EMBER_CHECK(static_cast<bool>(lr_lambdas_[g]), ValueError, "LambdaLR: lr_lambda {} is empty; expected a function",
                g);
  initial_step();
}

std::vector<double> LambdaLR::get_lr() {
  std::vector<double> lrs(base_lrs_.size());
  for (std::size_t g = 0; g < lrs.size(); ++g) lrs[g] = base_lrs_[g] * lr_lambdas_[g](last_epoch_);
  return lrs;
}

// ---- ReduceLROnPlateau ------------------------------------------------------------------------

ReduceLROnPlateau::ReduceLROnPlateau(Optimizer& optimizer, const ReduceLROnPlateauOptions& options)
    : optimizer_(optimizer), options_(options) {
  const auto& o = options_;
  EMBER_CHECK(o.factor() < 1.0 && o.factor() >= 0.0, ValueError,
              "ReduceLROnPlateau: Factor should be < 1.0. (got factor={}); expected 0 <= factor < 1",
              py_float(o.factor()));
  EMBER_CHECK(o.mode() == "min" || o.mode() == "max", ValueError,
              "ReduceLROnPlateau: mode {} is unknown!; expected 'min' or 'max'", o.mode());
  EMBER_CHECK(o.threshold_mode() == "rel" || o.threshold_mode() == "abs", ValueError,
              "ReduceLROnPlateau: threshold mode {} is unknown!; expected 'rel' or 'abs'", o.threshold_mode());
  EMBER_CHECK(o.patience() >= 0 && o.cooldown() >= 0, ValueError,
              "ReduceLROnPlateau: patience {} and cooldown {} must not be negative; expected values >= 0",
              o.patience(), o.cooldown());
  EMBER_CHECK(o.threshold() >= 0.0 && o.eps() >= 0.0, ValueError,
              "ReduceLROnPlateau: threshold {} and eps {} must not be negative; expected values >= 0",
              py_float(o.threshold()), py_float(o.eps()));
  const std::size_t groups = optimizer.param_groups().size();
  EMBER_CHECK(o.min_lr().size() == 1 || o.min_lr().size() == groups, ValueError,
              "ReduceLROnPlateau: expected {} min_lrs, got {}", groups, o.min_lr().size());
  min_lrs_ = o.min_lr().size() == 1 ? std::vector<double>(groups, o.min_lr()[0]) : o.min_lr();
  for (double m : min_lrs_)
    EMBER_CHECK(m >= 0.0, ValueError, "ReduceLROnPlateau: min_lr {} is negative; expected min_lr >= 0", py_float(m));
  best_ = o.mode() == "min" ? std::numeric_limits<double>::infinity() : -std::numeric_limits<double>::infinity();
  for (std::size_t g = 0; g < groups; ++g) last_lr_.push_back(optimizer.lr(g));
}

bool ReduceLROnPlateau::is_better(double a, double best) const {
  const bool rel = options_.threshold_mode() == "rel";
  const double t = options_.threshold();
  if (options_.mode() == "min") return rel ? a < best * (1.0 - t) : a < best - t;
  return rel ? a > best * (t + 1.0) : a > best + t;
}

void ReduceLROnPlateau::load_state_dict(const ReduceLROnPlateauState& state) {
  check_group_values(state.last_lr, min_lrs_.size(), "ReduceLROnPlateau", "last_lr");
  EMBER_CHECK(state.last_epoch >= 0 && state.num_bad_epochs >= 0 && state.cooldown_counter >= 0, ValueError,
              "ReduceLROnPlateau: load_state_dict: last_epoch {}, num_bad_epochs {}, cooldown_counter {}; expected "
              "values >= 0", state.last_epoch, state.num_bad_epochs, state.cooldown_counter);
  EMBER_CHECK(!std::isnan(state.best), ValueError, "ReduceLROnPlateau: load_state_dict: best is nan; expected a "
              "number (or +-inf before the first step)");
  last_epoch_ = state.last_epoch;
  best_ = state.best;
  num_bad_epochs_ = state.num_bad_epochs;
  cooldown_counter_ = state.cooldown_counter;
  last_lr_ = state.last_lr;
}

void ReduceLROnPlateau::step(double metric) {
  last_epoch_ += 1;
  if (is_better(metric, best_)) {
    best_ = metric;
    num_bad_epochs_ = 0;
  } else {
    num_bad_epochs_ += 1;
  }
  if (cooldown_counter_ > 0) {
    cooldown_counter_ -= 1;
    num_bad_epochs_ = 0;  // bad epochs in cooldown are ignored
  }
  if (num_bad_epochs_ > options_.patience()) {
    for (std::size_t g = 0; g < min_lrs_.size(); ++g) {
      const double old_lr = optimizer_.lr(g);
      const double new_lr = std::max(old_lr * options_.factor(), min_lrs_[g]);
      if (old_lr - new_lr > options_.eps()) optimizer_.set_lr(g, new_lr);
    }
    cooldown_counter_ = options_.cooldown();
    num_bad_epochs_ = 0;
  }
  last_lr_.clear();
  for (std::size_t g = 0; g < min_lrs_.size(); ++g) last_lr_.push_back(optimizer_.lr(g));
}

}  // namespace ember::optim
