// nn::init: fans, gains and the in-place initialisers; orthogonal_ runs its QR in double.
#include "nn/init.h"

#include "autograd/grad_mode.h"
#include "core/kernels.h"

#include <cmath>
#include <vector>

namespace ember::nn::init {

double calculate_gain(const std::string& nonlinearity, std::optional<double> param) {
  static const char* const kLinear[] = {"linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d",
                                        "conv_transpose2d", "conv_transpose3d", "sigmoid"};
  for (const char* name : kLinear)
    if (nonlinearity == name) return 1.0;
  if (nonlinearity == "tanh") return 5.0 / 3.0;
  if (nonlinearity == "relu") return std::sqrt(2.0);
  if (nonlinearity == "leaky_relu") {
    const double slope = param.value_or(0.01);  // PyTorch: None means 0.01, but an explicit 0 stays 0
    return std::sqrt(2.0 / (1.0 + slope * slope));
  }
  if (nonlinearity == "selu") return 3.0 / 4.0;
  throw ValueError(fmt::format("calculate_gain: Unsupported nonlinearity {}; expected linear, conv1d, conv2d, conv3d, "
                               "conv_transpose1d, conv_transpose2d, conv_transpose3d, sigmoid, tanh, relu, "
                               "leaky_relu or selu", nonlinearity));
}

std::pair<std::int64_t, std::int64_t> calculate_fan_in_and_fan_out(const Tensor& tensor) {
  EMBER_CHECK(tensor.dim() >= 2, ValueError,
              "calculate_fan_in_and_fan_out: Fan in and fan out can not be computed for tensor with fewer than 2 "
              "dimensions; got shape {}", shape_str(tensor.shape()));
  std::int64_t receptive_field = 1;
  for (std::int64_t d = 2; d < tensor.dim(); ++d) receptive_field *= tensor.size(d);
  return {tensor.size(1) * receptive_field, tensor.size(0) * receptive_field};
}

Tensor uniform_(const Tensor& tensor, double a, double b) {
  NoGradGuard no_grad;
  Tensor t = tensor;
  t.uniform_(a, b);
  return t;
}

Tensor normal_(const Tensor& tensor, double mean, double std) {
  NoGradGuard no_grad;
  Tensor t = tensor;
  t.normal_(mean, std);
  return t;
}

Tensor constant_(const Tensor& tensor, double value) {
  NoGradGuard no_grad;
  Tensor t = tensor;
  t.fill_(value);
  return t;
}

Tensor zeros_(const Tensor& tensor) { return constant_(tensor, 0.0); }
Tensor ones_(const Tensor& tensor) { return constant_(tensor, 1.0); }

Tensor xavier_uniform_(const Tensor& tensor, double gain) {
  const auto [fan_in, fan_out] = calculate_fan_in_and_fan_out(tensor);
  const double std = gain * std::sqrt(2.0 / static_cast<double>(fan_in + fan_out));
  const double a = std::sqrt(3.0) * std;  // U(-a, a) has standard deviation a / sqrt(3)
  return uniform_(tensor, -a, a);
}

Tensor xavier_normal_(const Tensor& tensor, double gain) {
  const auto [fan_in, fan_out] = calculate_fan_in_and_fan_out(tensor);
  return normal_(tensor, 0.0, gain * std::sqrt(2.0 / static_cast<double>(fan_in + fan_out)));
}

namespace {
// std = gain / sqrt(fan), the fan chosen by `mode`.
double kaiming_std(const char* op, const Tensor& tensor, double a, const std::string& mode,
                   const std::string& nonlinearity) {
  EMBER_CHECK(mode == "fan_in" || mode == "fan_out", ValueError,
              "{}: Mode {} not supported, please use one of ['fan_in', 'fan_out']", op, mode);
  const auto [fan_in, fan_out] = calculate_fan_in_and_fan_out(tensor);
  const double fan = static_cast<double>(mode == "fan_in" ? fan_in : fan_out);
  return calculate_gain(nonlinearity, a) / std::sqrt(fan);
}
}  // namespace

Tensor kaiming_uniform_(const Tensor& tensor, double a, const std::string& mode, const std::string& nonlinearity) {
  if (tensor.numel() == 0) return tensor;
  const double bound = std::sqrt(3.0) * kaiming_std("kaiming_uniform_", tensor, a, mode, nonlinearity);
  return uniform_(tensor, -bound, bound);
}

Tensor kaiming_normal_(const Tensor& tensor, double a, const std::string& mode, const std::string& nonlinearity) {
  if (tensor.numel() == 0) return tensor;
  return normal_(tensor, 0.0, kaiming_std("kaiming_normal_", tensor, a, mode, nonlinearity));
}

// Q of the tall orientation [m, n] (m >= n) of a N(0, 1) draw, by modified Gram-Schmidt with a
// second orthogonalisation pass ("twice is enough"), in double. Gram-Schmidt's R has a positive
// diagonal by construction, which is exactly the sign convention PyTorch imposes on its
// Householder QR, so both give the same Q up to rounding.
Tensor orthogonal_(const Tensor& tensor, double gain) {
  EMBER_CHECK(tensor.dim() >= 2, ValueError,
              "orthogonal_: Only tensors with 2 or more dimensions are supported; got shape {}", shape_str(tensor.shape()));
  if (tensor.numel() == 0) return tensor;
  const std::int64_t rows = tensor.size(0), cols = tensor.numel() / rows;
  const std::int64_t m = std::max(rows, cols), n = std::min(rows, cols);
  const std::vector<double> draw = randn({rows, cols}, kFloat64).to_vector<double>();
  // q[j * m + i]: column j of the tall matrix (the draw, transposed when rows < cols).
  std::vector<double> q(m * n);
  for (std::int64_t r = 0; r < rows; ++r)
    for (std::int64_t c = 0; c < cols; ++c) (rows >= cols ? q[c * m + r] : q[r * m + c]) = draw[r * cols + c];
  for (std::int64_t j = 0; j < n; ++j) {
    double* qj = &q[j * m];
    for (int pass = 0; pass < 2; ++pass)
      for (std::int64_t i = 0; i < j; ++i) {
        const double* qi = &q[i * m];
        double dot = 0.0;
        for (std::int64_t e = 0; e < m; ++e) dot += qi[e] * qj[e];
        for (std::int64_t e = 0; e < m; ++e) qj[e] -= dot * qi[e];
      }
    double norm = 0.0;
    for (std::int64_t e = 0; e < m; ++e) norm += qj[e] * qj[e];
    norm = std::sqrt(norm);
    for (std::int64_t e = 0; e < m; ++e) qj[e] /= norm;
  }
  std::vector<double> result(rows * cols);
  for (std::int64_t r = 0; r < rows; ++r)
    for (std::int64_t c = 0; c < cols; ++c) result[r * cols + c] = gain * (rows >= cols ? q[c * m + r] : q[r * m + c]);
  NoGradGuard no_grad;
  Tensor t = tensor;
  t.copy_(ember::tensor(result, tensor.shape(), kFloat64));
  return t;
}

}  // namespace ember::nn::init
