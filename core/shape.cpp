// Shape helpers: element counts, row-major strides, broadcasting, dim wrapping.
#include "core/shape.h"

#include "core/error.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace ember {

std::int64_t numel(const Shape& shape) {
  std::int64_t n = 1;
  for (std::int64_t s : shape) n *= s;
  return n;
}

Shape contiguous_strides(const Shape& shape) {
  Shape strides(shape.size());
  std::int64_t stride = 1;
  for (std::size_t i = shape.size(); i-- > 0;) {
    strides[i] = stride;
    stride *= std::max<std::int64_t>(shape[i], 1);
  }
  return strides;
}

std::string shape_str(const Shape& shape) { return fmt::format("[{}]", fmt::join(shape, ", ")); }

Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op) {
  const std::size_t ndim = std::max(a.size(), b.size());
  Shape out(ndim);
  for (std::size_t i = 0; i < ndim; ++i) {
    // Align from the right: missing leading dims count as size 1.
    const std::int64_t sa = i < ndim - a.size() ? 1 : a[i - (ndim - a.size())];
    const std::int64_t sb = i < ndim - b.size() ? 1 : b[i - (ndim - b.size())];
    EMBER_CHECK(sa == sb || sa == 1 || sb == 1, ShapeError,
                "{}: shapes {} and {} cannot be broadcast together (dim {} has sizes {} and {}); "
                "expected equal sizes or 1",
                op, shape_str(a), shape_str(b), i, sa, sb);
    out[i] = sa == 1 ? sb : sa;
  }
  return out;
}

std::int64_t wrap_dim(std::int64_t dim, std::int64_t ndim, const char* op) {
  const std::int64_t lo = ndim == 0 ? -1 : -ndim;
  const std::int64_t hi = ndim == 0 ? 0 : ndim - 1;
  EMBER_CHECK(dim >= lo && dim <= hi, IndexError,
              "{}: dimension {} is out of range for a {}-d tensor; expected [{}, {}]", op, dim, ndim,
              lo, hi);
  return dim < 0 ? dim + std::max<std::int64_t>(ndim, 1) : dim;
}

namespace detail {
void throw_internal(const char* condition, const char* file, int line) {
  throw InternalError(
      fmt::format("internal assertion failed: {} at {}:{}; this is a bug in ember", condition, file, line));
}
}  // namespace detail

}  // namespace ember
