// One step of a recurrent network, as torch.nn.RNNCell, GRUCell and LSTMCell: PyTorch's options,
// parameter names (weight_ih, weight_hh, bias_ih, bias_hh), init and equations. A step is the fused
// layer op over one time step (autograd/ops_rnn.h, ops_gru.h, ops_lstm.h): one tape node with a
// hand-written backward.
//   nn::GRUCell cell(nn::GRUCellOptions(64, 128));
//   Tensor h;                                   // undefined: zeros
//   for (const Tensor& x_t : steps) h = cell.forward(x_t, h);  // x_t [B, 64] -> h [B, 128]
// Input [B, in] with state [B, H], or unbatched [in] with state [H].
#pragma once

#include "core/arg.h"
#include "nn/module.h"

#include <cstdint>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

namespace ember::nn {

struct RNNCellOptions {
  RNNCellOptions(std::int64_t input_size, std::int64_t hidden_size)
      : input_size_(input_size), hidden_size_(hidden_size) {}
  /// Features of the input (required, > 0).
  EMBER_ARG(std::int64_t, input_size);
  /// Features of the hidden state (required, > 0).
  EMBER_ARG(std::int64_t, hidden_size);
  /// Learn bias_ih and bias_hh. Default: true.
  EMBER_ARG(bool, bias) = true;
  /// "tanh" or "relu". Default: "tanh".
  EMBER_ARG(std::string, nonlinearity) = "tanh";
};

struct GRUCellOptions {
  GRUCellOptions(std::int64_t input_size, std::int64_t hidden_size)
      : input_size_(input_size), hidden_size_(hidden_size) {}
  /// Features of the input (required, > 0).
  EMBER_ARG(std::int64_t, input_size);
  /// Features of the hidden state (required, > 0).
  EMBER_ARG(std::int64_t, hidden_size);
  /// Learn bias_ih and bias_hh. Default: true.
  EMBER_ARG(bool, bias) = true;
};

using LSTMCellOptions = GRUCellOptions;  // the same three fields

// The parameters, state checks and printing the three cells share. G = gates per hidden unit.
class RecurrentCellBase : public Module {
 public:
  // Redraws every parameter from U(-1/sqrt(H), 1/sqrt(H)) in registration order.
  void reset_parameters();
  std::int64_t input_size() const { return input_size_; }
  std::int64_t hidden_size() const { return hidden_size_; }

 protected:
  RecurrentCellBase(const char* name, std::int64_t gates, std::int64_t input_size, std::int64_t hidden_size,
                    bool bias);
  // The input as [B, in] and whether it was unbatched; checks input and every defined state
  // (each [B, H], or [H] for unbatched input) and returns the states as [B, H] too.
  struct Step {
    Tensor x;
    std::vector<Tensor> states;  // [B, H] each, undefined stays undefined
    bool unbatched;
  };
  Step prepare(const Tensor& input, const std::vector<Tensor>& states) const;
  // weight_ih, weight_hh, bias_ih, bias_hh (the biases undefined without bias).
  std::vector<Tensor> weights() const;
  // "3, 4" plus ", bias=False" when so.
  std::string cell_repr() const;
  bool bias_;

 private:
  std::int64_t input_size_, hidden_size_;
};

// h' = act(x W_ih^T + b_ih + h W_hh^T + b_hh).
class RNNCell : public RecurrentCellBase {
 public:
  explicit RNNCell(const RNNCellOptions& options);
  Tensor forward(const Tensor& input, const Tensor& hx = Tensor());
  std::string extra_repr() const override;  // "3, 4, nonlinearity=relu" (PyTorch shows non-default ones)
  const RNNCellOptions& options() const { return options_; }

 private:
  RNNCellOptions options_;
};

// nn::GRU's equations (nn/gru.h) for one step.
class GRUCell : public RecurrentCellBase {
 public:
  explicit GRUCell(const GRUCellOptions& options);
  Tensor forward(const Tensor& input, const Tensor& hx = Tensor());
  std::string extra_repr() const override;  // "3, 4" / "3, 4, bias=False"
  const GRUCellOptions& options() const { return options_; }

 private:
  GRUCellOptions options_;
};

// nn::LSTM's equations (nn/lstm.h) for one step: (h', c') from (h, c).
class LSTMCell : public RecurrentCellBase {
 public:
  explicit LSTMCell(const LSTMCellOptions& options);
  std::tuple<Tensor, Tensor> forward(const Tensor& input,
                                     const std::optional<std::tuple<Tensor, Tensor>>& hx = std::nullopt);
  std::string extra_repr() const override;
  const LSTMCellOptions& options() const { return options_; }

 private:
  LSTMCellOptions options_;
};

}  // namespace ember::nn
