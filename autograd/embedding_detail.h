// Internal helpers shared by ops_embedding.cpp and ops_embedding_bag.cpp: argument checks,
// the max_norm renormalisation, and turning per-position gradient rows into the weight gradient.
#pragma once

#include "core/sparse.h"
#include "core/tensor.h"

#include <cstdint>
#include <optional>

namespace ember::embedding_detail {

// weight must be a defined 2-D float32/float64 tensor.
void check_weight(const Tensor& weight, const char* op);

// `indices` as a contiguous int64 tensor (itself when already contiguous). Float, bool and
// undefined tensors throw TypeError naming `op` and `what` ("indices", "offsets").
Tensor int64_contiguous(const Tensor& indices, const char* op, const char* what);

// Throws IndexError for the first value outside [0, num_embeddings):
//   "<op>: index 5003 at position [3, 17] is out of range [0, 5000)"
// `flat` is contiguous with `shape` (the user's index shape, for the position).
void check_range(const Tensor& flat, const Shape& shape, std::int64_t num_embeddings, const char* op);

// padding_idx in [-V, V) -> [0, V); out of range throws ValueError with the value and range.
std::optional<std::int64_t> normalize_padding_idx(std::optional<std::int64_t> padding_idx,
                                                  std::int64_t num_embeddings, const char* op);

// max_norm >= 0 and norm_type > 0 (inf allowed); NaN rejected.
void check_norm_options(double max_norm, double norm_type, const char* op);

// The renormalisation of embedding_renorm_, on indices already validated.
void renorm_rows(const Tensor& weight, const Tensor& flat, double max_norm, double norm_type);

// A contiguous tensor seen with another shape of the same numel (a view; also works for 0-d).
Tensor as_contiguous_shape(const Tensor& t, const Shape& shape);

// The weight gradient from one gradient row per looked-up position: rows [N, D] for flat
// indices idx [N]. Padding positions are dropped; with scale_grad_by_freq each row is divided by
// its index's count among the non-padding positions. Returns a row-sparse [V, D] tensor in input
// order (uncoalesced). `copy` makes the result own its memory (it becomes a user-visible .grad).
SparseTensor weight_grad(const Tensor& idx, const Tensor& rows, std::int64_t num_embeddings,
                         std::optional<std::int64_t> padding_idx, bool scale_grad_by_freq, bool copy);

}  // namespace ember::embedding_detail
