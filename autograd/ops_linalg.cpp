// Differentiable matrix products: mm, bmm and matmul (torch.matmul's 1-D, 2-D and batched rules).
// Backward multiplies by transposed *views*: the kernels hand those to BLAS as flags, no copies.
#include "autograd/function.h"
#include "autograd/ops.h"
#include "core/kernels.h"

namespace ember {

// y = a b, a (n, k), b (k, m);  da = dy b^T (n, k), db = a^T dy (k, m).
// Each operand is saved only when the other one needs a gradient.
Tensor mm(const Tensor& a, const Tensor& b) {
  Tensor out = kernels::mm(a, b);
  autograd::SavedTensor saved_a, saved_b;
  if (autograd::any_requires_grad({b})) saved_a = autograd::SavedTensor(a, "mm");
  if (autograd::any_requires_grad({a})) saved_b = autograd::SavedTensor(b, "mm");
  return autograd::record("mm", out, {a, b}, [saved_a, saved_b](const Tensor& dy) {
    autograd::Grads grads(2);
    if (autograd::needs_grad(0)) grads[0] = kernels::mm(dy, kernels::transpose(saved_b.unpack(), 0, 1));
    if (autograd::needs_grad(1)) grads[1] = kernels::mm(kernels::transpose(saved_a.unpack(), 0, 1), dy);
    return grads;
  });
}

// y = a b per batch, a (B, n, k), b (B, k, m);  da = dy b^T (B, n, k), db = a^T dy (B, k, m).
Tensor bmm(const Tensor& a, const Tensor& b) {
  Tensor out = kernels::bmm(a, b);
  autograd::SavedTensor saved_a, saved_b;
  if (autograd::any_requires_grad({b})) saved_a = autograd::SavedTensor(a, "bmm");
  if (autograd::any_requires_grad({a})) saved_b = autograd::SavedTensor(b, "bmm");
  return autograd::record("bmm", out, {a, b}, [saved_a, saved_b](const Tensor& dy) {
    autograd::Grads grads(2);
    if (autograd::needs_grad(0)) grads[0] = kernels::bmm(dy, kernels::transpose(saved_b.unpack(), 1, 2));
    if (autograd::needs_grad(1)) grads[1] = kernels::bmm(kernels::transpose(saved_a.unpack(), 1, 2), dy);
    return grads;
  });
}

// y = a @ b with torch.matmul's rules: a 1-D a is a row (1, k), a 1-D b a column (k, 1), and
// batch dims broadcast. With those size-1 dims restored in dy (..., n, m):
//   da = dy b^T (..., n, k),  db = a^T dy (..., k, m),
// then the restored dims are dropped again; the engine sums broadcast batch dims away.
Tensor matmul(const Tensor& a, const Tensor& b) {
  Tensor out = kernels::matmul(a, b);
  autograd::SavedTensor saved_a, saved_b;
  if (autograd::any_requires_grad({b})) saved_a = autograd::SavedTensor(a, "matmul");
  if (autograd::any_requires_grad({a})) saved_b = autograd::SavedTensor(b, "matmul");
  const bool a_vector = a.dim() == 1, b_vector = b.dim() == 1;
  return autograd::record("matmul", out, {a, b}, [saved_a, saved_b, a_vector, b_vector](const Tensor& dy) {
    Tensor g = dy;  // (..., n, m) once the vector dims are back
    if (b_vector) g = kernels::unsqueeze(g, g.dim());
    if (a_vector) g = kernels::unsqueeze(g, g.dim() - 1);
    autograd::Grads grads(2);
    if (autograd::needs_grad(0)) {
      Tensor b = saved_b.unpack();
      if (b_vector) b = kernels::unsqueeze(b, 1);
      Tensor da = kernels::matmul(g, kernels::transpose(b, -1, -2));  // (..., n, k)
      grads[0] = a_vector ? kernels::squeeze(da, -2) : da;
    }
    if (autograd::needs_grad(1)) {
      Tensor a = saved_a.unpack();
      if (a_vector) a = kernels::unsqueeze(a, 0);
      Tensor db = kernels::matmul(kernels::transpose(a, -1, -2), g);  // (..., k, m)
      grads[1] = b_vector ? kernels::squeeze(db, -1) : db;
    }
    return grads;
  });
}

}  // namespace ember
