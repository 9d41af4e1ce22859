// Branch-free float exp, sigmoid and tanh that compilers vectorize (glibc's expf/tanhf are
// scalar calls: in an LSTM step they cost more than the GEMMs). Cephes polynomials, within
// about 2 ulp of the exact values over the whole float range. double keeps the std functions.
// Always inlined: a file built for another ISA (autograd/lstm_cell_avx2.cpp) then never shares
// an out-of-line copy with the baseline build.
#pragma once

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>

namespace ember::vec_math {

// e^x = 2^n * e^r with n = round(x / ln 2) and |r| <= ln(2) / 2, e^r by a degree-7 polynomial.
[[gnu::always_inline]] inline float exp(float x) {
  x = x < -87.33654f ? -87.33654f : x;  // keeps 2^n a normal float (a NaN passes through)
  x = x > 88.37626f ? 88.37626f : x;
  // Round to nearest: adding and subtracting 1.5 * 2^23 drops the fraction (|x / ln 2| < 2^22).
  const float n = (x * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
  // r = x - n ln 2, with ln 2 split in two so that n * ln2_high is exact.
  const float r = (x - n * 0.693359375f) + n * 2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  const float e_r = p * r * r + r + 1.0f;
  const float two_n = std::bit_cast<float>((static_cast<std::int32_t>(n) + 127) << 23);
  return e_r * two_n;
}

// 1 / (1 + e^-x): no overflow, since exp clamps its argument.
[[gnu::always_inline]] inline float sigmoid(float x) { return 1.0f / (1.0f + exp(-x)); }

// |x| < 0.625: odd polynomial (exact near 0, where 1 - 2/(e^2x + 1) would cancel);
// otherwise sign(x) * (1 - 2 / (e^{2|x|} + 1)). Both are computed and one is selected: no branch.
[[gnu::always_inline]] inline float tanh(float x) {
  const float ax = std::fabs(x);
  const float large = std::copysign(1.0f - 2.0f / (exp(2.0f * ax) + 1.0f), x);
  const float z = x * x;
  float p = -5.70498872745e-3f;
  p = p * z + 2.06390887954e-2f;
  p = p * z - 5.37397155531e-2f;
  p = p * z + 1.33314422036e-1f;
  p = p * z - 3.33332819422e-1f;
  const float small = x + x * z * p;
  return ax < 0.625f ? small : large;
}

inline double exp(double x) { return std::exp(x); }
inline double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }
inline double tanh(double x) { return std::tanh(x); }

}  // namespace ember::vec_math
