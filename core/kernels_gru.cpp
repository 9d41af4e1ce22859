// GRU layer kernels (core/kernels_gru.h): the per-row cell loops, the forward and backward steps
// over a block of batch rows, and the two layer passes.
#include "core/kernels_gru.h"

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

// One row of one step. gi: x_t W_ih^T (no bias) in, activations r, z, n out; gh: h_{t-1} W_hh^T
// (no bias) in, plus b_hh out (backward needs gh_n = W_hn h + b_hn).
template <typename T>
void cell_forward(std::int64_t H, T* __restrict gi, T* __restrict gh, const T* __restrict b_ih,
                  const T* __restrict b_hh, const T* __restrict h_prev, T* __restrict h) {
  for (std::int64_t j = 0; j < H; ++j) {
    const T r = vec_math::sigmoid(gi[j] + b_ih[j] + gh[j] + b_hh[j]);
    const T z = vec_math::sigmoid(gi[H + j] + b_ih[H + j] + gh[H + j] + b_hh[H + j]);
    const T gh_n = gh[2 * H + j] + b_hh[2 * H + j];
    const T n = vec_math::tanh(gi[2 * H + j] + b_ih[2 * H + j] + r * gh_n);
    gi[j] = r;
    gi[H + j] = z;
    gi[2 * H + j] = n;
    gh[2 * H + j] = gh_n;
    h[j] = (T(1) - z) * n + z * h_prev[j];
  }
}

//   dh = dh_next + dy;  dn = dh (1 - z) (1 - n^2);  dz = dh (h_prev - n) z (1 - z)
//   dr = dn gh_n r (1 - r);  dgi = (dr, dz, dn);  dgh = (dr, dz, dn r)
//   dh_prev = dh z (+ dgh W_hh, the GEMM that follows)
template <typename T>
void cell_backward(std::int64_t H, const T* __restrict gates, const T* __restrict gh, const T* __restrict h_prev,
                   const T* __restrict dy, T* __restrict dh, T* __restrict dgi, T* __restrict dgh) {
  for (std::int64_t j = 0; j < H; ++j) {
    const T r = gates[j], z = gates[H + j], n = gates[2 * H + j];
    const T dh_j = dy ? dh[j] + dy[j] : dh[j];
    const T dn = dh_j * (T(1) - z) * (T(1) - n * n);
    const T dz = dh_j * (h_prev[j] - n) * z * (T(1) - z);
    const T dr = dn * gh[2 * H + j] * r * (T(1) - r);
    dgi[j] = dgh[j] = dr;
    dgi[H + j] = dgh[H + j] = dz;
    dgi[2 * H + j] = dn;
    dgh[2 * H + j] = dn * r;
    dh[j] = dh_j * z;
  }
}

// One forward step over rows [b0, b1). A padded row (t >= its length) keeps its state and
// outputs 0.
template <typename T>
struct ForwardStep {
  T* gi;            // (B, 3H)
  T* gh;            // (B, 3H)
  const T* b_ih;    // (3H), zeros without bias
  const T* b_hh;    // (3H)
  const T* h_prev;  // (B, H)
  T* h;             // (B, H)
  T* y;             // (B, H) or null
  const std::int64_t* lengths;
  std::int64_t t, H;

  void operator()(std::int64_t b0, std::int64_t b1) const {
    for (std::int64_t b = b0; b < b1; ++b) {
      const std::int64_t r = b * H;
      if (is_valid(lengths, b, t)) {
        cell_forward<T>(H, gi + 3 * r, gh + 3 * r, b_ih, b_hh, h_prev + r, h + r);
        if (y) std::copy(h + r, h + r + H, y + r);
      } else {
        std::copy(h_prev + r, h_prev + r + H, h + r);
        if (y) std::fill(y + r, y + r + H, T(0));
      }
    }
  }
};

// One backward step over rows [b0, b1). A padded row passes dh through and gets zero gate gradients.
template <typename T>
struct BackwardStep {
  const T* gates;   // (B, 3H) r, z, n
  const T* gh;      // (B, 3H), n part = gh_n
  const T* h_prev;  // (B, H)
  const T* dy;      // (B, H) or null
  T* dh;            // (B, H)
  T* dgi;           // (B, 3H) out
  T* dgh;           // (B, 3H) out
  const std::int64_t* lengths;
  std::int64_t t, H;

  void operator()(std::int64_t b0, std::int64_t b1) const {
    for (std::int64_t b = b0; b < b1; ++b) {
      const std::int64_t r = b * H;
      if (!is_valid(lengths, b, t)) {
        std::fill(dgi + 3 * r, dgi + 3 * r + 3 * H, T(0));
        std::fill(dgh + 3 * r, dgh + 3 * r + 3 * H, T(0));
        continue;
      }
      cell_backward<T>(H, gates + 3 * r, gh + 3 * r, h_prev + r, dy ? dy + r : nullptr, dh + r, dgi + 3 * r,
                       dgh + 3 * r);
    }
  }
};

template <typename T>
std::vector<T> bias_or_zeros(const Tensor& b, std::int64_t n) {
  return b.defined() ? kernels::contiguous(b).to_vector<T>() : std::vector<T>(static_cast<std::size_t>(n), T(0));
}

}  // namespace

