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

// op(B) [k, m] (B itself, ldb, or with transpose_b the transpose of a [m, k] B) copied once into the
// layout the kernel reads, for products that reuse it: packed_size(k, m) floats at `out`.
std::int64_t packed_size(std::int64_t k, std::int64_t m);
void pack(bool transpose_b, const float* b, std::int64_t ldb, std::int64_t k, std::int64_t m, float* out);

// sgemm with op(B) from pack(): the same product without copying op(B) again.
void sgemm_packed(bool transpose_a, std::int64_t n, std::int64_t m, std::int64_t k, float alpha, const float* a,
                  std::int64_t lda, const float* packed_b, float beta, float* c, std::int64_t ldc);

}  // namespace ember::kernels::avx512
