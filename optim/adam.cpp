// optim::Adam and optim::AdamW: one fused loop per parameter over contiguous memory.
#include "optim/adam.h"

#include "autograd/grad_mode.h"
#include "core/dispatch.h"
#include "core/kernels.h"
#include "core/parallel.h"

#include <cmath>

namespace ember::optim {

void AdamOptions::visit(OptionsVisitor& v) {
  v.number("lr", lr_);
  v.pair("betas", betas_);
  v.number("eps", eps_);
  v.number("weight_decay", weight_decay_);
  v.flag("amsgrad", amsgrad_);
  v.flag("maximize", maximize_);
}

void AdamWOptions::visit(OptionsVisitor& v) {
  v.number("lr", lr_);
  v.pair("betas", betas_);
  v.number("eps", eps_);
  v.number("weight_decay", weight_decay_);
  v.flag("amsgrad", amsgrad_);
  v.flag("maximize", maximize_);
}

void AdamParamState::visit(StateVisitor& v) {
  v.step(step);
  v.tensor("exp_avg", exp_avg);
  v.tensor("exp_avg_sq", exp_avg_sq);
  v.tensor("max_exp_avg_sq", max_exp_avg_sq);
}

namespace {

// PyTorch's checks for Adam and AdamW (and, with lr/eps strict, SparseAdam's).
template <typename Options>
void check_adam_options(const Options& o, const std::string& op, const std::string& where) {
  detail::check_option(o.lr() >= 0.0, op, "learning rate", o.lr(), where, "lr >= 0");
  detail::check_option(o.eps() >= 0.0, op, "epsilon value", o.eps(), where, "eps >= 0");
  detail::check_option(o.betas().first >= 0.0 && o.betas().first < 1.0, op, "beta parameter at index 0",
                       o.betas().first, where, "0 <= beta < 1");
  detail::check_option(o.betas().second >= 0.0 && o.betas().second < 1.0, op, "beta parameter at index 1",
                       o.betas().second, where, "0 <= beta < 1");
  detail::check_option(o.weight_decay() >= 0.0, op, "weight_decay value", o.weight_decay(), where,
                       "weight_decay >= 0");
}

template <typename Options>
Adam::Hyper hyper_of(const Options& o, bool decoupled) {
  return {o.lr(), o.betas().first, o.betas().second, o.eps(), o.weight_decay(), o.amsgrad(), o.maximize(), decoupled};
}

// One Adam step on n contiguous elements; `step` is the already incremented count t. The options
// that change the loop are template flags, so each variant is a branch-free loop the compiler
// vectorizes (with AVX2 where the CPU has it: target_clones picks the build at load time).
template <typename T, bool kDecoupled, bool kCoupled, bool kAmsgrad>
[[gnu::target_clones("avx2", "default")]] void adam_loop(T* __restrict p, const T* __restrict g, T* __restrict m,
                                                          T* __restrict v, T* __restrict vmax, std::int64_t n,
                                                          std::int64_t step, const Adam::Hyper& h) {
  const T b1 = T(h.beta1), b2 = T(h.beta2), eps = T(h.eps), wd = T(h.weight_decay);
  const T one_minus_b1 = T(1.0 - h.beta1), one_minus_b2 = T(1.0 - h.beta2);
  const T sign = h.maximize ? T(-1) : T(1);
  const double bias_correction1 = 1.0 - std::pow(h.beta1, double(step));
  const double bias_correction2 = 1.0 - std::pow(h.beta2, double(step));
  const T step_size = T(h.lr / bias_correction1);
  const T bias_correction2_sqrt = T(std::sqrt(bias_correction2));
  const T decay = T(1.0 - h.lr * h.weight_decay);  // decoupled (AdamW)
  for (std::int64_t i = 0; i < n; ++i) {
    if constexpr (kDecoupled) p[i] *= decay;
    T grad = sign * g[i];
    if constexpr (kCoupled) grad += wd * p[i];
    const T m_i = m[i] * b1 + one_minus_b1 * grad;
    const T v_i = v[i] * b2 + one_minus_b2 * grad * grad;
    m[i] = m_i;
    v[i] = v_i;
    T second = v_i;
    if constexpr (kAmsgrad) second = vmax[i] = std::max(vmax[i], v_i);
    const T denom = std::sqrt(second) / bias_correction2_sqrt + eps;
    p[i] -= step_size * m_i / denom;
  }
}

// Below this many elements per thread, waking the pool costs more than the update.
constexpr std::int64_t kElementsPerChunk = 16384;

template <typename T>
void adam_update(T* p, const T* g, T* m, T* v, T* vmax, std::int64_t n, std::int64_t step, const Adam::Hyper& h) {
  const bool decoupled = h.decoupled_weight_decay, coupled = !decoupled && T(h.weight_decay) != T(0);
  // Elements are independent: blocks of them run on the pool's threads, with the same result
  // for any thread count.
  const auto run = [&]<bool kDecoupled, bool kCoupled>() {
    parallel_for(0, n, kElementsPerChunk, [&](std::int64_t lo, std::int64_t hi) {
      if (vmax != nullptr)
        adam_loop<T, kDecoupled, kCoupled, true>(p + lo, g + lo, m + lo, v + lo, vmax + lo, hi - lo, step, h);
      else
        adam_loop<T, kDecoupled, kCoupled, false>(p + lo, g + lo, m + lo, v + lo, nullptr, hi - lo, step, h);
    });
  };
  if (decoupled) run.template operator()<true, false>();
  else if (coupled) run.template operator()<false, true>();
  else run.template operator()<false, false>();
}

}  // namespace

Adam::Adam(std::vector<Tensor> params, const AdamOptions& defaults)
    : Adam(std::vector<ParamGroup>{ParamGroup(std::move(params))}, defaults) {}

Adam::Adam(std::vector<ParamGroup> groups, const AdamOptions& defaults) : Optimizer("Adam", defaults) {
  init(std::move(groups));
}

Adam::Hyper Adam::hyper(std::size_t group) const { return hyper_of(options_as<AdamOptions>(group), false); }

void Adam::validate_options(const OptimizerOptions& options, const std::string& where) const {
  const auto* o = dynamic_cast<const AdamOptions*>(&options);
  EMBER_CHECK(o != nullptr, TypeError, "Adam: the options{} are not AdamOptions", where);
  check_adam_options(*o, "Adam", where);
}

std::unique_ptr<ParamState> Adam::make_state(const Tensor& /*param*/) const {
  return std::make_unique<AdamParamState>();
}

void Adam::step() {
  NoGradGuard no_grad;
  std::size_t index = 0;
  for (const auto& group : param_groups()) {
    for (const Tensor& p : group.params) {
      EMBER_CHECK(!p.has_sparse_grad(), TypeError,
                  "{0}: {0} does not support sparse gradients, please consider SparseAdam instead (parameter {1} "
                  "has a row-sparse gradient; expected a dense one)",
                  name(), index);
      ++index;
    }
  }
  for (std::size_t g = 0; g < param_groups().size(); ++g) {
    const Hyper h = hyper(g);
    const auto& params = param_groups()[g].params;
    for (std::size_t i = 0; i < params.size(); ++i) {
      const Tensor& p = params[i];
      const Tensor grad = p.grad();
      if (!grad.defined()) continue;
      auto& s = state_as<AdamParamState>(g, i);
      if (!s.exp_avg.defined()) s.exp_avg = zeros_like(p);
      if (!s.exp_avg_sq.defined()) s.exp_avg_sq = zeros_like(p);
      if (h.amsgrad && !s.max_exp_avg_sq.defined()) s.max_exp_avg_sq = zeros_like(p);
      s.step += 1;
      const Tensor g_contiguous = kernels::contiguous(grad);
      ember::detail::dispatch_floating(p.dtype(), "Adam", [&]<typename T>() {
        adam_update<T>(p.data_ptr<T>(), g_contiguous.data_ptr<T>(), s.exp_avg.data_ptr<T>(),
                       s.exp_avg_sq.data_ptr<T>(), h.amsgrad ? s.max_exp_avg_sq.data_ptr<T>() : nullptr, p.numel(),
                       s.step, h);
      });
      p.bump_version();
    }
  }
}

AdamW::AdamW(std::vector<Tensor> params, const AdamWOptions& defaults)
    : AdamW(std::vector<ParamGroup>{ParamGroup(std::move(params))}, defaults) {}

AdamW::AdamW(std::vector<ParamGroup> groups, const AdamWOptions& defaults) : Adam("AdamW", defaults) {
  init(std::move(groups));
}

Adam::Hyper AdamW::hyper(std::size_t group) const { return hyper_of(options_as<AdamWOptions>(group), true); }

void AdamW::validate_options(const OptimizerOptions& options, const std::string& where) const {
  const auto* o = dynamic_cast<const AdamWOptions*>(&options);
  EMBER_CHECK(o != nullptr, TypeError, "AdamW: the options{} are not AdamWOptions", where);
  check_adam_options(*o, "AdamW", where);
}

}  // namespace ember::optim
