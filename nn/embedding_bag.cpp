// nn::EmbeddingBag and F::embedding_bag.
#include "nn/embedding_bag.h"

#include "autograd/grad_mode.h"
#include "core/kernels.h"
#include "nn/embedding.h"

#include <fmt/format.h>

namespace ember::nn {

EmbeddingBag::EmbeddingBag(const EmbeddingBagOptions& options) : Module("EmbeddingBag"), options_(options) {
  options_.padding_idx(detail::check_table_options(
      "EmbeddingBag", options.num_embeddings(), options.embedding_dim(), options.padding_idx(), options.max_norm(),
      options.norm_type(), options._weight(), options.dtype(), options.device()));
  // PyTorch finds these at the first forward; a module can know at construction.
  EMBER_CHECK(!(options.mode() == EmbeddingBagMode::kMax && options.sparse()), ValueError,
              "EmbeddingBag: max mode does not support sparse weights");
  EMBER_CHECK(!(options.mode() == EmbeddingBagMode::kMax && options.scale_grad_by_freq()), ValueError,
              "EmbeddingBag: max mode does not support scaling the gradient by the frequency");
  weight = register_parameter("weight", detail::table_weight(options._weight(), options.num_embeddings(),
                                                             options.embedding_dim(), options.dtype()));
  if (!options._weight().defined()) reset_parameters();
}

std::shared_ptr<EmbeddingBag> EmbeddingBag::from_pretrained(const Tensor& embeddings,
                                                            const EmbeddingBagFromPretrainedOptions& options) {
  EMBER_CHECK(embeddings.defined() && embeddings.dim() == 2, ShapeError,
              "EmbeddingBag::from_pretrained: embeddings has shape {}; expected a 2-dimensional [num_embeddings, "
              "embedding_dim] tensor", embeddings.defined() ? shape_str(embeddings.shape()) : "undefined");
  auto bag = std::make_shared<EmbeddingBag>(EmbeddingBagOptions(embeddings.size(0), embeddings.size(1))
                                                ._weight(embeddings)
                                                .max_norm(options.max_norm())
                                                .norm_type(options.norm_type())
                                                .scale_grad_by_freq(options.scale_grad_by_freq())
                                                .mode(options.mode())
                                                .sparse(options.sparse())
                                                .include_last_offset(options.include_last_offset())
                                                .padding_idx(options.padding_idx()));
  bag->weight.requires_grad_(!options.freeze());
  return bag;
}

Tensor EmbeddingBag::forward(const Tensor& input, const Tensor& offsets, const Tensor& per_sample_weights) {
  check_defined(input, "EmbeddingBag.forward", "input");
  return ember::embedding_bag(weight, input, offsets, options_.mode(), per_sample_weights,
                              options_.include_last_offset(), options_.padding_idx(), options_.scale_grad_by_freq(),
                              options_.sparse(), options_.max_norm(), options_.norm_type());
}

void EmbeddingBag::reset_parameters() {
  NoGradGuard no_grad;
  weight.normal_(0.0, 1.0);
  if (options_.padding_idx()) kernels::select(weight, 0, *options_.padding_idx()).zero_();
}

std::string EmbeddingBag::extra_repr() const {
  std::string s = fmt::format("{}, {}", options_.num_embeddings(), options_.embedding_dim());
  if (options_.max_norm()) s += ", max_norm=" + detail::python_float(*options_.max_norm());
  if (options_.norm_type() != 2.0) s += ", norm_type=" + detail::python_float(options_.norm_type());
  if (options_.scale_grad_by_freq()) s += ", scale_grad_by_freq=True";
  s += ", mode=" + embedding_bag_mode_name(options_.mode());
  if (options_.padding_idx()) s += fmt::format(", padding_idx={}", *options_.padding_idx());
  return s;
}

namespace functional {

Tensor embedding_bag(const Tensor& input, const Tensor& weight, const EmbeddingBagFuncOptions& options) {
  return ember::embedding_bag(weight, input, options.offsets(), options.mode(), options.per_sample_weights(),
                              options.include_last_offset(), options.padding_idx(), options.scale_grad_by_freq(),
                              options.sparse(), options.max_norm(), options.norm_type());
}

}  // namespace functional
}  // namespace ember::nn
