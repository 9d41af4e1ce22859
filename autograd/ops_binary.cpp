// Differentiable elementwise binary ops with broadcasting (add sub mul div pow maximum minimum
// where masked_fill), the arithmetic operators, and the comparisons (which never record).
// Backward functions return gradients in the output's broadcast shape; the engine sums each one
// down to its input's shape (kernels::sum_to), so no op here un-broadcasts by itself.
#include "autograd/function.h"
#include "autograd/ops.h"
#include "core/kernels.h"

namespace ember {
namespace {

// A double as a 0-d tensor of `like`'s dtype (alpha, and the constants of the backward formulas).
Tensor scalar_like(double value, const Tensor& like) { return scalar_tensor(value, like.dtype()); }

OperandKind operand_kind(const Tensor& t) { return t.dim() == 0 ? OperandKind::kZeroDim : OperandKind::kTensor; }

// Both operands converted to their torch.result_type. The conversion is the recorded `to`, so a
// float32 input of a float64 op gets its gradient back as float32; same-dtype operands (the hot
// path) pass through untouched.
struct Promoted {
  Tensor a, b;
};
Promoted promote(const char* op, const Tensor& a, const Tensor& b) {
  check_defined(a, op, "a");
  check_defined(b, op, "b");
  if (a.dtype() == b.dtype()) return {a, b};
  const DType common = result_type(a, b);
  return {to(a, common), to(b, common)};
}

// PyTorch refuses subtraction with a bool operand (tensor or scalar) rather than guess what it means.
void check_sub_dtypes(DType a, DType b) {
  EMBER_CHECK(a != kBool && b != kBool, TypeError,
              "sub: subtraction with a bool operand ({} - {}) is not supported, as in PyTorch; to invert a mask "
              "use ~ or logical_not", dtype_name(a), dtype_name(b));
}

// True division and the ops defined only for floats compute integer and bool operands in the
// default float dtype, as PyTorch does (int64 / int64 is float32).
Promoted promote_to_floating(const char* op, const Tensor& a, const Tensor& b) {
  Promoted p = promote(op, a, b);
  if (!is_floating(p.a.dtype())) p = {to(p.a, kFloat32), to(p.b, kFloat32)};
  return p;
}

}  // namespace

DType result_type(const Tensor& a, const Tensor& b) {
  check_defined(a, "result_type", "a");
  check_defined(b, "result_type", "b");
  return ResultType().add(a.dtype(), operand_kind(a)).add(b.dtype(), operand_kind(b)).result();
}

DType result_type(const Tensor& a, Scalar b) {
  check_defined(a, "result_type", "a");
  return ResultType().add(a.dtype(), operand_kind(a)).add(b.dtype, OperandKind::kScalar).result();
}

// y = a + alpha * b;  da = dy, db = alpha * dy
Tensor add(const Tensor& a_in, const Tensor& b_in, double alpha) {
  const auto [a, b] = promote("add", a_in, b_in);
  if (a.dtype() == kBool && alpha == 1.0) return logical_or(a, b);  // True + True is True
  Tensor out = alpha == 1.0 ? kernels::add(a, b) : kernels::add(a, kernels::mul(b, scalar_like(alpha, b)));
  return autograd::record("add", out, {a, b}, [alpha](const Tensor& dy) {
    autograd::Grads grads(2);
    if (autograd::needs_grad(0)) grads[0] = dy;
    if (autograd::needs_grad(1)) grads[1] = alpha == 1.0 ? dy : kernels::mul(dy, scalar_like(alpha, dy));
    return grads;
  });
}

// y = a - alpha * b;  da = dy, db = -alpha * dy
Tensor sub(const Tensor& a_in, const Tensor& b_in, double alpha) {
  check_defined(a_in, "sub", "a");
  check_defined(b_in, "sub", "b");
  check_sub_dtypes(a_in.dtype(), b_in.dtype());
  const auto [a, b] = promote("sub", a_in, b_in);
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
Tensor mul(const Tensor& a_in, const Tensor& b_in) {
  const auto [a, b] = promote("mul", a_in, b_in);
  if (a.dtype() == kBool) return logical_and(a, b);
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
Tensor div(const Tensor& a_in, const Tensor& b_in) {
  const auto [a, b] = promote_to_floating("div", a_in, b_in);
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
Tensor pow(const Tensor& a_in, const Tensor& b_in) {
  const auto [a, b] = promote("pow", a_in, b_in);
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
Tensor maximum(const Tensor& a_in, const Tensor& b_in) {
  const auto [a, b] = promote("maximum", a_in, b_in);
  if (a.dtype() == kBool) return logical_or(a, b);
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
Tensor minimum(const Tensor& a_in, const Tensor& b_in) {
  const auto [a, b] = promote("minimum", a_in, b_in);
  if (a.dtype() == kBool) return logical_and(a, b);
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
Tensor where(const Tensor& cond, const Tensor& a_in, const Tensor& b_in) {
  const auto [a, b] = promote("where", a_in, b_in);
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

// ---- operators: thin names for the ops above ---------------------------------------------------
Tensor operator+(const Tensor& a, const Tensor& b) { return add(a, b); }
Tensor operator-(const Tensor& a, const Tensor& b) { return sub(a, b); }
Tensor operator*(const Tensor& a, const Tensor& b) { return mul(a, b); }
Tensor operator/(const Tensor& a, const Tensor& b) { return div(a, b); }
Tensor operator-(const Tensor& x) { return neg(x); }

namespace {
// A scalar operand: the tensor converted to the result type (PyTorch's rule: the scalar counts only
// by category), the scalar a 0-d tensor of that type. `x * 2.0` keeps float32 x as float32;
// int64 ids * 2.5 is float32, ids * 2 stays int64.
Promoted with_scalar(const Tensor& t, Scalar s, const char* op) {
  check_defined(t, op);
  const DType common = result_type(t, s);
  return {to(t, common), scalar_tensor(s.value, common)};
}
}  // namespace

Tensor operator+(const Tensor& a, Scalar b) { const auto [x, s] = with_scalar(a, b, "add"); return add(x, s); }
Tensor operator+(Scalar a, const Tensor& b) { const auto [x, s] = with_scalar(b, a, "add"); return add(s, x); }
Tensor operator-(const Tensor& a, Scalar b) {
  check_defined(a, "sub");
  check_sub_dtypes(a.dtype(), b.dtype);
  const auto [x, s] = with_scalar(a, b, "sub");
  return sub(x, s);
}
Tensor operator-(Scalar a, const Tensor& b) {
  check_defined(b, "sub");
  check_sub_dtypes(a.dtype, b.dtype());
  const auto [x, s] = with_scalar(b, a, "sub");
  return sub(s, x);
}
Tensor operator*(const Tensor& a, Scalar b) { const auto [x, s] = with_scalar(a, b, "mul"); return mul(x, s); }
Tensor operator*(Scalar a, const Tensor& b) { const auto [x, s] = with_scalar(b, a, "mul"); return mul(s, x); }
Tensor operator/(const Tensor& a, Scalar b) { const auto [x, s] = with_scalar(a, b, "div"); return div(x, s); }
Tensor operator/(Scalar a, const Tensor& b) { const auto [x, s] = with_scalar(b, a, "div"); return div(s, x); }

Tensor where(const Tensor& cond, const Tensor& a, Scalar b) {
  const auto [x, s] = with_scalar(a, b, "where");
  return where(cond, x, s);
}

// ---- comparisons: computed in the promoted dtype, bool results, never recorded ----------------
Tensor eq(const Tensor& a, const Tensor& b) { const auto [x, y] = promote("eq", a, b); return kernels::eq(x, y); }
Tensor ne(const Tensor& a, const Tensor& b) { const auto [x, y] = promote("ne", a, b); return kernels::ne(x, y); }
Tensor lt(const Tensor& a, const Tensor& b) { const auto [x, y] = promote("lt", a, b); return kernels::lt(x, y); }
Tensor le(const Tensor& a, const Tensor& b) { const auto [x, y] = promote("le", a, b); return kernels::le(x, y); }
Tensor gt(const Tensor& a, const Tensor& b) { const auto [x, y] = promote("gt", a, b); return kernels::gt(x, y); }
Tensor ge(const Tensor& a, const Tensor& b) { const auto [x, y] = promote("ge", a, b); return kernels::ge(x, y); }

Tensor operator==(const Tensor& a, Scalar b) { const auto [x, s] = with_scalar(a, b, "eq"); return kernels::eq(x, s); }
Tensor operator!=(const Tensor& a, Scalar b) { const auto [x, s] = with_scalar(a, b, "ne"); return kernels::ne(x, s); }
Tensor operator<(const Tensor& a, Scalar b) { const auto [x, s] = with_scalar(a, b, "lt"); return kernels::lt(x, s); }
Tensor operator<=(const Tensor& a, Scalar b) { const auto [x, s] = with_scalar(a, b, "le"); return kernels::le(x, s); }
Tensor operator>(const Tensor& a, Scalar b) { const auto [x, s] = with_scalar(a, b, "gt"); return kernels::gt(x, s); }
Tensor operator>=(const Tensor& a, Scalar b) { const auto [x, s] = with_scalar(a, b, "ge"); return kernels::ge(x, s); }

// ---- logical ops: bool results, never recorded --------------------------------------------------
namespace {
// t as a bool tensor: nonzero is true (t itself when already bool).
Tensor truth(const Tensor& t) { return t.dtype() == kBool ? t : kernels::ne(t, scalar_tensor(0.0, t.dtype())); }
}  // namespace

Tensor logical_not(const Tensor& x) {
  check_defined(x, "logical_not");
  return kernels::eq(x, scalar_tensor(0.0, x.dtype()));
}

Tensor logical_and(const Tensor& a, const Tensor& b) {
  check_defined(a, "logical_and", "a");
  check_defined(b, "logical_and", "b");
  return kernels::where(truth(a), truth(b), scalar_tensor(0.0, kBool));
}

Tensor logical_or(const Tensor& a, const Tensor& b) {
  check_defined(a, "logical_or", "a");
  check_defined(b, "logical_or", "b");
  return kernels::where(truth(a), scalar_tensor(1.0, kBool), truth(b));
}

namespace {
// `op` is the operator ("&"), `logical` the function that works for every dtype ("logical_and").
void check_bool_operand(const Tensor& t, const char* op, const char* logical) {
  check_defined(t, op);
  if (t.dtype() != kBool)
    throw TypeError(fmt::format("operator{}: ember has it for bool tensors only, got {}; {} takes any "
                                "dtype (nonzero is true)", op, dtype_name(t.dtype()), logical));
}
}  // namespace

Tensor operator&(const Tensor& a, const Tensor& b) {
  check_bool_operand(a, "&", "logical_and");
  check_bool_operand(b, "&", "logical_and");
  return logical_and(a, b);
}
Tensor operator|(const Tensor& a, const Tensor& b) {
  check_bool_operand(a, "|", "logical_or");
  check_bool_operand(b, "|", "logical_or");
  return logical_or(a, b);
}
Tensor operator~(const Tensor& x) {
  check_bool_operand(x, "~", "logical_not");
  return logical_not(x);
}

}  // namespace ember
