// layer_norm: PyTorch's F.layer_norm as ONE tape entry ("layer_norm") with a hand-written backward
// (kernels in core/kernels_layernorm.h). nn::LayerNorm (nn/layer_norm.h) holds its parameters.
#pragma once

#include "core/tensor.h"

namespace ember {

// Normalises over the trailing dims given by `normalized_shape` (at least one dim, all > 0):
//   mean, var over those dims (biased: divided by their element count n);
//   y = (x - mean) / sqrt(var + eps) * weight + bias
//   x       [*, normalized_shape]  (any leading dims, also none)
//   weight  normalized_shape or undefined (scale 1);  bias  normalized_shape or undefined (shift 0)
//   eps     >= 0, inside the square root as in PyTorch
// Gradients flow to x, weight and bias. float32 and float64. Saves x, weight and the per-row
// mean and 1/std for backward.
Tensor layer_norm(const Tensor& x, const Shape& normalized_shape, const Tensor& weight = Tensor(),
                  const Tensor& bias = Tensor(), double eps = 1e-5);

}  // namespace ember
