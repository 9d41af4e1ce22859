// nn::GRU (PyTorch's torch.nn.GRU: gate order r, z, n, parameter names, shapes and init) and its
// options. Each layer and direction is one fused "gru" tape entry (autograd/ops_gru.h).
//   auto gru = std::make_shared<nn::GRU>(nn::GRUOptions(64, 128).batch_first(true));
//   auto [output, h_n] = gru->forward(x, Tensor(), lengths);  // x: [32, 10, 64]
//   Tensor last = nn::last_valid_step(output, lengths, true);  // nn/lstm.h
#pragma once

#include "core/arg.h"
#include "nn/module.h"

#include <cstdint>
#include <string>

namespace ember::nn {

struct GRUOptions {
  GRUOptions(std::int64_t input_size, std::int64_t hidden_size) : input_size_(input_size), hidden_size_(hidden_size) {}
  /// Features of each input step (required, > 0).
  EMBER_ARG(std::int64_t, input_size);
  /// Features of the hidden state h (required, > 0).
  EMBER_ARG(std::int64_t, hidden_size);
  /// Stacked layers; layer k > 0 reads layer k-1's output. Default: 1.
  EMBER_ARG(std::int64_t, num_layers) = 1;
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
// batch, hidden], indexed layer * D + direction (D = 2 if bidirectional).
struct GRUOutput {
  Tensor output;
  Tensor h_n;
};

// A multi-layer GRU with PyTorch's equations:
//   r = sigmoid(x W_ir^T + b_ir + h W_hr^T + b_hr);  z = sigmoid(x W_iz^T + b_iz + h W_hz^T + b_hz)
//   n = tanh(x W_in^T + b_in + r * (h W_hn^T + b_hn));  h' = (1 - z) * n + z * h
// Parameters, in PyTorch's registration order, for layer k and suffix "" or "_reverse":
//   weight_ih_l{k}{s} [3H, in_k], weight_hh_l{k}{s} [3H, H], bias_ih_l{k}{s} [3H], bias_hh_l{k}{s} [3H]
// with in_0 = input_size and in_k = D * hidden_size; all drawn from U(-1/sqrt(H), 1/sqrt(H)).
class GRU : public Module {
 public:
  explicit GRU(const GRUOptions& options);

  // input [seq, batch, input_size] (or [batch, seq, input_size] if batch_first); hx [num_layers *
  // D, batch, hidden] or undefined (zeros); lengths: int64 [batch] valid lengths for batches padded
  // at the end, with LSTM's packed-sequence semantics (nn/lstm.h).
  GRUOutput forward(const Tensor& input, const Tensor& hx = Tensor(), const Tensor& lengths = Tensor());

  // Redraws every parameter from U(-1/sqrt(H), 1/sqrt(H)) in registration order.
  void reset_parameters();
  const GRUOptions& options() const { return options_; }
  // "64, 128, batch_first=True": only the options that differ from PyTorch's defaults.
  std::string extra_repr() const override;

 private:
  GRUOptions options_;
};

}  // namespace ember::nn
