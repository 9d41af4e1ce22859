// ember's own float32 GEMM for AVX-512 CPUs, in the BLIS layout: op(B) is copied ("packed") into
// panels of kNR columns and op(A) into panels of kMR rows, so that the innermost kernel reads both
// contiguously and keeps a kMR x kNR block of C in 16 vector registers for a whole run over k.
// Why not OpenBLAS: OPENBLAS_CORETYPE=Haswell (these machines' environment) limits it to AVX2
// kernels, half of what the 512-bit FMA units do. What every path must agree with:
//   for i < n, j < m:  C[i][j] = alpha * sum_p op(A)[i][p] * op(B)[p][j] + beta * C[i][j]
#include "core/sgemm_avx512.h"

#include "core/parallel.h"
#include "core/tensor.h"

#include <immintrin.h>

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <string_view>

namespace ember::kernels::avx512 {
namespace {

constexpr std::int64_t kMR = 8;     // rows of C per micro-kernel call (pack_a moves 8 floats at a time)
constexpr std::int64_t kNR = 32;    // columns of C per micro-kernel call: two 16-float vectors
constexpr std::int64_t kKC = 256;   // depth of a packed block: one B panel (kKC x kNR, 32 KiB) fits L1
constexpr std::int64_t kMC = 128;   // rows of op(A) packed at once (kMC x kKC, 128 KiB: L2)
constexpr std::int64_t kNC = 1024;  // columns of op(B) packed at once (kKC x kNC, 1 MiB)
// Below this many FLOPs a second thread costs more (waking it, splitting) than it saves.
constexpr double kParallelFlops = 4e6;

// The packing buffers of this thread, allocated on first use and then reused: no allocation per call.
struct PackBuffers {
  struct Free {
    void operator()(float* p) const { std::free(p); }
  };
  std::unique_ptr<float, Free> a{static_cast<float*>(std::aligned_alloc(64, sizeof(float) * kMC * kKC))};
  std::unique_ptr<float, Free> b{static_cast<float*>(std::aligned_alloc(64, sizeof(float) * kKC * kNC))};
};

PackBuffers& pack_buffers() {
  thread_local PackBuffers buffers;
  EMBER_CHECK(buffers.a && buffers.b, Error, "sgemm: out of memory allocating {} bytes of packing buffers",
              sizeof(float) * (kMC * kKC + kKC * kNC));
  return buffers;
}

std::int64_t round_up(std::int64_t x, std::int64_t multiple) { return (x + multiple - 1) / multiple * multiple; }

// Where pack() puts the block of columns j0.. (cols of them) and depth steps p0..: every earlier
// column block is kNC wide (a multiple of kNR), each over all k steps.
std::int64_t packed_offset(std::int64_t k, std::int64_t j0, std::int64_t p0, std::int64_t cols) {
  return j0 * k + p0 * round_up(cols, kNR);
}

// Everything from here to the pop runs only when enabled() said the CPU has AVX-512F.
#if defined(__clang__)  // clang ignores GCC's target pragma (the fuzz build uses clang)
#pragma clang attribute push(__attribute__((target("avx512f,fma"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx512f,fma")
#endif

// dst[c * dst_ld + r] = src[r * ld + c] for r, c < 8: the classic 8 x 8 transpose in AVX registers
// (interleave pairs of rows, then pairs of pairs, then swap 128-bit halves).
inline void transpose_8x8(const float* src, std::int64_t ld, float* dst, std::int64_t dst_ld) {
  __m256 r[8], t[8];
  for (int i = 0; i < 8; ++i) r[i] = _mm256_loadu_ps(src + i * ld);
  for (int i = 0; i < 8; i += 2) {
    t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);
    t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
  }
  for (int i = 0; i < 8; i += 4) {
    r[i] = _mm256_shuffle_ps(t[i], t[i + 2], 0x44);
    r[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], 0xEE);
    r[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0x44);
    r[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0xEE);
  }
  for (int i = 0; i < 4; ++i) {
    _mm256_storeu_ps(dst + i * dst_ld, _mm256_permute2f128_ps(r[i], r[i + 4], 0x20));
    _mm256_storeu_ps(dst + (i + 4) * dst_ld, _mm256_permute2f128_ps(r[i], r[i + 4], 0x31));
  }
}

// op(A)[i0 .. i0+rows, p0 .. p0+depth] as ceil(rows / kMR) panels: panel r, step p holds the kMR
// values op(A)[i0 + r kMR + 0..kMR-1][p0 + p], zeros past the last row.
void pack_a(bool ta, const float* a, std::int64_t lda, std::int64_t i0, std::int64_t rows, std::int64_t p0,
            std::int64_t depth, float* out) {
  for (std::int64_t r = 0; r < rows; r += kMR, out += depth * kMR) {
    const std::int64_t valid = std::min(kMR, rows - r);
    std::int64_t p = 0;
    if (!ta && valid == kMR)  // rows of A (contiguous in p) become columns of the panel, 8 x 8 at a time
      for (; p + 8 <= depth; p += 8) transpose_8x8(a + (i0 + r) * lda + p0 + p, lda, out + p * kMR, kMR);
    if (ta && valid == kMR)  // op(A)[i][p] = A[p][i]: the kMR values of step p are contiguous in A
      for (; p < depth; ++p) _mm256_storeu_ps(out + p * kMR, _mm256_loadu_ps(a + (p0 + p) * lda + i0 + r));
    for (; p < depth; ++p)
      for (std::int64_t i = 0; i < kMR; ++i)
        out[p * kMR + i] = i >= valid ? 0.0f : ta ? a[(p0 + p) * lda + i0 + r + i] : a[(i0 + r + i) * lda + p0 + p];
  }
}

