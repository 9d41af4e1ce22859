// rnn_layer: one Elman RNN layer in one direction over all time steps, recorded as ONE tape entry
// ("rnn_tanh" or "rnn_relu") whose backward is hand-written BPTT over batched GEMMs (kernels in
// core/kernels_rnn.h). nn::RNN (nn/rnn.h) stacks these.
#pragma once

#include "core/tensor.h"

#include <string>

namespace ember {

struct RNNLayerOutput {
  Tensor output;  // [T, B, H]: h_t for every step (zero at padded steps when lengths are given)
  Tensor h_n;     // [B, H]: the state after each sequence's last processed step
};

// h_t = act(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh), act = tanh or relu (`nonlinearity`
// "tanh" / "relu"; anything else is refused naming it). Arguments as gru_layer (autograd/ops_gru.h)
// with w_ih [H, in], w_hh [H, H], b_ih, b_hh [H]. Saved for backward: x, the weights and the
// states [T+1, B, H] (both derivatives are read from h_t itself).
RNNLayerOutput rnn_layer(const Tensor& x, const Tensor& h0, const Tensor& w_ih, const Tensor& w_hh,
                         const Tensor& b_ih, const Tensor& b_hh, const std::string& nonlinearity = "tanh",
                         const Tensor& lengths = Tensor(), bool reverse = false);

}  // namespace ember
