// nn::functional (alias F): the stateless forms of the layers and losses, as torch.nn.functional.
//   namespace F = ember::nn::functional;
//   Tensor loss = F::cross_entropy(F::linear(x, w, b), target);
// linear, cross_entropy and nll_loss are fused single-node ops (autograd/ops_nn.h); the rest are
// composed from differentiable ops and need no backward of their own.
#pragma once

#include "autograd/ops_nn.h"
#include "core/tensor.h"
#include "nn/activation_options.h"
#include "nn/loss_options.h"

#include <cstdint>

namespace ember::nn::functional {

using CrossEntropyFuncOptions = CrossEntropyLossOptions;
using NLLLossFuncOptions = NLLLossOptions;
using MSELossFuncOptions = MSELossOptions;
using BinaryCrossEntropyWithLogitsFuncOptions = BCEWithLogitsLossOptions;
using MarginRankingLossFuncOptions = MarginRankingLossOptions;

// ---- layers -------------------------------------------------------------------------------
// y = x W^T + b over any leading dims: x (..., in), weight (out, in), bias (out) or undefined.
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias = Tensor());

// Inverted dropout: in training, each element is zeroed with probability p and the survivors are
// scaled by 1 / (1 - p); otherwise x is returned as is. The mask comes from ember's default
// generator. `training` has no default, unlike PyTorch's F.dropout(training=True), which silently
// keeps dropping in eval mode when the caller forgets to pass self.training.
Tensor dropout(const Tensor& x, double p, bool training);

// ---- activations --------------------------------------------------------------------------
Tensor relu(const Tensor& x);
Tensor tanh(const Tensor& x);
Tensor sigmoid(const Tensor& x);
// gelu, silu, softplus, leaky_relu, elu: one fused node each (autograd/ops_activation.h).
Tensor gelu(const Tensor& x, const GELUFuncOptions& options = GELUFuncOptions());
Tensor silu(const Tensor& x);
Tensor softplus(const Tensor& x, const SoftplusFuncOptions& options = SoftplusFuncOptions());
Tensor leaky_relu(const Tensor& x, const LeakyReLUFuncOptions& options = LeakyReLUFuncOptions());
Tensor elu(const Tensor& x, const ELUFuncOptions& options = ELUFuncOptions());
Tensor softmax(const Tensor& x, std::int64_t dim);
Tensor log_softmax(const Tensor& x, std::int64_t dim);  // stable: the row max is subtracted first

// ---- losses ---------------------------------------------------------------------------------
// Logits (N, C) / (C) / (N, C, d1, ...) against int64 class indices or float probabilities.
Tensor cross_entropy(const Tensor& input, const Tensor& target,
                     const CrossEntropyFuncOptions& options = CrossEntropyFuncOptions());
// Log-probabilities against int64 class indices.
Tensor nll_loss(const Tensor& input, const Tensor& target, const NLLLossFuncOptions& options = NLLLossFuncOptions());
// (input - target)^2, same shapes.
Tensor mse_loss(const Tensor& input, const Tensor& target, const MSELossFuncOptions& options = MSELossFuncOptions());
// -[pos_weight y log sigmoid(x) + (1 - y) log(1 - sigmoid(x))] * weight, computed without
// overflow for any x: (1 - y) x + (1 + (pos_weight - 1) y) (max(-x, 0) + log(1 + exp(-|x|))).
Tensor binary_cross_entropy_with_logits(
    const Tensor& input, const Tensor& target,
    const BinaryCrossEntropyWithLogitsFuncOptions& options = BinaryCrossEntropyWithLogitsFuncOptions());
// max(0, -y (x1 - x2) + margin) with y in {1, -1}.
Tensor margin_ranking_loss(const Tensor& input1, const Tensor& input2, const Tensor& target,
                           const MarginRankingLossFuncOptions& options = MarginRankingLossFuncOptions());

}  // namespace ember::nn::functional
