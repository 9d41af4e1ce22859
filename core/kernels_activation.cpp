// Activation kernels (core/kernels_activation.h): each forward beside its backward, written as the
// per-element formula of PyTorch's CPU kernel (aten/src/ATen/native/cpu/Activation.cpp).
#include "core/kernels_activation.h"

#include "core/dispatch.h"
#include "core/kernels.h"
#include "core/parallel.h"

#include <cmath>

namespace ember::kernels {
namespace {

constexpr std::int64_t kGrain = 32768;  // elements per chunk before a loop is split across threads

// out[i] = f(x[i]) over a contiguous copy of x (x itself when already contiguous).
template <typename F>
Tensor map_forward(const Tensor& x, const char* op, F f) {
  check_defined(x, op, "x");
  return detail::dispatch_floating(x.dtype(), op, [&]<typename T>() {
    const Tensor in = kernels::contiguous(x);
    Tensor out = empty(x.shape(), x.dtype());
    const T* xp = in.data_ptr<T>();
    T* yp = out.data_ptr<T>();
    parallel_for(0, in.numel(), kGrain, [&](std::int64_t lo, std::int64_t hi) {
      for (std::int64_t i = lo; i < hi; ++i) yp[i] = f(xp[i]);
    });
    return out;
  });
}

// dx[i] = dy[i] * f'(x[i]), where df(x) returns f'(x).
template <typename F>
Tensor map_backward(const Tensor& dy, const Tensor& x, const char* op, F df) {
  check_defined(dy, op, "dy");
  check_defined(x, op, "x");
  EMBER_CHECK(dy.shape() == x.shape() && dy.dtype() == x.dtype(), ShapeError,
              "{}: gradient is {} {} but the input is {} {}; expected the same shape and dtype", op,
              dtype_name(dy.dtype()), shape_str(dy.shape()), dtype_name(x.dtype()), shape_str(x.shape()));
  return detail::dispatch_floating(x.dtype(), op, [&]<typename T>() {
    const Tensor in = kernels::contiguous(x), grad = kernels::contiguous(dy);
    Tensor out = empty(x.shape(), x.dtype());
    const T *xp = in.data_ptr<T>(), *gp = grad.data_ptr<T>();
    T* dxp = out.data_ptr<T>();
    parallel_for(0, in.numel(), kGrain, [&](std::int64_t lo, std::int64_t hi) {
      for (std::int64_t i = lo; i < hi; ++i) dxp[i] = gp[i] * df(xp[i]);
    });
    return out;
  });
}

// sqrt(2 / pi) and the cubic coefficient of the tanh form of GELU.
constexpr double kSqrt2OverPi = 0.7978845608028654, kGeluCubic = 0.044715;
constexpr double kInvSqrt2 = 0.7071067811865476, kInvSqrt2Pi = 0.3989422804014327;

}  // namespace

// y = x Phi(x) = 0.5 x (1 + erf(x / sqrt 2));  dy/dx = Phi(x) + x phi(x).
// tanh form: y = 0.5 x (1 + t), t = tanh(u), u = sqrt(2/pi) (x + 0.044715 x^3);
//   dy/dx = 0.5 (1 + t) + 0.5 x (1 - t^2) sqrt(2/pi) (1 + 3 * 0.044715 x^2).
Tensor gelu_forward(const Tensor& x, bool tanh_approximation) {
  return map_forward(x, "gelu", [tanh_approximation](auto v) {
    using T = decltype(v);
    if (!tanh_approximation) return T(0.5) * v * (T(1) + std::erf(v * T(kInvSqrt2)));
    const T u = T(kSqrt2OverPi) * (v + T(kGeluCubic) * v * v * v);
    return T(0.5) * v * (T(1) + std::tanh(u));
  });
}

Tensor gelu_backward(const Tensor& dy, const Tensor& x, bool tanh_approximation) {
  return map_backward(dy, x, "gelu", [tanh_approximation](auto v) {
    using T = decltype(v);
    if (!tanh_approximation) {
      const T cdf = T(0.5) * (T(1) + std::erf(v * T(kInvSqrt2)));
      const T pdf = T(kInvSqrt2Pi) * std::exp(T(-0.5) * v * v);
      return cdf + v * pdf;
    }
    const T u = T(kSqrt2OverPi) * (v + T(kGeluCubic) * v * v * v);
    const T t = std::tanh(u);
    const T du = T(kSqrt2OverPi) * (T(1) + T(3 * kGeluCubic) * v * v);
    return T(0.5) * (T(1) + t) + T(0.5) * v * (T(1) - t * t) * du;
  });
}

// y = x s, s = sigmoid(x);  dy/dx = s (1 + x (1 - s)).
Tensor silu_forward(const Tensor& x) {
  return map_forward(x, "silu", [](auto v) { return v / (decltype(v)(1) + std::exp(-v)); });
}

Tensor silu_backward(const Tensor& dy, const Tensor& x) {
  return map_backward(dy, x, "silu", [](auto v) {
    using T = decltype(v);
    const T s = T(1) / (T(1) + std::exp(-v));
    return s * (T(1) + v * (T(1) - s));
  });
}

// y = log1p(exp(beta x)) / beta, or x where beta x > threshold (strictly, as PyTorch);
// dy/dx = sigmoid(beta x) = z / (z + 1) with z = exp(beta x), or 1 above the threshold.
Tensor softplus_forward(const Tensor& x, double beta, double threshold) {
  return map_forward(x, "softplus", [beta, threshold](auto v) {
    using T = decltype(v);
    const T bx = v * T(beta);
    return bx > T(threshold) ? v : std::log1p(std::exp(bx)) / T(beta);
  });
}

Tensor softplus_backward(const Tensor& dy, const Tensor& x, double beta, double threshold) {
  return map_backward(dy, x, "softplus", [beta, threshold](auto v) {
    using T = decltype(v);
    const T bx = v * T(beta);
    if (bx > T(threshold)) return T(1);
    const T z = std::exp(bx);
    return z / (z + T(1));
  });
}

// y = x (x > 0) or slope x;  dy/dx = 1 (x > 0) or slope (slope also at 0, as PyTorch).
Tensor leaky_relu_forward(const Tensor& x, double negative_slope) {
  return map_forward(x, "leaky_relu", [negative_slope](auto v) {
    return v > 0 ? v : v * decltype(v)(negative_slope);
  });
}

Tensor leaky_relu_backward(const Tensor& dy, const Tensor& x, double negative_slope) {
  return map_backward(dy, x, "leaky_relu", [negative_slope](auto v) {
    using T = decltype(v);
    return v > 0 ? T(1) : T(negative_slope);
  });
}

// y = x (x > 0) or alpha (exp(x) - 1), via expm1 (exact near 0);  dy/dx = 1 or alpha exp(x)
// (the negative branch at 0, as PyTorch).
Tensor elu_forward(const Tensor& x, double alpha) {
  return map_forward(x, "elu", [alpha](auto v) { return v > 0 ? v : decltype(v)(alpha) * std::expm1(v); });
}

Tensor elu_backward(const Tensor& dy, const Tensor& x, double alpha) {
  return map_backward(dy, x, "elu", [alpha](auto v) {
    using T = decltype(v);
    return v > 0 ? T(1) : T(alpha) * std::exp(v);
  });
}

}  // namespace ember::kernels
