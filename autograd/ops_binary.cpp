// Differentiable elementwise binary ops with broadcasting (add sub mul div pow maximum minimum
// where masked_fill), the arithmetic operators, and the comparisons (which never record).
// Backward functions return gradients in the output's broadcast shape; the engine sums each one
// down to its input's shape (kernels::sum_to), so no op here un-broadcasts by itself.
#include "autograd/function.h"
#include "autograd/ops.h"
#include "core/kernels.h"

namespace ember {
namespace {

// A double as a 0-d tensor of `like`'s dtype, so `x * 2.0` keeps x's dtype.
Tensor scalar_like(double value, const Tensor& like) { return scalar_tensor(value, like.dtype()); }

}  // namespace

// y = a + alpha * b;  da = dy, db = alpha * dy
Tensor add(const Tensor& a, const Tensor& b, double alpha) {
  Tensor out = alpha == 1.0 ? kernels::add(a, b) : kernels::add(a, kernels::mul(b, scalar_like(alpha, b)));
  return autograd::record("add", out, {a, b}, [alpha](const Tensor& dy) {
    autograd::Grads grads(2);
    if (autograd::needs_grad(0)) grads[0] = dy;
    if (autograd::needs_grad(1)) grads[1] = alpha == 1.0 ? dy : kernels::mul(dy, scalar_like(alpha, dy));
    return grads;
  });
}

// y = a - alpha * b;  da = dy, db = -alpha * dy
Tensor sub(const Tensor& a, const Tensor& b, double alpha) {
  Tensor out = alpha == 1.0 ? kernels::sub(a, b) : kernels::sub(a, kernels::mul(b, scalar_like(alpha, b)));
  return autograd::record("sub", out, {a, b}, [alpha](const Tensor& dy) {
    autograd::Grads grads(2);
    if (autograd::needs_grad(0)) grads[0] = dy;
    if (autograd::needs_grad(1)) grads[1] = kernels::mul(dy, scalar_like(-alpha, dy));
    return grads;
  });
}

// y = a * b;  da = dy * b, db = dy * a.
// Each operand is saved only when the *other* one needs a gradient (x * mask keeps no copy of x).
Tensor mul(const Tensor& a, const Tensor& b) {
  Tensor out = kernels::mul(a, b);
  autograd::SavedTensor saved_a, saved_b;
  if (autograd::any_requires_grad({b})) saved_a = autograd::SavedTensor(a, "mul");
  if (autograd::any_requires_grad({a})) saved_b = autograd::SavedTensor(b, "mul");
  return autograd::record("mul", out, {a, b}, [saved_a, saved_b](const Tensor& dy) {
    autograd::Grads grads(2);
    if (autograd::needs_grad(0)) grads[0] = kernels::mul(dy, saved_b.unpack());
    if (autograd::needs_grad(1)) grads[1] = kernels::mul(dy, saved_a.unpack());
    return grads;
  });
}

// y = a / b;  da = dy / b, db = -dy * a / b^2. `a` is saved only when b needs a gradient.
Tensor div(const Tensor& a, const Tensor& b) {
  Tensor out = kernels::div(a, b);
  autograd::SavedTensor saved_a, saved_b;
  if (autograd::any_requires_grad({b})) saved_a = autograd::SavedTensor(a, "div");
  if (autograd::any_requires_grad({a, b})) saved_b = autograd::SavedTensor(b, "div");
  return autograd::record("div", out, {a, b}, [saved_a, saved_b](const Tensor& dy) {
    const Tensor b = saved_b.unpack();
    autograd::Grads grads(2);
    if (autograd::needs_grad(0)) grads[0] = dy / b;
    if (autograd::needs_grad(1)) grads[1] = -dy * saved_a.unpack() / (b * b);
    return grads;
  });
}

// y = a^b;  da = dy * b * a^(b-1), 0 where b = 0;  db = dy * y * log(a), 0 where a = 0 and b >= 0.
// The two masks are PyTorch's: they replace the 0 * inf = NaN of the plain formulas at a = 0.
Tensor pow(const Tensor& a, const Tensor& b) {
  Tensor out = kernels::pow(a, b);
  const bool b_needs_grad = autograd::any_requires_grad({b});
  return autograd::record("pow", out, {a, b},
      [saved_a = autograd::SavedTensor(a, "pow"), saved_b = autograd::SavedTensor(b, "pow"),
       saved_y = b_needs_grad ? autograd::SavedTensor(out, "pow") : autograd::SavedTensor()](const Tensor& dy) {
        const Tensor a = saved_a.unpack(), b = saved_b.unpack();
        const Tensor zero = scalar_like(0.0, a);
        autograd::Grads grads(2);
        if (autograd::needs_grad(0)) {
          const Tensor local = b * kernels::pow(a, b - 1.0);
          grads[0] = dy * kernels::masked_fill(local, kernels::eq(b, zero), 0.0);
        }
        if (autograd::needs_grad(1)) {
          const Tensor a_zero_b_nonneg =
              kernels::where(kernels::eq(a, zero), kernels::ge(b, zero), scalar_tensor(0.0, kBool));
          const Tensor local = saved_y.unpack() * kernels::log(a);
          grads[1] = dy * kernels::masked_fill(local, a_zero_b_nonneg, 0.0);
        }
        return grads;
      });
}

// y = max(a, b);  the larger input gets dy, and ties split it evenly (dy / 2 each), as PyTorch.
Tensor maximum(const Tensor& a, const Tensor& b) {
  Tensor out = kernels::maximum(a, b);
  return autograd::record("maximum", out, {a, b},
      [saved_a = autograd::SavedTensor(a, "maximum"), saved_b = autograd::SavedTensor(b, "maximum")](const Tensor& dy) {
        const Tensor a = saved_a.unpack(), b = saved_b.unpack();
        const Tensor shared = kernels::where(kernels::eq(a, b), dy * 0.5, dy);
        autograd::Grads grads(2);
        if (autograd::needs_grad(0)) grads[0] = kernels::masked_fill(shared, kernels::lt(a, b), 0.0);
        if (autograd::needs_grad(1)) grads[1] = kernels::masked_fill(shared, kernels::gt(a, b), 0.0);
        return grads;
      });
}

// y = min(a, b);  the smaller input gets dy, and ties split it evenly (dy / 2 each), as PyTorch.
Tensor minimum(const Tensor& a, const Tensor& b) {
  Tensor out = kernels::minimum(a, b);
  return autograd::record("minimum", out, {a, b},
      [saved_a = autograd::SavedTensor(a, "minimum"), saved_b = autograd::SavedTensor(b, "minimum")](const Tensor& dy) {
        const Tensor a = saved_a.unpack(), b = saved_b.unpack();
        const Tensor shared = kernels::where(kernels::eq(a, b), dy * 0.5, dy);
        autograd::Grads grads(2);
        if (autograd::needs_grad(0)) grads[0] = kernels::masked_fill(shared, kernels::gt(a, b), 0.0);
        if (autograd::needs_grad(1)) grads[1] = kernels::masked_fill(shared, kernels::lt(a, b), 0.0);
        return grads;
      });
}

// y = cond ? a : b;  da = dy where cond, db = dy where !cond; cond (bool) gets no gradient.
Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b) {
  Tensor out = kernels::where(cond, a, b);
  return autograd::record("where", out, {cond, a, b},
      [saved_cond = autograd::SavedTensor(cond, "where")](const Tensor& dy) {
        const Tensor cond = saved_cond.unpack();
        const Tensor zero = scalar_like(0.0, dy);
        autograd::Grads grads(3);
        if (autograd::needs_grad(1)) grads[1] = kernels::where(cond, dy, zero);
        if (autograd::needs_grad(2)) grads[2] = kernels::where(cond, zero, dy);
        return grads;
      });
}

