// The fused GRU layer as a forward/backward kernel pair: one layer, one direction, all time steps,
// over batched GEMMs, the batch split over ember's threads. No autograd knowledge: the op that
// validates, allocates and records is ember::gru_layer (autograd/ops_gru.h).
//
// PyTorch's equations, gate order r, z, n (rows [0:H], [H:2H], [2H:3H] of the weights and biases):
//   gi = x_t W_ih^T + b_ih;  gh = h_{t-1} W_hh^T + b_hh                       (B, 3H) each
//   r = sigmoid(gi_r + gh_r);  z = sigmoid(gi_z + gh_z);  n = tanh(gi_n + r * gh_n)
//   h_t = (1 - z) * n + z * h_{t-1}          (b_hn sits inside the reset product)
#pragma once

#include "core/tensor.h"

#include <cstdint>

namespace ember::kernels {

// Everything one forward call reads and writes; buffers are allocated by the caller.
struct GRUForward {
  Tensor x;                     // (T, B, I) contiguous, time-major
  Tensor w_ih, w_hh;            // (3H, I), (3H, H)
  Tensor b_ih, b_hh;            // (3H) each, or both undefined
  const std::int64_t* lengths;  // B valid lengths (1 <= len <= T), or null: all full length
  bool reverse;                 // t = T-1 .. 0
  Tensor gates;                 // (T, B, 3H) out: the activations r, z, n
  Tensor gh;                    // (T, B, 3H) out: h_{t-1} W_hh^T + b_hh (its n part is needed by
                                //   backward); (1, B, 3H) scratch when nothing is recorded
  Tensor hs;                    // (T+1, B, H) states; in: h0 in slot Slots::initial()
  Tensor y;                     // (T, B, H) out: the output with 0 at padded steps; undefined
                                //   without lengths (the output is then a view of hs)
};
void gru_forward(const GRUForward& f);

struct GRUBackward {
  Tensor x, w_ih, w_hh, gates, gh, hs;  // as saved by gru_forward (gh with T slots)
  const std::int64_t* lengths;
  bool reverse;
  Tensor dy;                            // (T, B, H) gradient of the output, or undefined
  Tensor dh;                            // (B, H) in: gradient of h_n; out: gradient of h0
  bool want_dh0;                        // false: the last GEMM into dh is skipped
  bool want_dx, want_dw_ih, want_dw_hh, want_db_ih, want_db_hh;
};
struct GRUGrads {
  Tensor dx, dw_ih, dw_hh, db_ih, db_hh;  // undefined when not wanted
};
// BPTT: (1) the steps backwards, a fused row kernel for the gate gradients and one GEMM
// dh_{t-1} += dgh_t W_hh per step, by blocks of rows; (2) one GEMM each over all T*B rows for dx,
// dW_ih and dW_hh; (3) column sums for the biases.
GRUGrads gru_backward(const GRUBackward& b);

}  // namespace ember::kernels
