// ember's own float32 matrix product for CPUs with AVX-512 (core/kernels_linalg.cpp uses it in
// place of OpenBLAS's sgemm when it is available). Internal to core: kernels::gemm is the API.
#pragma once

#include <cstdint>

namespace ember::kernels::avx512 {

// True when the CPU has AVX-512F and the environment does not ask for OpenBLAS (EMBER_SGEMM=openblas).
bool enabled();

// C = alpha * op(A) op(B) + beta * C, row-major. op(A) is [n, k]: A itself with leading dim lda, or,
// with transpose_a, the transpose of a [k, n] A. Likewise op(B) [k, m]. C [n, m] has leading dim ldc.
// As in BLAS, with beta == 0 C is only written (NaNs in it do not propagate). Needs k > 0. Splits
// the work over ember's thread pool when it is large enough.
void sgemm(bool transpose_a, bool transpose_b, std::int64_t n, std::int64_t m, std::int64_t k, float alpha,
           const float* a, std::int64_t lda, const float* b, std::int64_t ldb, float beta, float* c, std::int64_t ldc);

}  // namespace ember::kernels::avx512