void gru_forward(const GRUForward& f) {
  const std::int64_t T = f.x.size(0), B = f.x.size(1), I = f.x.size(2), H = f.w_hh.size(1);
  const Slots slots{T, f.reverse};
  const bool keep_gh = f.gh.size(0) == T;
  // The input projection of all steps at once: gi = X (T*B, I) W_ih^T.
  gemm(view(f.x, {T * B, I}), false, f.w_ih, true, view(f.gates, {T * B, 3 * H}));
  detail::dispatch_floating(f.x.dtype(), "gru", [&]<typename T_>() {
    const std::vector<T_> b_ih = bias_or_zeros<T_>(f.b_ih, 3 * H), b_hh = bias_or_zeros<T_>(f.b_hh, 3 * H);
    parallel_for(0, B, recurrent::batch_grain(T, B, 3 * H, H), [&](std::int64_t b0, std::int64_t b1) {
      for (std::int64_t step = 0; step < T; ++step) {
        const std::int64_t t = slots.time(step), gh_slot = keep_gh ? t : 0;
        // gh_t = h_{t-1} W_hh^T (the bias is added in the cell)
        gemm(rows_of(f.hs, slots.prev(t), b0, b1), false, f.w_hh, true, rows_of(f.gh, gh_slot, b0, b1));
        const ForwardStep<T_> kernel{.gi = f.gates.data_ptr<T_>() + t * B * 3 * H,
                                     .gh = f.gh.data_ptr<T_>() + gh_slot * B * 3 * H,
                                     .b_ih = b_ih.data(),
                                     .b_hh = b_hh.data(),
                                     .h_prev = f.hs.data_ptr<T_>() + slots.prev(t) * B * H,
                                     .h = f.hs.data_ptr<T_>() + slots.next(t) * B * H,
                                     .y = f.y.defined() ? f.y.data_ptr<T_>() + t * B * H : nullptr,
                                     .lengths = f.lengths,
                                     .t = t,
                                     .H = H};
        kernel(b0, b1);
      }
    });
  });
}

GRUGrads gru_backward(const GRUBackward& a) {
  const std::int64_t T = a.x.size(0), B = a.x.size(1), I = a.x.size(2), H = a.w_hh.size(1);
  const Slots slots{T, a.reverse};
  const DType dtype = a.x.dtype();
  Tensor dgi = empty({T, B, 3 * H}, dtype), dgh = empty({T, B, 3 * H}, dtype);
  const Tensor dy = a.dy.defined() ? kernels::contiguous(a.dy) : Tensor();

  // Phase 1: the recurrence, last processed step first, each block of rows on its own.
  detail::dispatch_floating(dtype, "gru", [&]<typename T_>() {
    parallel_for(0, B, recurrent::batch_grain(T, B, 3 * H, H), [&](std::int64_t b0, std::int64_t b1) {
      for (std::int64_t step = T - 1; step >= 0; --step) {
        const std::int64_t t = slots.time(step);
        const BackwardStep<T_> kernel{.gates = a.gates.data_ptr<T_>() + t * B * 3 * H,
                                      .gh = a.gh.data_ptr<T_>() + t * B * 3 * H,
                                      .h_prev = a.hs.data_ptr<T_>() + slots.prev(t) * B * H,
                                      .dy = dy.defined() ? dy.data_ptr<T_>() + t * B * H : nullptr,
                                      .dh = a.dh.data_ptr<T_>(),
                                      .dgi = dgi.data_ptr<T_>() + t * B * 3 * H,
                                      .dgh = dgh.data_ptr<T_>() + t * B * 3 * H,
                                      .lengths = a.lengths,
                                      .t = t,
                                      .H = H};
        kernel(b0, b1);
        // dh_{t-1} += dgh_t W_hh. The first step's is the gradient of h0: skipped when nobody wants it.
        if (step > 0 || a.want_dh0) gemm(rows_of(dgh, t, b0, b1), false, a.w_hh, false, narrow(a.dh, 0, b0, b1 - b0), 1.0, 1.0);
      }
    });
  });

  // Phase 2: what does not depend on the recurrence, as GEMMs over all T*B rows.
  const Tensor dgi_2d = view(dgi, {T * B, 3 * H}), dgh_2d = view(dgh, {T * B, 3 * H});
  GRUGrads g;
  if (a.want_dx) {
    g.dx = empty({T, B, I}, dtype);
    gemm(dgi_2d, false, a.w_ih, false, view(g.dx, {T * B, I}));
  }
  if (a.want_dw_ih) {
    g.dw_ih = empty({3 * H, I}, dtype);
    gemm(dgi_2d, true, view(a.x, {T * B, I}), false, g.dw_ih);
  }
  if (a.want_dw_hh) {
    g.dw_hh = empty({3 * H, H}, dtype);
    gemm(dgh_2d, true, view(narrow(a.hs, 0, slots.first_prev(), T), {T * B, H}), false, g.dw_hh);
  }
  // Phase 3: the biases (b_ih and b_hh differ in the n rows: b_hn is inside the reset product).
  if (a.want_db_ih) g.db_ih = recurrent::column_sums(dgi_2d);
  if (a.want_db_hh) g.db_hh = recurrent::column_sums(dgh_2d);
  return g;
}

}  // namespace ember::kernels
