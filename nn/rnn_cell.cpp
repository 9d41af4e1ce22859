// RNNCell, GRUCell, LSTMCell: each step is the fused layer op over a sequence of length 1.
#include "nn/rnn_cell.h"

#include "autograd/grad_mode.h"
#include "autograd/ops.h"
#include "autograd/ops_gru.h"
#include "autograd/ops_lstm.h"
#include "autograd/ops_rnn.h"

#include <fmt/format.h>

#include <cmath>

namespace ember::nn {

RecurrentCellBase::RecurrentCellBase(const char* name, std::int64_t gates, std::int64_t input_size,
                                     std::int64_t hidden_size, bool bias)
    : Module(name), bias_(bias), input_size_(input_size), hidden_size_(hidden_size) {
  EMBER_CHECK(input_size > 0, ValueError, "{}: input_size = {}; expected input_size > 0", name, input_size);
  EMBER_CHECK(hidden_size > 0, ValueError, "{}: hidden_size = {}; expected hidden_size > 0", name, hidden_size);
  register_parameter("weight_ih", empty({gates * hidden_size, input_size}));
  register_parameter("weight_hh", empty({gates * hidden_size, hidden_size}));
  if (bias) {
    register_parameter("bias_ih", empty({gates * hidden_size}));
    register_parameter("bias_hh", empty({gates * hidden_size}));
  }
  reset_parameters();
}

void RecurrentCellBase::reset_parameters() {
  NoGradGuard no_grad;
  const double bound = 1.0 / std::sqrt(static_cast<double>(hidden_size_));
  for (Tensor& p : parameters(false)) p.uniform_(-bound, bound);
}

std::vector<Tensor> RecurrentCellBase::weights() const {
  std::vector<Tensor> w = parameters(false);  // looked up per call: load_state_dict/replace_parameter are seen
  w.resize(4);
  return w;
}

RecurrentCellBase::Step RecurrentCellBase::prepare(const Tensor& input, const std::vector<Tensor>& states) const {
  const char* op = name().c_str();
  check_defined(input, op, "input");
  EMBER_CHECK(input.dim() == 1 || input.dim() == 2, ShapeError,
              "{}: Expected input to be 1-D or 2-D but received {}-D tensor (shape {})", op, input.dim(),
              shape_str(input.shape()));
  EMBER_CHECK(input.size(-1) == input_size_, ShapeError, "{}: input has inconsistent input_size: got {} expected {}",
              op, input.size(-1), input_size_);
  const DType dtype = parameters(false).front().dtype();
  EMBER_CHECK(input.dtype() == dtype, TypeError, "{}: input has dtype {}; expected {} like the parameters", op,
              dtype_name(input.dtype()), dtype_name(dtype));
  const bool unbatched = input.dim() == 1;
  Step step{unbatched ? ember::unsqueeze(input, 0) : input, {}, unbatched};
  const std::int64_t B = step.x.size(0);
  for (const Tensor& s : states) {
    if (!s.defined()) {
      step.states.push_back(s);
      continue;
    }
    EMBER_CHECK(s.dim() == input.dim(), ShapeError, "{}: the state has shape {}; expected {} for input of shape {}",
                op, shape_str(s.shape()), unbatched ? fmt::format("[{}]", hidden_size_) : fmt::format("[{}, {}]", B, hidden_size_),
                shape_str(input.shape()));
    const Tensor s2 = unbatched ? ember::unsqueeze(s, 0) : s;
    EMBER_CHECK(s2.size(0) == B, ShapeError, "{}: Input batch size {} doesn't match hidden0 batch size {}", op, B,
                s2.size(0));
    EMBER_CHECK(s2.size(1) == hidden_size_, ShapeError, "{}: hidden0 has inconsistent hidden_size: got {}, expected {}",
                op, s2.size(1), hidden_size_);
    EMBER_CHECK(s2.dtype() == dtype, TypeError, "{}: the state has dtype {}; expected {} like the parameters", op,
                dtype_name(s2.dtype()), dtype_name(dtype));
    step.states.push_back(s2);
  }
  return step;
}

std::string RecurrentCellBase::cell_repr() const {
  return fmt::format("{}, {}{}", input_size_, hidden_size_, bias_ ? "" : ", bias=False");
}

namespace {
// [1, B, H] -> [B, H], or [H] for an unbatched step.
Tensor step_result(const Tensor& h, bool unbatched) { return unbatched ? ember::reshape(h, {-1}) : h; }
}  // namespace

RNNCell::RNNCell(const RNNCellOptions& options)
    : RecurrentCellBase("RNNCell", 1, options.input_size(), options.hidden_size(), options.bias()), options_(options) {
  EMBER_CHECK(options.nonlinearity() == "tanh" || options.nonlinearity() == "relu", ValueError,
              "RNNCell: Unknown nonlinearity '{}'; expected 'tanh' or 'relu'", options.nonlinearity());
}

Tensor RNNCell::forward(const Tensor& input, const Tensor& hx) {
  const Step s = prepare(input, {hx});
  const std::vector<Tensor> w = weights();
  const RNNLayerOutput r = rnn_layer(ember::unsqueeze(s.x, 0), s.states[0], w[0], w[1], w[2], w[3],
                                     options_.nonlinearity());
  return step_result(r.h_n, s.unbatched);
}

std::string RNNCell::extra_repr() const {
  return cell_repr() + (options_.nonlinearity() != "tanh" ? ", nonlinearity=" + options_.nonlinearity() : "");
}

GRUCell::GRUCell(const GRUCellOptions& options)
    : RecurrentCellBase("GRUCell", 3, options.input_size(), options.hidden_size(), options.bias()), options_(options) {}

Tensor GRUCell::forward(const Tensor& input, const Tensor& hx) {
  const Step s = prepare(input, {hx});
  const std::vector<Tensor> w = weights();
  const GRULayerOutput r = gru_layer(ember::unsqueeze(s.x, 0), s.states[0], w[0], w[1], w[2], w[3]);
  return step_result(r.h_n, s.unbatched);
}

std::string GRUCell::extra_repr() const { return cell_repr(); }

LSTMCell::LSTMCell(const LSTMCellOptions& options)
    : RecurrentCellBase("LSTMCell", 4, options.input_size(), options.hidden_size(), options.bias()),
      options_(options) {}

std::tuple<Tensor, Tensor> LSTMCell::forward(const Tensor& input,
                                             const std::optional<std::tuple<Tensor, Tensor>>& hx) {
  const Step s = prepare(input, hx ? std::vector<Tensor>{std::get<0>(*hx), std::get<1>(*hx)}
                                   : std::vector<Tensor>{Tensor(), Tensor()});
  const std::vector<Tensor> w = weights();
  const LSTMLayerOutput r = lstm_layer(ember::unsqueeze(s.x, 0), s.states[0], s.states[1], w[0], w[1], w[2], w[3]);
  return {step_result(r.h_n, s.unbatched), step_result(r.c_n, s.unbatched)};
}

std::string LSTMCell::extra_repr() const { return cell_repr(); }

}  // namespace ember::nn
