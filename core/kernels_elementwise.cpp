// Elementwise kernels: unary maps, broadcasting binary maps, comparisons, where, masked_fill.
// Each has a contiguous fast path (a flat loop the compiler vectorises) and a strided path.
#include "core/dispatch.h"
#include "core/kernels.h"
#include "core/parallel.h"
#include "core/strided_loop.h"

#include <cmath>

namespace ember::kernels {
namespace {

constexpr std::int64_t kGrain = 32768;  // elements per chunk before a loop is split across threads

void check_same_dtype(const Tensor& a, const Tensor& b, const char* op) {
  EMBER_CHECK(a.dtype() == b.dtype(), TypeError, "{}: dtypes {} and {} do not match; expected equal dtypes", op,
              dtype_name(a.dtype()), dtype_name(b.dtype()));
}

template <typename T> const T* base_of(const Tensor& t) {
  return static_cast<const T*>(t.impl()->storage->data) + t.offset();
}

// out[i] = f(x[i]) into a fresh contiguous tensor of dtype R.
template <typename T, typename R, typename F> Tensor unary_map(const Tensor& x, F f) {
  Tensor out = empty(x.shape(), dtype_of<R>());
  R* o = out.data_ptr<R>();
  const T* in = base_of<T>(x);
  if (x.is_contiguous()) {
    parallel_for(0, x.numel(), kGrain, [&](std::int64_t lo, std::int64_t hi) {
      for (std::int64_t i = lo; i < hi; ++i) o[i] = f(in[i]);
    });
    return out;
  }
  detail::for_each_row<1>(x.shape(), {&x.strides()}, [&](auto offs, std::int64_t n, auto st) {
    const T* p = in + offs[0];
    for (std::int64_t i = 0; i < n; ++i) *o++ = f(p[i * st[0]]);
  });
  return out;
}

// out[i] = f(a[i], b[i]) with broadcasting, into a fresh contiguous tensor of dtype R.
template <typename T, typename R, typename F> Tensor binary_map(const Tensor& a, const Tensor& b, const char* op, F f) {
  const Shape shape = broadcast_shapes(a.shape(), b.shape(), op);
  Tensor out = empty(shape, dtype_of<R>());
  R* o = out.data_ptr<R>();
  const T* pa = base_of<T>(a);
  const T* pb = base_of<T>(b);
  const std::int64_t n = out.numel();
  const bool a_full = a.shape() == shape && a.is_contiguous();
  const bool b_full = b.shape() == shape && b.is_contiguous();
  if (a_full && b_full) {
    parallel_for(0, n, kGrain, [&](std::int64_t lo, std::int64_t hi) {
      for (std::int64_t i = lo; i < hi; ++i) o[i] = f(pa[i], pb[i]);
    });
    return out;
  }
  if (a_full && b.numel() == 1) {  // tensor op scalar
    const T s = *pb;
    parallel_for(0, n, kGrain, [&](std::int64_t lo, std::int64_t hi) {
      for (std::int64_t i = lo; i < hi; ++i) o[i] = f(pa[i], s);
    });
    return out;
  }
  if (b_full && a.numel() == 1) {  // scalar op tensor
    const T s = *pa;
    parallel_for(0, n, kGrain, [&](std::int64_t lo, std::int64_t hi) {
      for (std::int64_t i = lo; i < hi; ++i) o[i] = f(s, pb[i]);
    });
    return out;
  }
  const Tensor ea = expand(a, shape), eb = expand(b, shape);
  detail::for_each_row<2>(shape, {&ea.strides(), &eb.strides()}, [&](auto offs, std::int64_t len, auto st) {
    const T* ra = pa + offs[0];
    const T* rb = pb + offs[1];
    for (std::int64_t i = 0; i < len; ++i) *o++ = f(ra[i * st[0]], rb[i * st[1]]);
  });
  return out;
}

template <typename F> Tensor floating_unary(const Tensor& x, const char* op, F f) {
  return detail::dispatch_floating(x.dtype(), op, [&]<typename T>() { return unary_map<T, T>(x, [&](T v) { return static_cast<T>(f(v)); }); });
}

template <typename F> Tensor numeric_unary(const Tensor& x, const char* op, F f) {
  return detail::dispatch_numeric(x.dtype(), op, [&]<typename T>() { return unary_map<T, T>(x, [&](T v) { return static_cast<T>(f(v)); }); });
}

template <typename F> Tensor numeric_binary(const Tensor& a, const Tensor& b, const char* op, F f) {
  check_same_dtype(a, b, op);
  return detail::dispatch_numeric(a.dtype(), op, [&]<typename T>() {
    return binary_map<T, T>(a, b, op, [&](T x, T y) { return static_cast<T>(f(x, y)); });
  });
}

template <typename F> Tensor floating_binary(const Tensor& a, const Tensor& b, const char* op, F f) {
  check_same_dtype(a, b, op);
  return detail::dispatch_floating(a.dtype(), op, [&]<typename T>() {
    return binary_map<T, T>(a, b, op, [&](T x, T y) { return static_cast<T>(f(x, y)); });
  });
}

template <typename F> Tensor compare(const Tensor& a, const Tensor& b, const char* op, F f) {
  check_same_dtype(a, b, op);
  return detail::dispatch_all(a.dtype(), [&]<typename T>() {
    return binary_map<T, bool>(a, b, op, [&](T x, T y) { return static_cast<bool>(f(x, y)); });
  });
}

}  // namespace

// ---- unary ------------------------------------------------------------------------------
Tensor neg(const Tensor& x) { return numeric_unary(x, "neg", [](auto v) { return -v; }); }
Tensor exp(const Tensor& x) { return floating_unary(x, "exp", [](auto v) { return std::exp(v); }); }
Tensor log(const Tensor& x) { return floating_unary(x, "log", [](auto v) { return std::log(v); }); }
Tensor tanh(const Tensor& x) { return floating_unary(x, "tanh", [](auto v) { return std::tanh(v); }); }
Tensor sigmoid(const Tensor& x) {
  // Two branches so exp never overflows: exp(-x) for x >= 0, exp(x) otherwise.
  return floating_unary(x, "sigmoid", [](auto v) {
    using T = decltype(v);
    if (v >= 0) return T(1) / (T(1) + std::exp(-v));
    const T e = std::exp(v);
    return e / (T(1) + e);
  });
}
Tensor relu(const Tensor& x) { return numeric_unary(x, "relu", [](auto v) { return v > 0 ? v : decltype(v)(0); }); }
Tensor sqrt(const Tensor& x) { return floating_unary(x, "sqrt", [](auto v) { return std::sqrt(v); }); }
Tensor abs(const Tensor& x) { return numeric_unary(x, "abs", [](auto v) { return v < 0 ? -v : v; }); }
Tensor sign(const Tensor& x) {
  return numeric_unary(x, "sign", [](auto v) { return static_cast<decltype(v)>((v > 0) - (v < 0)); });
}
Tensor pow(const Tensor& x, double exponent) {
  if (exponent == 2.0) return floating_unary(x, "pow", [](auto v) { return v * v; });
  return floating_unary(x, "pow", [exponent](auto v) { return std::pow(v, static_cast<decltype(v)>(exponent)); });
}
Tensor clamp(const Tensor& x, std::optional<double> min, std::optional<double> max) {
  EMBER_CHECK(min || max, ValueError, "clamp: at least one of min and max must be given");
  const double lo = min.value_or(-INFINITY), hi = max.value_or(INFINITY);
  return numeric_unary(x, "clamp", [lo, hi](auto v) {
    using T = decltype(v);
    if (v != v) return v;  // NaN stays NaN, as in PyTorch
    return static_cast<T>(std::min<double>(std::max<double>(static_cast<double>(v), lo), hi));
  });
}

// ---- binary -----------------------------------------------------------------------------
Tensor add(const Tensor& a, const Tensor& b) { return numeric_binary(a, b, "add", [](auto x, auto y) { return x + y; }); }
Tensor sub(const Tensor& a, const Tensor& b) { return numeric_binary(a, b, "sub", [](auto x, auto y) { return x - y; }); }
Tensor mul(const Tensor& a, const Tensor& b) { return numeric_binary(a, b, "mul", [](auto x, auto y) { return x * y; }); }
Tensor div(const Tensor& a, const Tensor& b) { return floating_binary(a, b, "div", [](auto x, auto y) { return x / y; }); }
Tensor pow(const Tensor& a, const Tensor& b) {
  return floating_binary(a, b, "pow", [](auto x, auto y) { return std::pow(x, y); });
}
Tensor maximum(const Tensor& a, const Tensor& b) {
  return numeric_binary(a, b, "maximum", [](auto x, auto y) { return (x != x || x > y) ? x : y; });
}
Tensor minimum(const Tensor& a, const Tensor& b) {
  return numeric_binary(a, b, "minimum", [](auto x, auto y) { return (x != x || x < y) ? x : y; });
}

Tensor eq(const Tensor& a, const Tensor& b) { return compare(a, b, "eq", [](auto x, auto y) { return x == y; }); }
Tensor ne(const Tensor& a, const Tensor& b) { return compare(a, b, "ne", [](auto x, auto y) { return x != y; }); }
Tensor lt(const Tensor& a, const Tensor& b) { return compare(a, b, "lt", [](auto x, auto y) { return x < y; }); }
Tensor le(const Tensor& a, const Tensor& b) { return compare(a, b, "le", [](auto x, auto y) { return x <= y; }); }
Tensor gt(const Tensor& a, const Tensor& b) { return compare(a, b, "gt", [](auto x, auto y) { return x > y; }); }
Tensor ge(const Tensor& a, const Tensor& b) { return compare(a, b, "ge", [](auto x, auto y) { return x >= y; }); }

Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b) {
  cond.check_dtype(kBool, "where (condition)");
  check_same_dtype(a, b, "where");
  const Shape shape = broadcast_shapes(broadcast_shapes(cond.shape(), a.shape(), "where"), b.shape(), "where");
  const Tensor ec = expand(cond, shape), ea = expand(a, shape), eb = expand(b, shape);
  return detail::dispatch_all(a.dtype(), [&]<typename T>() {
    Tensor out = empty(shape, a.dtype());
    T* o = out.data_ptr<T>();
    const bool* pc = base_of<bool>(ec);
    const T* pa = base_of<T>(ea);
    const T* pb = base_of<T>(eb);
    detail::for_each_row<3>(shape, {&ec.strides(), &ea.strides(), &eb.strides()}, [&](auto offs, std::int64_t n, auto st) {
      for (std::int64_t i = 0; i < n; ++i)
        *o++ = pc[offs[0] + i * st[0]] ? pa[offs[1] + i * st[1]] : pb[offs[2] + i * st[2]];
    });
    return out;
  });
}

