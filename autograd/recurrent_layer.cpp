// The checks of autograd/recurrent_layer.h.
#include "autograd/recurrent_layer.h"

#include "core/kernels.h"
#include "core/kernels_recurrent.h"

#include <vector>

namespace ember::detail {

void check_lengths(const char* op, const Tensor& lengths, std::int64_t B, std::int64_t T) {
  EMBER_CHECK((lengths.dtype() == kInt64 || lengths.dtype() == kInt32), TypeError, "{}: lengths is {} {}; expected int64 or int32 [{}]", op,
              dtype_name(lengths.dtype()), shape_str(lengths.shape()), B);
  EMBER_CHECK(lengths.shape() == Shape{B}, ShapeError, "{}: lengths is {} {}; expected int64 [{}]", op,
              dtype_name(lengths.dtype()), shape_str(lengths.shape()), B);
  const std::vector<std::int64_t> values = lengths.to_vector<std::int64_t>();
  for (std::size_t b = 0; b < values.size(); ++b)
    EMBER_CHECK(values[b] >= 1 && values[b] <= T, ValueError,
                "{}: lengths[{}] = {} is out of range; expected 1 <= length <= {} (the sequence length)", op, b,
                values[b], T);
}

void check_recurrent_layer_inputs(const char* op, std::int64_t gate_count, const Tensor& x, const Tensor& h0,
                                  const Tensor& w_ih, const Tensor& w_hh, const Tensor& b_ih, const Tensor& b_hh,
                                  const Tensor& lengths) {
  const std::int64_t G = gate_count;
  EMBER_CHECK(x.defined() && w_ih.defined() && w_hh.defined(), ValueError,
              "{}: x, w_ih and w_hh must be defined; expected three defined tensors", op);
  EMBER_CHECK(is_floating(x.dtype()), TypeError, "{}: x has dtype {}; expected float32 or float64", op,
              dtype_name(x.dtype()));
  for (const Tensor* t : {&h0, &w_ih, &w_hh, &b_ih, &b_hh})
    EMBER_CHECK(!t->defined() || t->dtype() == x.dtype(), TypeError,
                "{}: a state or parameter has dtype {}; expected {} like x", op, dtype_name(t->dtype()),
                dtype_name(x.dtype()));
  EMBER_CHECK(w_hh.dim() == 2 && w_hh.size(1) > 0 && w_hh.size(0) == G * w_hh.size(1), ShapeError,
              "{}: w_hh has shape {}; expected [{}H, H]", op, shape_str(w_hh.shape()), G);
  const std::int64_t H = w_hh.size(1);
  EMBER_CHECK(w_ih.dim() == 2 && w_ih.size(0) == G * H, ShapeError, "{}: w_ih has shape {}; expected [{}, input_size]",
              op, shape_str(w_ih.shape()), G * H);
  EMBER_CHECK(x.dim() == 3 && x.size(2) == w_ih.size(1), ShapeError, "{}: x has shape {}; expected [T, B, {}]", op,
              shape_str(x.shape()), w_ih.size(1));
  EMBER_CHECK(x.size(0) > 0, ShapeError, "{}: x has shape {}; expected a sequence length larger than 0", op,
              shape_str(x.shape()));
  EMBER_CHECK(b_ih.defined() == b_hh.defined(), ValueError,
              "{}: only one of b_ih and b_hh is defined; expected both or neither", op);
  for (const Tensor* b : {&b_ih, &b_hh})
    EMBER_CHECK(!b->defined() || b->shape() == Shape{G * H}, ShapeError, "{}: a bias has shape {}; expected [{}]", op,
                shape_str(b->shape()), G * H);
  const Shape state{x.size(1), H};
  EMBER_CHECK(!h0.defined() || h0.shape() == state, ShapeError, "{}: h0 has shape {}; expected {}", op,
              shape_str(h0.shape()), shape_str(state));
  if (lengths.defined()) check_lengths(op, lengths, x.size(1), x.size(0));
}

RecurrentStates make_recurrent_states(const Tensor& x, const Tensor& h0, std::int64_t H, const Tensor& lengths,
                                      bool reverse) {
  const std::int64_t T = x.size(0), B = x.size(1);
  RecurrentStates s{.hs = empty({T + 1, B, H}, x.dtype()),
                    .y = lengths.defined() ? empty({T, B, H}, x.dtype()) : Tensor(),
                    .lengths = lengths.defined() ? lengths.to_vector<std::int64_t>() : std::vector<std::int64_t>()};
  Tensor h_init = kernels::select(s.hs, 0, kernels::recurrent::Slots{T, reverse}.initial());
  if (h0.defined()) kernels::copy_into(h_init, h0);
  else h_init.zero_();
  return s;
}

Tensor RecurrentStates::output(bool reverse) const {
  const std::int64_t T = hs.size(0) - 1;
  return y.defined() ? y : kernels::narrow(hs, 0, kernels::recurrent::Slots{T, reverse}.first_output(), T);
}

Tensor RecurrentStates::h_n(bool reverse) const {
  return kernels::select(hs, 0, kernels::recurrent::Slots{hs.size(0) - 1, reverse}.final());
}

}  // namespace ember::detail
