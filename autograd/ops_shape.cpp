// Differentiable shape ops. Views (view, transpose, narrow, select, expand, ...) share storage with
// their input and copy nothing; their backward puts dy back into the input's layout.
// flatten, t and slice are composed from the others and have no backward of their own.
#include "autograd/function.h"
#include "autograd/ops.h"
#include "core/kernels.h"

#include <algorithm>

namespace ember {

// y = x viewed as `shape` (no copy);  dx = dy reshaped to x's shape.
Tensor view(const Tensor& x, const Shape& shape) {
  Tensor out = kernels::view(x, shape);
  return autograd::record("view", out, {x}, [x_shape = x.shape()](const Tensor& dy) {
    return autograd::Grads{kernels::reshape(dy, x_shape)};
  });
}

// y = x with `shape` (a view when the strides allow, else a copy);  dx = dy reshaped to x's shape.
Tensor reshape(const Tensor& x, const Shape& shape) {
  Tensor out = kernels::reshape(x, shape);
  return autograd::record("reshape", out, {x}, [x_shape = x.shape()](const Tensor& dy) {
    return autograd::Grads{kernels::reshape(dy, x_shape)};
  });
}

// Dims start_dim..end_dim merged into one: a reshape. A 0-d tensor becomes [1], as in PyTorch.
Tensor flatten(const Tensor& x, std::int64_t start_dim, std::int64_t end_dim) {
  if (x.dim() == 0) return reshape(x, {1});
  const std::int64_t start = wrap_dim(start_dim, x.dim(), "flatten");
  const std::int64_t end = wrap_dim(end_dim, x.dim(), "flatten");
  EMBER_CHECK(start <= end, ValueError, "flatten: start_dim {} comes after end_dim {}; expected start_dim <= end_dim",
              start, end);
  Shape shape(x.shape().begin(), x.shape().begin() + start);
  std::int64_t merged = 1;
  for (std::int64_t d = start; d <= end; ++d) merged *= x.size(d);
  shape.push_back(merged);
  shape.insert(shape.end(), x.shape().begin() + end + 1, x.shape().end());
  return reshape(x, shape);
}

// y = x with dims dim0 and dim1 swapped (a view);  dx = dy with them swapped back.
Tensor transpose(const Tensor& x, std::int64_t dim0, std::int64_t dim1) {
  Tensor out = kernels::transpose(x, dim0, dim1);
  return autograd::record("transpose", out, {x}, [dim0, dim1](const Tensor& dy) {
    return autograd::Grads{kernels::transpose(dy, dim0, dim1)};
  });
}

// The transpose of a matrix; 0-d and 1-d tensors come back unchanged (as views), as in PyTorch.
Tensor t(const Tensor& x) {
  EMBER_CHECK(x.dim() <= 2, ShapeError, "t: expects a tensor with at most 2 dims, got shape {}; use transpose",
              shape_str(x.shape()));
  return transpose(x, 0, x.dim() < 2 ? 0 : 1);
}

// y = x with its dims reordered, y.dim(i) = x.dim(dims[i]) (a view);  dx = dy with the inverse order.
Tensor permute(const Tensor& x, const std::vector<std::int64_t>& dims) {
  Tensor out = kernels::permute(x, dims);
  std::vector<std::int64_t> inverse(dims.size());
  for (std::size_t i = 0; i < dims.size(); ++i)
    inverse[wrap_dim(dims[i], x.dim(), "permute")] = static_cast<std::int64_t>(i);
  return autograd::record("permute", out, {x}, [inverse](const Tensor& dy) {
    return autograd::Grads{kernels::permute(dy, inverse)};
  });
}

// y = x[start : start + length] along dim (a view);  dx = zeros with dy written into that range.
Tensor narrow(const Tensor& x, std::int64_t dim, std::int64_t start, std::int64_t length) {
  Tensor out = kernels::narrow(x, dim, start, length);
  return autograd::record("narrow", out, {x}, [x_shape = x.shape(), dim, start, length](const Tensor& dy) {
    Tensor dx = zeros(x_shape, dy.dtype());
    kernels::copy_into(kernels::narrow(dx, dim, start, length), dy);
    return autograd::Grads{dx};
  });
}

// x[start:end] along dim with Python's rules (negative bounds count from the end, out-of-range
// bounds are clamped, end < start gives an empty slice): a narrow.
Tensor slice(const Tensor& x, std::int64_t dim, std::int64_t start, std::int64_t end) {
  EMBER_CHECK(x.dim() > 0, ShapeError, "slice: cannot slice a 0-d tensor");
  dim = wrap_dim(dim, x.dim(), "slice");
  const std::int64_t size = x.size(dim);
  if (start < 0) start += size;
  if (end < 0) end += size;
  start = std::clamp<std::int64_t>(start, 0, size);
  end = std::clamp<std::int64_t>(end, start, size);
  return narrow(x, dim, start, end - start);
}

// y = x[index] along dim, that dim removed (a view);  dx = zeros with dy written at index.
Tensor select(const Tensor& x, std::int64_t dim, std::int64_t index) {
  Tensor out = kernels::select(x, dim, index);
  return autograd::record("select", out, {x}, [x_shape = x.shape(), dim, index](const Tensor& dy) {
    Tensor dx = zeros(x_shape, dy.dtype());
    kernels::copy_into(kernels::select(dx, dim, index), dy);
    return autograd::Grads{dx};
  });
}

// y = x with a size-1 dim inserted at dim (a view);  dx = dy with it removed.
Tensor unsqueeze(const Tensor& x, std::int64_t dim) {
  Tensor out = kernels::unsqueeze(x, dim);
  dim = wrap_dim(dim, x.dim() + 1, "unsqueeze");
  return autograd::record("unsqueeze", out, {x}, [dim](const Tensor& dy) {
    return autograd::Grads{kernels::squeeze(dy, dim)};
  });
}

// y = x without its size-1 dims (a view);  dx = dy reshaped to x's shape.
Tensor squeeze(const Tensor& x) {
  Tensor out = kernels::squeeze(x);
  return autograd::record("squeeze", out, {x}, [x_shape = x.shape()](const Tensor& dy) {
    return autograd::Grads{kernels::reshape(dy, x_shape)};
  });
}

// y = x without dim, if that dim has size 1 (a view);  dx = dy reshaped to x's shape.
Tensor squeeze(const Tensor& x, std::int64_t dim) {
  Tensor out = kernels::squeeze(x, dim);
  return autograd::record("squeeze", out, {x}, [x_shape = x.shape()](const Tensor& dy) {
    return autograd::Grads{kernels::reshape(dy, x_shape)};
  });
}

// y = x broadcast to shape (a view with stride 0 on the new dims);  dx = dy summed back to x's shape.
Tensor expand(const Tensor& x, const Shape& shape) {
  Tensor out = kernels::expand(x, shape);
  return autograd::record("expand", out, {x}, [x_shape = x.shape()](const Tensor& dy) {
    return autograd::Grads{kernels::sum_to(dy, x_shape)};
  });
}

// ys[i] = x.select(dim, i) for every i (views), one node with one output per slice;
// dx = the slices' gradients stacked along dim (zeros for slices that got none).
std::vector<Tensor> unbind(const Tensor& x, std::int64_t dim) {
  EMBER_CHECK(x.dim() > 0, ShapeError, "unbind: cannot unbind a 0-d tensor");
  dim = wrap_dim(dim, x.dim(), "unbind");
  std::vector<Tensor> outputs;
  for (std::int64_t i = 0; i < x.size(dim); ++i) outputs.push_back(kernels::select(x, dim, i));
  if (outputs.empty()) return outputs;
  return autograd::record_multi("unbind", std::move(outputs), {x},
      [x_shape = x.shape(), x_dtype = x.dtype(), dim](const std::vector<Tensor>& dys) {
        Shape slice_shape = x_shape;
        slice_shape.erase(slice_shape.begin() + dim);
        std::vector<Tensor> slices;
        for (const Tensor& dy : dys) slices.push_back(dy.defined() ? dy : zeros(slice_shape, x_dtype));
        return autograd::Grads{kernels::stack(slices, dim)};
      });
}

// y = x laid out row-major (x itself when it already is, as PyTorch);  dx = dy.
Tensor contiguous(const Tensor& x) {
  if (x.is_contiguous()) return x;
  return autograd::record("contiguous", kernels::clone(x), {x}, [](const Tensor& dy) { return autograd::Grads{dy}; });
}

// y = a fresh copy of x;  dx = dy.
Tensor clone(const Tensor& x) {
  return autograd::record("clone", kernels::clone(x), {x}, [](const Tensor& dy) { return autograd::Grads{dy}; });
}

// y = x converted to dtype (x itself when it already has it);  dx = dy converted back.
// Only float <-> float conversions are differentiable; to int64 or bool records nothing.
Tensor to(const Tensor& x, DType dtype) {
  if (x.dtype() == dtype) return x;
  Tensor out = kernels::to(x, dtype);
  if (!is_floating(x.dtype()) || !is_floating(dtype)) return out;
  return autograd::record("to", out, {x}, [x_dtype = x.dtype()](const Tensor& dy) {
    return autograd::Grads{kernels::to(dy, x_dtype)};
  });
}

}  // namespace ember
