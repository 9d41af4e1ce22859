// Shared by the fused recurrent layer ops (gru_layer, rnn_layer): the argument checks (every
// message names the op, the offending shape, dtype or value, and what was expected) and the state
// buffers of one call.
#pragma once

#include "core/tensor.h"

#include <cstdint>
#include <vector>

namespace ember::detail {

// x [T, B, in], h0 [B, H] or undefined, w_ih [G*H, in], w_hh [G*H, H], b_ih and b_hh [G*H] (both or
// neither), lengths undefined or int64 [B] within [1, T]; all floats of x's dtype. G = gate_count.
void check_recurrent_layer_inputs(const char* op, std::int64_t gate_count, const Tensor& x, const Tensor& h0,
                                  const Tensor& w_ih, const Tensor& w_hh, const Tensor& b_ih, const Tensor& b_hh,
                                  const Tensor& lengths);

// lengths: int64 [B] with 1 <= lengths[b] <= T.
void check_lengths(const char* op, const Tensor& lengths, std::int64_t B, std::int64_t T);

// The buffers every recurrent layer call fills: the states [T+1, B, H] with h0 (or zeros) already
// in its initial slot, the output [T, B, H] when lengths are given (0 at padded steps; otherwise the
// output is a view of the states), and the lengths as a vector the kernels can read.
struct RecurrentStates {
  Tensor hs, y;
  std::vector<std::int64_t> lengths;
  const std::int64_t* lengths_data() const { return lengths.empty() ? nullptr : lengths.data(); }
  // After the forward kernel: the output [T, B, H] and h_n [B, H].
  Tensor output(bool reverse) const;
  Tensor h_n(bool reverse) const;
};
RecurrentStates make_recurrent_states(const Tensor& x, const Tensor& h0, std::int64_t H, const Tensor& lengths,
                                      bool reverse);

}  // namespace ember::detail
