// nn::functional: dropout and the composed losses (mse, BCE with logits, margin ranking); linear,
// cross_entropy and nll_loss forward to the fused ops in autograd/ops_nn.cpp.
#include "nn/functional.h"

#include "autograd/ops.h"
#include "autograd/ops_activation.h"
#include "core/dispatch.h"

#include <optional>

namespace ember::nn::functional {

namespace {

Tensor reduce(const Tensor& loss, Reduction reduction) {
  switch (reduction) {
    case Reduction::None: return loss;
    case Reduction::Mean: return ember::mean(loss);  // empty: NaN, as PyTorch
    case Reduction::Sum: return ember::sum(loss);
  }
  return loss;
}

void check_float_pair(const char* op, const Tensor& input, const Tensor& target) {
  EMBER_CHECK(input.defined() && target.defined(), ValueError, "{}: input and target must be defined", op);
  EMBER_CHECK(is_floating(input.dtype()) && input.dtype() == target.dtype(), TypeError,
              "{}: input dtype {} and target dtype {} differ or are not float; expected float32 or float64 for both", op,
              dtype_name(input.dtype()), dtype_name(target.dtype()));
}

// `t` (if defined) must broadcast to `shape` without growing it, and have `dtype`.
void check_broadcasts_to(const char* op, const char* name, const Tensor& t, const Shape& shape, DType dtype) {
  if (!t.defined()) return;
  EMBER_CHECK(t.dtype() == dtype, TypeError, "{}: {} dtype {} does not match input dtype {}", op, name,
              dtype_name(t.dtype()), dtype_name(dtype));
  bool fits = t.dim() <= static_cast<std::int64_t>(shape.size());
  for (std::int64_t d = 1; fits && d <= t.dim(); ++d) {
    const std::int64_t size = t.size(-d);
    fits = size == 1 || size == shape[shape.size() - d];
  }
  EMBER_CHECK(fits, ShapeError, "{}: {} shape {} does not broadcast to input shape {}", op, name,
              shape_str(t.shape()), shape_str(shape));
}

}  // namespace

Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias) { return ember::linear(x, weight, bias); }

// y = x m / (1 - p), m ~ Bernoulli(1 - p) per element;  dx = dy m / (1 - p) (through ember::mul).
Tensor dropout(const Tensor& x, double p, bool training) {
  EMBER_CHECK(p >= 0.0 && p <= 1.0, ValueError, "dropout: dropout probability has to be between 0 and 1, but got {}", p);
  EMBER_CHECK(x.defined() && is_floating(x.dtype()), TypeError, "dropout: input must be a defined float tensor, got {}",
              x.defined() ? dtype_name(x.dtype()) : "undefined");
  if (!training || p == 0.0) return x;
  const double keep = 1.0 - p;
  const double scale = keep > 0.0 ? 1.0 / keep : 0.0;  // p = 1 drops everything
  Tensor mask = empty(x.shape(), x.dtype());
  Generator& gen = default_generator();
  detail::dispatch_floating(x.dtype(), "dropout", [&]<typename T>() {
    T* m = mask.data_ptr<T>();
    for (std::int64_t i = 0; i < mask.numel(); ++i) m[i] = gen.next_double() < keep ? static_cast<T>(scale) : T(0);
  });
  return ember::mul(x, mask);  // mask is a constant: mul saves it, not x
}

Tensor relu(const Tensor& x) { return ember::relu(x); }
Tensor tanh(const Tensor& x) { return ember::tanh(x); }
Tensor sigmoid(const Tensor& x) { return ember::sigmoid(x); }
Tensor gelu(const Tensor& x, const GELUFuncOptions& options) { return ember::gelu(x, options.approximate()); }
Tensor silu(const Tensor& x) { return ember::silu(x); }
Tensor softplus(const Tensor& x, const SoftplusFuncOptions& options) {
  return ember::softplus(x, options.beta(), options.threshold());
}
Tensor leaky_relu(const Tensor& x, const LeakyReLUFuncOptions& options) {
  return ember::leaky_relu(x, options.negative_slope());
}
Tensor elu(const Tensor& x, const ELUFuncOptions& options) { return ember::elu(x, options.alpha()); }
Tensor softmax(const Tensor& x, std::int64_t dim) { return ember::softmax(x, dim); }
Tensor log_softmax(const Tensor& x, std::int64_t dim) { return ember::log_softmax(x, dim); }

