// Gradient clipping: nn::utils::clip_grad_norm_ and clip_grad_value_ (torch.nn.utils). They live
// in optim/ because they only need gradients, but keep PyTorch's namespace.
#pragma once

#include "core/tensor.h"

#include <vector>

namespace ember::nn::utils {

// Scales all gradients together so that their combined norm is at most max_norm:
//   total = || (||g_1||_p, ..., ||g_k||_p) ||_p   (p = inf: the largest |g|)
//   g *= min(1, max_norm / (total + 1e-6))        (also when the factor is 1, as PyTorch)
// Returns total, the norm before clipping (0 when no parameter has a gradient). Parameters
// without a gradient are skipped. Row-sparse gradients are coalesced first (duplicate rows
// summed), so the norm is that of the dense gradient they stand for; they are then replaced by
// the scaled coalesced gradient. (PyTorch 1.13 computes the same norm but silently leaves
// sparse gradients unscaled; ember scales them.)
// A non-finite total scales every gradient by NaN unless error_if_nonfinite, which throws
// before any gradient is touched.
double clip_grad_norm_(const std::vector<Tensor>& parameters, double max_norm, double norm_type = 2.0,
                       bool error_if_nonfinite = false);
double clip_grad_norm_(const Tensor& parameter, double max_norm, double norm_type = 2.0,
                       bool error_if_nonfinite = false);

// Clamps every gradient to [-clip_value, clip_value] in place. A row-sparse gradient is coalesced
// first, so the clamp applies to the gradient it stands for.
void clip_grad_value_(const std::vector<Tensor>& parameters, double clip_value);
void clip_grad_value_(const Tensor& parameter, double clip_value);

}  // namespace ember::nn::utils
