// RNN layer kernels (core/kernels_rnn.h): the per-row cell loops and the two layer passes.
#include "core/kernels_rnn.h"

#include "core/dispatch.h"
#include "core/kernels.h"
#include "core/kernels_recurrent.h"
#include "core/parallel.h"
#include "core/vec_math.h"

#include <algorithm>
#include <vector>

namespace ember::kernels {
namespace {

using recurrent::is_valid;
using recurrent::rows_of;
using recurrent::Slots;

// Rows [b0, b1) of one forward step: h = act(pre + bias) where valid; a padded row keeps its
// state and outputs 0.
template <typename T>
struct ForwardStep {
  const T* pre;     // (B, H) x_t W_ih^T + h_{t-1} W_hh^T
  const T* bias;    // (H) b_ih + b_hh (zeros without bias)
  const T* h_prev;  // (B, H)
  T* h;             // (B, H)
  T* y;             // (B, H) or null
  const std::int64_t* lengths;
  std::int64_t t, H;
  RNNActivation activation;

  void operator()(std::int64_t b0, std::int64_t b1) const {
    for (std::int64_t b = b0; b < b1; ++b) {
      const std::int64_t r = b * H;
      if (!is_valid(lengths, b, t)) {
        std::copy(h_prev + r, h_prev + r + H, h + r);
        if (y) std::fill(y + r, y + r + H, T(0));
        continue;
      }
      if (activation == RNNActivation::Tanh)
        for (std::int64_t j = 0; j < H; ++j) h[r + j] = vec_math::tanh(pre[r + j] + bias[j]);
      else
        for (std::int64_t j = 0; j < H; ++j) h[r + j] = std::max(pre[r + j] + bias[j], T(0));
      if (y) std::copy(h + r, h + r + H, y + r);
    }
  }
};

// Rows [b0, b1) of one backward step: dpre = (dh + dy) act'(h), dh = 0 for the GEMM that adds
// dh_{t-1}; tanh' = 1 - h^2, relu' = (h > 0) (0 at the kink, as PyTorch). A padded row passes dh
// through and gets dpre = 0.
template <typename T>
struct BackwardStep {
  const T* h;   // (B, H) h_t
  const T* dy;  // (B, H) or null
  T* dh;        // (B, H)
  T* dpre;      // (B, H) out
  const std::int64_t* lengths;
  std::int64_t t, H;
  RNNActivation activation;

  void operator()(std::int64_t b0, std::int64_t b1) const {
    for (std::int64_t b = b0; b < b1; ++b) {
      const std::int64_t r = b * H;
      if (!is_valid(lengths, b, t)) {
        std::fill(dpre + r, dpre + r + H, T(0));
        continue;
      }
      for (std::int64_t j = r; j < r + H; ++j) {
        const T dh_j = dy ? dh[j] + dy[j] : dh[j];
        dpre[j] = activation == RNNActivation::Tanh ? dh_j * (T(1) - h[j] * h[j]) : (h[j] > T(0) ? dh_j : T(0));
        dh[j] = T(0);
      }
    }
  }
};

}  // namespace

void rnn_forward(const RNNForward& f) {
  const std::int64_t T = f.x.size(0), B = f.x.size(1), I = f.x.size(2), H = f.w_hh.size(1);
  const Slots slots{T, f.reverse};
  // The input projection of all steps at once: pre = X (T*B, I) W_ih^T.
  gemm(view(f.x, {T * B, I}), false, f.w_ih, true, view(f.pre, {T * B, H}));
  detail::dispatch_floating(f.x.dtype(), "rnn", [&]<typename T_>() {
    std::vector<T_> bias(static_cast<std::size_t>(H), T_(0));
    if (f.b_ih.defined()) {
      const std::vector<T_> bi = kernels::contiguous(f.b_ih).to_vector<T_>(), bh = kernels::contiguous(f.b_hh).to_vector<T_>();
      for (std::size_t j = 0; j < bias.size(); ++j) bias[j] = bi[j] + bh[j];
    }
    parallel_for(0, B, recurrent::batch_grain(T, B, H, H), [&](std::int64_t b0, std::int64_t b1) {
      for (std::int64_t step = 0; step < T; ++step) {
        const std::int64_t t = slots.time(step);
        // pre_t += h_{t-1} W_hh^T
        gemm(rows_of(f.hs, slots.prev(t), b0, b1), false, f.w_hh, true, rows_of(f.pre, t, b0, b1), 1.0, 1.0);
        const ForwardStep<T_> kernel{.pre = f.pre.data_ptr<T_>() + t * B * H,
                                     .bias = bias.data(),
                                     .h_prev = f.hs.data_ptr<T_>() + slots.prev(t) * B * H,
                                     .h = f.hs.data_ptr<T_>() + slots.next(t) * B * H,
                                     .y = f.y.defined() ? f.y.data_ptr<T_>() + t * B * H : nullptr,
                                     .lengths = f.lengths,
                                     .t = t,
                                     .H = H,
                                     .activation = f.activation};
        kernel(b0, b1);
      }
    });
  });
}

RNNGrads rnn_backward(const RNNBackward& a) {
  const std::int64_t T = a.x.size(0), B = a.x.size(1), I = a.x.size(2), H = a.w_hh.size(1);
  const Slots slots{T, a.reverse};
  const DType dtype = a.x.dtype();
  Tensor dpre = empty({T, B, H}, dtype);
  const Tensor dy = a.dy.defined() ? kernels::contiguous(a.dy) : Tensor();

  // Phase 1: the recurrence, last processed step first, each block of rows on its own.
  detail::dispatch_floating(dtype, "rnn", [&]<typename T_>() {
    parallel_for(0, B, recurrent::batch_grain(T, B, H, H), [&](std::int64_t b0, std::int64_t b1) {
      for (std::int64_t step = T - 1; step >= 0; --step) {
        const std::int64_t t = slots.time(step);
        const BackwardStep<T_> kernel{.h = a.hs.data_ptr<T_>() + slots.next(t) * B * H,
                                      .dy = dy.defined() ? dy.data_ptr<T_>() + t * B * H : nullptr,
                                      .dh = a.dh.data_ptr<T_>(),
                                      .dpre = dpre.data_ptr<T_>() + t * B * H,
                                      .lengths = a.lengths,
                                      .t = t,
                                      .H = H,
                                      .activation = a.activation};
        kernel(b0, b1);
        // dh_{t-1} += dpre_t W_hh; the first step's is the gradient of h0: skipped when nobody wants it.
        if (step > 0 || a.want_dh0) gemm(rows_of(dpre, t, b0, b1), false, a.w_hh, false, narrow(a.dh, 0, b0, b1 - b0), 1.0, 1.0);
      }
    });
  });

  // Phase 2: GEMMs over all T*B rows; phase 3: the bias sums.
  const Tensor dpre_2d = view(dpre, {T * B, H});
  RNNGrads g;
  if (a.want_dx) {
    g.dx = empty({T, B, I}, dtype);
    gemm(dpre_2d, false, a.w_ih, false, view(g.dx, {T * B, I}));
  }
  if (a.want_dw_ih) {
    g.dw_ih = empty({H, I}, dtype);
    gemm(dpre_2d, true, view(a.x, {T * B, I}), false, g.dw_ih);
  }
  if (a.want_dw_hh) {
    g.dw_hh = empty({H, H}, dtype);
    gemm(dpre_2d, true, view(narrow(a.hs, 0, slots.first_prev(), T), {T * B, H}), false, g.dw_hh);
  }
  if (a.want_db) g.db = recurrent::column_sums(dpre_2d);
  return g;
}

}  // namespace ember::kernels
