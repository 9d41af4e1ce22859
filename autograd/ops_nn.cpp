// The fused nn ops, forward beside backward: linear (three GEMMs over views) and the class losses
// cross_entropy / nll_loss (one pass over (rows, classes), the log-softmax folded in).
#include "autograd/ops_nn.h"

#include "autograd/function.h"
#include "core/dispatch.h"
#include "core/kernels.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

namespace ember {

// ---- linear ---------------------------------------------------------------------------------

// y = x W^T + b;  x folded to (M, in), W (out, in), b (out), y (M, out).
// dx = dy W (M, in);  dW = dy^T x (out, in);  db = dy summed over the M rows (out).
// The transposes reach BLAS as flags on views, nothing is copied. x is saved only when W needs a
// gradient and W only when x does (flashlight's rule for matmul).
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias) {
  EMBER_CHECK(x.defined() && weight.defined(), ValueError, "linear: input and weight must be defined");
  EMBER_CHECK(weight.dim() == 2, ShapeError, "linear: weight shape {} is not 2-D; expected [out_features, in_features]",
              shape_str(weight.shape()));
  const std::int64_t in = weight.size(1), out = weight.size(0);
  EMBER_CHECK(x.dim() >= 1 && x.size(-1) == in, ShapeError,
              "linear: input shape {} does not match in_features={} of weight {}; expected [..., {}]",
              shape_str(x.shape()), in, shape_str(weight.shape()), in);
  EMBER_CHECK(is_floating(weight.dtype()) && x.dtype() == weight.dtype(), TypeError,
              "linear: input dtype {} and weight dtype {} differ or are not float; expected float32 or float64 for both",
              dtype_name(x.dtype()), dtype_name(weight.dtype()));
  if (bias.defined()) {
    EMBER_CHECK(bias.dim() == 1 && bias.size(0) == out, ShapeError,
                "linear: bias shape {} does not match out_features={}; expected [{}]", shape_str(bias.shape()), out, out);
    EMBER_CHECK(bias.dtype() == weight.dtype(), TypeError, "linear: bias dtype {} does not match weight dtype {}",
                dtype_name(bias.dtype()), dtype_name(weight.dtype()));
  }
  const Shape leading(x.shape().begin(), x.shape().end() - 1);
  const std::int64_t rows = numel(leading);  // 1 for a 1-D input
  Tensor y2 = empty({rows, out}, x.dtype());
  if (bias.defined()) kernels::copy_into(y2, bias);  // every row starts as b; gemm adds x W^T on top
  kernels::gemm(kernels::reshape(x, {rows, in}), false, weight, true, y2, 1.0, bias.defined() ? 1.0 : 0.0);
  Shape out_shape = leading;
  out_shape.push_back(out);

  autograd::SavedTensor saved_x, saved_w;
  if (autograd::any_requires_grad({weight})) saved_x = autograd::SavedTensor(x, "linear");
  if (autograd::any_requires_grad({x})) saved_w = autograd::SavedTensor(weight, "linear");
  return autograd::record("linear", kernels::view(y2, out_shape), {x, weight, bias},
      [saved_x, saved_w, x_shape = x.shape(), rows, in, out](const Tensor& dy) {
        const Tensor dy2 = kernels::reshape(dy, {rows, out});  // (M, out)
        autograd::Grads grads(3);
        if (autograd::needs_grad(0)) {
          Tensor dx = empty({rows, in}, dy.dtype());
          kernels::gemm(dy2, false, saved_w.unpack(), false, dx);
          grads[0] = kernels::view(dx, x_shape);
        }
        if (autograd::needs_grad(1)) {
          Tensor dw = empty({out, in}, dy.dtype());
          kernels::gemm(dy2, true, kernels::reshape(saved_x.unpack(), {rows, in}), false, dw);
          grads[1] = dw;
        }
        if (autograd::needs_grad(2)) grads[2] = kernels::sum(dy2, {0});
        return grads;
      });
}

// ---- cross_entropy and nll_loss ---------------------------------------------------------------
// Both see their input as (rows, C): the class dim moved last, every other dim folded into rows.
// [N, C, d1, ...] -> [N*d1*..., C];  [N, C] as is;  [C] -> [1, C]. Targets fold the same way.

