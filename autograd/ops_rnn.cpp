// rnn_layer (autograd/ops_rnn.h): validation, the buffers of one call, the forward kernel, and the
// hand-written BPTT kernel recorded as its backward. The loops are in core/kernels_rnn.cpp.
#include "autograd/ops_rnn.h"

#include "autograd/function.h"
#include "autograd/recurrent_layer.h"
#include "core/kernels.h"
#include "core/kernels_rnn.h"

#include <vector>

namespace ember {
namespace {

struct RNNSaved {
  autograd::SavedTensor x, w_ih, w_hh, hs;
  std::vector<std::int64_t> lengths;  // empty: all sequences are full length
  bool reverse;
  kernels::RNNActivation activation;
};

autograd::Grads rnn_layer_backward(const RNNSaved& s, const std::vector<Tensor>& grad_outputs) {
  const Tensor x = s.x.unpack(), hs = s.hs.unpack();
  Tensor dh = grad_outputs[1].defined() ? kernels::clone(grad_outputs[1]) : zeros({x.size(1), hs.size(2)}, x.dtype());
  const bool want_db = autograd::needs_grad(4) || autograd::needs_grad(5);
  const kernels::RNNGrads g = kernels::rnn_backward({.x = x,
                                                     .w_ih = s.w_ih.unpack(),
                                                     .w_hh = s.w_hh.unpack(),
                                                     .hs = hs,
                                                     .lengths = s.lengths.empty() ? nullptr : s.lengths.data(),
                                                     .reverse = s.reverse,
                                                     .activation = s.activation,
                                                     .dy = grad_outputs[0],
                                                     .dh = dh,
                                                     .want_dh0 = autograd::needs_grad(1),
                                                     .want_dx = autograd::needs_grad(0),
                                                     .want_dw_ih = autograd::needs_grad(2),
                                                     .want_dw_hh = autograd::needs_grad(3),
                                                     .want_db = want_db});
  // b_ih and b_hh enter the pre-activation the same way: both get the column sums.
  const Tensor db_hh = autograd::needs_grad(5) ? (autograd::needs_grad(4) ? kernels::clone(g.db) : g.db) : Tensor();
  return {g.dx, autograd::needs_grad(1) ? dh : Tensor(), g.dw_ih, g.dw_hh,
          autograd::needs_grad(4) ? g.db : Tensor(), db_hh};
}

}  // namespace

RNNLayerOutput rnn_layer(const Tensor& x, const Tensor& h0, const Tensor& w_ih, const Tensor& w_hh,
                         const Tensor& b_ih, const Tensor& b_hh, const std::string& nonlinearity,
                         const Tensor& lengths, bool reverse) {
  EMBER_CHECK(nonlinearity == "tanh" || nonlinearity == "relu", ValueError,
              "rnn: Unknown nonlinearity '{}'; expected 'tanh' or 'relu'", nonlinearity);
  detail::check_recurrent_layer_inputs("rnn", 1, x, h0, w_ih, w_hh, b_ih, b_hh, lengths);
  const std::int64_t T = x.size(0), B = x.size(1), H = w_hh.size(1);
  const DType dtype = x.dtype();
  const auto activation = nonlinearity == "tanh" ? kernels::RNNActivation::Tanh : kernels::RNNActivation::ReLU;

  // Every buffer of the call is allocated here, once; the step loop allocates nothing.
  detail::RecurrentStates states = detail::make_recurrent_states(x, h0, H, lengths, reverse);
  const kernels::RNNForward f{.x = kernels::contiguous(x),  // a copy only for a transposed (batch-first) view
                              .w_ih = w_ih,
                              .w_hh = w_hh,
                              .b_ih = b_ih,
                              .b_hh = b_hh,
                              .lengths = states.lengths_data(),
                              .reverse = reverse,
                              .activation = activation,
                              .pre = empty({T, B, H}, dtype),
                              .hs = states.hs,
                              .y = states.y};
  kernels::rnn_forward(f);

  Tensor output = states.output(reverse), h_n = states.h_n(reverse);
  if (!autograd::any_requires_grad({x, h0, w_ih, w_hh, b_ih, b_hh})) return {output, h_n};
  RNNSaved saved{.x = autograd::SavedTensor(f.x, "rnn"),
                 .w_ih = autograd::SavedTensor(w_ih, "rnn"),
                 .w_hh = autograd::SavedTensor(w_hh, "rnn"),
                 .hs = autograd::SavedTensor(f.hs, "rnn"),
                 .lengths = std::move(states.lengths),
                 .reverse = reverse,
                 .activation = activation};
  std::vector<Tensor> outs = autograd::record_multi(
      activation == kernels::RNNActivation::Tanh ? "rnn_tanh" : "rnn_relu", {output, h_n},
      {x, h0, w_ih, w_hh, b_ih, b_hh}, [saved = std::move(saved)](const std::vector<Tensor>& grad_outputs) {
        return rnn_layer_backward(saved, grad_outputs);
      });
  return {outs[0], outs[1]};
}

}  // namespace ember