// y = mask ? value : x;  dx = dy where !mask (the filled positions no longer depend on x).
Tensor masked_fill(const Tensor& x, const Tensor& mask, double value) {
  Tensor out = kernels::masked_fill(x, mask, value);
  return autograd::record("masked_fill", out, {x, mask},
      [saved_mask = autograd::SavedTensor(mask, "masked_fill")](const Tensor& dy) {
        return autograd::Grads{kernels::masked_fill(dy, saved_mask.unpack(), 0.0), Tensor()};
      });
}

// ---- operators: thin names for the ops above; scalars become 0-d tensors of the tensor's dtype --
Tensor operator+(const Tensor& a, const Tensor& b) { return add(a, b); }
Tensor operator-(const Tensor& a, const Tensor& b) { return sub(a, b); }
Tensor operator*(const Tensor& a, const Tensor& b) { return mul(a, b); }
Tensor operator/(const Tensor& a, const Tensor& b) { return div(a, b); }
Tensor operator-(const Tensor& x) { return neg(x); }
Tensor operator+(const Tensor& a, double b) { return add(a, scalar_like(b, a)); }
Tensor operator+(double a, const Tensor& b) { return add(scalar_like(a, b), b); }
Tensor operator-(const Tensor& a, double b) { return sub(a, scalar_like(b, a)); }
Tensor operator-(double a, const Tensor& b) { return sub(scalar_like(a, b), b); }
Tensor operator*(const Tensor& a, double b) { return mul(a, scalar_like(b, a)); }
Tensor operator*(double a, const Tensor& b) { return mul(scalar_like(a, b), b); }
Tensor operator/(const Tensor& a, double b) { return div(a, scalar_like(b, a)); }
Tensor operator/(double a, const Tensor& b) { return div(scalar_like(a, b), b); }

// ---- comparisons: bool results, never recorded ------------------------------------------------
Tensor eq(const Tensor& a, const Tensor& b) { return kernels::eq(a, b); }
Tensor ne(const Tensor& a, const Tensor& b) { return kernels::ne(a, b); }
Tensor lt(const Tensor& a, const Tensor& b) { return kernels::lt(a, b); }
Tensor le(const Tensor& a, const Tensor& b) { return kernels::le(a, b); }
Tensor gt(const Tensor& a, const Tensor& b) { return kernels::gt(a, b); }
Tensor ge(const Tensor& a, const Tensor& b) { return kernels::ge(a, b); }

}  // namespace ember
