// lstm_layer: the fused LSTM layer (all time steps, one direction, one tape entry). The forward and
// backward steps over a range of batch rows come first (their per-row cell loops are in
// lstm_cell.h); then the hand-written BPTT backward, and the layer's forward that records it.
#include "autograd/ops_lstm.h"

#include "autograd/function.h"
#include "autograd/lstm_cell.h"
#include "autograd/recurrent_layer.h"
#include "core/dispatch.h"
#include "core/kernels.h"
#include "core/kernels_recurrent.h"
#include "core/parallel.h"

#include <algorithm>
#include <type_traits>
#include <vector>

namespace ember {
namespace {

// The state-buffer layout, row blocks and bias sums shared with the GRU and RNN kernels.
using kernels::recurrent::column_sums;
using kernels::recurrent::is_valid;
using kernels::recurrent::rows_of;
using kernels::recurrent::Slots;

// The batch split (core/kernels_recurrent.h): an LSTM step has 4H gate rows per hidden unit.
std::int64_t batch_grain(std::int64_t T, std::int64_t B, std::int64_t H) {
  return kernels::recurrent::batch_grain(T, B, 4 * H, H);
}

// Sizes of one layer call: T steps, B sequences, I input features, H hidden units.
struct Dims {
  std::int64_t T, B, I, H;
};

// The cell loops for this CPU: float uses the AVX-512 build, else the AVX2+FMA one, where the CPU
// has them.
template <typename T>
const lstm_cell::Kernels<T>& cell_kernels() {
#if defined(__x86_64__) && defined(EMBER_LSTM_AVX2)
  if constexpr (std::is_same_v<T, float>) {
    static const bool avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq");
    static const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    if (avx512) return lstm_cell::avx512_float_kernels();
    if (avx2) return lstm_cell::avx2_float_kernels();
  }
#endif
  return lstm_cell::compiled_kernels<T>;
}

// ---- forward step over a range of rows ------------------------------------------------------
// On entry gates (B, 4H) holds x_t W_ih^T + h_{t-1} W_hh^T; on exit the activations i, f, g, o.
// A padded row (t >= its length) keeps its state: h_t = h_{t-1}, c_t = c_{t-1}, output 0.
template <typename T>
struct ForwardStep {
  T* gates;                 // (B, 4H)
  const T* bias;            // (4H) b_ih + b_hh (zeros without bias)
  const T* h_prev;          // (B, H)
  const T* c_prev;          // (B, H)
  T* h;                     // (B, H)
  T* c;                     // (B, H)
  T* tanh_c;                // (B, H) saved for backward (scratch when nothing is recorded)
  T* y;                     // (B, H) output when it differs from h (lengths given), else null
  const std::int64_t* lengths;
  std::int64_t t, H;
  const lstm_cell::Kernels<T>* cell;

  void operator()(std::int64_t b0, std::int64_t b1) const {
    for (std::int64_t b = b0; b < b1; ++b) {
      T* g = gates + b * 4 * H;
      T* hb = h + b * H;
      if (is_valid(lengths, b, t)) {
        cell->forward(H, g, bias, c_prev + b * H, c + b * H, tanh_c + b * H, hb);
        if (y) std::copy(hb, hb + H, y + b * H);
      } else {
        std::copy(h_prev + b * H, h_prev + (b + 1) * H, hb);
        std::copy(c_prev + b * H, c_prev + (b + 1) * H, c + b * H);
        if (y) std::fill(y + b * H, y + (b + 1) * H, T(0));
      }
    }
  }
};

// ---- backward step over a range of rows -----------------------------------------------------
// A padded row passes dh and dc through unchanged (its state was copied) and gets zero dgates.
template <typename T>
struct BackwardStep {
  const T* gates;           // (B, 4H) activations i, f, g, o
  const T* c_prev;          // (B, H)
  const T* tanh_c;          // (B, H)
  const T* dy;              // (B, H) gradient of the output at t, or null
  T* dh;                    // (B, H) in: dL/dh_t from later steps; out: 0 (valid) or pass-through
  T* dc;                    // (B, H) in: dL/dc_t; out: dL/dc_{t-1}
  T* dgates;                // (B, 4H) out
  const std::int64_t* lengths;
  std::int64_t t, H;
  const lstm_cell::Kernels<T>* cell;

