// Activation kernels as llm.c-style forward/backward pairs: gelu, silu, softplus, leaky_relu, elu.
// Plain elementwise loops over float32/float64 with no autograd knowledge; the differentiable ops
// that call them are in autograd/ops_activation.cpp. Every backward takes the forward's input x and
// the output gradient dy (same shape) and returns dx; inputs may be strided (copied once).
#pragma once

#include "core/tensor.h"

namespace ember::kernels {

// GELU: x * Phi(x) (tanh_approximation = false), or
// 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) (true), as PyTorch's approximate="tanh".
Tensor gelu_forward(const Tensor& x, bool tanh_approximation);
Tensor gelu_backward(const Tensor& dy, const Tensor& x, bool tanh_approximation);

// SiLU: x * sigmoid(x).
Tensor silu_forward(const Tensor& x);
Tensor silu_backward(const Tensor& dy, const Tensor& x);

// Softplus: log(1 + exp(beta x)) / beta, and x itself where beta x > threshold.
Tensor softplus_forward(const Tensor& x, double beta, double threshold);
Tensor softplus_backward(const Tensor& dy, const Tensor& x, double beta, double threshold);

// LeakyReLU: x where x > 0, else negative_slope * x.
Tensor leaky_relu_forward(const Tensor& x, double negative_slope);
Tensor leaky_relu_backward(const Tensor& dy, const Tensor& x, double negative_slope);

// ELU: x where x > 0, else alpha (exp(x) - 1).
Tensor elu_forward(const Tensor& x, double alpha);
Tensor elu_backward(const Tensor& dy, const Tensor& x, double alpha);

}  // namespace ember::kernels
