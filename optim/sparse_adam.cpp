// optim::SparseAdam: one fused loop over the rows of the coalesced gradient.
#include "optim/sparse_adam.h"

#include "autograd/grad_mode.h"
#include "core/dispatch.h"
#include "core/kernels.h"

#include <cmath>

namespace ember::optim {

void SparseAdamOptions::visit(OptionsVisitor& v) {
  v.number("lr", lr_);
  v.pair("betas", betas_);
  v.number("eps", eps_);
  v.flag("maximize", maximize_);
}

void SparseAdamParamState::visit(StateVisitor& v) {
  v.step(step);
  v.tensor("exp_avg", exp_avg);
  v.tensor("exp_avg_sq", exp_avg_sq);
}

SparseAdam::SparseAdam(std::vector<Tensor> params, const SparseAdamOptions& defaults)
    : SparseAdam(std::vector<ParamGroup>{ParamGroup(std::move(params))}, defaults) {}

SparseAdam::SparseAdam(std::vector<ParamGroup> groups, const SparseAdamOptions& defaults)
    : Optimizer("SparseAdam", defaults) {
  init(std::move(groups));
}

void SparseAdam::validate_options(const OptimizerOptions& options, const std::string& where) const {
  const auto* o = dynamic_cast<const SparseAdamOptions*>(&options);
  EMBER_CHECK(o != nullptr, TypeError, "SparseAdam: the options{} are not SparseAdamOptions", where);
  detail::check_option(o->lr() > 0.0, "SparseAdam", "learning rate", o->lr(), where, "lr > 0");
  detail::check_option(o->eps() > 0.0, "SparseAdam", "epsilon value", o->eps(), where, "eps > 0");
  detail::check_option(o->betas().first >= 0.0 && o->betas().first < 1.0, "SparseAdam", "beta parameter at index 0",
                       o->betas().first, where, "0 <= beta < 1");
  detail::check_option(o->betas().second >= 0.0 && o->betas().second < 1.0, "SparseAdam",
                       "beta parameter at index 1", o->betas().second, where, "0 <= beta < 1");
}

std::unique_ptr<ParamState> SparseAdam::make_state(const Tensor& /*param*/) const {
  return std::make_unique<SparseAdamParamState>();
}

namespace {

// One row: p, m and v of a parameter row and g, its (coalesced) gradient row, `width` long.
// A separate function so that the compiler sees unaliased rows and vectorizes the loop (with AVX2
// where the CPU has it: target_clones picks the build at load time).
template <typename T>
[[gnu::target_clones("avx2", "default")]] void sparse_adam_row(T* __restrict p, T* __restrict m, T* __restrict v,
                                                                const T* __restrict g, std::int64_t width, T sign,
                                                                T one_minus_b1, T one_minus_b2, T eps, T step_size) {
  for (std::int64_t j = 0; j < width; ++j) {
    const T grad = sign * g[j];
    const T m_new = m[j] + (grad - m[j]) * one_minus_b1;
    const T v_new = v[j] + (grad * grad - v[j]) * one_minus_b2;
    m[j] = m_new;
    v[j] = v_new;
    p[j] -= step_size * (m_new / (std::sqrt(v_new) + eps));
  }
}

constexpr std::int64_t kPrefetchRows = 4;

// Rows of the coalesced gradient only: row[k] of p, m and v is read and written, nothing else.
template <typename T>
void sparse_adam_update(T* p, T* m, T* v, const SparseTensor& grad, std::int64_t width, std::int64_t step,
                        const SparseAdamOptions& o) {
  const Tensor indices = kernels::contiguous(grad.indices), values = kernels::contiguous(grad.values);
  const std::int64_t* row = indices.data_ptr<std::int64_t>();
  const T* gv = values.data_ptr<T>();
  const double b1 = o.betas().first, b2 = o.betas().second;
  const T one_minus_b1 = T(1.0 - b1), one_minus_b2 = T(1.0 - b2), eps = T(o.eps());
  const T sign = o.maximize() ? T(-1) : T(1);
  // eps sits outside the bias correction: step_size carries sqrt(1 - b2^t) instead.
  const T step_size = T(o.lr() * std::sqrt(1.0 - std::pow(b2, double(step))) / (1.0 - std::pow(b1, double(step))));
  const std::int64_t nnz = grad.nnz();
  for (std::int64_t k = 0; k < nnz; ++k) {
    // The rows are scattered over the table: ask for a later row's p, m and v now, so the memory
    // latency of one row overlaps the arithmetic of the rows before it.
    if (k + kPrefetchRows < nnz) {
      const std::int64_t ahead = row[k + kPrefetchRows] * width;
      for (std::int64_t j = 0; j < width; j += 64 / static_cast<std::int64_t>(sizeof(T))) {
        __builtin_prefetch(p + ahead + j, 1);
        __builtin_prefetch(m + ahead + j, 1);
        __builtin_prefetch(v + ahead + j, 1);
      }
    }
    const std::int64_t offset = row[k] * width;
    sparse_adam_row<T>(p + offset, m + offset, v + offset, gv + k * width, width, sign, one_minus_b1, one_minus_b2,
                       eps, step_size);
  }
}

}  // namespace

void SparseAdam::step() {
  NoGradGuard no_grad;
  std::size_t index = 0;
  for (const auto& group : param_groups()) {
    for (const Tensor& p : group.params) {
      EMBER_CHECK(p.has_sparse_grad() || !p.grad().defined(), TypeError,
                  "SparseAdam: SparseAdam does not support dense gradients, please consider Adam instead "
                  "(parameter {} has a dense gradient; expected a row-sparse one, e.g. from "
                  "Embedding(EmbeddingOptions(V, D).sparse(true)))",
                  index);
      if (p.has_sparse_grad()) detail::check_sparse_rows(p.sparse_grad(), "SparseAdam", index);
      ++index;
    }
  }
  for (std::size_t g = 0; g < param_groups().size(); ++g) {
    const auto& o = options_as<SparseAdamOptions>(g);
    const auto& params = param_groups()[g].params;
    for (std::size_t i = 0; i < params.size(); ++i) {
      const Tensor& p = params[i];
      if (!p.has_sparse_grad()) continue;
      auto& s = state_as<SparseAdamParamState>(g, i);
      if (!s.exp_avg.defined()) s.exp_avg = zeros_like(p);
      if (!s.exp_avg_sq.defined()) s.exp_avg_sq = zeros_like(p);
      s.step += 1;
      const SparseTensor grad = p.sparse_grad();
      if (grad.nnz() == 0) continue;  // an all-padding batch: the step counts, nothing moves
      const std::int64_t width = p.numel() / p.size(0);
      ember::detail::dispatch_floating(p.dtype(), "SparseAdam", [&]<typename T>() {
        sparse_adam_update<T>(p.data_ptr<T>(), s.exp_avg.data_ptr<T>(), s.exp_avg_sq.data_ptr<T>(),
                              grad.coalesce(), width, s.step, o);
      });
      p.bump_version();
    }
  }
}

}  // namespace ember::optim
