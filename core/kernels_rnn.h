// The fused Elman RNN layer as a forward/backward kernel pair (one layer, one direction, all time
// steps, batched GEMMs, the batch split over ember's threads); the op is ember::rnn_layer
// (autograd/ops_rnn.h).
//   h_t = act(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh),  act = tanh or relu
#pragma once

#include "core/tensor.h"

#include <cstdint>

namespace ember::kernels {

enum class RNNActivation { Tanh, ReLU };

struct RNNForward {
  Tensor x;                     // (T, B, I) contiguous, time-major
  Tensor w_ih, w_hh;            // (H, I), (H, H)
  Tensor b_ih, b_hh;            // (H) each, or both undefined
  const std::int64_t* lengths;  // B valid lengths (1 <= len <= T), or null
  bool reverse;
  RNNActivation activation;
  Tensor pre;                   // (T, B, H) scratch: the pre-activations
  Tensor hs;                    // (T+1, B, H) states; in: h0 in slot Slots::initial()
  Tensor y;                     // (T, B, H) out with 0 at padded steps; undefined without lengths
};
void rnn_forward(const RNNForward& f);

struct RNNBackward {
  Tensor x, w_ih, w_hh, hs;  // as after rnn_forward: act'(pre) is read from h_t itself
  const std::int64_t* lengths;
  bool reverse;
  RNNActivation activation;
  Tensor dy;                 // (T, B, H) gradient of the output, or undefined
  Tensor dh;                 // (B, H) in: gradient of h_n; out: gradient of h0
  bool want_dh0, want_dx, want_dw_ih, want_dw_hh, want_db;
};
struct RNNGrads {
  Tensor dx, dw_ih, dw_hh, db;  // db: the gradient of b_ih and of b_hh alike
};
// BPTT: per step dpre = (dh + dy) act'(h_t) by rows, then one GEMM dh_{t-1} = dpre W_hh; then one
// GEMM each for dx, dW_ih and dW_hh over all T*B rows, and the column sums for the biases.
RNNGrads rnn_backward(const RNNBackward& b);

}  // namespace ember::kernels
