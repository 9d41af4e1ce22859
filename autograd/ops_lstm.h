// lstm_layer: one LSTM layer in one direction over all time steps, recorded as ONE tape entry
// ("lstm") whose backward is hand-written BPTT over batched GEMMs. nn::LSTM stacks these.
#pragma once

#include "core/tensor.h"

namespace ember {

struct LSTMLayerOutput {
  Tensor output;  // [T, B, H]: h_t for every step (zero at padded steps when lengths are given)
  Tensor h_n;     // [B, H]: the state after each sequence's last processed step
  Tensor c_n;     // [B, H]
};

// PyTorch's LSTM equations with gate order i, f, g, o (rows [0:H], [H:2H], [2H:3H], [3H:4H]):
//   gates = x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh               (B, 4H)
//   i, f, o = sigmoid(.);  g = tanh(.);  c_t = f * c_{t-1} + i * g;  h_t = o * tanh(c_t)
//
//   x        [T, B, in]   time-major (a transposed batch-first view is fine: copied once)
//   h0, c0   [B, H]       initial state; undefined = zeros
//   w_ih     [4H, in]     w_hh [4H, H]
//   b_ih, b_hh [4H]       both defined, or both undefined (bias=false)
//   lengths  undefined, or int64 [B] with 1 <= lengths[b] <= T: sequence b is valid for t < len_b.
//            Packed-sequence semantics: the forward direction stops updating b's state after its
//            last valid step; the reverse direction starts at b's own last valid step, from h0.
//            Outputs at padded steps are 0, and h_n/c_n hold each sequence's final valid state.
//   reverse  false: t = 0 .. T-1;  true: t = T-1 .. 0 (the output at t is the state after t).
//
// Gradients flow to x, h0, c0 and the four parameters; the gradients arriving at output, h_n
// and c_n may each be undefined (zero). float32 and float64.
//
// Cost: one GEMM for the input projection of all steps, then per step one GEMM (h W_hh^T) and
// one fused gate kernel. Backward: per step one fused kernel and one GEMM for dh; then one GEMM
// each for dx, dW_ih and dW_hh over all steps, and column sums for the biases. With several
// threads the recurrence splits by batch rows: each thread takes a block of sequences through
// every step (single-threaded GEMMs on its rows), and the threads meet once per call. Saved for backward: x, the weights, the gate activations [T, B, 4H], h and c for
// every step [T+1, B, H] and tanh(c_t) [T, B, H].
LSTMLayerOutput lstm_layer(const Tensor& x, const Tensor& h0, const Tensor& c0, const Tensor& w_ih,
                           const Tensor& w_hh, const Tensor& b_ih, const Tensor& b_hh,
                           const Tensor& lengths = Tensor(), bool reverse = false);

}  // namespace ember
