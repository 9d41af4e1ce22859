// LayerNorm as an llm.c-style forward/backward kernel pair: rows of C elements are normalised
// to zero mean and unit (biased) variance, then scaled and shifted. float32 and float64; the
// differentiable op is ember::layer_norm (autograd/ops_norm.h).
#pragma once

#include "core/tensor.h"

#include <cstdint>

namespace ember::kernels {

struct LayerNormForward {
  Tensor y;     // x's shape
  Tensor mean;  // (N) float64 whatever x's dtype: rounding a mean of 1000 to float32 would move
  Tensor rstd;  // (N) every x - mean by 3e-5.  rstd = 1 / sqrt(var + eps), float64 too
};

// x is viewed as (N, C) rows with C = `row_size` (its trailing elements); weight and bias are
// (C) or undefined (no scale / no shift).
//   mean = sum(x) / C;  var = sum((x - mean)^2) / C;  y = (x - mean) * rstd * weight + bias
LayerNormForward layer_norm_forward(const Tensor& x, std::int64_t row_size, const Tensor& weight,
                                    const Tensor& bias, double eps);

struct LayerNormGrads {
  Tensor dx;       // x's shape, or undefined when not asked for
  Tensor dweight;  // (C), or undefined
  Tensor dbias;    // (C), or undefined
};

// With xh = (x - mean) * rstd and g = dy * weight (g = dy without weight):
//   dx = rstd * (g - mean(g) - xh * mean(g * xh))   (means over the row)
//   dweight = sum over rows of dy * xh;  dbias = sum over rows of dy
LayerNormGrads layer_norm_backward(const Tensor& dy, const Tensor& x, const Tensor& mean, const Tensor& rstd,
                                   const Tensor& weight, std::int64_t row_size, bool want_dx, bool want_dweight,
                                   bool want_dbias);

}  // namespace ember::kernels
