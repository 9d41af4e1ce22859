// Differentiable indexing and joining: index_select gather scatter_add index_add cat stack.
// Index tensors are inputs too (so the tape shows them) but get undefined gradients.
#include "autograd/function.h"
#include "autograd/ops.h"
#include "core/kernels.h"

namespace ember {
namespace {

// The top-left corner of shape `shape` of `g`, or `g` itself when it already has that shape.
Tensor leading_block(const Tensor& g, const Shape& shape) {
  Tensor block = g;
  for (std::int64_t d = 0; d < g.dim(); ++d)
    if (block.size(d) != shape[d]) block = kernels::narrow(block, d, 0, shape[d]);
  return block;
}

// `part` placed at the top-left corner of a zero tensor of `shape` (gradient of a smaller source).
Tensor pad_to(const Tensor& part, const Shape& shape) {
  if (part.shape() == shape) return part;
  Tensor full = zeros(shape, part.dtype());
  kernels::copy_into(leading_block(full, part.shape()), part);
  return full;
}

}  // namespace

// y = x.index_select(dim, index): y[.., i, ..] = x[.., index[i], ..];
// dx = zeros with dy added back at the selected positions (repeated indices accumulate).
Tensor index_select(const Tensor& x, std::int64_t dim, const Tensor& index) {
  Tensor out = kernels::index_select(x, dim, index);
  return autograd::record("index_select", out, {x, index},
      [saved = autograd::SavedTensor(index, "index_select"), x_shape = x.shape(), dim](const Tensor& dy) {
        Tensor dx = zeros(x_shape, dy.dtype());
        kernels::index_add_(dx, dim, saved.unpack(), dy);
        return autograd::Grads{dx, Tensor()};
      });
}

// y = x.gather(dim, index): y[i][j] = x[index[i][j]][j] (dim 0 shown);
// dx = zeros with dy scatter-added at the gathered positions.
Tensor gather(const Tensor& x, std::int64_t dim, const Tensor& index) {
  Tensor out = kernels::gather(x, dim, index);
  return autograd::record("gather", out, {x, index},
      [saved = autograd::SavedTensor(index, "gather"), x_shape = x.shape(), dim](const Tensor& dy) {
        return autograd::Grads{kernels::scatter_add(zeros(x_shape, dy.dtype()), dim, saved.unpack(), dy), Tensor()};
      });
}

// y = x with y[index[i][j]][j] += src[i][j] (dim 0 shown);  dx = dy, dsrc = dy.gather(dim, index)
// (src may be larger than index; its unused part gets zero gradient).
Tensor scatter_add(const Tensor& x, std::int64_t dim, const Tensor& index, const Tensor& src) {
  Tensor out = kernels::scatter_add(x, dim, index, src);
  return autograd::record("scatter_add", out, {x, index, src},
      [saved = autograd::SavedTensor(index, "scatter_add"), src_shape = src.shape(), dim](const Tensor& dy) {
        autograd::Grads grads(3);
        if (autograd::needs_grad(0)) grads[0] = dy;
        if (autograd::needs_grad(2)) grads[2] = pad_to(kernels::gather(dy, dim, saved.unpack()), src_shape);
        return grads;
      });
}

// y = x with y[.., index[i], ..] += src[.., i, ..] along dim;  dx = dy, dsrc = dy.index_select(dim, index).
Tensor index_add(const Tensor& x, std::int64_t dim, const Tensor& index, const Tensor& src) {
  Tensor out = kernels::clone(x);
  kernels::index_add_(out, dim, index, src);
  return autograd::record("index_add", out, {x, index, src},
      [saved = autograd::SavedTensor(index, "index_add"), dim](const Tensor& dy) {
        autograd::Grads grads(3);
        if (autograd::needs_grad(0)) grads[0] = dy;
        if (autograd::needs_grad(2)) grads[2] = kernels::index_select(dy, dim, saved.unpack());
        return grads;
      });
}

// y = the tensors joined along dim;  d(tensors[i]) = the slice of dy that tensors[i] filled (a view).
Tensor cat(const std::vector<Tensor>& tensors, std::int64_t dim) {
  Tensor out = kernels::cat(tensors, dim);
  dim = wrap_dim(dim, out.dim(), "cat");
  std::vector<std::int64_t> sizes;
  for (const Tensor& t : tensors) sizes.push_back(t.size(dim));
  return autograd::record("cat", out, tensors, [sizes, dim](const Tensor& dy) {
    autograd::Grads grads(sizes.size());
    std::int64_t start = 0;
    for (std::size_t i = 0; i < sizes.size(); ++i) {
      if (autograd::needs_grad(i)) grads[i] = kernels::narrow(dy, dim, start, sizes[i]);
      start += sizes[i];
    }
    return grads;
  });
}

// y = the tensors stacked along a new dim;  d(tensors[i]) = dy.select(dim, i) (a view).
Tensor stack(const std::vector<Tensor>& tensors, std::int64_t dim) {
  Tensor out = kernels::stack(tensors, dim);
  dim = wrap_dim(dim, out.dim(), "stack");
  return autograd::record("stack", out, tensors, [count = tensors.size(), dim](const Tensor& dy) {
    autograd::Grads grads(count);
    for (std::size_t i = 0; i < count; ++i)
      if (autograd::needs_grad(i)) grads[i] = kernels::select(dy, dim, static_cast<std::int64_t>(i));
    return grads;
  });
}

}  // namespace ember
