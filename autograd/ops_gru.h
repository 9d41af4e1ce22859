// gru_layer: one GRU layer in one direction over all time steps, recorded as ONE tape entry
// ("gru") whose backward is hand-written BPTT over batched GEMMs (kernels in core/kernels_gru.h).
// nn::GRU (nn/gru.h) stacks these.
#pragma once

#include "core/tensor.h"

namespace ember {

struct GRULayerOutput {
  Tensor output;  // [T, B, H]: h_t for every step (zero at padded steps when lengths are given)
  Tensor h_n;     // [B, H]: the state after each sequence's last processed step
};

// PyTorch's GRU equations with gate order r, z, n (rows [0:H], [H:2H], [2H:3H]):
//   r = sigmoid(x W_ir^T + b_ir + h W_hr^T + b_hr);  z = sigmoid(... z rows ...)
//   n = tanh(x W_in^T + b_in + r * (h W_hn^T + b_hn));  h' = (1 - z) * n + z * h
//
//   x          [T, B, in]  time-major (a transposed batch-first view is fine: copied once)
//   h0         [B, H]      initial state; undefined = zeros
//   w_ih       [3H, in]    w_hh [3H, H]
//   b_ih, b_hh [3H]        both defined, or both undefined (bias=false)
//   lengths    undefined, or int64 [B] with 1 <= lengths[b] <= T, as lstm_layer (autograd/ops_lstm.h):
//              the forward direction stops after b's last valid step, the reverse one starts there;
//              padded outputs are 0 and h_n holds each sequence's final valid state.
//   reverse    false: t = 0 .. T-1;  true: t = T-1 .. 0
// Gradients flow to x, h0 and the four parameters; the gradient arriving at output or h_n may be
// undefined. float32 and float64. Saved for backward: x, the weights, the gate activations and
// the recurrent projections [T, B, 3H] each, and the states [T+1, B, H].
GRULayerOutput gru_layer(const Tensor& x, const Tensor& h0, const Tensor& w_ih, const Tensor& w_hh,
                         const Tensor& b_ih, const Tensor& b_hh, const Tensor& lengths = Tensor(), bool reverse = false);

}  // namespace ember
