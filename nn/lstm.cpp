// nn::LSTM: options validation, PyTorch-named parameters, the layer/direction loop over the fused
// lstm_layer op, inter-layer dropout, and last_valid_step.
#include "nn/lstm.h"

#include "autograd/grad_mode.h"
#include "autograd/ops.h"
#include "autograd/ops_lstm.h"
#include "nn/functional.h"

#include <fmt/format.h>

#include <cmath>
#include <iostream>

namespace ember::nn {

namespace {

// Python's repr of a float: 0.1 -> "0.1", 1.0 -> "1.0".
std::string python_float(double v) {
  std::string s = fmt::format("{}", v);
  if (s.find_first_of(".en") == std::string::npos) s += ".0";
  return s;
}

}  // namespace

LSTM::LSTM(const LSTMOptions& options) : Module("LSTM"), options_(options) {
  const auto& o = options_;
  EMBER_CHECK(o.input_size() > 0, ValueError, "LSTM: input_size = {}; expected input_size > 0", o.input_size());
  EMBER_CHECK(o.hidden_size() > 0, ValueError, "LSTM: hidden_size = {}; expected hidden_size > 0", o.hidden_size());
  EMBER_CHECK(o.num_layers() >= 1, ValueError, "LSTM: num_layers = {}; expected num_layers >= 1", o.num_layers());
  EMBER_CHECK(o.dropout() >= 0.0 && o.dropout() <= 1.0, ValueError,
              "LSTM: dropout = {}; expected a number in range [0, 1] representing the probability of an element "
              "being zeroed",
              o.dropout());
  if (o.dropout() > 0.0 && o.num_layers() == 1)  // PyTorch's UserWarning: legal, but has no effect
    std::cerr << fmt::format("warning: LSTM: dropout option adds dropout after all but last recurrent layer, so "
                             "non-zero dropout expects num_layers greater than 1, but got dropout={} and "
                             "num_layers={}\n",
                             o.dropout(), o.num_layers());

  const std::int64_t H = o.hidden_size(), directions = o.bidirectional() ? 2 : 1;
  for (std::int64_t layer = 0; layer < o.num_layers(); ++layer) {
    const std::int64_t in = layer == 0 ? o.input_size() : directions * H;
    for (std::int64_t direction = 0; direction < directions; ++direction) {
      const std::string suffix = fmt::format("_l{}{}", layer, direction == 1 ? "_reverse" : "");
      register_parameter("weight_ih" + suffix, empty({4 * H, in}));
      register_parameter("weight_hh" + suffix, empty({4 * H, H}));
      if (o.bias()) {
        register_parameter("bias_ih" + suffix, empty({4 * H}));
        register_parameter("bias_hh" + suffix, empty({4 * H}));
      }
    }
  }
  reset_parameters();
}

void LSTM::reset_parameters() {
  NoGradGuard no_grad;
  const double bound = 1.0 / std::sqrt(static_cast<double>(options_.hidden_size()));
  for (Tensor& p : parameters(false)) p.uniform_(-bound, bound);
}

std::string LSTM::extra_repr() const {
  const auto& o = options_;
  std::string s = fmt::format("{}, {}", o.input_size(), o.hidden_size());
  if (o.num_layers() != 1) s += fmt::format(", num_layers={}", o.num_layers());
  if (!o.bias()) s += ", bias=False";
  if (o.batch_first()) s += ", batch_first=True";
  if (o.dropout() != 0.0) s += ", dropout=" + python_float(o.dropout());
  if (o.bidirectional()) s += ", bidirectional=True";
  return s;
}

void LSTM::check_forward_args(const Tensor& input, const std::optional<std::tuple<Tensor, Tensor>>& hx,
                              const Tensor& lengths, const std::vector<Tensor>& params) const {
  const auto& o = options_;
  const bool bf = o.batch_first();
  EMBER_CHECK(input.defined(), ValueError, "LSTM: input is undefined; expected a [{}] tensor",
              bf ? "batch, seq, input_size" : "seq, batch, input_size");
  EMBER_CHECK(input.dim() == 3 && input.size(2) == o.input_size(), ShapeError,
              "LSTM: expected input of shape {}, got {}",
              bf ? fmt::format("[batch, seq, {}] (batch_first)", o.input_size())
                 : fmt::format("[seq, batch, {}]", o.input_size()),
              shape_str(input.shape()));
  const std::int64_t T = input.size(bf ? 1 : 0), B = input.size(bf ? 0 : 1);
  EMBER_CHECK(T > 0, ShapeError, "LSTM: expected a sequence length larger than 0, got input of shape {}",
              shape_str(input.shape()));
  const DType dtype = params.front().dtype();
  EMBER_CHECK(input.dtype() == dtype, TypeError, "LSTM: input has dtype {}; expected {} like the parameters",
              dtype_name(input.dtype()), dtype_name(dtype));
  if (hx) {
    const Shape state{o.num_layers() * (o.bidirectional() ? 2 : 1), B, o.hidden_size()};
    const auto& [h0, c0] = *hx;
    for (const auto& [name, t] : {std::pair{"h0", &h0}, std::pair{"c0", &c0}}) {
      EMBER_CHECK(t->defined() && t->shape() == state, ShapeError,
                  "LSTM: expected {} of shape {} ([num_layers * num_directions, batch, hidden_size]), got {}", name,
                  shape_str(state), t->defined() ? shape_str(t->shape()) : "an undefined tensor");
      EMBER_CHECK(t->dtype() == dtype, TypeError, "LSTM: {} has dtype {}; expected {} like the parameters", name,
                  dtype_name(t->dtype()), dtype_name(dtype));
    }
  }
  if (lengths.defined()) {
    EMBER_CHECK((lengths.dtype() == kInt64 || lengths.dtype() == kInt32), TypeError,
                "LSTM: expected lengths as an int64 tensor of shape [{}], got {} {}", B, dtype_name(lengths.dtype()),
                shape_str(lengths.shape()));
    EMBER_CHECK(lengths.shape() == Shape{B}, ShapeError,
                "LSTM: expected lengths as an int64 tensor of shape [{}], got {} {}", B, dtype_name(lengths.dtype()),
                shape_str(lengths.shape()));
    const std::vector<std::int64_t> values = lengths.to_vector<std::int64_t>();
    for (std::size_t b = 0; b < values.size(); ++b)
      EMBER_CHECK(values[b] >= 1 && values[b] <= T, ValueError,
                  "LSTM: lengths[{}] = {} is out of range; expected 1 <= length <= {} (the sequence length)", b,
                  values[b], T);
  }
}

LSTMOutput LSTM::forward(const Tensor& input, const std::optional<std::tuple<Tensor, Tensor>>& hx,
                         const Tensor& lengths) {
  check_defined(input, "LSTM.forward", "input");
  // Looked up on every call (a handful of entries) so a load_state_dict/replace_parameter is seen.
  std::vector<Tensor> params;
  for (auto& [name, p] : named_parameters(false)) params.push_back(p);
  check_forward_args(input, hx, lengths, params);

  const auto& o = options_;
  const std::int64_t directions = o.bidirectional() ? 2 : 1;
  const std::size_t per_direction = o.bias() ? 4 : 2;
  Tensor x = o.batch_first() ? ember::transpose(input, 0, 1) : input;  // time-major view [T, B, in]
  std::vector<Tensor> h_n, c_n;
  for (std::int64_t layer = 0; layer < o.num_layers(); ++layer) {
    std::vector<Tensor> outputs;
    for (std::int64_t direction = 0; direction < directions; ++direction) {
      const std::int64_t k = layer * directions + direction;
      const Tensor* p = &params[static_cast<std::size_t>(k) * per_direction];
      const Tensor h0 = hx ? ember::select(std::get<0>(*hx), 0, k) : Tensor();
      const Tensor c0 = hx ? ember::select(std::get<1>(*hx), 0, k) : Tensor();
      LSTMLayerOutput r = lstm_layer(x, h0, c0, p[0], p[1], o.bias() ? p[2] : Tensor(), o.bias() ? p[3] : Tensor(),
                                     lengths, direction == 1);
      outputs.push_back(r.output);
      h_n.push_back(r.h_n);
      c_n.push_back(r.c_n);
    }
    x = directions == 1 ? outputs[0] : ember::cat(outputs, 2);
    // Between layers only, and only in training: h_n/c_n and the last output stay undropped.
    if (layer + 1 < o.num_layers()) x = functional::dropout(x, o.dropout(), is_training());
  }
  const auto stack_states = [](const std::vector<Tensor>& s) {
    return s.size() == 1 ? ember::unsqueeze(s[0], 0) : ember::stack(s, 0);
  };
  return {o.batch_first() ? ember::transpose(x, 0, 1) : x, stack_states(h_n), stack_states(c_n)};
}

Tensor last_valid_step(const Tensor& output, const Tensor& lengths, bool batch_first, bool bidirectional) {
  EMBER_CHECK(output.defined() && output.dim() == 3, ShapeError,
              "last_valid_step: output has shape {}; expected {}",
              output.defined() ? shape_str(output.shape()) : "undefined",
              batch_first ? "[batch, seq, features]" : "[seq, batch, features]");
  const std::int64_t time_dim = batch_first ? 1 : 0, T = output.size(time_dim), B = output.size(1 - time_dim),
                     F = output.size(2);
  const auto describe = [&] {
    return lengths.defined() ? fmt::format("{} {}", dtype_name(lengths.dtype()), shape_str(lengths.shape()))
                             : std::string("undefined");
  };
  EMBER_CHECK(lengths.defined() && (lengths.dtype() == kInt64 || lengths.dtype() == kInt32), TypeError,
              "last_valid_step: lengths is {}; expected an int64 tensor of shape [{}]", describe(), B);
  EMBER_CHECK(lengths.shape() == Shape{B}, ShapeError,
              "last_valid_step: lengths is {}; expected an int64 tensor of shape [{}]", describe(), B);
  EMBER_CHECK(!bidirectional || F % 2 == 0, ShapeError,
              "last_valid_step: {} features cannot be split into two directions; expected an even count", F);
  const std::vector<std::int64_t> values = lengths.to_vector<std::int64_t>();
  for (std::size_t b = 0; b < values.size(); ++b)
    EMBER_CHECK(values[b] >= 1 && values[b] <= T, ValueError,
                "last_valid_step: lengths[{}] = {} is out of range; expected 1 <= length <= {} (the sequence length)",
                b, values[b], T);

  // gather along time with an index that holds lengths[b] - 1 for every feature of row b.
  const std::int64_t F_fwd = bidirectional ? F / 2 : F;
  std::vector<std::int64_t> index_values;
  index_values.reserve(static_cast<std::size_t>(B * F_fwd));
  for (std::int64_t b = 0; b < B; ++b)
    for (std::int64_t j = 0; j < F_fwd; ++j) index_values.push_back(values[b] - 1);
  const Tensor index = tensor(index_values, batch_first ? Shape{B, 1, F_fwd} : Shape{1, B, F_fwd});
  const Tensor forward_part = bidirectional ? ember::narrow(output, 2, 0, F_fwd) : output;
  Tensor last = ember::squeeze(ember::gather(forward_part, time_dim, index), time_dim);
  if (!bidirectional) return last;
  // The reverse direction ends at step 0.
  const Tensor reverse_last = ember::narrow(ember::select(output, time_dim, 0), 1, F_fwd, F_fwd);
  return ember::cat({last, reverse_last}, 1);
}

}  // namespace ember::nn
