// nn::Linear: y = x W^T + b over any leading dims, with PyTorch's parameters, init and printing.
//   auto fc = std::make_shared<nn::Linear>(nn::LinearOptions(128, 2).bias(true));
//   Tensor logits = fc->forward(features);  // [B, 128] -> [B, 2]
#pragma once

#include "core/arg.h"
#include "nn/module.h"

#include <cstdint>
#include <string>

namespace ember::nn {

struct LinearOptions {
  LinearOptions(std::int64_t in_features, std::int64_t out_features)
      : in_features_(in_features), out_features_(out_features) {}
  /// Size of each input sample (required, >= 0).
  EMBER_ARG(std::int64_t, in_features);
  /// Size of each output sample (required, >= 0).
  EMBER_ARG(std::int64_t, out_features);
  /// Learn an additive bias. Default: true.
  EMBER_ARG(bool, bias) = true;
};

class Linear : public Module {
 public:
  explicit Linear(const LinearOptions& options);
  Linear(std::int64_t in_features, std::int64_t out_features) : Linear(LinearOptions(in_features, out_features)) {}

  // x (..., in_features) -> (..., out_features). One tape entry (autograd/ops_nn.h).
  Tensor forward(const Tensor& x) const;

  // PyTorch's init, drawn in this order from the default generator: weight, then bias, each
  // U(-1/sqrt(in_features), 1/sqrt(in_features)) (weight through kaiming_uniform_(a = sqrt(5))).
  void reset_parameters();

  // "in_features=5, out_features=4, bias=True"
  std::string extra_repr() const override;
  const LinearOptions& options() const { return options_; }

  Tensor weight;  // [out_features, in_features]
  Tensor bias;    // [out_features], undefined when options.bias() is false

 private:
  LinearOptions options_;
};

}  // namespace ember::nn
