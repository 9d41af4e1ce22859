// nn::RNN (PyTorch's torch.nn.RNN: tanh or relu, parameter names, shapes and init) and its
// options. Each layer and direction is one fused "rnn_tanh" / "rnn_relu" tape entry
// (autograd/ops_rnn.h).
//   auto rnn = std::make_shared<nn::RNN>(nn::RNNOptions(64, 128).nonlinearity("relu"));
//   auto [output, h_n] = rnn->forward(x);  // x: [10, 32, 64]
#pragma once

#include "core/arg.h"
#include "nn/module.h"

#include <cstdint>
#include <string>

namespace ember::nn {

struct RNNOptions {
  RNNOptions(std::int64_t input_size, std::int64_t hidden_size) : input_size_(input_size), hidden_size_(hidden_size) {}
  /// Features of each input step (required, > 0).
  EMBER_ARG(std::int64_t, input_size);
  /// Features of the hidden state h (required, > 0).
  EMBER_ARG(std::int64_t, hidden_size);
  /// Stacked layers; layer k > 0 reads layer k-1's output. Default: 1.
  EMBER_ARG(std::int64_t, num_layers) = 1;
  /// "tanh" or "relu". Default: "tanh".
  EMBER_ARG(std::string, nonlinearity) = "tanh";
  /// Learn b_ih and b_hh. Default: true.
  EMBER_ARG(bool, bias) = true;
  /// Input and output are [batch, seq, feature]; h is never batch-first. Default: false.
  EMBER_ARG(bool, batch_first) = false;
  /// Dropout probability on the output of every layer but the last, in training only. Default: 0.
  EMBER_ARG(double, dropout) = 0.0;
  /// A second direction per layer, running from the last step to the first. Default: false.
  EMBER_ARG(bool, bidirectional) = false;
};

// output: [seq, batch, D*hidden] ([batch, seq, D*hidden] if batch_first); h_n: [num_layers * D,
// batch, hidden], indexed layer * D + direction.
struct RNNOutput {
  Tensor output;
  Tensor h_n;
};

// h' = act(x W_ih^T + b_ih + h W_hh^T + b_hh). Parameters, in PyTorch's order, for layer k and
// suffix "" or "_reverse": weight_ih_l{k}{s} [H, in_k], weight_hh_l{k}{s} [H, H], bias_ih_l{k}{s},
// bias_hh_l{k}{s} [H]; all drawn from U(-1/sqrt(H), 1/sqrt(H)).
class RNN : public Module {
 public:
  explicit RNN(const RNNOptions& options);

  // As GRU::forward (nn/gru.h): hx [num_layers * D, batch, hidden] or undefined; lengths int64
  // [batch] with LSTM's packed-sequence semantics.
  RNNOutput forward(const Tensor& input, const Tensor& hx = Tensor(), const Tensor& lengths = Tensor());

  void reset_parameters();
  const RNNOptions& options() const { return options_; }
  // "64, 128, num_layers=2": like PyTorch's repr, which does not show nonlinearity.
  std::string extra_repr() const override;

 private:
  RNNOptions options_;
};

}  // namespace ember::nn
