// The LSTM cell loops: forward and backward of one batch row, the only element-wise work of an
// LSTM step. Written once, compiled twice, like PyTorch's per-CPU-capability kernels: for the
// baseline ISA (ops_lstm.cpp), with AVX2+FMA (lstm_cell_avx2.cpp) and with AVX-512
// (lstm_cell_avx512.cpp), chosen at run time.
#pragma once

#include "core/vec_math.h"

#include <cstdint>

namespace ember::lstm_cell {

// One row of one step. gates holds i, f, g, o one after the other, each [H].
template <typename T>
struct Kernels {
  // gates: pre-activations without bias in, activations out. c = f * c_prev + i * g;
  // h = o * tanh(c); tanh(c) is kept for backward.
  void (*forward)(std::int64_t H, T* gates, const T* bias, const T* c_prev, T* c, T* tanh_c, T* h);
  // dgates: pre-activation gradients out; dc: dL/dc_t in, dL/dc_{t-1} out; dh: dL/dh_t in (plus
  // dy, which may be null), 0 out, for the GEMM that then adds dh_{t-1} = dgates W_hh.
  void (*backward)(std::int64_t H, const T* gates, const T* c_prev, const T* tanh_c, const T* dy, T* dh, T* dc,
                   T* dgates);
};

// Defined in lstm_cell_avx2.cpp (x86-64 only); call only when the CPU has AVX2 and FMA.
const Kernels<float>& avx2_float_kernels();
// Defined in lstm_cell_avx512.cpp (x86-64 only); call only when the CPU has AVX-512F (and DQ).
const Kernels<float>& avx512_float_kernels();

// Internal linkage: every file that includes this compiles its own copy for its own ISA, so the
// linker can never hand an AVX2 body to the baseline path.
namespace {

// (restrict: the gate blocks, states and outputs never overlap; vec_math keeps exp/tanh inline.)
template <typename T>
void cell_forward(std::int64_t H, T* __restrict gi, T* __restrict gf, T* __restrict gg, T* __restrict go,
                  const T* __restrict bias, const T* __restrict c_prev, T* __restrict c, T* __restrict tanh_c,
                  T* __restrict h) {
  for (std::int64_t j = 0; j < H; ++j) {
    const T i = vec_math::sigmoid(gi[j] + bias[j]);
    const T f = vec_math::sigmoid(gf[j] + bias[H + j]);
    const T g = vec_math::tanh(gg[j] + bias[2 * H + j]);
    const T o = vec_math::sigmoid(go[j] + bias[3 * H + j]);
    gi[j] = i;
    gf[j] = f;
    gg[j] = g;
    go[j] = o;
    const T c_j = f * c_prev[j] + i * g;
    const T tc = vec_math::tanh(c_j);
    c[j] = c_j;
    tanh_c[j] = tc;
    h[j] = o * tc;
  }
}

//   dh = dh_next + dy;  dc = dc_next + dh * o * (1 - tanh(c)^2)
//   pre-activation gradients: di = dc g i(1-i), df = dc c_prev f(1-f), dg = dc i (1-g^2), do = dh tanh(c) o(1-o)
//   dc_prev = dc * f;  dh = 0
template <typename T, bool kHasDy>
void cell_backward(std::int64_t H, const T* __restrict gates, const T* __restrict c_prev,
                   const T* __restrict tanh_c, const T* __restrict dy, T* __restrict dh, T* __restrict dc,
                   T* __restrict di, T* __restrict df, T* __restrict dg, T* __restrict d_o) {
  for (std::int64_t j = 0; j < H; ++j) {
    const T i = gates[j], f = gates[H + j], g = gates[2 * H + j], o = gates[3 * H + j], tc = tanh_c[j];
    const T dh_j = kHasDy ? dh[j] + dy[j] : dh[j];
    const T dc_j = dc[j] + dh_j * o * (T(1) - tc * tc);
    di[j] = dc_j * g * i * (T(1) - i);
    df[j] = dc_j * c_prev[j] * f * (T(1) - f);
    dg[j] = dc_j * i * (T(1) - g * g);
    d_o[j] = dh_j * tc * o * (T(1) - o);
    dc[j] = dc_j * f;
    dh[j] = T(0);
  }
}

template <typename T>
void forward_row(std::int64_t H, T* gates, const T* bias, const T* c_prev, T* c, T* tanh_c, T* h) {
  cell_forward<T>(H, gates, gates + H, gates + 2 * H, gates + 3 * H, bias, c_prev, c, tanh_c, h);
}

template <typename T>
void backward_row(std::int64_t H, const T* gates, const T* c_prev, const T* tanh_c, const T* dy, T* dh, T* dc,
                  T* dgates) {
  T* const d[4] = {dgates, dgates + H, dgates + 2 * H, dgates + 3 * H};
  if (dy)
    cell_backward<T, true>(H, gates, c_prev, tanh_c, dy, dh, dc, d[0], d[1], d[2], d[3]);
  else
    cell_backward<T, false>(H, gates, c_prev, tanh_c, nullptr, dh, dc, d[0], d[1], d[2], d[3]);
}

// This file's build of the kernels.
template <typename T>
const Kernels<T> compiled_kernels{forward_row<T>, backward_row<T>};

}  // namespace
}  // namespace ember::lstm_cell
