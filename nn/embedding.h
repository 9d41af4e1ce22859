// nn::Embedding (PyTorch's torch.nn.Embedding: a [V, D] lookup table), its option structs,
// nn::functional::embedding, and clamp_indices for mapping out-of-range ids before a lookup.
// The differentiable op itself is ember::embedding (autograd/ops_embedding.h).
#pragma once

#include "core/arg.h"
#include "nn/module.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace ember::nn {

struct EmbeddingOptions {
  EmbeddingOptions(std::int64_t num_embeddings, std::int64_t embedding_dim)
      : num_embeddings_(num_embeddings), embedding_dim_(embedding_dim) {}
  /// Rows of the table, V (required, >= 0).
  EMBER_ARG(std::int64_t, num_embeddings);
  /// Columns of the table, D (required, >= 0).
  EMBER_ARG(std::int64_t, embedding_dim);
  /// This row gets no gradient and is zeroed at init. Negative counts from the end (-1 is V-1);
  /// must lie in [-V, V). Default: none.
  EMBER_ARG(std::optional<std::int64_t>, padding_idx);
  /// Rows looked up whose norm exceeds this are rescaled in place before the lookup. Default: none.
  EMBER_ARG(std::optional<double>, max_norm);
  /// The p of the p-norm for max_norm (inf allowed). Default: 2.
  EMBER_ARG(double, norm_type) = 2.;
  /// Divide each row's gradient by its index's count in the mini-batch. Default: false.
  EMBER_ARG(bool, scale_grad_by_freq) = false;
  /// The weight's gradient is row-sparse (for SparseAdam / SGD on large vocabularies). Default: false.
  EMBER_ARG(bool, sparse) = false;
  /// An initial [V, D] weight, used as is: storage shared, no init, padding row not zeroed. Default: none.
  EMBER_ARG(Tensor, _weight);
  /// float32 or float64 (ignored when _weight is given: its dtype wins). Default: float32.
  EMBER_ARG(DType, dtype) = kFloat32;
  /// Only "cpu": ember has no other device. Default: "cpu".
  EMBER_ARG(std::string, device) = "cpu";
};

// Options of Embedding::from_pretrained (PyTorch's keyword arguments of the same name).
struct EmbeddingFromPretrainedOptions {
  /// The weight does not require grad (the table is not trained). Default: true.
  EMBER_ARG(bool, freeze) = true;
  /// As EmbeddingOptions::padding_idx, but the row is NOT zeroed (as PyTorch). Default: none.
  EMBER_ARG(std::optional<std::int64_t>, padding_idx);
  /// As EmbeddingOptions::max_norm (it rewrites frozen weights too, as PyTorch). Default: none.
  EMBER_ARG(std::optional<double>, max_norm);
  /// Default: 2.
  EMBER_ARG(double, norm_type) = 2.;
  /// Default: false.
  EMBER_ARG(bool, scale_grad_by_freq) = false;
  /// Default: false.
  EMBER_ARG(bool, sparse) = false;
};

// A lookup table: forward(indices) of any shape S returns S + [D], row indices[s] of `weight`.
//
//   auto emb = std::make_shared<nn::Embedding>(nn::EmbeddingOptions(1000, 64).padding_idx(0));
//   Tensor x = emb->forward(tensor({1, 2, 0, 3, 0, 0}, {2, 3}));   // [2, 3, 64]
//
// Init: weight ~ N(0, 1) (PyTorch's real default; the uniform +-sqrt(1/D) some write-ups quote is
// not what PyTorch does), then the padding row is zeroed. Parameter: "weight" [V, D].
class Embedding : public Module {
 public:
  explicit Embedding(const EmbeddingOptions& options);

  // A table holding `embeddings` [V, D] itself (storage shared, no copy, no re-init, padding row
  // kept as given); its weight requires grad only when freeze is false.
  static std::shared_ptr<Embedding> from_pretrained(const Tensor& embeddings,
                                                    const EmbeddingFromPretrainedOptions& options = {});

  // indices: int64, any shape S (0-d included), values in [0, V). Returns S + [D].
  Tensor forward(const Tensor& indices);
  Tensor operator()(const Tensor& indices) { return forward(indices); }

  // Redraws weight from N(0, 1) and zeroes the padding row.
  void reset_parameters();
  // padding_idx is stored normalised (non-negative), as PyTorch does.
  const EmbeddingOptions& options() const { return options_; }
  // "3, 2, padding_idx=2, max_norm=1.0, norm_type=1.0, scale_grad_by_freq=True, sparse=True"
  std::string extra_repr() const override;

  Tensor weight;  // [num_embeddings, embedding_dim]; the same tensor as parameter "weight"

 private:
  EmbeddingOptions options_;
};

// Maps ids outside [0, num_embeddings) before a lookup (the usual fix for "index out of range"):
// with `replacement` (e.g. vocab.unk_index()), every such id becomes replacement; without it,
// ids are clamped to [0, num_embeddings - 1] like torch.clamp(ids, 0, V - 1). Returns a new int64
// tensor of the same shape; `indices` is not modified. Prefer fixing the vocabulary: clamping
// hides a mismatch between the data and the table.
Tensor clamp_indices(const Tensor& indices, std::int64_t num_embeddings,
                     std::optional<std::int64_t> replacement = std::nullopt);

namespace detail {
// A double as Python prints it in a repr: "1.0", "0.5", "inf", "1e-05".
std::string python_float(double value);
// Checks the options shared by Embedding and EmbeddingBag; returns padding_idx normalised.
std::optional<std::int64_t> check_table_options(const char* module, std::int64_t num_embeddings,
                                                std::int64_t embedding_dim,
                                                std::optional<std::int64_t> padding_idx,
                                                std::optional<double> max_norm, double norm_type,
                                                const Tensor& weight, DType dtype, const std::string& device);
// The module's weight: `given` sharing its storage (a fresh leaf), or a new [V, D] tensor.
Tensor table_weight(const Tensor& given, std::int64_t num_embeddings, std::int64_t embedding_dim, DType dtype);
}  // namespace detail

namespace functional {

struct EmbeddingFuncOptions {
  /// See EmbeddingOptions. Default: none.
  EMBER_ARG(std::optional<std::int64_t>, padding_idx);
  /// See EmbeddingOptions. Default: none.
  EMBER_ARG(std::optional<double>, max_norm);
  /// Default: 2.
  EMBER_ARG(double, norm_type) = 2.;
  /// Default: false.
  EMBER_ARG(bool, scale_grad_by_freq) = false;
  /// Default: false.
  EMBER_ARG(bool, sparse) = false;
};

// F::embedding(input, weight, options): the lookup without a module (weight [V, D] is the caller's).
Tensor embedding(const Tensor& input, const Tensor& weight, const EmbeddingFuncOptions& options = {});

}  // namespace functional
}  // namespace ember::nn