// op(B)[p0 .. p0+depth, j0 .. j0+cols] as ceil(cols / kNR) panels: panel q, step p holds the kNR
// values op(B)[p0 + p][j0 + q kNR + 0..kNR-1], zeros past the last column.
void pack_b(bool tb, const float* b, std::int64_t ldb, std::int64_t p0, std::int64_t depth, std::int64_t j0,
            std::int64_t cols, float* out) {
  for (std::int64_t q = 0; q < cols; q += kNR, out += depth * kNR) {
    const std::int64_t valid = std::min(kNR, cols - q);
    if (!tb) {  // rows of op(B) are rows of B: copy kNR-wide slices
      for (std::int64_t p = 0; p < depth; ++p) {
        const float* src = b + (p0 + p) * ldb + j0 + q;
        float* dst = out + p * kNR;
        for (std::int64_t j = 0; j < kNR; ++j) dst[j] = j < valid ? src[j] : 0.0f;
      }
    } else {  // op(B)[p][j] = B[j][p]: rows of B (contiguous in p) become columns of the panel
      std::int64_t j = 0;
      for (; j + 8 <= valid; j += 8) {  // 8 x 8 blocks, then the last depth % 8 steps one by one
        const float* src = b + (j0 + q + j) * ldb + p0;
        std::int64_t p = 0;
        for (; p + 8 <= depth; p += 8) transpose_8x8(src + p, ldb, out + p * kNR + j, kNR);
        for (; p < depth; ++p)
          for (std::int64_t jj = 0; jj < 8; ++jj) out[p * kNR + j + jj] = src[jj * ldb + p];
      }
      for (; j < kNR; ++j) {
        const float* src = b + (j0 + q + j) * ldb + p0;
        for (std::int64_t p = 0; p < depth; ++p) out[p * kNR + j] = j < valid ? src[p] : 0.0f;
      }
    }
  }
}

// C[0..rows, 0..cols] = alpha * (A panel)(B panel) + (first ? beta * C : C), over `depth` steps.
// The kMR x kNR block of C lives in c0 (columns 0-15) and c1 (16-31) for the whole loop; masked
// loads and stores handle a partial block at the right or bottom edge of C.
void micro_kernel(std::int64_t depth, const float* pa, const float* pb, float* c, std::int64_t ldc,
                  std::int64_t rows, std::int64_t cols, float alpha, float beta, bool first) {
  __m512 c0[kMR], c1[kMR];
#pragma GCC unroll 8
  for (int i = 0; i < kMR; ++i) c0[i] = c1[i] = _mm512_setzero_ps();
  for (std::int64_t p = 0; p < depth; ++p, pa += kMR, pb += kNR) {
    const __m512 b0 = _mm512_load_ps(pb), b1 = _mm512_load_ps(pb + 16);
#pragma GCC unroll 8
    for (int i = 0; i < kMR; ++i) {
      const __m512 ai = _mm512_set1_ps(pa[i]);
      c0[i] = _mm512_fmadd_ps(ai, b0, c0[i]);
      c1[i] = _mm512_fmadd_ps(ai, b1, c1[i]);
    }
  }
  const __mmask16 m0 = cols >= 16 ? 0xFFFF : static_cast<__mmask16>((1u << cols) - 1);
  const __mmask16 m1 = cols >= 32 ? 0xFFFF : cols <= 16 ? 0 : static_cast<__mmask16>((1u << (cols - 16)) - 1);
  const __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta);
#pragma GCC unroll 8
  for (int i = 0; i < kMR; ++i) {
    if (i >= rows) break;
    float* row = c + i * ldc;
    __m512 r0 = _mm512_mul_ps(va, c0[i]), r1 = _mm512_mul_ps(va, c1[i]);
    if (!first) {  // a later depth block: add to what the earlier ones wrote
      r0 = _mm512_add_ps(r0, _mm512_maskz_loadu_ps(m0, row));
      r1 = _mm512_add_ps(r1, _mm512_maskz_loadu_ps(m1, row + 16));
    } else if (beta != 0.0f) {
      r0 = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(m0, row), r0);
      r1 = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(m1, row + 16), r1);
    }
    _mm512_mask_storeu_ps(row, m0, r0);
    _mm512_mask_storeu_ps(row + 16, m1, r1);
  }
}

