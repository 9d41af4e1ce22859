// View kernels (new shape/strides over the same storage) and copies/conversions.
#include "core/dispatch.h"
#include "core/kernels.h"
#include "core/strided_loop.h"

#include <algorithm>
#include <cstring>
#include <optional>

namespace ember::kernels {
namespace {

// A new TensorImpl over x's memory, remembering which op made it (autograd refuses recorded
// in-place writes through views, and notices a view whose base was rewritten after it was taken).
Tensor make_view(const Tensor& x, Shape shape, Shape strides, std::int64_t offset, const char* op) {
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = x.impl()->storage;
  impl->view_op = op;
  impl->view_history_version = impl->storage->history_version.load();
  impl->shape = std::move(shape);
  impl->strides = std::move(strides);
  impl->offset = offset;
  impl->dtype = x.dtype();
  return Tensor(std::move(impl));
}

// Resolves one -1 in `shape` so that it holds `count` elements.
Shape infer_size(Shape shape, std::int64_t count, const char* op) {
  std::optional<std::size_t> infer;
  std::int64_t known = 1;
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == -1) {
      EMBER_CHECK(!infer, ShapeError, "{}: only one dimension can be -1, got shape {}", op, shape_str(shape));
      infer = i;
    } else {
      EMBER_CHECK(shape[i] >= 0, ShapeError, "{}: invalid size {} in shape {}", op, shape[i], shape_str(shape));
      EMBER_CHECK(!__builtin_mul_overflow(known, shape[i], &known), ValueError,
                  "{}: shape {} has more elements than fit in int64", op, shape_str(shape));
    }
  }
  if (infer) {
    EMBER_CHECK(known != 0 && count % known == 0, ShapeError,
                "{}: shape {} is invalid for input of size {}", op, shape_str(shape), count);
    shape[*infer] = count / known;
  }
  EMBER_CHECK(numel(shape) == count, ShapeError, "{}: shape {} is invalid for input of size {}", op,
              shape_str(shape), count);
  return shape;
}

// Strides that let `new_shape` view memory laid out as (old_shape, old_strides), or nothing
// when no such strides exist (PyTorch's computeStride: dims can merge only where contiguous).
std::optional<Shape> view_strides(const Shape& old_shape, const Shape& old_strides, const Shape& new_shape) {
  if (numel(old_shape) == 0) return contiguous_strides(new_shape);
  if (old_shape.empty()) return contiguous_strides(new_shape);  // 0-d: one element, any strides fit
  Shape new_strides(new_shape.size());
  std::int64_t view_d = static_cast<std::int64_t>(new_shape.size()) - 1;
  std::int64_t chunk_base_stride = old_strides.empty() ? 1 : old_strides.back();
  std::int64_t tensor_numel = 1, view_numel = 1;
  for (std::int64_t d = static_cast<std::int64_t>(old_shape.size()) - 1; d >= 0; --d) {
    tensor_numel *= old_shape[d];
    // At the start of a contiguous chunk: fill the view dims that chunk covers.
    if (d == 0 || (old_shape[d - 1] != 1 && old_strides[d - 1] != tensor_numel * chunk_base_stride)) {
      while (view_d >= 0 && (view_numel < tensor_numel || new_shape[view_d] == 1)) {
        new_strides[view_d] = view_numel * chunk_base_stride;
        view_numel *= new_shape[view_d];
        --view_d;
      }
      if (view_numel != tensor_numel) return std::nullopt;
      if (d > 0) {
        chunk_base_stride = old_strides[d - 1];
        tensor_numel = 1;
        view_numel = 1;
      }
    }
  }
  if (view_d != -1) return std::nullopt;
  return new_strides;
}

}  // namespace

Tensor as_strided(const Tensor& x, const Shape& shape, const Shape& strides, std::int64_t offset) {
  check_defined(x, "as_strided");
  EMBER_CHECK(shape.size() == strides.size(), ShapeError,
              "as_strided: shape {} and strides {} have different lengths", shape_str(shape), shape_str(strides));
  return make_view(x, shape, strides, offset, "as_strided");
}

Tensor view(const Tensor& x, Shape shape) {
  check_defined(x, "view");
  shape = infer_size(std::move(shape), x.numel(), "view");
  auto strides = view_strides(x.shape(), x.strides(), shape);
  EMBER_CHECK(strides.has_value(), ShapeError,
              "view: a tensor of shape {} with strides {} cannot be viewed as {}; "
              "expected compatible strides (use reshape, which copies when needed)",
              shape_str(x.shape()), shape_str(x.strides()), shape_str(shape));
  return make_view(x, std::move(shape), std::move(*strides), x.offset(), "view");
}

