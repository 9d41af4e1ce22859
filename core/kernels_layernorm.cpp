// LayerNorm forward and backward kernels (core/kernels_layernorm.h). Rows are independent, so both
// passes split the rows over ember's threads; the weight and bias gradients sum over rows in one
// sequential pass, so their order (and value) does not depend on the thread count.
#include "core/kernels_layernorm.h"

#include "core/dispatch.h"
#include "core/kernels.h"
#include "core/parallel.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace ember::kernels {
namespace {

// Rows per thread at least: below about this many elements a split costs more than it saves.
std::int64_t row_grain(std::int64_t C) { return std::max<std::int64_t>(1, 16384 / std::max<std::int64_t>(C, 1)); }

// One row of the forward. Two passes in double (mean, then the centred sum of squares): the
// one-pass E[x^2] - E[x]^2 cancels badly when |mean| >> std.
template <typename T>
void forward_row(std::int64_t C, const T* x, const T* weight, const T* bias, double eps, T* y, double* mean,
                 double* rstd) {
  double sum = 0.0;
  for (std::int64_t j = 0; j < C; ++j) sum += x[j];
  const double mu = sum / static_cast<double>(C);
  double squares = 0.0;
  for (std::int64_t j = 0; j < C; ++j) squares += (x[j] - mu) * (x[j] - mu);
  const double r = 1.0 / std::sqrt(squares / static_cast<double>(C) + eps);
  for (std::int64_t j = 0; j < C; ++j) {
    const double xh = (x[j] - mu) * r;
    y[j] = static_cast<T>(xh * (weight ? weight[j] : 1.0) + (bias ? bias[j] : 0.0));
  }
  *mean = mu;
  *rstd = r;
}

// One row of dx (see the header). The two row means are taken first, then dx in one more pass.
template <typename T>
void backward_row_dx(std::int64_t C, const T* dy, const T* x, double mean, double rstd, const T* weight, T* dx) {
  double g_sum = 0.0, gxh_sum = 0.0;
  for (std::int64_t j = 0; j < C; ++j) {
    const double g = dy[j] * (weight ? weight[j] : T(1));
    g_sum += g;
    gxh_sum += g * ((x[j] - mean) * rstd);
  }
  const double g_mean = g_sum / static_cast<double>(C), gxh_mean = gxh_sum / static_cast<double>(C);
  for (std::int64_t j = 0; j < C; ++j) {
    const double g = dy[j] * (weight ? weight[j] : T(1));
    const double xh = (x[j] - mean) * rstd;
    dx[j] = static_cast<T>(rstd * (g - g_mean - xh * gxh_mean));
  }
}

}  // namespace

LayerNormForward layer_norm_forward(const Tensor& x, std::int64_t row_size, const Tensor& weight,
                                    const Tensor& bias, double eps) {
  const std::int64_t C = row_size, N = C > 0 ? x.numel() / C : 0;
  EMBER_INTERNAL_ASSERT(C > 0 && N * C == x.numel());
  LayerNormForward out{empty(x.shape(), x.dtype()), empty({N}, kFloat64), empty({N}, kFloat64)};
  detail::dispatch_floating(x.dtype(), "layer_norm", [&]<typename T>() {
    const Tensor xc = kernels::contiguous(x);
    const Tensor w = weight.defined() ? kernels::contiguous(weight) : Tensor(), b = bias.defined() ? kernels::contiguous(bias) : Tensor();
    const T* xp = xc.data_ptr<T>();
    const T* wp = w.defined() ? w.data_ptr<T>() : nullptr;
    const T* bp = b.defined() ? b.data_ptr<T>() : nullptr;
    T* yp = out.y.data_ptr<T>();
    double *mp = out.mean.data_ptr<double>(), *rp = out.rstd.data_ptr<double>();
    parallel_for(0, N, row_grain(C), [&](std::int64_t r0, std::int64_t r1) {
      for (std::int64_t r = r0; r < r1; ++r) forward_row<T>(C, xp + r * C, wp, bp, eps, yp + r * C, mp + r, rp + r);
    });
  });
  return out;
}

LayerNormGrads layer_norm_backward(const Tensor& dy, const Tensor& x, const Tensor& mean, const Tensor& rstd,
                                   const Tensor& weight, std::int64_t row_size, bool want_dx, bool want_dweight,
                                   bool want_dbias) {
  const std::int64_t C = row_size, N = x.numel() / C;
  LayerNormGrads grads;
  if (want_dx) grads.dx = empty(x.shape(), x.dtype());
  detail::dispatch_floating(x.dtype(), "layer_norm", [&]<typename T>() {
    const Tensor dyc = kernels::contiguous(dy), xc = kernels::contiguous(x);
    const Tensor w = weight.defined() ? kernels::contiguous(weight) : Tensor();
    const T *dyp = dyc.data_ptr<T>(), *xp = xc.data_ptr<T>();
    const double *mp = mean.data_ptr<double>(), *rp = rstd.data_ptr<double>();
    const T* wp = w.defined() ? w.data_ptr<T>() : nullptr;
    if (want_dx) {
      T* dxp = grads.dx.data_ptr<T>();
      parallel_for(0, N, row_grain(C), [&](std::int64_t r0, std::int64_t r1) {
        for (std::int64_t r = r0; r < r1; ++r)
          backward_row_dx<T>(C, dyp + r * C, xp + r * C, mp[r], rp[r], wp, dxp + r * C);
      });
    }
    if (!want_dweight && !want_dbias) return;
    // Column sums over the rows, in double.
    std::vector<double> dweight(static_cast<std::size_t>(C), 0.0), dbias(static_cast<std::size_t>(C), 0.0);
    for (std::int64_t r = 0; r < N; ++r) {
      const T* dyr = dyp + r * C;
      const T* xr = xp + r * C;
      for (std::int64_t j = 0; j < C; ++j) {
        dbias[j] += dyr[j];
        dweight[j] += static_cast<double>(dyr[j]) * ((xr[j] - mp[r]) * rp[r]);
      }
    }
    const auto to_tensor = [&](const std::vector<double>& v) {
      Tensor t = empty({C}, x.dtype());
      T* p = t.data_ptr<T>();
      for (std::int64_t j = 0; j < C; ++j) p[j] = static_cast<T>(v[j]);
      return t;
    };
    if (want_dweight) grads.dweight = to_tensor(dweight);
    if (want_dbias) grads.dbias = to_tensor(dbias);
  });
  return grads;
}

}  // namespace ember::kernels
