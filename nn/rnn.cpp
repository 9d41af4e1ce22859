// nn::RNN: its options as the shared recurrent config, and the fused rnn_layer per layer and
// direction (the layer loop is nn/recurrent.cpp's).
#include "nn/rnn.h"

#include "autograd/ops_rnn.h"
#include "nn/recurrent.h"

namespace ember::nn {
namespace {

detail::RecurrentConfig config_of(const RNNOptions& o) { return detail::recurrent_config("RNN", 1, o); }

}  // namespace

RNN::RNN(const RNNOptions& options) : Module("RNN"), options_(options) {
  EMBER_CHECK(options_.nonlinearity() == "tanh" || options_.nonlinearity() == "relu", ValueError,
              "RNN: Unknown nonlinearity '{}'; expected 'tanh' or 'relu'", options_.nonlinearity());
  detail::check_recurrent_options(config_of(options_));
  detail::register_recurrent_parameters(*this, config_of(options_));
}

void RNN::reset_parameters() { detail::reset_recurrent_parameters(*this, config_of(options_)); }

std::string RNN::extra_repr() const { return detail::recurrent_extra_repr(config_of(options_)); }

RNNOutput RNN::forward(const Tensor& input, const Tensor& hx, const Tensor& lengths) {
  const auto layer = [&nonlinearity = options_.nonlinearity()](const Tensor& x, const Tensor& h0, const Tensor& w_ih,
                                                              const Tensor& w_hh, const Tensor& b_ih,
                                                              const Tensor& b_hh, const Tensor& lens, bool reverse) {
    RNNLayerOutput r = rnn_layer(x, h0, w_ih, w_hh, b_ih, b_hh, nonlinearity, lens, reverse);
    return std::pair{r.output, r.h_n};
  };
  auto [output, h_n] = detail::run_recurrent_layers(*this, config_of(options_), input, hx, lengths, layer);
  return {output, h_n};
}

}  // namespace ember::nn
