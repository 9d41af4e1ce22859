// nn::GRU: its options as the shared recurrent config, and the fused gru_layer per layer and
// direction (the layer loop is nn/recurrent.cpp's).
#include "nn/gru.h"

#include "autograd/ops_gru.h"
#include "nn/recurrent.h"

namespace ember::nn {
namespace {

detail::RecurrentConfig config_of(const GRUOptions& o) { return detail::recurrent_config("GRU", 3, o); }

}  // namespace

GRU::GRU(const GRUOptions& options) : Module("GRU"), options_(options) {
  detail::check_recurrent_options(config_of(options_));
  detail::register_recurrent_parameters(*this, config_of(options_));
}

void GRU::reset_parameters() { detail::reset_recurrent_parameters(*this, config_of(options_)); }

std::string GRU::extra_repr() const { return detail::recurrent_extra_repr(config_of(options_)); }

GRUOutput GRU::forward(const Tensor& input, const Tensor& hx, const Tensor& lengths) {
  const auto layer = [](const Tensor& x, const Tensor& h0, const Tensor& w_ih, const Tensor& w_hh, const Tensor& b_ih,
                        const Tensor& b_hh, const Tensor& lens, bool reverse) {
    GRULayerOutput r = gru_layer(x, h0, w_ih, w_hh, b_ih, b_hh, lens, reverse);
    return std::pair{r.output, r.h_n};
  };
  auto [output, h_n] = detail::run_recurrent_layers(*this, config_of(options_), input, hx, lengths, layer);
  return {output, h_n};
}

}  // namespace ember::nn