Tensor reshape(const Tensor& x, Shape shape) {
  check_defined(x, "reshape");
  shape = infer_size(std::move(shape), x.numel(), "reshape");
  if (auto strides = view_strides(x.shape(), x.strides(), shape))
    return make_view(x, std::move(shape), std::move(*strides), x.offset(), "reshape");
  return view(clone(x), std::move(shape));
}

Tensor transpose(const Tensor& x, std::int64_t dim0, std::int64_t dim1) {
  check_defined(x, "transpose");
  dim0 = wrap_dim(dim0, x.dim(), "transpose");
  dim1 = wrap_dim(dim1, x.dim(), "transpose");
  if (x.dim() == 0) return make_view(x, x.shape(), x.strides(), x.offset(), "transpose");
  Shape shape = x.shape(), strides = x.strides();
  std::swap(shape[dim0], shape[dim1]);
  std::swap(strides[dim0], strides[dim1]);
  return make_view(x, std::move(shape), std::move(strides), x.offset(), "transpose");
}

Tensor permute(const Tensor& x, const std::vector<std::int64_t>& dims) {
  check_defined(x, "permute");
  EMBER_CHECK(static_cast<std::int64_t>(dims.size()) == x.dim(), ShapeError,
              "permute: got {} dims for a {}-d tensor; expected {}", dims.size(), x.dim(), x.dim());
  Shape shape(dims.size()), strides(dims.size());
  std::vector<bool> seen(dims.size(), false);
  for (std::size_t i = 0; i < dims.size(); ++i) {
    const std::int64_t d = wrap_dim(dims[i], x.dim(), "permute");
    EMBER_CHECK(!seen[d], ShapeError, "permute: dim {} appears twice in {}", d, shape_str(dims));
    seen[d] = true;
    shape[i] = x.shape()[d];
    strides[i] = x.strides()[d];
  }
  return make_view(x, std::move(shape), std::move(strides), x.offset(), "permute");
}

Tensor narrow(const Tensor& x, std::int64_t dim, std::int64_t start, std::int64_t length) {
  check_defined(x, "narrow");
  EMBER_CHECK(x.dim() > 0, ShapeError, "narrow: cannot narrow a 0-d tensor");
  dim = wrap_dim(dim, x.dim(), "narrow");
  const std::int64_t size = x.shape()[dim];
  const std::int64_t given = start;
  if (start < 0 && start >= -size) start += size;
  // Written so that nothing overflows: start + length may not fit in int64.
  EMBER_CHECK(start >= 0 && start <= size && length >= 0 && length <= size - start, IndexError,
              "narrow: start {} with length {} is out of bounds for dim {} of size {}; expected "
              "0 <= start <= {} and start + length <= {}", given, length, dim, size, size, size);
  Shape shape = x.shape();
  shape[dim] = length;
  return make_view(x, std::move(shape), x.strides(), x.offset() + start * x.strides()[dim], "narrow");
}

Tensor select(const Tensor& x, std::int64_t dim, std::int64_t index) {
  check_defined(x, "select");
  EMBER_CHECK(x.dim() > 0, ShapeError, "select: cannot select from a 0-d tensor");
  dim = wrap_dim(dim, x.dim(), "select");
  const std::int64_t size = x.shape()[dim];
  EMBER_CHECK(index >= -size && index < size, IndexError,
              "select: index {} is out of range for dim {} of size {}; expected [{}, {})", index, dim, size,
              -size, size);
  if (index < 0) index += size;
  Shape shape = x.shape(), strides = x.strides();
  const std::int64_t offset = x.offset() + index * strides[dim];
  shape.erase(shape.begin() + dim);
  strides.erase(strides.begin() + dim);
  return make_view(x, std::move(shape), std::move(strides), offset, "select");
}

Tensor unsqueeze(const Tensor& x, std::int64_t dim) {
  check_defined(x, "unsqueeze");
  dim = wrap_dim(dim, x.dim() + 1, "unsqueeze");
  Shape shape = x.shape(), strides = x.strides();
  const std::int64_t stride = dim < x.dim() ? shape[dim] * strides[dim] : 1;
  shape.insert(shape.begin() + dim, 1);
  strides.insert(strides.begin() + dim, stride);
  return make_view(x, std::move(shape), std::move(strides), x.offset(), "unsqueeze");
}

