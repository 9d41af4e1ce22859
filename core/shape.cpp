// Shape helpers: element counts, row-major strides, broadcasting, dim wrapping.
#include "core/shape.h"

#include "core/error.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <limits>

namespace ember {

std::int64_t numel(const Shape& shape) {
  std::int64_t n = 1;
  for (std::int64_t s : shape)
    if (s == 0) return 0;  // an empty tensor holds no elements, whatever its other sizes
  for (std::int64_t s : shape)
    EMBER_CHECK(!__builtin_mul_overflow(n, s, &n), ValueError,
                "numel: shape {} has more elements than fit in int64 (at most {})", shape_str(shape),
                std::numeric_limits<std::int64_t>::max());
  return n;
}

Shape contiguous_strides(const Shape& shape) {
  Shape strides(shape.size());
  std::int64_t stride = 1;
  for (std::size_t i = shape.size(); i-- > 0;) {
    strides[i] = stride;
    if (i > 0)
      EMBER_CHECK(!__builtin_mul_overflow(stride, std::max<std::int64_t>(shape[i], 1), &stride), ValueError,
                  "strides: shape {} has strides that do not fit in int64 (at most {})", shape_str(shape),
                  std::numeric_limits<std::int64_t>::max());
  }
  return strides;
}

std::size_t checked_nbytes(const Shape& shape, std::size_t element_size, const char* op) {
  for (std::int64_t s : shape)
    EMBER_CHECK(s >= 0, ValueError, "{}: negative dimension {} in shape {}; expected sizes >= 0", op, s,
                shape_str(shape));
  if (std::find(shape.begin(), shape.end(), 0) != shape.end()) {
    contiguous_strides(shape);  // {2^62, 2^62, 0} is empty but its strides would still wrap
    return 0;
  }
  std::int64_t n = 1;
  bool overflow = false;
  for (std::int64_t s : shape) overflow = overflow || __builtin_mul_overflow(n, s, &n);
  std::int64_t bytes = 0;
  overflow = overflow || __builtin_mul_overflow(n, static_cast<std::int64_t>(element_size), &bytes);
  EMBER_CHECK(!overflow, ValueError,
              "{}: shape {} needs more than {} bytes ({} bytes per element); expected a size that fits in int64",
              op, shape_str(shape), std::numeric_limits<std::int64_t>::max(), element_size);
  return static_cast<std::size_t>(bytes);
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
