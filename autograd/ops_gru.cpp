// gru_layer (autograd/ops_gru.h): validation, the buffers of one call, the forward kernel, and the
// hand-written BPTT kernel recorded as its backward. The loops are in core/kernels_gru.cpp.
#include "autograd/ops_gru.h"

#include "autograd/function.h"
#include "autograd/recurrent_layer.h"
#include "core/kernels.h"
#include "core/kernels_gru.h"

#include <vector>

namespace ember {
namespace {

// What backward needs, saved at the end of forward.
struct GRUSaved {
  autograd::SavedTensor x, w_ih, w_hh, gates, gh, hs;
  std::vector<std::int64_t> lengths;  // empty: all sequences are full length
  bool reverse;
};

autograd::Grads gru_layer_backward(const GRUSaved& s, const std::vector<Tensor>& grad_outputs) {
  const Tensor x = s.x.unpack(), hs = s.hs.unpack();
  const std::int64_t B = x.size(1), H = hs.size(2);
  Tensor dh = grad_outputs[1].defined() ? kernels::clone(grad_outputs[1]) : zeros({B, H}, x.dtype());
  const kernels::GRUGrads g = kernels::gru_backward({.x = x,
                                                     .w_ih = s.w_ih.unpack(),
                                                     .w_hh = s.w_hh.unpack(),
                                                     .gates = s.gates.unpack(),
                                                     .gh = s.gh.unpack(),
                                                     .hs = hs,
                                                     .lengths = s.lengths.empty() ? nullptr : s.lengths.data(),
                                                     .reverse = s.reverse,
                                                     .dy = grad_outputs[0],
                                                     .dh = dh,
                                                     .want_dh0 = autograd::needs_grad(1),
                                                     .want_dx = autograd::needs_grad(0),
                                                     .want_dw_ih = autograd::needs_grad(2),
                                                     .want_dw_hh = autograd::needs_grad(3),
                                                     .want_db_ih = autograd::needs_grad(4),
                                                     .want_db_hh = autograd::needs_grad(5)});
  return {g.dx, autograd::needs_grad(1) ? dh : Tensor(), g.dw_ih, g.dw_hh, g.db_ih, g.db_hh};
}

}  // namespace

GRULayerOutput gru_layer(const Tensor& x, const Tensor& h0, const Tensor& w_ih, const Tensor& w_hh,
                         const Tensor& b_ih, const Tensor& b_hh, const Tensor& lengths, bool reverse) {
  detail::check_recurrent_layer_inputs("gru", 3, x, h0, w_ih, w_hh, b_ih, b_hh, lengths);
  const std::int64_t T = x.size(0), B = x.size(1), H = w_hh.size(1);
  const DType dtype = x.dtype();
  const bool recording = autograd::any_requires_grad({x, h0, w_ih, w_hh, b_ih, b_hh});

  // Every buffer of the call is allocated here, once; the step loop allocates nothing.
  detail::RecurrentStates states = detail::make_recurrent_states(x, h0, H, lengths, reverse);
  const kernels::GRUForward f{.x = kernels::contiguous(x),  // a copy only for a transposed (batch-first) view
                              .w_ih = w_ih,
                              .w_hh = w_hh,
                              .b_ih = b_ih,
                              .b_hh = b_hh,
                              .lengths = states.lengths_data(),
                              .reverse = reverse,
                              .gates = empty({T, B, 3 * H}, dtype),
                              .gh = empty({recording ? T : 1, B, 3 * H}, dtype),
                              .hs = states.hs,
                              .y = states.y};
  kernels::gru_forward(f);

  Tensor output = states.output(reverse), h_n = states.h_n(reverse);
  if (!recording) return {output, h_n};
  GRUSaved saved{.x = autograd::SavedTensor(f.x, "gru"),
                 .w_ih = autograd::SavedTensor(w_ih, "gru"),
                 .w_hh = autograd::SavedTensor(w_hh, "gru"),
                 .gates = autograd::SavedTensor(f.gates, "gru"),
                 .gh = autograd::SavedTensor(f.gh, "gru"),
                 .hs = autograd::SavedTensor(f.hs, "gru"),
                 .lengths = std::move(states.lengths),
                 .reverse = reverse};
  std::vector<Tensor> outs = autograd::record_multi(
      "gru", {output, h_n}, {x, h0, w_ih, w_hh, b_ih, b_hh},
      [saved = std::move(saved)](const std::vector<Tensor>& grad_outputs) {
        return gru_layer_backward(saved, grad_outputs);
      });
  return {outs[0], outs[1]};
}

}  // namespace ember
