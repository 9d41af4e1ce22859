// Shapes and strides: small vectors of int64, plus the broadcasting and dim-wrapping rules.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ember {

using Shape = std::vector<std::int64_t>;

// Number of elements: the product of the sizes (1 for a 0-d shape). Throws ValueError naming the
// shape when the product does not fit in int64 (it never wraps).
std::int64_t numel(const Shape& shape);

// Row-major strides, in elements: the last dim has stride 1. Throws ValueError naming the shape
// when a stride does not fit in int64.
Shape contiguous_strides(const Shape& shape);

// Sizes of a new tensor: every dim >= 0, the element count and the byte size (numel *
// element_size) fit in int64. Returns the byte size; throws ValueError naming `op` and the shape.
std::size_t checked_nbytes(const Shape& shape, std::size_t element_size, const char* op);

// "[2, 3]" for messages and printing.
std::string shape_str(const Shape& shape);

// NumPy/PyTorch broadcasting: align trailing dims; each pair must match or one must be 1.
// Throws ShapeError naming `op` and both shapes.
Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op);

// Wraps a possibly negative dim into [0, ndim); throws IndexError naming `op` and the range.
std::int64_t wrap_dim(std::int64_t dim, std::int64_t ndim, const char* op);

}  // namespace ember