namespace {

std::int64_t class_dim(const Tensor& input) { return input.dim() == 1 ? 0 : 1; }

Tensor class_dim_last(const Tensor& t) {
  const std::int64_t classes = t.size(class_dim(t));
  const std::int64_t rows = classes == 0 ? 0 : t.numel() / classes;
  if (t.dim() <= 2) return kernels::reshape(kernels::contiguous(t), {rows, classes});
  std::vector<std::int64_t> order{0};
  for (std::int64_t d = 2; d < t.dim(); ++d) order.push_back(d);
  order.push_back(1);
  return kernels::reshape(kernels::contiguous(kernels::permute(t, order)), {rows, classes});
}

// The inverse of class_dim_last: a (rows, C) tensor back to `shape`.
Tensor class_dim_back(const Tensor& rows, const Shape& shape) {
  if (shape.size() <= 2) return kernels::view(rows, shape);
  Shape moved{shape[0]};
  std::vector<std::int64_t> order{0, static_cast<std::int64_t>(shape.size()) - 1};
  for (std::size_t d = 2; d < shape.size(); ++d) {
    moved.push_back(shape[d]);
    order.push_back(static_cast<std::int64_t>(d) - 1);
  }
  moved.push_back(shape[1]);
  return kernels::contiguous(kernels::permute(kernels::view(rows, moved), order));
}

// PyTorch's names for dtypes in "expected scalar type Long but found Float".
const char* torch_type_name(DType dtype) {
  switch (dtype) {
    case kFloat32: return "Float";
    case kFloat64: return "Double";
    case kInt64: return "Long";
    case kBool: return "Bool";
    case kInt32: return "Int";
  }
  return "?";
}

// "[3, 17]": where flat index `flat` of a tensor of `shape` sits (for error messages).
std::string position_str(std::int64_t flat, const Shape& shape) {
  Shape index(shape.size());
  for (std::size_t d = shape.size(); d-- > 0;) {
    index[d] = shape[d] == 0 ? 0 : flat % shape[d];
    flat = shape[d] == 0 ? 0 : flat / shape[d];
  }
  return shape_str(index);
}

struct ClassLoss {
  const char* op;
  bool from_logits;  // cross_entropy: the input holds logits; nll_loss: log-probabilities
  Reduction reduction;
  std::int64_t ignore_index;
  double smoothing;
};

// Validates everything before any work. Returns true for probability (float) targets.
bool check_class_loss(const ClassLoss& a, const Tensor& input, const Tensor& target, const Tensor& weight) {
  const char* op = a.op;
  EMBER_CHECK(input.defined() && target.defined(), ValueError, "{}: input and target must be defined", op);
  EMBER_CHECK(is_floating(input.dtype()), TypeError, "{}: input dtype {} is not a float dtype; expected float32 or float64",
              op, dtype_name(input.dtype()));
  EMBER_CHECK(input.dim() >= 1, ShapeError, "{}: input shape [] has no class dim; expected [C], [N, C] or [N, C, d1, ...]", op);
  EMBER_CHECK(a.smoothing >= 0.0 && a.smoothing <= 1.0, ValueError,
              "{}: label_smoothing must be between 0.0 and 1.0. Got: {}", op, a.smoothing);
  const std::int64_t classes = input.size(class_dim(input));
  if (weight.defined()) {
    EMBER_CHECK(weight.dim() == 1 && weight.size(0) == classes, ShapeError,
                "{}: weight tensor should be defined either for all {} classes or no classes but got weight tensor of "
                "shape: {}", op, classes, shape_str(weight.shape()));
    EMBER_CHECK(weight.dtype() == input.dtype(), TypeError, "{}: weight dtype {} does not match input dtype {}", op,
                dtype_name(weight.dtype()), dtype_name(input.dtype()));
  }
  if (a.from_logits && is_floating(target.dtype()) && target.shape() == input.shape()) {
    EMBER_CHECK(a.ignore_index == -100, ValueError,
                "{}: ignore_index is not supported for floating point target; got ignore_index={}", op, a.ignore_index);
    EMBER_CHECK(target.dtype() == input.dtype(), TypeError, "{}: probability target dtype {} does not match input dtype {}",
                op, dtype_name(target.dtype()), dtype_name(input.dtype()));
    return true;
  }
  Shape expected = input.shape();
  expected.erase(expected.begin() + class_dim(input));
  EMBER_CHECK(target.dtype() == kInt64, TypeError,
              "{}: expected scalar type Long but found {} for target of shape {}; expected int64 class indices of shape {}{}",
              op, torch_type_name(target.dtype()), shape_str(target.shape()), shape_str(expected),
              a.from_logits ? fmt::format(" or float probabilities of shape {}", shape_str(input.shape())) : "");
  EMBER_CHECK(input.dim() < 2 || target.dim() == 0 || target.size(0) == input.size(0), ValueError,
              "{}: Expected input batch_size ({}) to match target batch_size ({}).", op, input.size(0), target.size(0));
  EMBER_CHECK(target.shape() == expected, ShapeError, "{}: target shape {} does not match input shape {}; expected {}", op,
              shape_str(target.shape()), shape_str(input.shape()), shape_str(expected));
  const Tensor flat = kernels::contiguous(target);
  const std::int64_t* y = flat.data_ptr<std::int64_t>();
  for (std::int64_t i = 0; i < flat.numel(); ++i)
    EMBER_CHECK(y[i] == a.ignore_index || (y[i] >= 0 && y[i] < classes), IndexError,
                "{}: Target {} is out of bounds at position {}; expected a class index in [0, {}) or ignore_index={}", op,
                y[i], position_str(i, target.shape()), classes, a.ignore_index);
  return false;
}

// Everything the class-loss loops read, as plain pointers into (rows, C) tensors.
template <typename T> struct ClassRows {
  std::int64_t classes = 0;
  const T* lp = nullptr;                // log-probabilities (rows, C); null in nll_loss's backward
  const std::int64_t* index = nullptr;  // class-index target (rows), or null
  const T* prob = nullptr;              // probability target (rows, C), or null
  std::vector<double> w;                // class weights (C)
  double w_sum = 0.0;                   // sum of w: the smoothing term's total weight
};

template <typename T>
ClassRows<T> class_rows(std::int64_t classes, const Tensor& lp, const Tensor& index, const Tensor& prob,
                        const Tensor& weight) {
  ClassRows<T> r;
  r.classes = classes;
  if (lp.defined()) r.lp = lp.data_ptr<T>();
  if (index.defined()) r.index = index.data_ptr<std::int64_t>();
  if (prob.defined()) r.prob = prob.data_ptr<T>();
  r.w = weight.defined() ? kernels::contiguous(weight).to_vector<double>() : std::vector<double>(classes, 1.0);
  for (double w : r.w) r.w_sum += w;
  return r;
}

// Row m's loss -sum_c k_c lp_c from its log-probabilities `lp` (C), with k as in ops_nn.h:
//   class index y: k_c = (1-e) w_y [c == y] + (e/C) w_c;   probabilities: k_c = w_c ((1-e) p_c + e/C).
// Without smoothing only lp_y is read, so a -inf logit elsewhere cannot turn 0 * -inf into NaN.
template <typename T>
double row_loss(const ClassRows<T>& r, const ClassLoss& a, std::int64_t m, const T* lp) {
  const std::int64_t C = r.classes;
  const double e = a.smoothing;
  double loss = 0.0;
  if (r.prob) {
    for (std::int64_t c = 0; c < C; ++c) loss -= r.w[c] * ((1.0 - e) * r.prob[m * C + c] + e / C) * lp[c];
    return loss;
  }
  const std::int64_t y = r.index[m];
  if (e > 0.0)
    for (std::int64_t c = 0; c < C; ++c) loss -= e / C * r.w[c] * lp[c];
  return loss - (1.0 - e) * r.w[y] * lp[y];
}

// Row m's input gradient: g (softmax_c S - k_c) for logits, -g k_c for log-probabilities, where
// S = sum_c k_c: (1-e) w_y + (e/C) sum(w) for a class index, sum_c k_c for probabilities.
template <typename T>
void row_gradient(const ClassRows<T>& r, const ClassLoss& a, std::int64_t m, double g, T* dx) {
  const std::int64_t C = r.classes;
  const double e = a.smoothing;
  const T* lp = r.lp ? r.lp + m * C : nullptr;
  if (r.prob) {
    const T* p = r.prob + m * C;
    double k_sum = 0.0;
    for (std::int64_t c = 0; c < C; ++c) k_sum += r.w[c] * ((1.0 - e) * p[c] + e / C);
    for (std::int64_t c = 0; c < C; ++c) {
      const double softmax_term = lp ? static_cast<double>(std::exp(lp[c])) * k_sum : 0.0;
      dx[c] = static_cast<T>(g * (softmax_term - r.w[c] * ((1.0 - e) * p[c] + e / C)));
    }
    return;
  }
  const std::int64_t y = r.index[m];
  const double k_sum = (1.0 - e) * r.w[y] + e / C * r.w_sum;
  for (std::int64_t c = 0; c < C; ++c) {
    const double softmax_term = lp ? static_cast<double>(std::exp(lp[c])) * k_sum : 0.0;
    const double k = e / C * r.w[c] + (c == y ? (1.0 - e) * r.w[y] : 0.0);
    dx[c] = static_cast<T>(g * (softmax_term - k));
  }
}

// The shared body of cross_entropy and nll_loss.
Tensor class_loss(const ClassLoss& a, const Tensor& input, const Tensor& target_arg, const Tensor& weight) {
  // int32 class indices are read as int64 (PyTorch refuses them; nothing is lost by taking them).
  const Tensor target = target_arg.defined() && target_arg.dtype() == kInt32 ? kernels::to(target_arg, kInt64) : target_arg;
  const bool probabilities = check_class_loss(a, input, target, weight);
  const Tensor x = class_dim_last(input);  // (rows, C), contiguous
  const std::int64_t rows = x.size(0), C = x.size(1);
  const Tensor index = probabilities ? Tensor() : kernels::reshape(kernels::contiguous(target), {rows});
  const Tensor prob = probabilities ? class_dim_last(target) : Tensor();
  // lp: the log-softmax of the logits (backward's softmax is exp(lp)), or the input of nll_loss.
  const Tensor lp = a.from_logits ? empty({rows, C}, x.dtype()) : x;
  std::vector<double> losses(rows, 0.0);
  double weight_sum = 0.0;  // sum over kept rows of w[y]: the 'mean' divisor for class indices
  detail::dispatch_floating(x.dtype(), a.op, [&]<typename T>() {
    const ClassRows<T> r = class_rows<T>(C, lp, index, prob, weight);
    const T* in = x.data_ptr<T>();
    T* out_lp = lp.data_ptr<T>();
    std::vector<T> exps(C);  // exp(x - max) of one row
    for (std::int64_t m = 0; m < rows; ++m) {
      const T* xm = in + m * C;
      const T* lp_m = xm;  // nll_loss: the input holds the log-probabilities
      if (a.from_logits) {
        // Subtract the row max: exp overflows float32 above ~88. A row of -inf gives NaN, as PyTorch.
        T max = -std::numeric_limits<T>::infinity();
        for (std::int64_t c = 0; c < C; ++c) max = std::max(max, xm[c]);
        for (std::int64_t c = 0; c < C; ++c) exps[c] = std::exp(xm[c] - max);
        double partial[4] = {0.0, 0.0, 0.0, 0.0};  // four chains: the adds do not wait on each other
        std::int64_t c = 0;
        for (; c + 4 <= C; c += 4)
          for (int j = 0; j < 4; ++j) partial[j] += exps[c + j];
        for (; c < C; ++c) partial[0] += exps[c];
        const double log_sum = max + std::log((partial[0] + partial[1]) + (partial[2] + partial[3]));
        for (c = 0; c < C; ++c) out_lp[m * C + c] = static_cast<T>(xm[c] - log_sum);
        lp_m = out_lp + m * C;
      }
      if (r.index && r.index[m] == a.ignore_index) continue;  // no loss, not counted
      losses[m] = row_loss(r, a, m, lp_m);
      if (r.index) weight_sum += r.w[r.index[m]];
    }
  });

  // 'mean' divides by the kept weight sum (class indices) or by the row count (probabilities).
  const double divisor = a.reduction != Reduction::Mean ? 1.0 : probabilities ? static_cast<double>(rows) : weight_sum;
  Tensor out;
  if (a.reduction == Reduction::None) {
    Shape shape = input.shape();
    shape.erase(shape.begin() + class_dim(input));
    out = tensor(losses, shape, input.dtype());
  } else {
    double total = 0.0;
    for (double l : losses) total += l;
    out = scalar_tensor(total / divisor, input.dtype());  // all ignored + 'mean': 0 / 0 = NaN, as PyTorch
  }

  // Saved: lp, the folded target, and the weight, a constant here (no gradient), as in PyTorch.
  autograd::SavedTensor saved_lp, saved_index, saved_prob, saved_weight;
  if (autograd::any_requires_grad({input, probabilities ? target : Tensor()})) {
    if (a.from_logits) saved_lp = autograd::SavedTensor(lp, a.op);
    if (index.defined()) saved_index = autograd::SavedTensor(index, a.op);
    if (prob.defined()) saved_prob = autograd::SavedTensor(prob, a.op);
    if (weight.defined()) saved_weight = autograd::SavedTensor(weight, a.op);
  }
  return autograd::record(a.op, out, {input, probabilities ? target : Tensor()},
      [a, saved_lp, saved_index, saved_prob, saved_weight, divisor, rows, C, input_shape = input.shape()](const Tensor& dy) {
        const auto unpack = [](const autograd::SavedTensor& s) { return s.defined() ? s.unpack() : Tensor(); };
        const Tensor lp = unpack(saved_lp), index = unpack(saved_index), prob = unpack(saved_prob),
                     weight = unpack(saved_weight);
        const std::vector<double> g_out = kernels::contiguous(dy).to_vector<double>();  // one per row, or one
        Tensor dx = zeros({rows, C}, dy.dtype());
        Tensor dprob = prob.defined() && autograd::needs_grad(1) ? zeros({rows, C}, dy.dtype()) : Tensor();
        detail::dispatch_floating(dy.dtype(), a.op, [&]<typename T>() {
          const ClassRows<T> r = class_rows<T>(C, lp, index, prob, weight);
          T* gx = dx.data_ptr<T>();
          T* gp = dprob.defined() ? dprob.data_ptr<T>() : nullptr;
          for (std::int64_t m = 0; m < rows; ++m) {
            if (r.index && r.index[m] == a.ignore_index) continue;  // ignored rows get no gradient at all
            const double g = (a.reduction == Reduction::None ? g_out[m] : g_out[0]) / divisor;
            row_gradient(r, a, m, g, gx + m * C);
            // d l / d p_c = -(1 - e) w_c lp_c
            if (gp)
              for (std::int64_t c = 0; c < C; ++c)
                gp[m * C + c] = static_cast<T>(-g * (1.0 - a.smoothing) * r.w[c] * r.lp[m * C + c]);
          }
        });
        autograd::Grads grads(2);
        if (autograd::needs_grad(0)) grads[0] = class_dim_back(dx, input_shape);
        if (dprob.defined()) grads[1] = class_dim_back(dprob, input_shape);
        return grads;
      });
}

}  // namespace

Tensor cross_entropy(const Tensor& input, const Tensor& target, const Tensor& weight, Reduction reduction,
                     std::int64_t ignore_index, double label_smoothing) {
  return class_loss({"cross_entropy", true, reduction, ignore_index, label_smoothing}, input, target, weight);
}

Tensor nll_loss(const Tensor& input, const Tensor& target, const Tensor& weight, Reduction reduction,
                std::int64_t ignore_index) {
  return class_loss({"nll_loss", false, reduction, ignore_index, 0.0}, input, target, weight);
}

}  // namespace ember
