// Joining kernels: cat (along an existing dim) and stack (along a new one). Each input is
// copied into its slice of the output; contiguous inputs go as whole memcpy chunks.
#include "core/dispatch.h"
#include "core/kernels.h"
#include "core/strided_loop.h"

#include <cstring>

namespace ember::kernels {
namespace {

// Copies `src` into `out` starting at element `offset`, where the slice it fills has strides
// `dst_strides` (one per dim of src). When src is contiguous, the slice is `outer` runs of
// src.numel() / outer elements, `dst_row_stride` apart in out.
void copy_slice(const Tensor& src, const Tensor& out, std::int64_t offset, const Shape& dst_strides,
                std::int64_t outer, std::int64_t dst_row_stride) {
  if (src.numel() == 0) return;
  detail::dispatch_all(src.dtype(), [&]<typename T>() {
    const T* ps = src.data_ptr<T>();
    T* po = out.data_ptr<T>() + offset;
    if (src.is_contiguous()) {
      const std::int64_t chunk = src.numel() / outer;
      for (std::int64_t o = 0; o < outer; ++o)
        std::memcpy(po + o * dst_row_stride, ps + o * chunk, static_cast<std::size_t>(chunk) * sizeof(T));
      return;
    }
    detail::for_each_row<2>(src.shape(), {&src.strides(), &dst_strides},
                            [&](const auto& offsets, std::int64_t n, const auto& strides) {
      const T* s = ps + offsets[0];
      T* d = po + offsets[1];
      for (std::int64_t i = 0; i < n; ++i) d[i * strides[1]] = s[i * strides[0]];
    });
  });
}

void check_list(const std::vector<Tensor>& tensors, const char* op) {
  EMBER_CHECK(!tensors.empty(), ValueError, "{}: got an empty list of tensors; expected at least one", op);
  for (std::size_t i = 0; i < tensors.size(); ++i)
    EMBER_CHECK(tensors[i].defined(), ValueError, "{}: tensor {} is undefined; expected defined tensors", op, i);
  for (std::size_t i = 1; i < tensors.size(); ++i)
    EMBER_CHECK(tensors[i].dtype() == tensors[0].dtype(), TypeError,
                "{}: tensor {} has dtype {}; expected {} like tensor 0", op, i,
                dtype_name(tensors[i].dtype()), dtype_name(tensors[0].dtype()));
}

std::int64_t product(const Shape& shape, std::int64_t begin, std::int64_t end) {
  std::int64_t p = 1;
  for (std::int64_t d = begin; d < end; ++d) p *= shape[d];
  return p;
}

// PyTorch quirk kept for compatibility: cat skips 1-D tensors of shape [0] whatever the other shapes.
bool is_legacy_empty(const Tensor& t) { return t.dim() == 1 && t.size(0) == 0; }

}  // namespace

Tensor cat(const std::vector<Tensor>& tensors, std::int64_t dim) {
  check_list(tensors, "cat");
  std::size_t ref = 0;  // the tensor whose shape the others must match
  while (ref + 1 < tensors.size() && is_legacy_empty(tensors[ref])) ++ref;
  for (std::size_t i = 0; i < tensors.size(); ++i)
    EMBER_CHECK(tensors[i].dim() > 0, ShapeError, "cat: tensor {} is 0-d; expected tensors with at least one dim", i);
  const Shape& ref_shape = tensors[ref].shape();
  const std::int64_t d = wrap_dim(dim, tensors[ref].dim(), "cat");
  Shape out_shape = ref_shape;
  out_shape[d] = 0;
  for (std::size_t i = 0; i < tensors.size(); ++i) {
    const Tensor& t = tensors[i];
    if (is_legacy_empty(t) && !is_legacy_empty(tensors[ref])) continue;
    bool same = t.dim() == tensors[ref].dim();
    for (std::int64_t k = 0; same && k < t.dim(); ++k) same = k == d || t.size(k) == ref_shape[k];
    EMBER_CHECK(same, ShapeError, "cat: tensor {} has shape {} but tensor {} has shape {}; expected equal "
                "sizes outside dim {}", i, shape_str(t.shape()), ref, shape_str(ref_shape), d);
    EMBER_CHECK(!__builtin_add_overflow(out_shape[d], t.size(d), &out_shape[d]), ValueError,
                "cat: the sizes along dim {} add up to more than fit in int64 (at tensor {} of shape {})", d, i,
                shape_str(t.shape()));
  }
  Tensor out = empty(out_shape, tensors[ref].dtype());
  const std::int64_t outer = product(out_shape, 0, d);
  const std::int64_t row = product(out_shape, d, static_cast<std::int64_t>(out_shape.size()));
  std::int64_t offset = 0;
  for (const Tensor& t : tensors) {
    if (is_legacy_empty(t) && !is_legacy_empty(tensors[ref])) continue;
    copy_slice(t, out, offset * out.stride(d), out.strides(), outer, row);
    offset += t.size(d);
  }
  return out;
}

Tensor stack(const std::vector<Tensor>& tensors, std::int64_t dim) {
  check_list(tensors, "stack");
  const Shape& shape = tensors[0].shape();
  for (std::size_t i = 1; i < tensors.size(); ++i)
    EMBER_CHECK(tensors[i].shape() == shape, ShapeError,
                "stack: tensor {} has shape {}; expected {} like tensor 0", i,
                shape_str(tensors[i].shape()), shape_str(shape));
  const std::int64_t ndim = static_cast<std::int64_t>(shape.size());
  const std::int64_t d = wrap_dim(dim, ndim + 1, "stack");
  Shape out_shape = shape;
  out_shape.insert(out_shape.begin() + d, static_cast<std::int64_t>(tensors.size()));
  Tensor out = empty(out_shape, tensors[0].dtype());
  // Tensor i fills out.select(d, i): out's strides without dim d.
  Shape slice_strides = out.strides();
  slice_strides.erase(slice_strides.begin() + d);
  const std::int64_t outer = product(shape, 0, d);
  const std::int64_t row = product(out_shape, d, ndim + 1);
  for (std::size_t i = 0; i < tensors.size(); ++i)
    copy_slice(tensors[i], out, static_cast<std::int64_t>(i) * out.stride(d), slice_strides, outer, row);
  return out;
}

}  // namespace ember::kernels
