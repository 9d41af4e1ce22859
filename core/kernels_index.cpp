// Indexing kernels: index_select, gather, scatter_add and index_add_. Indices are int64 and are
// all checked before anything is written, so a bad index leaves every tensor unchanged.
#include "core/dispatch.h"
#include "core/kernels.h"
#include "core/strided_loop.h"

#include <fmt/ranges.h>

#include <cmath>
#include <cstring>

namespace ember::kernels {
namespace {

// A position in `shape` given its row-major rank: "3" for a 1-D (or 0-d) index, "[1, 2]" otherwise.
std::string position_str(std::int64_t rank, const Shape& shape) {
  if (shape.size() <= 1) return fmt::format("{}", rank);
  Shape position(shape.size());
  for (std::size_t d = shape.size(); d-- > 0;) {
    position[d] = rank % shape[d];
    rank /= shape[d];
  }
  return shape_str(position);
}

// Throws IndexError for the first index outside [0, size), naming its value and position.
void check_indices(const Tensor& index, std::int64_t dim, std::int64_t size, const char* op) {
  const std::int64_t* base = index.data_ptr<std::int64_t>();
  std::int64_t rank = 0;
  detail::for_each_row<1>(index.shape(), {&index.strides()}, [&](const auto& offsets, std::int64_t n,
                                                                 const auto& strides) {
    const std::int64_t* p = base + offsets[0];
    for (std::int64_t i = 0; i < n; ++i, ++rank) {
      const std::int64_t v = p[i * strides[0]];
      EMBER_CHECK(v >= 0 && v < size, IndexError,
                  "{}: index {} at position {} is out of range for dim {} of size {}; expected 0 <= index < {}",
                  op, v, position_str(rank, index.shape()), dim, size, size);
    }
  });
}

void check_index_tensor(const Tensor& index, const char* op) {
  EMBER_CHECK(index.defined(), ValueError, "{}: index is undefined; expected an int64 tensor", op);
  EMBER_CHECK(index.dtype() == kInt64, TypeError, "{}: index has dtype {}; expected int64 or int32", op,
              dtype_name(index.dtype()));
}

// int32 indices (as other libraries make them) are read as int64; the range checks that follow are
// the same.
Tensor int64_index(const Tensor& index) { return index.defined() && index.dtype() == kInt32 ? to(index, kInt64) : index; }

void check_vector_index(const Tensor& index, const char* op) {
  check_index_tensor(index, op);
  EMBER_CHECK(index.dim() <= 1, ShapeError, "{}: index has shape {}; expected a 1-D (or 0-d) index", op,
              shape_str(index.shape()));
}

// x's strides with the indexed dim zeroed: the index supplies that coordinate.
Shape strides_without(const Tensor& x, std::int64_t dim) {
  Shape strides = x.strides();
  if (x.dim() > 0) strides[dim] = 0;
  return strides;
}

// A stride vector whose offset is the coordinate along `dim` (1 there, 0 elsewhere).
Shape coordinate_strides(std::int64_t ndim, std::int64_t dim) {
  Shape strides(ndim, 0);
  if (ndim > 0) strides[dim] = 1;
  return strides;
}

std::int64_t dim_size(const Tensor& x, std::int64_t dim) { return x.dim() == 0 ? 1 : x.size(dim); }
std::int64_t dim_stride(const Tensor& x, std::int64_t dim) { return x.dim() == 0 ? 0 : x.stride(dim); }

// Writing through a dim of stride 0 would add into one element several times.
void check_writable(const Tensor& x, const char* op) {
  for (std::int64_t d = 0; d < x.dim(); ++d)
    EMBER_CHECK(x.size(d) <= 1 || x.stride(d) != 0, ValueError,
                "{}: the destination of shape {} has stride 0 in dim {} (an expanded tensor); expected "
                "a tensor whose elements do not share memory", op, shape_str(x.shape()), d);
}

// Shapes for gather/scatter_add: same number of dims, and index no larger than `other` outside
// `dim` (or anywhere, when `including_dim`).
void check_fits(const Tensor& index, const Tensor& other, std::int64_t dim, bool including_dim,
                const char* op, const char* other_name) {
  bool fits = index.dim() == other.dim();
  for (std::int64_t d = 0; fits && d < index.dim(); ++d)
    fits = (d == dim && !including_dim) || index.size(d) <= other.size(d);
  EMBER_CHECK(fits, ShapeError, "{}: index of shape {} does not fit {} of shape {}{}; expected the same "
              "number of dims and index.size(d) <= {}.size(d)", op, shape_str(index.shape()), other_name,
              shape_str(other.shape()), including_dim ? "" : fmt::format(" outside dim {}", dim), other_name);
}

}  // namespace

// out = x with dim `dim` replaced by the rows index[0], index[1], ...
Tensor index_select(const Tensor& x, std::int64_t dim, const Tensor& index_arg) {
  check_defined(x, "index_select");
  const Tensor index = int64_index(index_arg);
  check_vector_index(index, "index_select");
  const std::int64_t d = wrap_dim(dim, x.dim(), "index_select");
  check_indices(index, d, dim_size(x, d), "index_select");
  Shape out_shape = x.shape();
  if (x.dim() > 0) out_shape[d] = index.numel();
  EMBER_CHECK(x.dim() > 0 || index.numel() == 1, ShapeError,
              "index_select: index of shape {} selects from a 0-d tensor; expected exactly one index",
              shape_str(index.shape()));
  Tensor out = empty(out_shape, x.dtype());
  const Shape out_strides = out.strides(), x_strides = strides_without(x, d);
  const Shape coordinate = coordinate_strides(x.dim(), d);
  const std::int64_t* idx = index.data_ptr<std::int64_t>();
  const std::int64_t idx_stride = index.dim() == 0 ? 0 : index.stride(0);
  const std::int64_t step = dim_stride(x, d);
  detail::dispatch_all(x.dtype(), [&]<typename T>() {
    const T* in = x.data_ptr<T>();
    T* po = out.data_ptr<T>();
    detail::for_each_row<3>(out_shape, {&out_strides, &x_strides, &coordinate},
                            [&](const auto& offsets, std::int64_t n, const auto& strides) {
      T* o = po + offsets[0];
      if (strides[2] == 0) {  // the row lies inside one selected slice: a plain strided copy
        const T* src = in + offsets[1] + idx[offsets[2] * idx_stride] * step;
        if (strides[1] == 1) {
          std::memcpy(o, src, static_cast<std::size_t>(n) * sizeof(T));
        } else {
          for (std::int64_t i = 0; i < n; ++i) o[i] = src[i * strides[1]];
        }
      } else {  // `dim` is the innermost: every element has its own index
        for (std::int64_t i = 0; i < n; ++i)
          o[i] = in[offsets[1] + idx[(offsets[2] + i) * idx_stride] * step];
      }
    });
  });
  return out;
}

// out[i][j] = x[index[i][j]][j] (dim 0 shown); out has index's shape.
Tensor gather(const Tensor& x, std::int64_t dim, const Tensor& index_arg) {
  check_defined(x, "gather");
  const Tensor index = int64_index(index_arg);
  check_index_tensor(index, "gather");
  const std::int64_t d = wrap_dim(dim, x.dim(), "gather");
  check_fits(index, x, d, false, "gather", "input");
  check_indices(index, d, dim_size(x, d), "gather");
  Tensor out = empty(index.shape(), x.dtype());
  const Shape out_strides = out.strides(), x_strides = strides_without(x, d);
  const std::int64_t step = dim_stride(x, d);
  const std::int64_t* idx = index.data_ptr<std::int64_t>();
  detail::dispatch_all(x.dtype(), [&]<typename T>() {
    const T* in = x.data_ptr<T>();
    T* po = out.data_ptr<T>();
    detail::for_each_row<3>(index.shape(), {&out_strides, &index.strides(), &x_strides},
                            [&](const auto& offsets, std::int64_t n, const auto& strides) {
      for (std::int64_t i = 0; i < n; ++i)
        po[offsets[0] + i] = in[offsets[2] + i * strides[2] + idx[offsets[1] + i * strides[1]] * step];
    });
  });
  return out;
}

// out = x.clone(); out[index[i][j]][j] += src[i][j] (dim 0 shown). Repeated indices accumulate.
Tensor scatter_add(const Tensor& x, std::int64_t dim, const Tensor& index_arg, const Tensor& src) {
  check_defined(x, "scatter_add");
  const Tensor index = int64_index(index_arg);
  check_index_tensor(index, "scatter_add");
  EMBER_CHECK(src.defined() && src.dtype() == x.dtype(), TypeError,
              "scatter_add: src has dtype {}; expected {} like the input",
              src.defined() ? dtype_name(src.dtype()) : "undefined", dtype_name(x.dtype()));
  const std::int64_t d = wrap_dim(dim, x.dim(), "scatter_add");
  check_fits(index, x, d, false, "scatter_add", "input");
  check_fits(index, src, d, true, "scatter_add", "src");
  check_indices(index, d, dim_size(x, d), "scatter_add");
  Tensor out = clone(x);
  const Shape out_strides = strides_without(out, d);
  const std::int64_t step = dim_stride(out, d);
  const std::int64_t* idx = index.data_ptr<std::int64_t>();
  detail::dispatch_numeric(x.dtype(), "scatter_add", [&]<typename T>() {
    const T* ps = src.data_ptr<T>();
    T* po = out.data_ptr<T>();
    detail::for_each_row<3>(index.shape(), {&index.strides(), &src.strides(), &out_strides},
                            [&](const auto& offsets, std::int64_t n, const auto& strides) {
      for (std::int64_t i = 0; i < n; ++i)
        po[offsets[2] + i * strides[2] + idx[offsets[0] + i * strides[0]] * step] +=
            ps[offsets[1] + i * strides[1]];
    });
  });
  return out;
}

// In place: x.select(dim, index[i]) += alpha * src.select(dim, i). Repeated indices accumulate.
void index_add_(const Tensor& x, std::int64_t dim, const Tensor& index_arg, const Tensor& src, double alpha) {
  check_defined(x, "index_add_");
  const Tensor index = int64_index(index_arg);
  check_vector_index(index, "index_add_");
  EMBER_CHECK(src.defined() && src.dtype() == x.dtype(), TypeError,
              "index_add_: src has dtype {}; expected {} like the destination",
              src.defined() ? dtype_name(src.dtype()) : "undefined", dtype_name(x.dtype()));
  const std::int64_t d = wrap_dim(dim, x.dim(), "index_add_");
  bool fits = src.dim() == x.dim() && dim_size(src, d) == index.numel();
  for (std::int64_t k = 0; fits && k < x.dim(); ++k) fits = k == d || src.size(k) == x.size(k);
  EMBER_CHECK(fits, ShapeError, "index_add_: src of shape {} does not fit destination {} with {} indices "
              "along dim {}; expected src.size({}) == {} and every other size equal to the destination's",
              shape_str(src.shape()), shape_str(x.shape()), index.numel(), d, d, index.numel());
  EMBER_CHECK(x.dtype() != kInt64 || alpha == std::trunc(alpha), ValueError,
              "index_add_: alpha {} is not an integer; expected an integral alpha for an int64 tensor", alpha);
  check_writable(x, "index_add_");
  check_indices(index, d, dim_size(x, d), "index_add_");
  const Shape x_strides = strides_without(x, d);
  const Shape coordinate = coordinate_strides(x.dim(), d);
  const std::int64_t step = dim_stride(x, d);
  const std::int64_t* idx = index.data_ptr<std::int64_t>();
  const std::int64_t idx_stride = index.dim() == 0 ? 0 : index.stride(0);
  detail::dispatch_numeric(x.dtype(), "index_add_", [&]<typename T>() {
    const T scale = static_cast<T>(alpha);
    const T* ps = src.data_ptr<T>();
    T* px = x.data_ptr<T>();
    detail::for_each_row<3>(src.shape(), {&src.strides(), &x_strides, &coordinate},
                            [&](const auto& offsets, std::int64_t n, const auto& strides) {
      const T* s = ps + offsets[0];
      if (strides[2] == 0) {  // the whole row goes to one destination slice
        T* dst = px + offsets[1] + idx[offsets[2] * idx_stride] * step;
        if (strides[0] == 1 && strides[1] == 1) {
          for (std::int64_t i = 0; i < n; ++i) dst[i] += scale * s[i];
        } else {
          for (std::int64_t i = 0; i < n; ++i) dst[i * strides[1]] += scale * s[i * strides[0]];
        }
      } else {
        for (std::int64_t i = 0; i < n; ++i)
          px[offsets[1] + idx[(offsets[2] + i) * idx_stride] * step] += scale * s[i * strides[0]];
      }
    });
  });
  x.bump_version();
}

}  // namespace ember::kernels