// One thread's product: blocks of kNC columns of op(B), kKC steps of depth, kMC rows of op(A).
// op(B) is packed here, block by block, unless `packed_b` already holds all of it (from pack()).
void sgemm_serial(bool ta, bool tb, std::int64_t n, std::int64_t m, std::int64_t k, float alpha, const float* a,
                  std::int64_t lda, const float* b, std::int64_t ldb, const float* packed_b, float beta, float* c,
                  std::int64_t ldc) {
  PackBuffers& buffers = pack_buffers();
  float* packed_a = buffers.a.get();
  for (std::int64_t j0 = 0; j0 < m; j0 += kNC) {
    const std::int64_t cols = std::min(kNC, m - j0);
    for (std::int64_t p0 = 0; p0 < k; p0 += kKC) {
      const std::int64_t depth = std::min(kKC, k - p0);
      const float* block_b = packed_b != nullptr ? packed_b + packed_offset(k, j0, p0, cols) : buffers.b.get();
      if (packed_b == nullptr) pack_b(tb, b, ldb, p0, depth, j0, cols, buffers.b.get());
      for (std::int64_t i0 = 0; i0 < n; i0 += kMC) {
        const std::int64_t rows = std::min(kMC, n - i0);
        pack_a(ta, a, lda, i0, rows, p0, depth, packed_a);
        // One B panel (L1) against every A panel of the block (L2), then the next B panel.
        for (std::int64_t q = 0; q < cols; q += kNR)
          for (std::int64_t r = 0; r < rows; r += kMR)
            micro_kernel(depth, packed_a + r * depth, block_b + q * depth, c + (i0 + r) * ldc + j0 + q, ldc,
                         std::min(kMR, rows - r), std::min(kNR, cols - q), alpha, beta, p0 == 0);
      }
    }
  }
}

void pack_all(bool tb, const float* b, std::int64_t ldb, std::int64_t k, std::int64_t m, float* out) {
  for (std::int64_t j0 = 0; j0 < m; j0 += kNC) {
    const std::int64_t cols = std::min(kNC, m - j0);
    for (std::int64_t p0 = 0; p0 < k; p0 += kKC)
      pack_b(tb, b, ldb, p0, std::min(kKC, k - p0), j0, cols, out + packed_offset(k, j0, p0, cols));
  }
}

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif

}  // namespace

bool enabled() {
  static const bool on = [] {
    const char* choice = std::getenv("EMBER_SGEMM");
    if (choice != nullptr && std::string_view(choice) == "openblas") return false;
    return __builtin_cpu_supports("avx512f") != 0;
  }();
  return on;
}

void sgemm(bool ta, bool tb, std::int64_t n, std::int64_t m, std::int64_t k, float alpha, const float* a,
           std::int64_t lda, const float* b, std::int64_t ldb, float beta, float* c, std::int64_t ldc) {
  if (get_num_threads() <= 1 || 2.0 * n * m * k < kParallelFlops) {
    sgemm_serial(ta, tb, n, m, k, alpha, a, lda, b, ldb, nullptr, beta, c, ldc);
    return;
  }
  // Several threads: each takes whole tiles of the longer side of C, with its own packing buffers.
  if (m >= n) {
    parallel_for(0, (m + kNR - 1) / kNR, 1, [&](std::int64_t t0, std::int64_t t1) {
      const std::int64_t j0 = t0 * kNR, cols = std::min(m, t1 * kNR) - j0;
      sgemm_serial(ta, tb, n, cols, k, alpha, a, lda, tb ? b + j0 * ldb : b + j0, ldb, nullptr, beta, c + j0, ldc);
    });
  } else {
    parallel_for(0, (n + kMR - 1) / kMR, 1, [&](std::int64_t t0, std::int64_t t1) {
      const std::int64_t i0 = t0 * kMR, rows = std::min(n, t1 * kMR) - i0;
      sgemm_serial(ta, tb, rows, m, k, alpha, ta ? a + i0 : a + i0 * lda, lda, b, ldb, nullptr, beta, c + i0 * ldc,
                   ldc);
    });
  }
}

std::int64_t packed_size(std::int64_t k, std::int64_t m) { return round_up(m, kNR) * k; }

void pack(bool tb, const float* b, std::int64_t ldb, std::int64_t k, std::int64_t m, float* out) {
  pack_all(tb, b, ldb, k, m, out);
}

void sgemm_packed(bool ta, std::int64_t n, std::int64_t m, std::int64_t k, float alpha, const float* a,
                  std::int64_t lda, const float* packed_b, float beta, float* c, std::int64_t ldc) {
  if (get_num_threads() <= 1 || 2.0 * n * m * k < kParallelFlops) {
    sgemm_serial(ta, false, n, m, k, alpha, a, lda, nullptr, 0, packed_b, beta, c, ldc);
    return;
  }
  // op(B) is shared and read-only: the threads split the rows of C.
  parallel_for(0, (n + kMR - 1) / kMR, 1, [&](std::int64_t t0, std::int64_t t1) {
    const std::int64_t i0 = t0 * kMR, rows = std::min(n, t1 * kMR) - i0;
    sgemm_serial(ta, false, rows, m, k, alpha, ta ? a + i0 : a + i0 * lda, lda, nullptr, 0, packed_b, beta,
                 c + i0 * ldc, ldc);
  });
}

}  // namespace ember::kernels::avx512