  void operator()(std::int64_t b0, std::int64_t b1) const {
    for (std::int64_t b = b0; b < b1; ++b) {
      T* dg = dgates + b * 4 * H;
      if (!is_valid(lengths, b, t)) {
        std::fill(dg, dg + 4 * H, T(0));
        continue;
      }
      const std::int64_t r = b * H;
      cell->backward(H, gates + b * 4 * H, c_prev + r, tanh_c + r, dy ? dy + r : nullptr, dh + r, dc + r, dg);
    }
  }
};

void check_inputs(const Tensor& x, const Tensor& h0, const Tensor& c0, const Tensor& w_ih, const Tensor& w_hh,
                  const Tensor& b_ih, const Tensor& b_hh, const Tensor& lengths) {
  EMBER_CHECK(x.defined() && w_ih.defined() && w_hh.defined(), ValueError,
              "lstm: x, w_ih and w_hh must be defined; expected three defined tensors");
  EMBER_CHECK(is_floating(x.dtype()), TypeError, "lstm: x has dtype {}; expected float32 or float64",
              dtype_name(x.dtype()));
  for (const Tensor* t : {&h0, &c0, &w_ih, &w_hh, &b_ih, &b_hh})
    EMBER_CHECK(!t->defined() || t->dtype() == x.dtype(), TypeError,
                "lstm: a state or parameter has dtype {}; expected {} like x", dtype_name(t->dtype()),
                dtype_name(x.dtype()));
  EMBER_CHECK(w_hh.dim() == 2 && w_hh.size(1) > 0 && w_hh.size(0) == 4 * w_hh.size(1), ShapeError,
              "lstm: w_hh has shape {}; expected [4H, H]", shape_str(w_hh.shape()));
  const std::int64_t H = w_hh.size(1);
  EMBER_CHECK(w_ih.dim() == 2 && w_ih.size(0) == 4 * H, ShapeError,
              "lstm: w_ih has shape {}; expected [{}, input_size]", shape_str(w_ih.shape()), 4 * H);
  EMBER_CHECK(x.dim() == 3 && x.size(2) == w_ih.size(1), ShapeError, "lstm: x has shape {}; expected [T, B, {}]",
              shape_str(x.shape()), w_ih.size(1));
  EMBER_CHECK(x.size(0) > 0, ShapeError, "lstm: x has shape {}; expected a sequence length larger than 0",
              shape_str(x.shape()));
  EMBER_CHECK(b_ih.defined() == b_hh.defined(), ValueError,
              "lstm: only one of b_ih and b_hh is defined; expected both or neither");
  for (const Tensor* b : {&b_ih, &b_hh})
    EMBER_CHECK(!b->defined() || b->shape() == Shape{4 * H}, ShapeError, "lstm: a bias has shape {}; expected [{}]",
                shape_str(b->shape()), 4 * H);
  const Shape state{x.size(1), H};
  for (const Tensor* s : {&h0, &c0})
    EMBER_CHECK(!s->defined() || s->shape() == state, ShapeError, "lstm: an initial state has shape {}; expected {}",
                shape_str(s->shape()), shape_str(state));
  if (lengths.defined()) detail::check_lengths("lstm", lengths, x.size(1), x.size(0));
}

// What backward needs, saved at the end of forward.
struct LayerSaved {
  autograd::SavedTensor x, w_ih, w_hh;  // x: time-major contiguous (T, B, I)
  autograd::SavedTensor gates;          // (T, B, 4H) activations
  autograd::SavedTensor hs, cs;         // (T+1, B, H) states, see Slots
  autograd::SavedTensor tanh_c;         // (T, B, H)
  std::vector<std::int64_t> lengths;    // empty: all sequences are full length
  Dims d;
  bool reverse;
};

// BPTT for one layer and direction. Phases: (1) walk the steps backwards: fused kernel for
// dgates, one GEMM dh_{t-1} = dgates_t W_hh, by blocks of rows; (2) one GEMM each over all T*B rows for dx, dW_ih and
// dW_hh; (3) column sums for the biases.
autograd::Grads lstm_layer_backward(const LayerSaved& s, const std::vector<Tensor>& grad_outputs) {
  // Plain variables, not a structured binding: clang 14 (the fuzz build) cannot capture those in lambdas.
  const std::int64_t T = s.d.T, B = s.d.B, I = s.d.I, H = s.d.H;
  const Slots slots{T, s.reverse};
  const Tensor x = s.x.unpack(), w_ih = s.w_ih.unpack(), w_hh = s.w_hh.unpack();
  const Tensor gates = s.gates.unpack(), hs = s.hs.unpack(), cs = s.cs.unpack(), tanh_c = s.tanh_c.unpack();
  const DType dtype = x.dtype();

  // Phase 1: the recurrence, last processed step first, each block of rows on its own (see
  // batch_grain).
  const Tensor dy = grad_outputs[0].defined() ? kernels::contiguous(grad_outputs[0]) : Tensor();
  Tensor dh = grad_outputs[1].defined() ? kernels::clone(grad_outputs[1]) : zeros({B, H}, dtype);
  Tensor dc = grad_outputs[2].defined() ? kernels::clone(grad_outputs[2]) : zeros({B, H}, dtype);
  Tensor dgates = empty({T, B, 4 * H}, dtype);
  const std::int64_t* lengths = s.lengths.empty() ? nullptr : s.lengths.data();
  const bool want_dh0 = autograd::needs_grad(1);  // asked here: needs_grad() answers on this thread only
  detail::dispatch_floating(dtype, "lstm", [&]<typename T_>() {
    parallel_for(0, B, batch_grain(T, B, H), [&](std::int64_t b0, std::int64_t b1) {
      for (std::int64_t step = T - 1; step >= 0; --step) {
        const std::int64_t t = s.reverse ? T - 1 - step : step;
        const BackwardStep<T_> kernel{gates.data_ptr<T_>() + t * B * 4 * H,
                                      cs.data_ptr<T_>() + slots.prev(t) * B * H,
                                      tanh_c.data_ptr<T_>() + t * B * H,
                                      dy.defined() ? dy.data_ptr<T_>() + t * B * H : nullptr,
                                      dh.data_ptr<T_>(),
                                      dc.data_ptr<T_>(),
                                      dgates.data_ptr<T_>() + t * B * 4 * H,
                                      lengths,
                                      t,
                                      H,
                                      &cell_kernels<T_>()};
        kernel(b0, b1);
        // dh_{t-1} = dgates_t W_hh. The first step's is the gradient of h0: skipped when nobody wants it.
        if (step > 0 || want_dh0)
          kernels::gemm(rows_of(dgates, t, b0, b1), false, w_hh, false, kernels::narrow(dh, 0, b0, b1 - b0), 1.0,
                        1.0);
      }
    });
  });

  // Phase 2: everything that does not depend on the recurrence, as GEMMs over all T*B rows.
  const Tensor dgates_2d = kernels::view(dgates, {T * B, 4 * H});
  autograd::Grads grads(7);
  if (autograd::needs_grad(0)) {
    Tensor dx = empty({T, B, I}, dtype);
    kernels::gemm(dgates_2d, false, w_ih, false, kernels::view(dx, {T * B, I}));
    grads[0] = dx;
  }
  if (autograd::needs_grad(1)) grads[1] = dh;
  if (autograd::needs_grad(2)) grads[2] = dc;
  if (autograd::needs_grad(3)) {
    Tensor dw_ih = empty({4 * H, I}, dtype);
    kernels::gemm(dgates_2d, true, kernels::view(x, {T * B, I}), false, dw_ih);
    grads[3] = dw_ih;
  }
  if (autograd::needs_grad(4)) {
    Tensor dw_hh = empty({4 * H, H}, dtype);
    const Tensor h_prev = kernels::view(kernels::narrow(hs, 0, slots.first_prev(), T), {T * B, H});
    kernels::gemm(dgates_2d, true, h_prev, false, dw_hh);
    grads[4] = dw_hh;
  }

  // Phase 3: b_ih and b_hh enter the gates the same way, so both get the column sums.
  if (autograd::needs_grad(5) || autograd::needs_grad(6)) {
    const Tensor db = column_sums(dgates_2d);
    if (autograd::needs_grad(5)) grads[5] = db;
    if (autograd::needs_grad(6)) grads[6] = autograd::needs_grad(5) ? kernels::clone(db) : db;
  }
  return grads;
}

}  // namespace

LSTMLayerOutput lstm_layer(const Tensor& x, const Tensor& h0, const Tensor& c0, const Tensor& w_ih,
                           const Tensor& w_hh, const Tensor& b_ih, const Tensor& b_hh, const Tensor& lengths,
                           bool reverse) {
  check_inputs(x, h0, c0, w_ih, w_hh, b_ih, b_hh, lengths);
  const Dims d{x.size(0), x.size(1), x.size(2), w_hh.size(1)};
  const std::int64_t T = d.T, B = d.B, I = d.I, H = d.H;  // not a structured binding: see lstm_layer_backward
  const Slots slots{T, reverse};
  const DType dtype = x.dtype();
  const bool recording = autograd::any_requires_grad({x, h0, c0, w_ih, w_hh, b_ih, b_hh});

  // Every buffer of the call is allocated here, once; the step loop allocates nothing.
  const Tensor x_tm = kernels::contiguous(x);  // a copy only for a transposed (batch-first) view
  Tensor gates = empty({T, B, 4 * H}, dtype);
  Tensor hs = empty({T + 1, B, H}, dtype), cs = empty({T + 1, B, H}, dtype);
  Tensor tanh_c = empty({recording ? T : 1, B, H}, dtype);  // without recording: one step of scratch
  Tensor y = lengths.defined() ? empty({T, B, H}, dtype) : Tensor();
  std::vector<std::int64_t> lengths_vec = lengths.defined() ? lengths.to_vector<std::int64_t>()
                                                           : std::vector<std::int64_t>();
  Tensor h_init = kernels::select(hs, 0, slots.initial()), c_init = kernels::select(cs, 0, slots.initial());
  if (h0.defined()) kernels::copy_into(h_init, h0);
  else h_init.zero_();
  if (c0.defined()) kernels::copy_into(c_init, c0);
  else c_init.zero_();

  // The input projection of all steps at once: gates = X (T*B, I) W_ih^T.
  kernels::gemm(kernels::view(x_tm, {T * B, I}), false, w_ih, true, kernels::view(gates, {T * B, 4 * H}));

  detail::dispatch_floating(dtype, "lstm", [&]<typename T_>() {
    std::vector<T_> bias(static_cast<std::size_t>(4 * H), T_(0));  // b_ih + b_hh, added in the step kernel
    if (b_ih.defined()) {
      const std::vector<T_> bi = b_ih.to_vector<T_>(), bh = b_hh.to_vector<T_>();
      for (std::size_t j = 0; j < bias.size(); ++j) bias[j] = bi[j] + bh[j];
    }
    // Each block of rows through every step (see batch_grain).
    parallel_for(0, B, batch_grain(T, B, H), [&](std::int64_t b0, std::int64_t b1) {
      for (std::int64_t step = 0; step < T; ++step) {
        const std::int64_t t = reverse ? T - 1 - step : step;
        // gates_t += h_{t-1} W_hh^T
        kernels::gemm(rows_of(hs, slots.prev(t), b0, b1), false, w_hh, true, rows_of(gates, t, b0, b1), 1.0, 1.0);
        const ForwardStep<T_> kernel{gates.data_ptr<T_>() + t * B * 4 * H,
                                     bias.data(),
                                     hs.data_ptr<T_>() + slots.prev(t) * B * H,
                                     cs.data_ptr<T_>() + slots.prev(t) * B * H,
                                     hs.data_ptr<T_>() + slots.next(t) * B * H,
                                     cs.data_ptr<T_>() + slots.next(t) * B * H,
                                     tanh_c.data_ptr<T_>() + (recording ? t * B * H : 0),
                                     y.defined() ? y.data_ptr<T_>() + t * B * H : nullptr,
                                     lengths_vec.empty() ? nullptr : lengths_vec.data(),
                                     t,
                                     H,
                                     &cell_kernels<T_>()};
        kernel(b0, b1);
      }
    });
  });

  Tensor output = y.defined() ? y : kernels::narrow(hs, 0, slots.first_output(), T);
  Tensor h_n = kernels::select(hs, 0, slots.final()), c_n = kernels::select(cs, 0, slots.final());
  if (!recording) return {output, h_n, c_n};

  LayerSaved saved{autograd::SavedTensor(x_tm, "lstm"),   autograd::SavedTensor(w_ih, "lstm"),
                   autograd::SavedTensor(w_hh, "lstm"),   autograd::SavedTensor(gates, "lstm"),
                   autograd::SavedTensor(hs, "lstm"),     autograd::SavedTensor(cs, "lstm"),
                   autograd::SavedTensor(tanh_c, "lstm"), std::move(lengths_vec),
                   d,                                     reverse};
  std::vector<Tensor> outs = autograd::record_multi(
      "lstm", {output, h_n, c_n}, {x, h0, c0, w_ih, w_hh, b_ih, b_hh},
      [saved = std::move(saved)](const std::vector<Tensor>& grad_outputs) {
        return lstm_layer_backward(saved, grad_outputs);
      });
  return {outs[0], outs[1], outs[2]};
}

}  // namespace ember
