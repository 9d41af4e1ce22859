// The shared pieces of GRU and RNN (nn/recurrent.h).
#include "nn/recurrent.h"

#include "autograd/grad_mode.h"
#include "autograd/ops.h"
#include "autograd/recurrent_layer.h"
#include "nn/embedding.h"
#include "nn/functional.h"

#include <fmt/format.h>

#include <cmath>
#include <iostream>

namespace ember::nn::detail {

void check_recurrent_options(const RecurrentConfig& c) {
  EMBER_CHECK(c.input_size > 0, ValueError, "{}: input_size = {}; expected input_size > 0", c.module, c.input_size);
  EMBER_CHECK(c.hidden_size > 0, ValueError, "{}: hidden_size = {}; expected hidden_size > 0", c.module,
              c.hidden_size);
  EMBER_CHECK(c.num_layers >= 1, ValueError, "{}: num_layers = {}; expected num_layers >= 1", c.module, c.num_layers);
  EMBER_CHECK(c.dropout >= 0.0 && c.dropout <= 1.0, ValueError,
              "{}: dropout = {}; expected a number in range [0, 1] representing the probability of an element "
              "being zeroed",
              c.module, c.dropout);
  if (c.dropout > 0.0 && c.num_layers == 1)  // PyTorch's UserWarning: legal, but has no effect
    std::cerr << fmt::format("warning: {}: dropout option adds dropout after all but last recurrent layer, so "
                             "non-zero dropout expects num_layers greater than 1, but got dropout={} and "
                             "num_layers={}\n",
                             c.module, c.dropout, c.num_layers);
}

void register_recurrent_parameters(Module& module, const RecurrentConfig& c) {
  const std::int64_t G = c.gate_count, H = c.hidden_size;
  for (std::int64_t layer = 0; layer < c.num_layers; ++layer) {
    const std::int64_t in = layer == 0 ? c.input_size : c.directions() * H;
    for (std::int64_t direction = 0; direction < c.directions(); ++direction) {
      const std::string suffix = fmt::format("_l{}{}", layer, direction == 1 ? "_reverse" : "");
      module.register_parameter("weight_ih" + suffix, empty({G * H, in}));
      module.register_parameter("weight_hh" + suffix, empty({G * H, H}));
      if (c.bias) {
        module.register_parameter("bias_ih" + suffix, empty({G * H}));
        module.register_parameter("bias_hh" + suffix, empty({G * H}));
      }
    }
  }
  reset_recurrent_parameters(module, c);
}

void reset_recurrent_parameters(Module& module, const RecurrentConfig& c) {
  NoGradGuard no_grad;
  const double bound = 1.0 / std::sqrt(static_cast<double>(c.hidden_size));
  for (Tensor& p : module.parameters(false)) p.uniform_(-bound, bound);
}

std::string recurrent_extra_repr(const RecurrentConfig& c) {
  std::string s = fmt::format("{}, {}", c.input_size, c.hidden_size);
  if (c.num_layers != 1) s += fmt::format(", num_layers={}", c.num_layers);
  if (!c.bias) s += ", bias=False";
  if (c.batch_first) s += ", batch_first=True";
  if (c.dropout != 0.0) s += ", dropout=" + python_float(c.dropout);
  if (c.bidirectional) s += ", bidirectional=True";
  return s;
}

namespace {

void check_forward_args(const RecurrentConfig& c, const Tensor& input, const Tensor& hx, const Tensor& lengths,
                        DType dtype) {
  const bool bf = c.batch_first;
  EMBER_CHECK(input.dim() == 3, ShapeError, "{}: input has shape {}; expected 3 dimensions, {}", c.module,
              shape_str(input.shape()), bf ? "[batch, seq, input_size] (batch_first)" : "[seq, batch, input_size]");
  EMBER_CHECK(input.size(2) == c.input_size, ShapeError,
              "{}: input.size(-1) must be equal to input_size. Expected {}, got {} (input shape {})", c.module,
              c.input_size, input.size(2), shape_str(input.shape()));
  const std::int64_t T = input.size(bf ? 1 : 0), B = input.size(bf ? 0 : 1);
  EMBER_CHECK(T > 0, ShapeError, "{}: expected a sequence length larger than 0, got input of shape {}", c.module,
              shape_str(input.shape()));
  EMBER_CHECK(input.dtype() == dtype, TypeError, "{}: input has dtype {}; expected {} like the parameters", c.module,
              dtype_name(input.dtype()), dtype_name(dtype));
  if (hx.defined()) {
    const Shape state{c.num_layers * c.directions(), B, c.hidden_size};
    EMBER_CHECK(hx.shape() == state, ShapeError,
                "{}: Expected hidden size {} ([num_layers * num_directions, batch, hidden_size]), got {}", c.module,
                shape_str(state), shape_str(hx.shape()));
    EMBER_CHECK(hx.dtype() == dtype, TypeError, "{}: hx has dtype {}; expected {} like the parameters", c.module,
                dtype_name(hx.dtype()), dtype_name(dtype));
  }
  if (lengths.defined()) ember::detail::check_lengths(c.module, lengths, B, T);
}

}  // namespace

std::pair<Tensor, Tensor> run_recurrent_layers(const Module& module, const RecurrentConfig& c, const Tensor& input,
                                               const Tensor& hx, const Tensor& lengths,
                                               const RecurrentLayerFn& layer) {
  check_defined(input, c.module, "input");
  // Looked up on every call (a handful of entries) so a load_state_dict/replace_parameter is seen.
  std::vector<Tensor> params;
  for (auto& [name, p] : module.named_parameters(false)) params.push_back(p);
  check_forward_args(c, input, hx, lengths, params.front().dtype());

  const std::size_t per_direction = c.bias ? 4 : 2;
  Tensor x = c.batch_first ? ember::transpose(input, 0, 1) : input;  // time-major view [T, B, in]
  std::vector<Tensor> h_n;
  for (std::int64_t l = 0; l < c.num_layers; ++l) {
    std::vector<Tensor> outputs;
    for (std::int64_t direction = 0; direction < c.directions(); ++direction) {
      const std::int64_t k = l * c.directions() + direction;
      const Tensor* p = &params[static_cast<std::size_t>(k) * per_direction];
      const Tensor h0 = hx.defined() ? ember::select(hx, 0, k) : Tensor();
      auto [output, h] = layer(x, h0, p[0], p[1], c.bias ? p[2] : Tensor(), c.bias ? p[3] : Tensor(), lengths,
                               direction == 1);
      outputs.push_back(output);
      h_n.push_back(h);
    }
    x = c.directions() == 1 ? outputs[0] : ember::cat(outputs, 2);
    // Between layers only, and only in training: h_n and the last output stay undropped.
    if (l + 1 < c.num_layers) x = functional::dropout(x, c.dropout, module.is_training());
  }
  Tensor states = h_n.size() == 1 ? ember::unsqueeze(h_n[0], 0) : ember::stack(h_n, 0);
  return {c.batch_first ? ember::transpose(x, 0, 1) : x, states};
}

}  // namespace ember::nn::detail
