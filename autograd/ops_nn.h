// The fused, hot neural-network ops: one tape entry each, with a hand-written backward.
// Users normally reach them through nn::functional (nn/functional.h) or the modules.
//   linear         y = x W^T + b over any leading dims; backward is three GEMMs
//   cross_entropy  log-softmax folded into the negative log-likelihood
//   nll_loss       the negative log-likelihood of log-probabilities
#pragma once

#include "core/tensor.h"

#include <cstdint>

namespace ember {

// How a loss folds its per-element values: PyTorch's reduction='none' | 'mean' | 'sum'.
enum class Reduction { None, Mean, Sum };

// y = x W^T + b.  x (..., in), weight (out, in), bias (out) or undefined; y (..., out).
// dx = dy W,  dW = dy^T x,  db = dy summed over all leading dims.
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias = Tensor());

// PyTorch's F.cross_entropy with log_softmax over the class dim (dim 1, or dim 0 of a 1-D input).
//   input  (N, C), (C) or (N, C, d1, ...), float
//   target int64 class indices (N), () or (N, d1, ...); or float probabilities of input's shape
//   weight per-class weights (C) or undefined (all ones); treated as a constant
// Class indices: l_n = (1-e) w[y_n] (-lp[n, y_n]) + (e/C) sum_c w[c] (-lp[n, c]), where e is
// label_smoothing; targets equal to ignore_index give 0 and leave the weight sum; 'mean' divides
// by the sum of w[y_n] over kept n (all ignored: 0/0 = NaN, as PyTorch).
// Probabilities: l_n = -sum_c w[c] p'[n, c] lp[n, c] with p' = (1-e) p + e/C; 'mean' divides by
// the number of rows. The target then gets a gradient too.
// dx = g_n (softmax(x_n) S_n - k_n), k_n[c] the coefficient of -lp[n, c] above, S_n = sum_c k_n[c].
Tensor cross_entropy(const Tensor& input, const Tensor& target, const Tensor& weight = Tensor(),
                     Reduction reduction = Reduction::Mean, std::int64_t ignore_index = -100,
                     double label_smoothing = 0.0);

// PyTorch's F.nll_loss: l_n = -w[y_n] input[n, y_n], input holding log-probabilities; shapes,
// ignore_index and 'mean' as in cross_entropy (class-index targets only, no smoothing).
// dx[n, y_n] = -g_n w[y_n], 0 elsewhere.
Tensor nll_loss(const Tensor& input, const Tensor& target, const Tensor& weight = Tensor(),
                Reduction reduction = Reduction::Mean, std::int64_t ignore_index = -100);

}  // namespace ember
