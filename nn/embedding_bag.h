// nn::EmbeddingBag (PyTorch's torch.nn.EmbeddingBag: bags of ids reduced by sum, mean or max
// without materialising the per-id embeddings), its option structs and F::embedding_bag.
// The differentiable op itself is ember::embedding_bag (autograd/ops_embedding.h).
#pragma once

#include "autograd/ops_embedding.h"
#include "core/arg.h"
#include "nn/module.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace ember::nn {

using ember::EmbeddingBagMode;

// PyTorch's constructor order (note: padding_idx comes last, unlike Embedding).
struct EmbeddingBagOptions {
  EmbeddingBagOptions(std::int64_t num_embeddings, std::int64_t embedding_dim)
      : num_embeddings_(num_embeddings), embedding_dim_(embedding_dim) {}
  /// Rows of the table, V (required, >= 0).
  EMBER_ARG(std::int64_t, num_embeddings);
  /// Columns of the table, D (required, >= 0).
  EMBER_ARG(std::int64_t, embedding_dim);
  /// Rows looked up whose norm exceeds this are rescaled in place before the lookup. Default: none.
  EMBER_ARG(std::optional<double>, max_norm);
  /// The p of the p-norm for max_norm (inf allowed). Default: 2.
  EMBER_ARG(double, norm_type) = 2.;
  /// Divide each entry's gradient by its index's count in the whole input (not with kMax). Default: false.
  EMBER_ARG(bool, scale_grad_by_freq) = false;
  /// kSum, kMean or kMax. Default: kMean.
  EMBER_ARG(EmbeddingBagMode, mode) = EmbeddingBagMode::kMean;
  /// Row-sparse weight gradient (not with kMax). Default: false.
  EMBER_ARG(bool, sparse) = false;
  /// An initial [V, D] weight, used as is: storage shared, no init, padding row not zeroed. Default: none.
  EMBER_ARG(Tensor, _weight);
  /// offsets has B + 1 entries, the last one equal to the input's length (CSR style). Default: false.
  EMBER_ARG(bool, include_last_offset) = false;
  /// Entries with this id are left out of every bag (and of mean's count), and the row gets no
  /// gradient; zeroed at init. Negative counts from the end. Default: none.
  EMBER_ARG(std::optional<std::int64_t>, padding_idx);
  /// float32 or float64 (ignored when _weight is given). Default: float32.
  EMBER_ARG(DType, dtype) = kFloat32;
  /// Only "cpu". Default: "cpu".
  EMBER_ARG(std::string, device) = "cpu";
};

struct EmbeddingBagFromPretrainedOptions {
  /// The weight does not require grad. Default: true.
  EMBER_ARG(bool, freeze) = true;
  /// Default: none.
  EMBER_ARG(std::optional<double>, max_norm);
  /// Default: 2.
  EMBER_ARG(double, norm_type) = 2.;
  /// Default: false.
  EMBER_ARG(bool, scale_grad_by_freq) = false;
  /// Default: kMean.
  EMBER_ARG(EmbeddingBagMode, mode) = EmbeddingBagMode::kMean;
  /// Default: false.
  EMBER_ARG(bool, sparse) = false;
  /// Default: false.
  EMBER_ARG(bool, include_last_offset) = false;
  /// The row is NOT zeroed (as PyTorch). Default: none.
  EMBER_ARG(std::optional<std::int64_t>, padding_idx);
};

// forward(input, offsets, per_sample_weights) -> [B, D]:
//   2-D input [B, N]: B bags of N ids (offsets must be undefined);
//   1-D input [N] + offsets [B]: bag b is input[offsets[b] : offsets[b+1]] (last bag to the end);
//   with include_last_offset, offsets has B + 1 entries and offsets[-1] == N.
//
//   auto bag = std::make_shared<nn::EmbeddingBag>(
//       nn::EmbeddingBagOptions(10, 3).mode(EmbeddingBagMode::kSum));
//   Tensor y = bag->forward(tensor({1, 2, 4, 5, 4, 3, 2, 9}, {8}), tensor({0, 4}, {2}));  // [2, 3]
//
// Init: weight ~ N(0, 1), padding row zeroed (as Embedding). Parameter: "weight" [V, D].
class EmbeddingBag : public Module {
 public:
  explicit EmbeddingBag(const EmbeddingBagOptions& options);

  static std::shared_ptr<EmbeddingBag> from_pretrained(const Tensor& embeddings,
                                                       const EmbeddingBagFromPretrainedOptions& options = {});

  // per_sample_weights: kSum only, the input's shape and the weight's dtype.
  Tensor forward(const Tensor& input, const Tensor& offsets = Tensor(), const Tensor& per_sample_weights = Tensor());
  Tensor operator()(const Tensor& input, const Tensor& offsets = Tensor(),
                    const Tensor& per_sample_weights = Tensor()) {
    return forward(input, offsets, per_sample_weights);
  }

  void reset_parameters();  // N(0, 1), padding row zeroed
  const EmbeddingBagOptions& options() const { return options_; }
  // As PyTorch: "5, 2, max_norm=2.0, mode=sum, padding_idx=1" (sparse and include_last_offset not shown).
  std::string extra_repr() const override;

  Tensor weight;  // [num_embeddings, embedding_dim]; the same tensor as parameter "weight"

 private:
  EmbeddingBagOptions options_;
};

namespace functional {

struct EmbeddingBagFuncOptions {
  /// Start of each bag for 1-D input. Default: undefined (2-D input).
  EMBER_ARG(Tensor, offsets);
  /// Default: none.
  EMBER_ARG(std::optional<double>, max_norm);
  /// Default: 2.
  EMBER_ARG(double, norm_type) = 2.;
  /// Default: false.
  EMBER_ARG(bool, scale_grad_by_freq) = false;
  /// Default: kMean.
  EMBER_ARG(EmbeddingBagMode, mode) = EmbeddingBagMode::kMean;
  /// Default: false.
  EMBER_ARG(bool, sparse) = false;
  /// One weight per id (kSum only), the input's shape. Default: undefined.
  EMBER_ARG(Tensor, per_sample_weights);
  /// Default: false.
  EMBER_ARG(bool, include_last_offset) = false;
  /// Default: none.
  EMBER_ARG(std::optional<std::int64_t>, padding_idx);
};

Tensor embedding_bag(const Tensor& input, const Tensor& weight, const EmbeddingBagFuncOptions& options = {});

}  // namespace functional
}  // namespace ember::nn
