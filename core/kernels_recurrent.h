// Shared by the fused recurrent layer kernels (core/kernels_gru.cpp, core/kernels_rnn.cpp): the
// slot layout of the state buffers, the batch split, and the bias column sums.
#pragma once

#include "core/tensor.h"

#include <cstdint>

namespace ember::kernels::recurrent {

// Slots of a [T+1, B, H] state buffer: the forward direction reads slot t and writes t+1 (slot 0
// = h0); the reverse direction reads t+1 and writes t (slot T = h0). Either way the outputs are
// one contiguous block of T slots and so are the "previous states" of all steps.
struct Slots {
  std::int64_t T;
  bool reverse;
  std::int64_t prev(std::int64_t t) const { return reverse ? t + 1 : t; }
  std::int64_t next(std::int64_t t) const { return reverse ? t : t + 1; }
  std::int64_t initial() const { return reverse ? T : 0; }
  std::int64_t final() const { return reverse ? 0 : T; }
  std::int64_t first_output() const { return reverse ? 0 : 1; }
  std::int64_t first_prev() const { return reverse ? 1 : 0; }
  // The step processed `step`-th: t = step forward, T - 1 - step in reverse.
  std::int64_t time(std::int64_t step) const { return reverse ? T - 1 - step : step; }
};

// Whether row b is a real token at step t (always, without lengths).
inline bool is_valid(const std::int64_t* lengths, std::int64_t b, std::int64_t t) {
  return lengths == nullptr || t < lengths[b];
}

// Sequences are independent, so the recurrence splits by batch rows: each thread takes a block of
// rows through every step (its own GEMMs and cell loops) and the threads meet once per layer call.
// Below about 2^18 multiply-adds of recurrent products per call, one thread does it all.
inline std::int64_t batch_grain(std::int64_t T, std::int64_t B, std::int64_t gate_rows, std::int64_t H) {
  return T * B * gate_rows * H < (std::int64_t{1} << 18) ? B : 8;
}

// Rows [b0, b1) of slot `index` of a [slots, B, F] buffer: a contiguous [b1 - b0, F] block.
Tensor rows_of(const Tensor& buffer, std::int64_t index, std::int64_t b0, std::int64_t b1);

// Column sums of a 2-D (rows, n) contiguous matrix, accumulated in double: a bias gradient.
Tensor column_sums(const Tensor& m);

}  // namespace ember::kernels::recurrent
