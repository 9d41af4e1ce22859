// embedding_bag: per-bag sum/mean/max of embedding rows in one tape entry, without materialising
// the [N, D] lookup. Its weight gradient goes through the same row-sparse path as embedding's.
#include "autograd/embedding_detail.h"
#include "autograd/function.h"
#include "autograd/ops_embedding.h"
#include "core/dispatch.h"
#include "core/kernels.h"
#include "core/parallel.h"

#include <algorithm>
#include <memory>
#include <vector>

namespace ember {

namespace ed = embedding_detail;

EmbeddingBagMode embedding_bag_mode(const std::string& name) {
  if (name == "sum") return EmbeddingBagMode::kSum;
  if (name == "mean") return EmbeddingBagMode::kMean;
  if (name == "max") return EmbeddingBagMode::kMax;
  throw ValueError(fmt::format("embedding_bag: mode \"{}\" is invalid; mode has to be one of sum, mean or max", name));
}

std::string embedding_bag_mode_name(EmbeddingBagMode mode) {
  switch (mode) {
    case EmbeddingBagMode::kSum: return "sum";
    case EmbeddingBagMode::kMean: return "mean";
    case EmbeddingBagMode::kMax: return "max";
  }
  return "unknown";
}

namespace {

// Bag b covers flat positions [bounds[b], bounds[b + 1]). Checks the input form and the offsets.
std::vector<std::int64_t> bag_bounds(const Tensor& indices, const Tensor& offsets, bool include_last_offset) {
  const char* op = "embedding_bag";
  std::vector<std::int64_t> bounds;
  if (indices.dim() == 2) {
    EMBER_CHECK(!offsets.defined(), ValueError,
                "{}: if input is 2D, then offsets has to be undefined, as input is treated as a mini-batch of fixed "
                "length sequences; got offsets of shape {}", op, offsets.defined() ? shape_str(offsets.shape()) : "");
    // include_last_offset does not apply: B rows are B bags (PyTorch 1.13 silently drops the last row).
    for (std::int64_t b = 0; b <= indices.size(0); ++b) bounds.push_back(b * indices.size(1));
    return bounds;
  }
  EMBER_CHECK(indices.dim() == 1, ShapeError, "{}: input has to be 1D or 2D Tensor, but got Tensor of dimension {}",
              op, indices.dim());
  EMBER_CHECK(offsets.defined(), ValueError, "{}: offsets has to be a 1D Tensor but got an undefined tensor; expected "
              "the start of each bag for a 1-D input", op);
  const Tensor off = ed::int64_contiguous(offsets, op, "offsets");
  EMBER_CHECK(off.dim() == 1, ShapeError, "{}: offsets has to be a 1D Tensor but got shape {}", op,
              shape_str(off.shape()));
  const std::int64_t n = indices.numel(), m = off.numel();
  const std::int64_t* po = off.data_ptr<std::int64_t>();
  EMBER_CHECK(!include_last_offset || m > 0, ValueError, "{}: include_last_offset=true needs at least one offset "
              "(the end of the last bag); got an empty offsets tensor", op);
  if (m > 0) {
    EMBER_CHECK(po[0] == 0, ValueError, "{}: offsets[0] has to be 0, i.e., the first sequence in the mini-batch has "
                "to start from position 0. However, got {}", op, po[0]);
  }
  for (std::int64_t b = 1; b < m; ++b)
    EMBER_CHECK(po[b] >= po[b - 1], ValueError, "{}: offsets must be non-decreasing; got offsets[{}] = {} after "
                "offsets[{}] = {}", op, b, po[b], b - 1, po[b - 1]);
  if (m > 0) {
    EMBER_CHECK(po[m - 1] <= n, ValueError, "{}: offsets[-1] can not be greater than input's length {} but got "
                "offsets[-1] of {}", op, n, po[m - 1]);
    // PyTorch 1.13 reads past the bags (and corrupted memory) here: ember refuses.
    EMBER_CHECK(!include_last_offset || po[m - 1] == n, ValueError, "{}: with include_last_offset=true, offsets[-1] "
                "has to equal input's length {} (it ends the last bag) but got offsets[-1] of {}; the trailing "
                "indices would belong to no bag", op, n, po[m - 1]);
  }
  bounds.assign(po, po + m);
  if (!include_last_offset) bounds.push_back(n);
  return bounds;
}

// Everything embedding_bag checks before it computes (or renormalises) anything.
void check_options(const Tensor& weight, const Tensor& indices, EmbeddingBagMode mode, const Tensor& psw,
                   bool scale_grad_by_freq, bool sparse) {
  const char* op = "embedding_bag";
  if (psw.defined()) {
    EMBER_CHECK(mode == EmbeddingBagMode::kSum, ValueError, "{}: per_sample_weights was given, but per_sample_weights "
                "is only supported for mode='sum' (got mode='{}')", op, embedding_bag_mode_name(mode));
    EMBER_CHECK(psw.shape() == indices.shape(), ShapeError, "{}: per_sample_weights has shape {}; it must have the "
                "same shape as the input ({})", op, shape_str(psw.shape()), shape_str(indices.shape()));
    EMBER_CHECK(psw.dtype() == weight.dtype(), TypeError, "{}: per_sample_weights has dtype {}; expected the "
                "weight's dtype {}", op, dtype_name(psw.dtype()), dtype_name(weight.dtype()));
  }
  EMBER_CHECK(!(mode == EmbeddingBagMode::kMax && sparse), ValueError, "{}: max mode does not support sparse weights",
              op);
  EMBER_CHECK(!(mode == EmbeddingBagMode::kMax && scale_grad_by_freq), ValueError,
              "{}: max mode does not support scaling the gradient by the frequency", op);
}

// What the backward needs, computed by the forward.
struct BagState {
  std::vector<std::int64_t> bounds;  // B + 1 bag boundaries
  std::vector<std::int64_t> count;   // mean: non-padding entries per bag
  Tensor argmax;                     // max: [B, D] flat position of each column's max, -1 if none
};

// y[b] = reduce over the non-padding rows of bag b; also fills state.count / state.argmax.
template <typename T>
void bag_forward(const Tensor& weight, const std::int64_t* idx, const T* psw, EmbeddingBagMode mode,
                 std::optional<std::int64_t> pad, BagState& state, const Tensor& y) {
  const std::int64_t B = static_cast<std::int64_t>(state.bounds.size()) - 1, D = weight.size(1);
  const std::int64_t rs = weight.stride(0), cs = weight.stride(1);
  const T* w = weight.data_ptr<T>();
  T* out = y.data_ptr<T>();
  std::int64_t* arg = mode == EmbeddingBagMode::kMax ? state.argmax.data_ptr<std::int64_t>() : nullptr;
  // About 32K multiply-adds per task: small batches run inline, big ones split over bags.
  const std::int64_t work_per_bag = std::max<std::int64_t>(1, state.bounds.back() / std::max<std::int64_t>(B, 1) * D);
  parallel_for(0, B, std::max<std::int64_t>(1, 32768 / work_per_bag), [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t b = begin; b < end; ++b) {
      T* o = out + b * D;
      std::fill(o, o + D, T(0));
      if (arg) std::fill(arg + b * D, arg + (b + 1) * D, std::int64_t{-1});
      std::int64_t n = 0;
      for (std::int64_t i = state.bounds[b]; i < state.bounds[b + 1]; ++i) {
        if (pad && idx[i] == *pad) continue;
        const T* row = w + idx[i] * rs;
        if (mode == EmbeddingBagMode::kMax) {
          for (std::int64_t j = 0; j < D; ++j)  // strict >: the first maximum wins, as PyTorch
            if (n == 0 || row[j * cs] > o[j]) o[j] = row[j * cs], arg[b * D + j] = i;
        } else {
          const T scale = psw ? psw[i] : T(1);
          for (std::int64_t j = 0; j < D; ++j) o[j] += scale * row[j * cs];
        }
        ++n;
      }
      if (mode == EmbeddingBagMode::kMean) {
        state.count[b] = n;
        if (n > 0)
          for (std::int64_t j = 0; j < D; ++j) o[j] /= static_cast<T>(n);
      }
    }
  });
}

// One weight-gradient row per covered position (before padding is dropped): (covered, D).
template <typename T>
Tensor bag_grad_rows(const BagState& state, const T* dy, const T* psw, EmbeddingBagMode mode, std::int64_t D) {
  const std::int64_t B = static_cast<std::int64_t>(state.bounds.size()) - 1;
  Tensor rows = zeros({state.bounds.back(), D}, dtype_of<T>());
  T* r = rows.data_ptr<T>();
  const std::int64_t* arg = mode == EmbeddingBagMode::kMax ? state.argmax.data_ptr<std::int64_t>() : nullptr;
  for (std::int64_t b = 0; b < B; ++b) {
    const T* g = dy + b * D;
    if (arg) {  // each column's gradient goes to its arg-max row only
      for (std::int64_t j = 0; j < D; ++j)
        if (arg[b * D + j] >= 0) r[arg[b * D + j] * D + j] = g[j];
      continue;
    }
    for (std::int64_t i = state.bounds[b]; i < state.bounds[b + 1]; ++i) {
      double scale = 1.0;  // computed in double and applied once, as PyTorch's CPU backward
      if (mode == EmbeddingBagMode::kMean && state.count[b] > 0) scale /= static_cast<double>(state.count[b]);
      if (psw) scale *= static_cast<double>(psw[i]);
      for (std::int64_t j = 0; j < D; ++j) r[i * D + j] = static_cast<T>(scale) * g[j];
    }
  }
  return rows;
}

// dpsw[i] = <dy[b], weight[idx_i]> for non-padding entries, 0 for padding.
template <typename T>
Tensor psw_grad(const BagState& state, const T* dy, const Tensor& weight, const std::int64_t* idx,
                std::optional<std::int64_t> pad, const Shape& shape) {
  Tensor g = zeros(shape, dtype_of<T>());
  T* pg = g.data_ptr<T>();
  const std::int64_t B = static_cast<std::int64_t>(state.bounds.size()) - 1, D = weight.size(1);
  const T* w = weight.data_ptr<T>();
  for (std::int64_t b = 0; b < B; ++b)
    for (std::int64_t i = state.bounds[b]; i < state.bounds[b + 1]; ++i) {
      if (pad && idx[i] == *pad) continue;
      T dot = 0;
      for (std::int64_t j = 0; j < D; ++j) dot += dy[b * D + j] * w[idx[i] * weight.stride(0) + j * weight.stride(1)];
      pg[i] = dot;
    }
  return g;
}

}  // namespace

