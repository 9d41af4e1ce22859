// embedding: a row gather whose backward is a row-sparse scatter-add; embedding_renorm_ (max_norm);
// and the checks and helpers that embedding_bag shares (autograd/embedding_detail.h).
#include "autograd/ops_embedding.h"

#include "autograd/embedding_detail.h"
#include "autograd/function.h"
#include "core/dispatch.h"
#include "core/kernels.h"
#include "core/parallel.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <unordered_map>
#include <vector>

namespace ember {
namespace embedding_detail {

void check_weight(const Tensor& weight, const char* op) {
  EMBER_CHECK(weight.defined(), ValueError, "{}: weight is undefined; expected a 2-D float tensor", op);
  EMBER_CHECK(weight.dim() == 2, ShapeError, "{}: weight has shape {}; expected a 2-D [num_embeddings, embedding_dim] "
              "tensor", op, shape_str(weight.shape()));
  EMBER_CHECK(is_floating(weight.dtype()), TypeError, "{}: weight has dtype {}; expected float32 or float64", op,
              dtype_name(weight.dtype()));
}

Tensor int64_contiguous(const Tensor& indices, const char* op, const char* what) {
  EMBER_CHECK(indices.defined(), ValueError, "{}: {} is undefined; expected an int64 tensor", op, what);
  // int64 (torch.long) or int32, which PyTorch also takes here; int32 is read as int64.
  EMBER_CHECK(indices.dtype() == kInt64 || indices.dtype() == kInt32, TypeError,
              "{}: {} has dtype {}; expected int64 or int32 (integer ids; convert float ids with to(kInt64) after "
              "checking they are whole numbers)", op, what, dtype_name(indices.dtype()));
  return indices.dtype() == kInt32 ? kernels::to(indices, kInt64) : kernels::contiguous(indices);
}

namespace {
// Row-major rank -> "[3, 17]".
std::string position_str(std::int64_t rank, const Shape& shape) {
  Shape position(shape.size());
  for (std::size_t d = shape.size(); d-- > 0;) {
    position[d] = rank % shape[d];
    rank /= shape[d];
  }
  return shape_str(position);
}
}  // namespace

void check_range(const Tensor& flat, const Shape& shape, std::int64_t num_embeddings, const char* op) {
  const std::int64_t* p = flat.data_ptr<std::int64_t>();
  const std::int64_t n = flat.numel();
  for (std::int64_t i = 0; i < n; ++i)
    EMBER_CHECK(p[i] >= 0 && p[i] < num_embeddings, IndexError, "{}: index {} at position {} is out of range [0, {})",
                op, p[i], position_str(i, shape), num_embeddings);
}

std::optional<std::int64_t> normalize_padding_idx(std::optional<std::int64_t> padding_idx, std::int64_t num_embeddings,
                                                  const char* op) {
  if (!padding_idx) return padding_idx;
  const std::int64_t p = *padding_idx;
  EMBER_CHECK(p >= -num_embeddings && p < num_embeddings, ValueError,
              "{}: padding_idx {} is out of range; expected -{} <= padding_idx < {} (padding_idx must be within "
              "num_embeddings)", op, p, num_embeddings, num_embeddings);
  return p < 0 ? p + num_embeddings : p;
}

void check_norm_options(double max_norm, double norm_type, const char* op) {
  EMBER_CHECK(max_norm >= 0, ValueError, "{}: max_norm {} is invalid; expected max_norm >= 0", op, max_norm);
  EMBER_CHECK(norm_type > 0, ValueError, "{}: norm_type {} is invalid; expected a positive p (inf allowed)", op,
              norm_type);
}

void renorm_rows(const Tensor& weight, const Tensor& flat, double max_norm, double norm_type) {
  // Each referenced row once, in ascending order (duplicates are renormalised once, as PyTorch).
  std::vector<std::int64_t> rows(flat.data_ptr<std::int64_t>(), flat.data_ptr<std::int64_t>() + flat.numel());
  std::sort(rows.begin(), rows.end());
  rows.erase(std::unique(rows.begin(), rows.end()), rows.end());
  const std::int64_t D = weight.size(1), row_stride = weight.stride(0), col_stride = weight.stride(1);
  bool changed = false;
  detail::dispatch_floating(weight.dtype(), "embedding_renorm_", [&]<typename T>() {
    T* base = weight.data_ptr<T>();
    for (std::int64_t r : rows) {
      T* row = base + r * row_stride;
      double norm = 0;
      if (std::isinf(norm_type)) {
        for (std::int64_t j = 0; j < D; ++j) norm = std::max(norm, std::abs(double(row[j * col_stride])));
      } else {
        for (std::int64_t j = 0; j < D; ++j) norm += std::pow(std::abs(double(row[j * col_stride])), norm_type);
        norm = std::pow(norm, 1.0 / norm_type);
      }
      norm = static_cast<double>(static_cast<T>(norm));  // PyTorch's norm comes back in the weight's dtype
      if (!(norm > max_norm)) continue;                  // strict: a row at exactly max_norm is left alone
      const T scale = static_cast<T>(max_norm / (norm + 1e-7));
      for (std::int64_t j = 0; j < D; ++j) row[j * col_stride] *= scale;
      changed = true;
    }
  });
  if (changed) weight.bump_version();  // no write, no bump: saved copies of the weight stay valid
}

Tensor as_contiguous_shape(const Tensor& t, const Shape& shape) {
  EMBER_INTERNAL_ASSERT(numel(shape) == t.numel());
  if (t.numel() == 0) return empty(shape, t.dtype());
  EMBER_INTERNAL_ASSERT(t.is_contiguous());
  return kernels::as_strided(t, shape, contiguous_strides(shape), t.offset());
}

SparseTensor weight_grad(const Tensor& idx, const Tensor& rows, std::int64_t num_embeddings,
                         std::optional<std::int64_t> padding_idx, bool scale_grad_by_freq, bool copy) {
  const std::int64_t n = idx.numel(), D = rows.size(1);
  const std::int64_t* pi = idx.data_ptr<std::int64_t>();
  std::vector<std::int64_t> keep;
  keep.reserve(n);
  for (std::int64_t i = 0; i < n; ++i)
    if (!padding_idx || pi[i] != *padding_idx) keep.push_back(i);
  const auto kept = static_cast<std::int64_t>(keep.size());
  if (kept == n && !scale_grad_by_freq)  // nothing to drop or scale: the rows are the gradient
    return copy ? SparseTensor(kernels::clone(idx), kernels::clone(rows), {num_embeddings, D})
                : SparseTensor(idx, rows, {num_embeddings, D});
  std::unordered_map<std::int64_t, std::int64_t> count;
  if (scale_grad_by_freq)
    for (std::int64_t i : keep) ++count[pi[i]];
  Tensor out_idx = empty({kept}, kInt64);
  Tensor out_rows = empty({kept, D}, rows.dtype());
  std::int64_t* po = out_idx.data_ptr<std::int64_t>();
  detail::dispatch_floating(rows.dtype(), "embedding backward", [&]<typename T>() {
    const T* src = rows.data_ptr<T>();
    T* dst = out_rows.data_ptr<T>();
    for (std::int64_t k = 0; k < kept; ++k) {
      const std::int64_t i = keep[k];
      po[k] = pi[i];
      if (scale_grad_by_freq) {
        const T scale = static_cast<T>(1.0 / static_cast<double>(count[pi[i]]));
        for (std::int64_t j = 0; j < D; ++j) dst[k * D + j] = src[i * D + j] * scale;
      } else if (D > 0) {
        std::memcpy(dst + k * D, src + i * D, sizeof(T) * D);
      }
    }
  });
  return SparseTensor(out_idx, out_rows, {num_embeddings, D});
}

}  // namespace embedding_detail

namespace ed = embedding_detail;

void embedding_renorm_(const Tensor& weight, const Tensor& indices, double max_norm, double norm_type) {
  ed::check_weight(weight, "embedding_renorm_");
  ed::check_norm_options(max_norm, norm_type, "embedding_renorm_");
  const Tensor flat = ed::int64_contiguous(indices, "embedding_renorm_", "indices");
  ed::check_range(flat, indices.shape(), weight.size(0), "embedding_renorm_");
  ed::renorm_rows(weight, flat, max_norm, norm_type);
}

namespace {
// out[i] = weight[idx[i]] for the N flat positions; parallel over positions for big batches.
Tensor gather_rows(const Tensor& weight, const Tensor& flat, Shape out_shape) {
  const std::int64_t n = flat.numel(), D = weight.size(1);
  const std::int64_t row_stride = weight.stride(0), col_stride = weight.stride(1);
  Tensor y = empty(out_shape, weight.dtype());
  const std::int64_t* pi = flat.data_ptr<std::int64_t>();
  detail::dispatch_floating(weight.dtype(), "embedding", [&]<typename T>() {
    const T* w = weight.data_ptr<T>();
    T* out = y.data_ptr<T>();
    parallel_for(0, n, std::max<std::int64_t>(1, 32768 / std::max<std::int64_t>(D, 1)),
                 [&](std::int64_t begin, std::int64_t end) {
      for (std::int64_t i = begin; i < end; ++i) {
        const T* row = w + pi[i] * row_stride;
        if (col_stride == 1) {
          std::memcpy(out + i * D, row, sizeof(T) * D);
        } else {
          for (std::int64_t j = 0; j < D; ++j) out[i * D + j] = row[j * col_stride];
        }
      }
    });
  });
  return y;
}
}  // namespace

// y = weight[indices]: (S...) -> (S..., D).  dweight[k] += dy[s] for indices[s] == k (scatter-add).
Tensor embedding(const Tensor& weight, const Tensor& indices, std::optional<std::int64_t> padding_idx,
                 bool scale_grad_by_freq, bool sparse, std::optional<double> max_norm, double norm_type) {
  // Validate everything before the renorm writes to the weight.
  ed::check_weight(weight, "embedding");
  const std::int64_t V = weight.size(0), D = weight.size(1);
  const Tensor flat = ed::int64_contiguous(indices, "embedding", "indices");
  ed::check_range(flat, indices.shape(), V, "embedding");
  const std::optional<std::int64_t> pad = ed::normalize_padding_idx(padding_idx, V, "embedding");
  if (max_norm) {
    ed::check_norm_options(*max_norm, norm_type, "embedding");
    ed::renorm_rows(weight, flat, *max_norm, norm_type);
  }

  Shape out_shape = indices.shape();
  out_shape.push_back(D);
  Tensor y = gather_rows(weight, flat, out_shape);
  // Backward needs only the indices (not the weight's values): saved, so an in-place change to
  // the caller's index tensor before backward is caught.
  return autograd::record("embedding", y, {weight, indices},
      [saved = autograd::SavedTensor(flat, "embedding"), n = flat.numel(), V, D, pad, scale_grad_by_freq,
       sparse](const Tensor& dy) -> autograd::Grads {
        if (!autograd::needs_grad(0)) return {Tensor(), Tensor()};
        const Tensor idx = ed::as_contiguous_shape(saved.unpack(), {n});
        const Tensor rows = ed::as_contiguous_shape(kernels::contiguous(dy), {n, D});
        // A sparse .grad is kept by the user, so it owns its memory; dense rows are consumed at once.
        SparseTensor g = ed::weight_grad(idx, rows, V, pad, scale_grad_by_freq, /*copy=*/sparse);
        return {sparse ? autograd::Gradient(std::move(g)) : autograd::Gradient::dense_at_leaf(std::move(g)),
                Tensor()};
      });
}

}  // namespace ember
