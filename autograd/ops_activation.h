// Differentiable activations beyond relu/tanh/sigmoid (those are in autograd/ops.h): gelu, silu,
// softplus, leaky_relu, elu, with PyTorch's names, defaults and kink conventions. Each is one tape
// entry whose backward calls the matching kernel in core/kernels_activation.h. float dtypes only.
#pragma once

#include "core/tensor.h"

#include <string>

namespace ember {

// approximate "none": y = x Phi(x) (erf form); "tanh": PyTorch's tanh approximation.
// Any other string is refused (ValueError naming it). dx = dy * gelu'(x); gelu'(0) = 0.5.
Tensor gelu(const Tensor& x, const std::string& approximate = "none");
// y = x sigmoid(x);  dx = dy * s (1 + x (1 - s)).
Tensor silu(const Tensor& x);
// y = log(1 + exp(beta x)) / beta, x where beta x > threshold;  dx = dy * sigmoid(beta x) (1 above).
// beta must be non-zero (ValueError).
Tensor softplus(const Tensor& x, double beta = 1.0, double threshold = 20.0);
// y = x (x > 0), negative_slope * x otherwise;  dx = dy (x > 0), dy * negative_slope otherwise.
Tensor leaky_relu(const Tensor& x, double negative_slope = 0.01);
// y = x (x > 0), alpha (exp(x) - 1) otherwise;  dx = dy (x > 0), dy * alpha exp(x) otherwise.
Tensor elu(const Tensor& x, double alpha = 1.0);

}  // namespace ember