// y[b] = reduce_{i in bag b, idx_i != pad} w_i weight[idx_i]: (B, D).
// dweight[idx_i] += w_i dy[b] (sum), dy[b] / n_b (mean), dy[b][j] at the arg-max (max).
Tensor embedding_bag(const Tensor& weight, const Tensor& indices, const Tensor& offsets, EmbeddingBagMode mode,
                     const Tensor& per_sample_weights, bool include_last_offset, std::optional<std::int64_t> padding_idx,
                     bool scale_grad_by_freq, bool sparse, std::optional<double> max_norm, double norm_type) {
  const char* op = "embedding_bag";
  ed::check_weight(weight, op);
  const std::int64_t V = weight.size(0), D = weight.size(1);
  const Tensor flat = ed::int64_contiguous(indices, op, "indices");
  auto state = std::make_shared<BagState>();
  state->bounds = bag_bounds(indices, offsets, include_last_offset);
  check_options(weight, indices, mode, per_sample_weights, scale_grad_by_freq, sparse);
  ed::check_range(flat, indices.shape(), V, op);
  const std::optional<std::int64_t> pad = ed::normalize_padding_idx(padding_idx, V, op);
  if (max_norm) ed::check_norm_options(*max_norm, norm_type, op);
  // Every check passed: from here on the weight may be written.
  if (max_norm) ed::renorm_rows(weight, flat, *max_norm, norm_type);

  const std::int64_t B = static_cast<std::int64_t>(state->bounds.size()) - 1;
  const Tensor psw = per_sample_weights.defined() ? kernels::contiguous(per_sample_weights) : Tensor();
  if (mode == EmbeddingBagMode::kMean) state->count.assign(B, 0);
  if (mode == EmbeddingBagMode::kMax) state->argmax = empty({B, D}, kInt64);
  Tensor y = empty({B, D}, weight.dtype());
  detail::dispatch_floating(weight.dtype(), op, [&]<typename T>() {
    bag_forward<T>(weight, flat.data_ptr<std::int64_t>(), psw.defined() ? psw.data_ptr<T>() : nullptr, mode, pad,
                   *state, y);
  });

  // The weight is saved only when per_sample_weights needs a gradient (dpsw reads weight rows).
  const bool psw_grad_needed = per_sample_weights.defined() && per_sample_weights.requires_grad();
  return autograd::record(
      "embedding_bag", y, {weight, indices, per_sample_weights},
      [state, saved_idx = autograd::SavedTensor(flat, op), saved_psw = autograd::SavedTensor(psw, op),
       saved_weight = psw_grad_needed ? autograd::SavedTensor(weight, op) : autograd::SavedTensor(),
       psw_shape = indices.shape(), n = flat.numel(), V, D, mode, pad, scale_grad_by_freq, sparse](const Tensor& dy) -> autograd::Grads {
        const Tensor idx = ed::as_contiguous_shape(saved_idx.unpack(), {n});
        const Tensor p = saved_psw.unpack();
        const Tensor g = kernels::contiguous(dy);
        autograd::Grads grads(3);
        detail::dispatch_floating(g.dtype(), "embedding_bag backward", [&]<typename T>() {
          const T* pp = p.defined() ? p.data_ptr<T>() : nullptr;
          if (autograd::needs_grad(0)) {
            const Tensor rows = bag_grad_rows<T>(*state, g.data_ptr<T>(), pp, mode, D);
            const Tensor covered = kernels::narrow(idx, 0, 0, state->bounds.back());
            SparseTensor wg = ed::weight_grad(covered, rows, V, pad, scale_grad_by_freq, /*copy=*/sparse);
            grads[0] = sparse ? autograd::Gradient(std::move(wg)) : autograd::Gradient::dense_at_leaf(std::move(wg));
          }
          if (autograd::needs_grad(2))
            grads[2] = psw_grad<T>(*state, g.data_ptr<T>(), saved_weight.unpack(), idx.data_ptr<std::int64_t>(), pad,
                                   psw_shape);
        });
        return grads;
      });
}

}  // namespace ember
