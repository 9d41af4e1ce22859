// gradcheck: the analytic Jacobian (one backward per output element) against central finite
// differences (two calls of f per input element). See autograd/gradcheck.h.
#include "autograd/gradcheck.h"

#include "autograd/grad_mode.h"
#include "core/error.h"
#include "core/kernels.h"

#include <fmt/format.h>

#include <cmath>
#include <limits>

namespace ember::autograd {
namespace {

// Storage offset (in elements) of flat row-major element k of a possibly strided tensor.
std::int64_t storage_offset_of(const Tensor& x, std::int64_t k) {
  std::int64_t offset = x.offset();
  for (std::int64_t d = x.dim() - 1; d >= 0; --d) {
    offset += (k % x.size(d)) * x.stride(d);
    k /= x.size(d);
  }
  return offset;
}

// Flat row-major index k as a multi-index of `shape`.
Shape multi_index(const Shape& shape, std::int64_t k) {
  Shape index(shape.size());
  for (std::size_t d = shape.size(); d-- > 0;) {
    index[d] = k % shape[d];
    k /= shape[d];
  }
  return index;
}

// Writes `original` back into the element when it goes out of scope, also when f throws.
struct RestoreElement {
  double& element;
  double original;
  ~RestoreElement() { element = original; }
};

// The gradients the checked inputs held before the call, put back when it returns or throws.
struct RestoreGrads {
  std::vector<Tensor>& inputs;
  const std::vector<std::size_t>& checked;
  std::vector<Tensor> saved;
  ~RestoreGrads() {
    for (std::size_t c = 0; c < checked.size(); ++c) inputs[checked[c]].set_grad(saved[c]);
  }
};

// How far an entry is outside its tolerance: > 1 fails. NaN in either value is infinitely far.
double excess(double analytic, double numeric, const GradcheckOptions& o) {
  const double diff = std::abs(analytic - numeric);
  if (std::isnan(diff)) return std::numeric_limits<double>::infinity();
  return diff / (o.atol + o.rtol * std::abs(numeric));
}

double relative(double abs_error, double numeric) {
  if (abs_error == 0.0) return 0.0;
  return abs_error / std::abs(numeric);  // inf when numeric is 0
}

}  // namespace

std::ostream& operator<<(std::ostream& os, const GradcheckResult& result) { return os << result.message; }

GradcheckResult gradcheck(const std::function<Tensor(const std::vector<Tensor>&)>& f, std::vector<Tensor> inputs,
                          const GradcheckOptions& options) {
  std::vector<std::size_t> checked;  // inputs that require grad
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const Tensor& x = inputs[i];
    if (!x.defined() || !x.requires_grad()) continue;
    EMBER_CHECK(x.dtype() == kFloat64, TypeError,
                "gradcheck: input {} requires grad and has dtype {}; expected float64 (finite differences in "
                "{} are too coarse to check a gradient)",
                i, dtype_name(x.dtype()), dtype_name(x.dtype()));
    EMBER_CHECK(x.is_leaf(), ValueError,
                "gradcheck: input {} is not a leaf (made by {}); expected leaves: compute inside f, or pass "
                "x.detach().requires_grad_()",
                i, x.grad_fn_name());
    EMBER_CHECK(!kernels::has_internal_overlap(x), ValueError,
                "gradcheck: input {} is expanded (a stride of 0, or elements that share memory: shape {}); "
                "expected a tensor whose elements are distinct, e.g. contiguous(x)",
                i, shape_str(x.shape()));
    EMBER_CHECK(!x.has_sparse_grad(), ValueError,
                "gradcheck: input {} holds a row-sparse gradient; clear it first (set_grad(Tensor()))", i);
    checked.push_back(i);
  }
  EMBER_CHECK(!checked.empty(), ValueError, "gradcheck: no input requires grad; expected at least one");

  RestoreGrads restore_grads{inputs, checked, {}};
  for (std::size_t i : checked) restore_grads.saved.push_back(inputs[i].grad());

  const Tensor out = f(inputs);
  EMBER_CHECK(out.defined() && out.dtype() == kFloat64, TypeError, "gradcheck: f returned {}; expected a float64 tensor",
              out.defined() ? dtype_name(out.dtype()) : "an undefined tensor");
  EMBER_CHECK(out.requires_grad(), ValueError,
              "gradcheck: f's output does not require grad: nothing was recorded (is grad mode off?)");
  const std::string op = out.grad_fn_name().empty() ? "f" : out.grad_fn_name();
  const std::int64_t n_out = out.numel();

