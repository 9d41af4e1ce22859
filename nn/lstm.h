// nn::LSTM (PyTorch's torch.nn.LSTM: gate order, parameter names, shapes and init), its options,
// and last_valid_step, which takes each padded sequence's last real output.
#pragma once

#include "core/arg.h"
#include "nn/module.h"

#include <cstdint>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

namespace ember::nn {

struct LSTMOptions {
  LSTMOptions(std::int64_t input_size, std::int64_t hidden_size)
      : input_size_(input_size), hidden_size_(hidden_size) {}
  /// Features of each input step (required, > 0).
  EMBER_ARG(std::int64_t, input_size);
  /// Features of the hidden state h and the cell state c (required, > 0).
  EMBER_ARG(std::int64_t, hidden_size);
  /// Stacked layers; layer k > 0 reads layer k-1's output. Default: 1.
  EMBER_ARG(std::int64_t, num_layers) = 1;
  /// Learn b_ih and b_hh. Default: true.
  EMBER_ARG(bool, bias) = true;
  /// Input and output are [batch, seq, feature] instead of [seq, batch, feature]; h and c are
  /// never batch-first. Default: false.
  EMBER_ARG(bool, batch_first) = false;
  /// Dropout probability on the output of every layer but the last, in training only. Default: 0.
  EMBER_ARG(double, dropout) = 0.0;
  /// A second direction per layer, running from the last step to the first. Default: false.
  EMBER_ARG(bool, bidirectional) = false;
};

// h_n, c_n: [num_layers * num_directions, batch, hidden], indexed layer * num_directions + direction.
struct LSTMOutput {
  Tensor output;  // [seq, batch, D*hidden] ([batch, seq, D*hidden] if batch_first); D = 2 if bidirectional
  Tensor h_n;
  Tensor c_n;
};

// A multi-layer LSTM with PyTorch's equations (gate order i, f, g, o):
//   i, f, o = sigmoid(x W_i?^T + b_i? + h W_h?^T + b_h?);  g = tanh(...)
//   c' = f * c + i * g;  h' = o * tanh(c')
// Parameters, in PyTorch's registration order, for layer k and suffix "" or "_reverse":
//   weight_ih_l{k}{s} [4H, in_k], weight_hh_l{k}{s} [4H, H], bias_ih_l{k}{s} [4H], bias_hh_l{k}{s} [4H]
// with in_0 = input_size and in_k = D * hidden_size; all drawn from U(-1/sqrt(H), 1/sqrt(H)).
// Each layer and direction is one "lstm" tape entry (autograd/ops_lstm.h).
//
//   auto lstm = std::make_shared<nn::LSTM>(nn::LSTMOptions(64, 128).batch_first(true));
//   auto [output, h_n, c_n] = lstm->forward(x);            // x: [32, 10, 64]
//   auto last = nn::last_valid_step(output, lengths, true);  // with padded sequences
class LSTM : public Module {
 public:
  explicit LSTM(const LSTMOptions& options);

  // input [seq, batch, input_size] (or [batch, seq, input_size] if batch_first).
  // hx = (h0, c0), each [num_layers * D, batch, hidden]; zeros when absent.
  // lengths: an int64 [batch] tensor of valid lengths (1 <= length <= seq), for batches padded
  //   at the end. Then every sequence is processed as if alone (PyTorch's pack_padded_sequence
  //   with enforce_sorted=false, then pad_packed_sequence): the forward direction stops at the
  //   last valid step, the reverse direction starts there, padded outputs are 0, and h_n/c_n are
  //   each sequence's final state.
  LSTMOutput forward(const Tensor& input, const std::optional<std::tuple<Tensor, Tensor>>& hx = std::nullopt,
                     const Tensor& lengths = Tensor());

  // Redraws every parameter from U(-1/sqrt(H), 1/sqrt(H)) in registration order.
  void reset_parameters();
  const LSTMOptions& options() const { return options_; }
  // "64, 128, batch_first=True": only the options that differ from PyTorch's defaults.
  std::string extra_repr() const override;

 private:
  void check_forward_args(const Tensor& input, const std::optional<std::tuple<Tensor, Tensor>>& hx,
                          const Tensor& lengths, const std::vector<Tensor>& params) const;

  LSTMOptions options_;
};

// The output at each sequence's last valid step: [batch, features].
//   output  [seq, batch, F] (or [batch, seq, F] if batch_first), e.g. LSTM::forward's output
//   lengths int64 [batch], 1 <= length <= seq
// Unidirectional: row b is output at step lengths[b] - 1, i.e. h_n of the last layer when the LSTM
// ran with these lengths. This is what `output[:, -1]` is meant to be: for a padded batch,
// position -1 is the state after reading the padding.
// bidirectional = true: the first F/2 features (forward direction) are taken at step
// lengths[b] - 1, the last F/2 (reverse direction) at step 0, where the reverse direction ends.
// So each half is its direction's final state over the valid tokens, which equals
// cat(h_n[-2], h_n[-1]) when the LSTM ran with lengths, the usual sequence summary. (The reverse
// half at step lengths[b] - 1 would be the state after reading a single token.)
Tensor last_valid_step(const Tensor& output, const Tensor& lengths, bool batch_first,
                       bool bidirectional = false);

}  // namespace ember::nn
