// Loss modules: validate options once at construction, then forward to nn::functional.
#include "nn/loss.h"

#include "nn/functional.h"

namespace ember::nn {

namespace {
void check_class_weight(const char* module, const Tensor& weight) {
  EMBER_CHECK(!weight.defined() || (weight.dim() == 1 && is_floating(weight.dtype())), ValueError,
              "{}: weight of shape {} and dtype {} is invalid; expected a 1-D float tensor with one weight per class",
              module, shape_str(weight.shape()), dtype_name(weight.dtype()));
}
}  // namespace

CrossEntropyLoss::CrossEntropyLoss(const CrossEntropyLossOptions& options)
    : Module("CrossEntropyLoss"), options_(options) {
  EMBER_CHECK(options.label_smoothing() >= 0.0 && options.label_smoothing() <= 1.0, ValueError,
              "CrossEntropyLoss: label_smoothing must be between 0.0 and 1.0. Got: {}", options.label_smoothing());
  check_class_weight("CrossEntropyLoss", options.weight());
  if (options.weight().defined()) register_buffer("weight", options.weight());
}

Tensor CrossEntropyLoss::forward(const Tensor& input, const Tensor& target) const {
  check_defined(input, "CrossEntropyLoss.forward", "input");
  check_defined(target, "CrossEntropyLoss.forward", "target");
  return functional::cross_entropy(input, target, options_);
}

NLLLoss::NLLLoss(const NLLLossOptions& options) : Module("NLLLoss"), options_(options) {
  check_class_weight("NLLLoss", options.weight());
  if (options.weight().defined()) register_buffer("weight", options.weight());
}

Tensor NLLLoss::forward(const Tensor& input, const Tensor& target) const {
  check_defined(input, "NLLLoss.forward", "input");
  check_defined(target, "NLLLoss.forward", "target");
  return functional::nll_loss(input, target, options_);
}

MSELoss::MSELoss(const MSELossOptions& options) : Module("MSELoss"), options_(options) {}

Tensor MSELoss::forward(const Tensor& input, const Tensor& target) const {
  check_defined(input, "MSELoss.forward", "input");
  check_defined(target, "MSELoss.forward", "target");
  return functional::mse_loss(input, target, options_);
}

BCEWithLogitsLoss::BCEWithLogitsLoss(const BCEWithLogitsLossOptions& options)
    : Module("BCEWithLogitsLoss"), options_(options) {
  if (options.weight().defined()) register_buffer("weight", options.weight());
  if (options.pos_weight().defined()) register_buffer("pos_weight", options.pos_weight());
}

Tensor BCEWithLogitsLoss::forward(const Tensor& input, const Tensor& target) const {
  check_defined(input, "BCEWithLogitsLoss.forward", "input");
  check_defined(target, "BCEWithLogitsLoss.forward", "target");
  return functional::binary_cross_entropy_with_logits(input, target, options_);
}

MarginRankingLoss::MarginRankingLoss(const MarginRankingLossOptions& options)
    : Module("MarginRankingLoss"), options_(options) {}

Tensor MarginRankingLoss::forward(const Tensor& input1, const Tensor& input2, const Tensor& target) const {
  check_defined(input1, "MarginRankingLoss.forward", "input1");
  check_defined(input2, "MarginRankingLoss.forward", "input2");
  check_defined(target, "MarginRankingLoss.forward", "target");
  return functional::margin_ranking_loss(input1, input2, target, options_);
}

}  // namespace ember::nn
