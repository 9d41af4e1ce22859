// nn::init: in-place initialisers with PyTorch's names, fan rules and gains (torch.nn.init).
// Each runs under no-grad, draws from ember's default generator, and returns its tensor:
//   nn::init::xavier_uniform_(linear->weight, nn::init::calculate_gain("tanh"));
#pragma once

#include "core/tensor.h"

#include <optional>
#include <string>
#include <utility>

namespace ember::nn::init {

// The recommended gain for a nonlinearity: linear, conv1d..conv3d, conv_transpose1d..3d and
// sigmoid 1; tanh 5/3; relu sqrt(2); leaky_relu sqrt(2 / (1 + slope^2)) with slope = param, or
// 0.01 when param is absent; selu 3/4. Unknown names throw ValueError.
double calculate_gain(const std::string& nonlinearity, std::optional<double> param = std::nullopt);

// (fan_in, fan_out) of a weight of at least 2 dims: fan_in = size(1) * rf, fan_out = size(0) * rf,
// with rf = product of the sizes after the first two (the receptive field of a conv kernel).
std::pair<std::int64_t, std::int64_t> calculate_fan_in_and_fan_out(const Tensor& tensor);

Tensor uniform_(const Tensor& tensor, double a = 0.0, double b = 1.0);       // U(a, b)
Tensor normal_(const Tensor& tensor, double mean = 0.0, double std = 1.0);  // N(mean, std^2)
Tensor constant_(const Tensor& tensor, double value);
Tensor zeros_(const Tensor& tensor);
Tensor ones_(const Tensor& tensor);

// U(-a, a), a = gain * sqrt(6 / (fan_in + fan_out)).
Tensor xavier_uniform_(const Tensor& tensor, double gain = 1.0);
// N(0, std^2), std = gain * sqrt(2 / (fan_in + fan_out)).
Tensor xavier_normal_(const Tensor& tensor, double gain = 1.0);

// mode "fan_in" (keeps the forward variance) or "fan_out" (the backward variance);
// gain = calculate_gain(nonlinearity, a). Uniform: bound = gain * sqrt(3 / fan); normal:
// std = gain / sqrt(fan). A tensor with no elements is left alone (PyTorch only warns).
Tensor kaiming_uniform_(const Tensor& tensor, double a = 0.0, const std::string& mode = "fan_in",
                        const std::string& nonlinearity = "leaky_relu");
Tensor kaiming_normal_(const Tensor& tensor, double a = 0.0, const std::string& mode = "fan_in",
                       const std::string& nonlinearity = "leaky_relu");

// A (semi-)orthogonal matrix times gain: the tensor viewed as [rows, numel / rows] gets
// orthonormal rows (when rows <= cols) or columns. Like PyTorch: draw N(0, 1), take the QR
// factorisation of the tall orientation with R's diagonal made positive, keep Q.
Tensor orthogonal_(const Tensor& tensor, double gain = 1.0);

}  // namespace ember::nn::init
