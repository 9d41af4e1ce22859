// Shared by the multi-layer recurrent modules GRU and RNN (nn/gru.h, nn/rnn.h): option checks,
// PyTorch-named parameter registration, printing, forward argument checks and the loop over
// layers and directions around a fused per-layer op. LSTM (nn/lstm.cpp) predates it.
#pragma once

#include "nn/module.h"

#include <cstdint>
#include <functional>
#include <string>

namespace ember::nn::detail {

// The options GRU and RNN share with LSTM, plus the module name and its gates per hidden unit.
struct RecurrentConfig {
  const char* module;  // "GRU", "RNN"
  std::int64_t gate_count;  // 3 for GRU, 1 for RNN
  std::int64_t input_size, hidden_size, num_layers;
  bool bias, batch_first;
  double dropout;
  bool bidirectional;
  std::int64_t directions() const { return bidirectional ? 2 : 1; }
};

// The config of a GRUOptions or RNNOptions (the same fields under the same names).
template <typename Options>
RecurrentConfig recurrent_config(const char* module, std::int64_t gate_count, const Options& o) {
  return {.module = module,
          .gate_count = gate_count,
          .input_size = o.input_size(),
          .hidden_size = o.hidden_size(),
          .num_layers = o.num_layers(),
          .bias = o.bias(),
          .batch_first = o.batch_first(),
          .dropout = o.dropout(),
          .bidirectional = o.bidirectional()};
}

// Validates the options (ValueError naming the value) and warns, as PyTorch does, about dropout
// with a single layer.
void check_recurrent_options(const RecurrentConfig& c);

// weight_ih_l{k}{s} [G*H, in_k], weight_hh_l{k}{s} [G*H, H], bias_ih_l{k}{s}, bias_hh_l{k}{s} [G*H] for
// every layer k and suffix "" / "_reverse", drawn from U(-1/sqrt(H), 1/sqrt(H)) in that order.
void register_recurrent_parameters(Module& module, const RecurrentConfig& c);
void reset_recurrent_parameters(Module& module, const RecurrentConfig& c);

// "3, 4, num_layers=2, batch_first=True": the options that differ from PyTorch's defaults.
std::string recurrent_extra_repr(const RecurrentConfig& c);

// One layer in one direction: (output [T, B, H], h_n [B, H]) from x [T, B, in], h0 [B, H] or
// undefined, the layer's four parameters (biases undefined without bias), lengths and direction.
using RecurrentLayerFn = std::function<std::pair<Tensor, Tensor>(
    const Tensor& x, const Tensor& h0, const Tensor& w_ih, const Tensor& w_hh, const Tensor& b_ih, const Tensor& b_hh,
    const Tensor& lengths, bool reverse)>;

// Checks input ([T, B, in] or batch-first), hx ([L*D, B, H] or undefined) and lengths, then runs
// the layers: layer k > 0 reads layer k-1's output (both directions concatenated), with dropout
// between layers in training only. Returns (output, h_n [L*D, B, H]).
std::pair<Tensor, Tensor> run_recurrent_layers(const Module& module, const RecurrentConfig& c, const Tensor& input,
                                               const Tensor& hx, const Tensor& lengths,
                                               const RecurrentLayerFn& layer);

}  // namespace ember::nn::detail
