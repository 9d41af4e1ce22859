// nn::LayerNorm (PyTorch's torch.nn.LayerNorm: normalized_shape, eps, elementwise_affine, the
// parameters weight and bias) and the options of F::layer_norm.
//   auto norm = std::make_shared<nn::LayerNorm>(nn::LayerNormOptions({128}));
//   Tensor y = norm->forward(x);  // x: [B, T, 128], normalised over the last dim
#pragma once

#include "core/arg.h"
#include "nn/module.h"

#include <cstdint>
#include <string>
#include <vector>

namespace ember::nn {

struct LayerNormOptions {
  LayerNormOptions(std::vector<std::int64_t> normalized_shape) : normalized_shape_(std::move(normalized_shape)) {}  // NOLINT
  /// The trailing dims to normalise over (required: at least one, every size > 0).
  EMBER_ARG(std::vector<std::int64_t>, normalized_shape);
  /// Added to the variance inside the square root, >= 0. Default: 1e-5.
  EMBER_ARG(double, eps) = 1e-5;
  /// Learn a scale `weight` (init ones) and a shift `bias` (init zeros) of shape normalized_shape.
  /// Default: true.
  EMBER_ARG(bool, elementwise_affine) = true;
};

// y = (x - mean) / sqrt(var + eps) * weight + bias over the trailing normalized_shape dims (biased
// variance), one "layer_norm" tape entry (autograd/ops_norm.h). Parameters, when
// elementwise_affine: weight and bias, state_dict keys "weight" and "bias"; none otherwise.
class LayerNorm : public Module {
 public:
  explicit LayerNorm(const LayerNormOptions& options);

  // x [*, normalized_shape] -> the same shape; any leading dims, also none.
  Tensor forward(const Tensor& x) const;
  // weight = 1, bias = 0.
  void reset_parameters();
  // "(3, 4), eps=1e-05, elementwise_affine=True", as PyTorch prints it.
  std::string extra_repr() const override;
  const LayerNormOptions& options() const { return options_; }

 private:
  LayerNormOptions options_;
};

namespace functional {
struct LayerNormFuncOptions {
  LayerNormFuncOptions(std::vector<std::int64_t> normalized_shape)  // NOLINT
      : normalized_shape_(std::move(normalized_shape)) {}
  /// The trailing dims to normalise over (required).
  EMBER_ARG(std::vector<std::int64_t>, normalized_shape);
  /// Scale of shape normalized_shape, or undefined (1). Default: undefined.
  EMBER_ARG(Tensor, weight);
  /// Shift of shape normalized_shape, or undefined (0). Default: undefined.
  EMBER_ARG(Tensor, bias);
  /// Default: 1e-5.
  EMBER_ARG(double, eps) = 1e-5;
};
// F::layer_norm(x, F::LayerNormFuncOptions({4}).weight(w).bias(b)), as torch.nn.functional.layer_norm.
Tensor layer_norm(const Tensor& x, const LayerNormFuncOptions& options);
}  // namespace functional

}  // namespace ember::nn
