// word2vec's negative-sampling loss: forward, backward and the in-place SGD step (see the header
// for the shapes and the math). Plain loops over rows of D numbers: the work is B * (C + K) dot
// products and axpys, too small and too scattered for GEMM.
#include "core/kernels_negative_sampling.h"

#include "core/dispatch.h"
#include "core/error.h"
#include "core/kernels.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

namespace ember::kernels {
namespace {

// Eight independent partial sums, so the compiler can vectorise without reassociating floats.
template <typename T>
[[gnu::always_inline]] inline T dot(const T* a, const T* b, std::int64_t n) {
  T partial[8] = {};
  std::int64_t j = 0;
  for (; j + 8 <= n; j += 8)
    for (int k = 0; k < 8; ++k) partial[k] += a[j + k] * b[j + k];
  T sum = ((partial[0] + partial[1]) + (partial[2] + partial[3])) + ((partial[4] + partial[5]) + (partial[6] + partial[7]));
  for (; j < n; ++j) sum += a[j] * b[j];
  return sum;
}

template <typename T>
[[gnu::always_inline]] inline void axpy(T alpha, const T* x, T* y, std::int64_t n) {
  for (std::int64_t j = 0; j < n; ++j) y[j] += alpha * x[j];
}

// -log sigma(s) = softplus(-s), written so exp never overflows.
double neg_log_sigmoid(double s) { return std::max(-s, 0.0) + std::log1p(std::exp(-std::abs(s))); }

template <typename T>
[[gnu::always_inline]] inline T sigmoid(T s) {
  return T(1) / (T(1) + std::exp(-s));
}

// h = mean of the non-empty context rows of one example; returns how many there were.
template <typename T>
[[gnu::always_inline]] inline std::int64_t context_mean(const T* u, const std::int64_t* context, std::int64_t C, std::int64_t D, T* h) {
  std::fill(h, h + D, T(0));
  std::int64_t n = 0;
  for (std::int64_t c = 0; c < C; ++c) {
    if (context[c] < 0) continue;
    axpy(T(1), u + context[c] * D, h, D);
    ++n;
  }
  if (n > 1)
    for (std::int64_t j = 0; j < D; ++j) h[j] /= T(n);
  return n;
}


// word2vec's update over `count` examples (see the header). Always inlined into the ISA-specific
// entry points below, so each gets its own vectorised copy of the dot products and axpys.
template <typename T>
[[gnu::always_inline]] inline double sgd_examples(T* u, T* v, const std::int64_t* ctx, const std::int64_t* tgt,
                                                  std::int64_t count, std::int64_t C, std::int64_t T1, std::int64_t D,
                                                  T lr) {
  double loss = 0;
  std::vector<T> h(static_cast<std::size_t>(D)), e(static_cast<std::size_t>(D));
  for (std::int64_t b = 0; b < count; ++b) {
    const std::int64_t* context = ctx + b * C;
    // Skip-gram reads its one input row in place; CBOW averages into h.
    const T* hidden = h.data();
    if (C == 1) {
      if (context[0] < 0) continue;
      hidden = u + context[0] * D;
    } else if (context_mean(u, context, C, D, h.data()) == 0) {
      continue;  // no context: nothing to predict from (the C tool skips these too)
    }
    std::fill(e.begin(), e.end(), T(0));
    for (std::int64_t t = 0; t < T1; ++t) {
      T* row = v + tgt[b * T1 + t] * D;
      const T s = dot(hidden, row, D);
      const T sig = sigmoid(s);
      const T label = t == 0 ? T(1) : T(0);
      // -log sigma(s) for the word, -log(1 - sigma(s)) for the noise; clamped, never inf.
      loss += -std::log(std::max(t == 0 ? sig : T(1) - sig, T(1e-30)));
      const T g = lr * (label - sig);
      axpy(g, row, e.data(), D);  // e uses v_t before its update
      axpy(g, hidden, row, D);
    }
    for (std::int64_t c = 0; c < C; ++c)
      if (context[c] >= 0) axpy(T(1), e.data(), u + context[c] * D, D);
  }
  return loss;
}

#if defined(__x86_64__)
// The same loop with 256-bit vectors and FMA, picked at run time when the CPU has them.
[[gnu::target("avx2,fma")]] double sgd_float_avx2(float* u, float* v, const std::int64_t* ctx, const std::int64_t* tgt,
                                                  std::int64_t count, std::int64_t C, std::int64_t T1, std::int64_t D,
                                                  double lr) {
  return sgd_examples(u, v, ctx, tgt, count, C, T1, D, float(lr));
}
#endif

double sgd_float(float* u, float* v, const std::int64_t* ctx, const std::int64_t* tgt, std::int64_t count,
                 std::int64_t C, std::int64_t T1, std::int64_t D, double lr) {
#if defined(__x86_64__)
  static const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  if (avx2) return sgd_float_avx2(u, v, ctx, tgt, count, C, T1, D, lr);
#endif
  return sgd_examples(u, v, ctx, tgt, count, C, T1, D, float(lr));
}

}  // namespace

NegativeSamplingForward negative_sampling_forward(const Tensor& input_weight, const Tensor& output_weight,
                                                  const Tensor& contexts, const Tensor& targets) {
  const std::int64_t B = contexts.size(0), C = contexts.size(1), T1 = targets.size(1), D = input_weight.size(1);
  NegativeSamplingForward out{Tensor(), empty({B, D}, input_weight.dtype()), empty({B, T1}, input_weight.dtype())};
  const std::int64_t* ctx = contexts.data_ptr<std::int64_t>();
  const std::int64_t* tgt = targets.data_ptr<std::int64_t>();
  double loss = 0;
  detail::dispatch_floating(input_weight.dtype(), "negative_sampling_loss", [&]<typename T>() {
    const T* u = input_weight.data_ptr<T>();
    const T* v = output_weight.data_ptr<T>();
    T* h = out.hidden.data_ptr<T>();
    T* p = out.probs.data_ptr<T>();
    for (std::int64_t b = 0; b < B; ++b) {
      context_mean(u, ctx + b * C, C, D, h + b * D);
      for (std::int64_t t = 0; t < T1; ++t) {
        const T s = dot(h + b * D, v + tgt[b * T1 + t] * D, D);
        p[b * T1 + t] = sigmoid(s);
        loss += neg_log_sigmoid(t == 0 ? double(s) : -double(s));  // label 1 for column 0, else 0
      }
    }
  });
  out.loss = scalar_tensor(loss, input_weight.dtype());
  return out;
}

NegativeSamplingGrads negative_sampling_backward(double dy, const Tensor& hidden, const Tensor& probs,
                                                 const Tensor& output_weight, const Tensor& contexts,
                                                 const Tensor& targets, std::int64_t input_rows) {
  const std::int64_t B = contexts.size(0), C = contexts.size(1), T1 = targets.size(1), D = hidden.size(1);
  const DType dtype = hidden.dtype();
  const std::int64_t* ctx = contexts.data_ptr<std::int64_t>();
  std::int64_t slots = 0;
  for (std::int64_t i = 0; i < B * C; ++i) slots += ctx[i] >= 0;
  Tensor in_index = empty({slots}, kInt64), in_rows = empty({slots, D}, dtype);
  Tensor out_index = empty({B * T1}, kInt64);
  if (B * T1 > 0)
    std::memcpy(out_index.data_ptr<std::int64_t>(), targets.data_ptr<std::int64_t>(), sizeof(std::int64_t) * B * T1);
  Tensor out_rows = empty({B * T1, D}, dtype);
  detail::dispatch_floating(dtype, "negative_sampling_loss backward", [&]<typename T>() {
    const T* h = hidden.data_ptr<T>();
    const T* p = probs.data_ptr<T>();
    const T* v = output_weight.data_ptr<T>();
    const std::int64_t* tgt = targets.data_ptr<std::int64_t>();
    std::int64_t* ii = in_index.data_ptr<std::int64_t>();
    T* du = in_rows.data_ptr<T>();
    T* dv = out_rows.data_ptr<T>();
    std::vector<T> dh(static_cast<std::size_t>(D));
    std::int64_t slot = 0;
    for (std::int64_t b = 0; b < B; ++b) {
      std::fill(dh.begin(), dh.end(), T(0));
      for (std::int64_t t = 0; t < T1; ++t) {
        const T g = T(dy) * (p[b * T1 + t] - (t == 0 ? T(1) : T(0)));
        T* row = dv + (b * T1 + t) * D;
        for (std::int64_t j = 0; j < D; ++j) row[j] = g * h[b * D + j];
        axpy(g, v + tgt[b * T1 + t] * D, dh.data(), D);
      }
      std::int64_t n = 0;
      for (std::int64_t c = 0; c < C; ++c) n += ctx[b * C + c] >= 0;
      for (std::int64_t c = 0; c < C; ++c) {
        if (ctx[b * C + c] < 0) continue;
        ii[slot] = ctx[b * C + c];
        for (std::int64_t j = 0; j < D; ++j) du[slot * D + j] = dh[j] / T(n);
        ++slot;
      }
    }
  });
  return {SparseTensor(in_index, in_rows, {input_rows, D}),
          SparseTensor(out_index, out_rows, {output_weight.size(0), D})};
}

double negative_sampling_sgd_(const Tensor& input_weight, const Tensor& output_weight, const Tensor& contexts,
                              const Tensor& targets, std::int64_t count, double lr) {
  const char* op = "negative_sampling_sgd_";
  EMBER_CHECK(input_weight.dim() == 2 && output_weight.dim() == 2 && input_weight.size(1) == output_weight.size(1),
              ShapeError, "{}: weights have shapes {} and {}; expected [V_in, D] and [V_out, D]", op,
              shape_str(input_weight.shape()), shape_str(output_weight.shape()));
  EMBER_CHECK(input_weight.dtype() == output_weight.dtype() && input_weight.is_contiguous() &&
                  output_weight.is_contiguous(), TypeError,
              "{}: weights must be contiguous with one float dtype; got {} and {}", op,
              dtype_name(input_weight.dtype()), dtype_name(output_weight.dtype()));
  EMBER_CHECK(contexts.dtype() == kInt64 && targets.dtype() == kInt64 && contexts.dim() == 2 && targets.dim() == 2 &&
                  contexts.is_contiguous() && targets.is_contiguous() && contexts.size(0) == targets.size(0) &&
                  targets.size(1) >= 1, ShapeError,
              "{}: contexts {} and targets {} must be contiguous int64 [B, C] and [B, 1+K]", op,
              shape_str(contexts.shape()), shape_str(targets.shape()));
  EMBER_CHECK(count >= 0 && count <= contexts.size(0), ValueError, "{}: count {} is out of range [0, {}]", op, count,
              contexts.size(0));
  const std::int64_t C = contexts.size(1), T1 = targets.size(1), D = input_weight.size(1);
  const std::int64_t V_in = input_weight.size(0), V_out = output_weight.size(0);
  const std::int64_t* ctx = contexts.data_ptr<std::int64_t>();
  const std::int64_t* tgt = targets.data_ptr<std::int64_t>();
  for (std::int64_t i = 0; i < count * C; ++i)
    EMBER_CHECK(ctx[i] >= -1 && ctx[i] < V_in, IndexError, "{}: context {} at flat position {} is out of range "
                "[-1, {})", op, ctx[i], i, V_in);
  for (std::int64_t i = 0; i < count * T1; ++i)
    EMBER_CHECK(tgt[i] >= 0 && tgt[i] < V_out, IndexError, "{}: target {} at flat position {} is out of range "
                "[0, {})", op, tgt[i], i, V_out);

  if (input_weight.dtype() == kFloat32)
    return sgd_float(input_weight.data_ptr<float>(), output_weight.data_ptr<float>(), ctx, tgt, count, C, T1, D, lr);
  return detail::dispatch_floating(input_weight.dtype(), op, [&]<typename T>() {
    return sgd_examples(input_weight.data_ptr<T>(), output_weight.data_ptr<T>(), ctx, tgt, count, C, T1, D, T(lr));
  });
}

}  // namespace ember::kernels
