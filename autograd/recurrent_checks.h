// Argument checks shared by the fused recurrent layer ops (gru_layer, rnn_layer): every message
// names the op, the offending shape, dtype or value, and what was expected.
#pragma once

#include "core/tensor.h"

#include <cstdint>

namespace ember::detail {

// x [T, B, in], h0 [B, H] or undefined, w_ih [G*H, in], w_hh [G*H, H], b_ih and b_hh [G*H] (both or
// neither), lengths undefined or int64 [B] within [1, T]; all floats of x's dtype. G = gate_count.
void check_recurrent_layer_inputs(const char* op, std::int64_t gate_count, const Tensor& x, const Tensor& h0,
                                  const Tensor& w_ih, const Tensor& w_hh, const Tensor& b_ih, const Tensor& b_hh,
                                  const Tensor& lengths);

// lengths: int64 [B] with 1 <= lengths[b] <= T.
void check_lengths(const char* op, const Tensor& lengths, std::int64_t B, std::int64_t T);

}  // namespace ember::detail