Tensor squeeze(const Tensor& x) {
  check_defined(x, "squeeze");
  Shape shape, strides;
  for (std::int64_t d = 0; d < x.dim(); ++d) {
    if (x.shape()[d] == 1) continue;
    shape.push_back(x.shape()[d]);
    strides.push_back(x.strides()[d]);
  }
  return make_view(x, std::move(shape), std::move(strides), x.offset(), "squeeze");
}

Tensor squeeze(const Tensor& x, std::int64_t dim) {
  check_defined(x, "squeeze");
  if (x.dim() == 0) return make_view(x, {}, {}, x.offset(), "squeeze");
  dim = wrap_dim(dim, x.dim(), "squeeze");
  if (x.shape()[dim] != 1) return make_view(x, x.shape(), x.strides(), x.offset(), "squeeze");
  Shape shape = x.shape(), strides = x.strides();
  shape.erase(shape.begin() + dim);
  strides.erase(strides.begin() + dim);
  return make_view(x, std::move(shape), std::move(strides), x.offset(), "squeeze");
}

Tensor expand(const Tensor& x, const Shape& shape) {
  check_defined(x, "expand");
  EMBER_CHECK(static_cast<std::int64_t>(shape.size()) >= x.dim(), ShapeError,
              "expand: cannot expand shape {} to {} with fewer dims", shape_str(x.shape()), shape_str(shape));
  const std::size_t lead = shape.size() - x.shape().size();
  Shape out_shape(shape.size()), out_strides(shape.size());
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i < lead) {
      EMBER_CHECK(shape[i] >= 0, ShapeError, "expand: size -1 is not allowed for new leading dim {} in {}", i,
                  shape_str(shape));
      out_shape[i] = shape[i];
      out_strides[i] = 0;
      continue;
    }
    const std::int64_t size = x.shape()[i - lead], stride = x.strides()[i - lead];
    const std::int64_t want = shape[i] == -1 ? size : shape[i];
    EMBER_CHECK(size == want || size == 1, ShapeError,
                "expand: cannot expand shape {} to {}: dim {} has size {}; expected {} or 1", shape_str(x.shape()),
                shape_str(shape), i, size, want);
    out_shape[i] = want;
    out_strides[i] = size == want ? stride : 0;  // a broadcast dim repeats the same memory
  }
  return make_view(x, std::move(out_shape), std::move(out_strides), x.offset(), "expand");
}

// ---- copies and conversions -------------------------------------------------------------

void copy_into(const Tensor& dst, const Tensor& src) {
  EMBER_CHECK(dst.defined() && src.defined(), ValueError, "copy_: undefined tensor");
  const Tensor s = expand(src, dst.shape());
  if (dst.numel() == 0) return;
  detail::dispatch_all(dst.dtype(), [&]<typename D>() {
    detail::dispatch_all(s.dtype(), [&]<typename S>() {
      D* out = static_cast<D*>(dst.impl()->storage->data) + dst.offset();
      const S* in = static_cast<const S*>(s.impl()->storage->data) + s.offset();
      if constexpr (std::is_same_v<D, S>) {
        if (dst.is_contiguous() && s.is_contiguous()) {
          if (out != in) std::memmove(out, in, dst.numel() * sizeof(D));
          return;
        }
      }
      detail::for_each_row<2>(dst.shape(), {&dst.strides(), &s.strides()}, [&](auto offs, std::int64_t n, auto st) {
        D* o = out + offs[0];
        const S* i = in + offs[1];
        for (std::int64_t k = 0; k < n; ++k) o[k * st[0]] = static_cast<D>(i[k * st[1]]);
      });
    });
  });
}

Tensor contiguous(const Tensor& x) { return x.is_contiguous() ? x : clone(x); }

Tensor clone(const Tensor& x) {
  Tensor out = empty(x.shape(), x.dtype());
  copy_into(out, x);
  return out;
}

Tensor to(const Tensor& x, DType dtype) {
  if (x.dtype() == dtype) return x;
  Tensor out = empty(x.shape(), dtype);
  copy_into(out, x);
  return out;
}

}  // namespace ember::kernels

namespace ember::kernels {

bool has_internal_overlap(const Tensor& t) {
  for (std::int64_t d = 0; d < t.dim(); ++d)
    if (t.shape()[d] > 1 && t.strides()[d] == 0) return true;
  return false;
}

}  // namespace ember::kernels