Tensor cross_entropy(const Tensor& input, const Tensor& target, const CrossEntropyFuncOptions& options) {
  return ember::cross_entropy(input, target, options.weight(), options.reduction(), options.ignore_index(),
                              options.label_smoothing());
}

Tensor nll_loss(const Tensor& input, const Tensor& target, const NLLLossFuncOptions& options) {
  return ember::nll_loss(input, target, options.weight(), options.reduction(), options.ignore_index());
}

// l = (x - y)^2. Unlike PyTorch, which broadcasts different shapes with only a warning (almost
// always a bug: [N, 1] against [N] gives an [N, N] loss), the shapes must be equal.
Tensor mse_loss(const Tensor& input, const Tensor& target, const MSELossFuncOptions& options) {
  check_float_pair("mse_loss", input, target);
  EMBER_CHECK(input.shape() == target.shape(), ShapeError,
              "mse_loss: target shape {} does not match input shape {}; expected equal shapes",
              shape_str(target.shape()), shape_str(input.shape()));
  const Tensor d = input - target;
  return reduce(d * d, options.reduction());
}

// l = (1 - y) x + (1 + (pw - 1) y) softplus(-x), softplus(-x) = max(-x, 0) + log(1 + exp(-|x|)):
// exp only ever sees a non-positive number. At x = 0 the kinks cancel: maximum splits the
// gradient of its tie evenly (-1/2) and sign(0) = 0 silences the log term, which gives exactly
// d softplus(-x)/dx = -sigmoid(-x) = -1/2.
Tensor binary_cross_entropy_with_logits(const Tensor& input, const Tensor& target,
                                        const BinaryCrossEntropyWithLogitsFuncOptions& options) {
  const char* op = "binary_cross_entropy_with_logits";
  check_float_pair(op, input, target);
  EMBER_CHECK(target.shape() == input.shape(), ValueError, "{}: Target size ({}) must be the same as input size ({})", op,
              shape_str(target.shape()), shape_str(input.shape()));
  check_broadcasts_to(op, "weight", options.weight(), input.shape(), input.dtype());
  check_broadcasts_to(op, "pos_weight", options.pos_weight(), input.shape(), input.dtype());
  const Tensor zero = zeros({}, input.dtype());
  const Tensor softplus_neg = ember::maximum(-input, zero) + ember::log(1.0 + ember::exp(-ember::abs(input)));
  const Tensor& pos_weight = options.pos_weight();
  Tensor loss = (1.0 - target) * input +
                (pos_weight.defined() ? (1.0 + (pos_weight - 1.0) * target) * softplus_neg : softplus_neg);
  if (options.weight().defined()) loss = loss * options.weight();
  return reduce(loss, options.reduction());
}

// l = max(0, -y (x1 - x2) + margin). clamp, not relu: like PyTorch's clamp_min, the gradient
// passes at exactly 0.
Tensor margin_ranking_loss(const Tensor& input1, const Tensor& input2, const Tensor& target,
                           const MarginRankingLossFuncOptions& options) {
  const char* op = "margin_ranking_loss";
  check_float_pair(op, input1, target);
  check_float_pair(op, input2, target);
  EMBER_CHECK(input1.dim() == input2.dim() && input1.dim() == target.dim(), ShapeError,
              "{}: All input tensors should have same dimension but got sizes: input1: {}, input2: {}, target: {}", op,
              shape_str(input1.shape()), shape_str(input2.shape()), shape_str(target.shape()));
  // The three broadcast together (as in PyTorch); checked here so an error names this loss.
  broadcast_shapes(broadcast_shapes(input1.shape(), input2.shape(), op), target.shape(), op);
  const Tensor margin = -target * (input1 - input2) + options.margin();
  return reduce(ember::clamp(margin, 0.0, std::nullopt), options.reduction());
}

}  // namespace ember::nn::functional
