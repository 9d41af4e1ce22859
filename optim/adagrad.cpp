// optim::Adagrad: fused loops for dense gradients and for the rows of coalesced sparse ones.
#include "optim/adagrad.h"

#include "autograd/grad_mode.h"
#include "core/dispatch.h"
#include "core/kernels.h"

#include <cmath>

namespace ember::optim {

void AdagradOptions::visit(OptionsVisitor& v) {
  v.number("lr", lr_);
  v.number("lr_decay", lr_decay_);
  v.number("eps", eps_);
  v.number("weight_decay", weight_decay_);
  v.number("initial_accumulator_value", initial_accumulator_value_);
  v.flag("maximize", maximize_);
}

void AdagradParamState::visit(StateVisitor& v) {
  v.step(step);
  v.tensor("sum", sum);
}

Adagrad::Adagrad(std::vector<Tensor> params, const AdagradOptions& defaults)
    : Adagrad(std::vector<ParamGroup>{ParamGroup(std::move(params))}, defaults) {}

Adagrad::Adagrad(std::vector<ParamGroup> groups, const AdagradOptions& defaults) : Optimizer("Adagrad", defaults) {
  init(std::move(groups));
}

void Adagrad::validate_options(const OptimizerOptions& options, const std::string& where) const {
  const auto* o = dynamic_cast<const AdagradOptions*>(&options);
  EMBER_CHECK(o != nullptr, TypeError, "Adagrad: the options{} are not AdagradOptions", where);
  detail::check_option(o->lr() >= 0.0, "Adagrad", "learning rate", o->lr(), where, "lr >= 0");
  detail::check_option(o->lr_decay() >= 0.0, "Adagrad", "lr_decay value", o->lr_decay(), where, "lr_decay >= 0");
  detail::check_option(o->weight_decay() >= 0.0, "Adagrad", "weight_decay value", o->weight_decay(), where,
                       "weight_decay >= 0");
  detail::check_option(o->initial_accumulator_value() >= 0.0, "Adagrad", "initial_accumulator_value value",
                       o->initial_accumulator_value(), where, "initial_accumulator_value >= 0");
  detail::check_option(o->eps() >= 0.0, "Adagrad", "epsilon value", o->eps(), where, "eps >= 0");
}

std::unique_ptr<ParamState> Adagrad::make_state(const Tensor& /*param*/) const {
  return std::make_unique<AdagradParamState>();
}

// PyTorch creates Adagrad's state in the constructor: step 0, sum = initial_accumulator_value.
void Adagrad::on_group_added(std::size_t group) {
  const double initial = options_as<AdagradOptions>(group).initial_accumulator_value();
  for (std::size_t i = 0; i < param_groups()[group].params.size(); ++i)
    state_as<AdagradParamState>(group, i).sum = full_like(param_groups()[group].params[i], initial);
}

namespace {

struct AdagradStep {
  double clr, eps, weight_decay, sign;
};

// sum += g^2; p -= clr * g / (sqrt(sum) + eps), over n contiguous elements.
template <typename T>
void adagrad_dense(T* p, const T* grad, T* sum, std::int64_t n, const AdagradStep& s) {
  const T clr = T(s.clr), eps = T(s.eps), wd = T(s.weight_decay), sign = T(s.sign);
  for (std::int64_t i = 0; i < n; ++i) {
    T g = sign * grad[i];
    if (wd != T(0)) g += wd * p[i];
    sum[i] += g * g;
    p[i] -= clr * g / (std::sqrt(sum[i]) + eps);
  }
}

// The same on the rows of a coalesced sparse gradient; other rows are not touched.
template <typename T>
void adagrad_sparse(T* p, const SparseTensor& grad, T* sum, std::int64_t width, const AdagradStep& s) {
  const Tensor indices = kernels::contiguous(grad.indices), values = kernels::contiguous(grad.values);
  const std::int64_t* row = indices.data_ptr<std::int64_t>();
  const T* v = values.data_ptr<T>();
  const T clr = T(s.clr), eps = T(s.eps), sign = T(s.sign);
  for (std::int64_t k = 0; k < grad.nnz(); ++k) {
    T* pr = p + row[k] * width;
    T* sr = sum + row[k] * width;
    for (std::int64_t j = 0; j < width; ++j) {
      const T g = sign * v[k * width + j];
      sr[j] += g * g;
      pr[j] -= clr * (g / (std::sqrt(sr[j]) + eps));
    }
  }
}

}  // namespace

void Adagrad::step() {
  NoGradGuard no_grad;
  std::size_t index = 0;
  for (std::size_t g = 0; g < param_groups().size(); ++g) {
    const auto& o = options_as<AdagradOptions>(g);
    for (const Tensor& p : param_groups()[g].params) {
      if (p.has_sparse_grad()) {
        EMBER_CHECK(o.weight_decay() == 0.0, ValueError,
                    "Adagrad: weight_decay option is not compatible with sparse gradients (weight_decay={}, "
                    "parameter {}); expected weight_decay=0",
                    py_float(o.weight_decay()), index);
        detail::check_sparse_rows(p.sparse_grad(), "Adagrad", index);
      }
      ++index;
    }
  }
  for (std::size_t g = 0; g < param_groups().size(); ++g) {
    const auto& o = options_as<AdagradOptions>(g);
    const auto& params = param_groups()[g].params;
    for (std::size_t i = 0; i < params.size(); ++i) {
      const Tensor& p = params[i];
      const bool sparse = p.has_sparse_grad();
      if (!sparse && !p.grad().defined()) continue;
      auto& s = state_as<AdagradParamState>(g, i);
      if (!s.sum.defined()) s.sum = full_like(p, o.initial_accumulator_value());
      s.step += 1;
      const AdagradStep step{o.lr() / (1.0 + double(s.step - 1) * o.lr_decay()), o.eps(), o.weight_decay(),
                             o.maximize() ? -1.0 : 1.0};
      ember::detail::dispatch_floating(p.dtype(), "Adagrad", [&]<typename T>() {
        if (sparse) {
          const std::int64_t width = p.size(0) == 0 ? 0 : p.numel() / p.size(0);
          adagrad_sparse<T>(p.data_ptr<T>(), p.sparse_grad().coalesce(), s.sum.data_ptr<T>(), width, step);
        } else {
          adagrad_dense<T>(p.data_ptr<T>(), kernels::contiguous(p.grad()).data_ptr<T>(), s.sum.data_ptr<T>(),
                           p.numel(), step);
        }
      });
      p.bump_version();
    }
  }
}

}  // namespace ember::optim
