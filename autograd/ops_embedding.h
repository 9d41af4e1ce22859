// Embedding lookups as fused differentiable ops (one tape entry each): embedding, embedding_bag,
// and the non-recording max_norm renormalisation embedding_renorm_. The modules that own the
// weight (nn::Embedding, nn::EmbeddingBag) and the option-struct functional forms are in nn/.
#pragma once

#include "core/tensor.h"

#include <cstdint>
#include <optional>
#include <string>

namespace ember {

// y[s] = weight[indices[s]]: (S...) int64 -> (S..., D); weight [V, D] float32/float64.
// dweight[k] += dy[s] (/ count(k) with scale_grad_by_freq) for every position s with
// indices[s] == k != padding_idx: a scatter-add, never a one-hot product.
// - Every index is checked before anything is computed; an index outside [0, V) throws
//   IndexError naming its value, its position and the range:
//   "embedding: index 5003 at position [3, 17] is out of range [0, 5000)".
// - padding_idx may be negative (counts from the end); that row gets no gradient.
// - sparse=false: the weight's .grad is dense. The gradient travels as rows (one per looked-up
//   position) and is index-added into an existing .grad in place, so no [V, D] buffer is
//   allocated per backward once .grad exists.
// - sparse=true: the weight's .grad is a row-sparse tensor in PyTorch's uncoalesced layout
//   (indices in input order, duplicates kept, padding positions removed). Unlike PyTorch,
//   scale_grad_by_freq works with sparse gradients too.
// - max_norm: the referenced rows are first renormalised in place (embedding_renorm_), after every
//   argument has been checked. No gradient flows through the rescaling, as in PyTorch.
Tensor embedding(const Tensor& weight, const Tensor& indices, std::optional<std::int64_t> padding_idx = {},
                 bool scale_grad_by_freq = false, bool sparse = false, std::optional<double> max_norm = {},
                 double norm_type = 2.0);

// In place, not recorded: every row of `weight` referenced by `indices` whose p-norm
// (p = norm_type, inf allowed) is strictly greater than max_norm is scaled by
// max_norm / (norm + 1e-7), as PyTorch does. All indices are checked first, so an invalid one
// leaves the weight bitwise unchanged. Unlike PyTorch, the weight's version counter is bumped only
// when a row actually changes: already-normalised rows do not invalidate tensors saved for
// backward. When rows do change, an op that saved the weight earlier in the same graph fails at
// backward with the version-counter error (see docs/embedding.md, "max_norm and autograd").
void embedding_renorm_(const Tensor& weight, const Tensor& indices, double max_norm, double norm_type = 2.0);

enum class EmbeddingBagMode { kSum, kMean, kMax };
// "sum", "mean" or "max"; anything else throws "mode has to be one of sum, mean or max".
EmbeddingBagMode embedding_bag_mode(const std::string& name);
std::string embedding_bag_mode_name(EmbeddingBagMode mode);

// Bags of embeddings reduced without materialising the [N, D] lookup: (B, D).
//   sum:  y[b] = sum_i w_i weight[idx_i]          (w_i = per_sample_weights[i], or 1)
//   mean: y[b] = sum_i weight[idx_i] / n_b        (n_b = non-padding entries of bag b)
//   max:  y[b][j] = max_i weight[idx_i][j]        (gradient to the first arg-max row per column)
// Input forms: 2-D [B, N] (B bags of N; offsets undefined), or 1-D [N] with offsets [B] (bag b is
// input[offsets[b] : offsets[b+1]], the last bag runs to the end) or, with include_last_offset,
// offsets [B + 1] whose last entry must equal N. Offsets must start at 0 and never decrease.
// padding_idx entries are left out of the reduction and of mean's count, and get no gradient;
// an empty (or all-padding) bag gives zeros. per_sample_weights (sum mode only, input's shape and
// weight's dtype) is differentiable: dw_i = <dy[b], weight[idx_i]>.
// scale_grad_by_freq divides each entry's weight gradient by its index's count in the whole input
// (the correct count, not PyTorch 1.13's CPU one), for dense and sparse gradients. max_norm
// renormalises the referenced rows in place first, as in embedding().
Tensor embedding_bag(const Tensor& weight, const Tensor& indices, const Tensor& offsets = Tensor(),
                     EmbeddingBagMode mode = EmbeddingBagMode::kMean,
                     const Tensor& per_sample_weights = Tensor(), bool include_last_offset = false,
                     std::optional<std::int64_t> padding_idx = {}, bool scale_grad_by_freq = false,
                     bool sparse = false, std::optional<double> max_norm = {}, double norm_type = 2.0);

}  // namespace ember