  GradcheckResult result;
  // analytic[c][k * n_out + j] = d out[j] / d inputs[checked[c]][k], one backward per output element.
  std::vector<std::vector<double>> analytic(checked.size());
  for (std::size_t c = 0; c < checked.size(); ++c)
    analytic[c].assign(static_cast<std::size_t>(inputs[checked[c]].numel() * n_out), 0.0);
  for (std::int64_t j = 0; j < n_out; ++j) {
    for (std::size_t i : checked) inputs[i].set_grad(Tensor());
    Tensor onehot = zeros(out.shape(), kFloat64);
    onehot.data_ptr<double>()[j] = 1.0;
    out.backward(onehot, /*retain_graph=*/true);
    for (std::size_t c = 0; c < checked.size(); ++c) {
      const Tensor& x = inputs[checked[c]];
      if (x.has_sparse_grad()) {
        result.ok = false;
        result.message = fmt::format("gradcheck: {}: gradient of input {} is row-sparse; gradcheck reads dense "
                                     "gradients (check the op with a dense gradient)",
                                     op, checked[c]);
        return result;
      }
      const Tensor g = x.grad();
      if (!g.defined()) continue;  // no path from this input to out[j]: a zero column
      if (g.shape() != x.shape()) {
        result.ok = false;
        result.message = fmt::format("gradcheck: {}: gradient of input {} has shape {}; expected {}", op, checked[c],
                                     shape_str(g.shape()), shape_str(x.shape()));
        return result;
      }
      const std::vector<double> values = g.to_vector<double>();
      for (std::size_t k = 0; k < values.size(); ++k) analytic[c][k * n_out + j] = values[k];
    }
  }

  // Numeric Jacobian, compared entry by entry as it is built. Writing into the storage directly
  // bumps no version, so what f's tape saved stays valid; every element gets its bits back.
  NoGradGuard no_grad;
  double worst = -1.0;
  for (std::size_t c = 0; c < checked.size(); ++c) {
    const Tensor& x = inputs[checked[c]];
    double* base = static_cast<double*>(x.impl()->storage->data);
    for (std::int64_t k = 0; k < x.numel(); ++k) {
      double& element = base[storage_offset_of(x, k)];
      std::vector<double> plus, minus;
      {
        RestoreElement restore{element, element};
        element = restore.original + options.eps;
        plus = f(inputs).to_vector<double>();
        element = restore.original - options.eps;
        minus = f(inputs).to_vector<double>();
      }
      for (std::int64_t j = 0; j < n_out; ++j, ++result.entries) {
        const double numeric = (plus[j] - minus[j]) / (2.0 * options.eps);
        const double a = analytic[c][k * n_out + j];
        const double abs_error = std::abs(a - numeric), rel_error = relative(abs_error, numeric);
        const double e = excess(a, numeric, options);
        if (e > 1.0) ++result.mismatches;
        if (!(abs_error <= result.max_abs_error)) result.max_abs_error = abs_error;  // NaN sticks
        if (!(rel_error <= result.max_rel_error)) result.max_rel_error = rel_error;
        if (e > worst) {
          worst = e;
          result.input = checked[c];
          result.element = k;
          result.output = j;
          result.analytic = a;
          result.numeric = numeric;
          result.abs_error = abs_error;
          result.rel_error = rel_error;
        }
      }
    }
  }
  if (result.entries > 0) {
    result.element_index = multi_index(inputs[result.input].shape(), result.element);
    result.output_index = multi_index(out.shape(), result.output);
  }
  result.ok = result.mismatches == 0;
  const std::string tolerances = fmt::format("atol {}, rtol {}, eps {}", options.atol, options.rtol, options.eps);
  if (result.ok) {
    result.message = fmt::format("gradcheck: ok ({} Jacobian entries of {}; max abs error {:.3g}, max rel error "
                                 "{:.3g}; {})",
                                 result.entries, op, result.max_abs_error, result.max_rel_error, tolerances);
  } else {
    result.message = fmt::format(
        "gradcheck: {}: worst entry d output[{}] (index {}) / d input {}[{}] (index {}): analytic {:.10g} vs "
        "numeric {:.10g}, abs error {:.3g}, rel error {:.3g}; {} of {} Jacobian entries differ; max abs error "
        "{:.3g}, max rel error {:.3g} ({})",
        op, result.output, shape_str(result.output_index), result.input, result.element,
        shape_str(result.element_index), result.analytic, result.numeric, result.abs_error, result.rel_error,
        result.mismatches, result.entries, result.max_abs_error, result.max_rel_error, tolerances);
  }
  return result;
}

}  // namespace ember::autograd