Tensor masked_fill(const Tensor& x, const Tensor& mask, double value) {
  mask.check_dtype(kBool, "masked_fill (mask)");
  const Tensor em = expand(mask, x.shape());
  return detail::dispatch_all(x.dtype(), [&]<typename T>() {
    Tensor out = empty(x.shape(), x.dtype());
    T* o = out.data_ptr<T>();
    const bool* pm = base_of<bool>(em);
    const T* px = base_of<T>(x);
    const T v = static_cast<T>(value);
    detail::for_each_row<2>(x.shape(), {&em.strides(), &x.strides()}, [&](auto offs, std::int64_t n, auto st) {
      for (std::int64_t i = 0; i < n; ++i) *o++ = pm[offs[0] + i * st[0]] ? v : px[offs[1] + i * st[1]];
    });
    return out;
  });
}

void add_into(const Tensor& dst, const Tensor& src, double alpha) {
  check_same_dtype(dst, src, "add_");
  const Tensor es = expand(src, dst.shape());
  detail::dispatch_numeric(dst.dtype(), "add_", [&]<typename T>() {
    T* pd = static_cast<T*>(dst.impl()->storage->data) + dst.offset();
    const T* ps = base_of<T>(es);
    const T a = static_cast<T>(alpha);
    if (dst.is_contiguous() && es.is_contiguous()) {
      const std::int64_t n = dst.numel();
      if (alpha == 1.0)
        parallel_for(0, n, kGrain, [&](std::int64_t lo, std::int64_t hi) { for (std::int64_t i = lo; i < hi; ++i) pd[i] += ps[i]; });
      else
        parallel_for(0, n, kGrain, [&](std::int64_t lo, std::int64_t hi) { for (std::int64_t i = lo; i < hi; ++i) pd[i] += a * ps[i]; });
      return;
    }
    detail::for_each_row<2>(dst.shape(), {&dst.strides(), &es.strides()}, [&](auto offs, std::int64_t n, auto st) {
      for (std::int64_t i = 0; i < n; ++i) pd[offs[0] + i * st[0]] += a * ps[offs[1] + i * st[1]];
    });
  });
}

}  // namespace ember::kernels
