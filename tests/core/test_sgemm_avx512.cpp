// core/sgemm_avx512.cpp, ember's own float32 GEMM, reached through kernels::gemm: every transpose
// combination, shapes that end mid-tile and mid-block, strided (sub-matrix) operands, alpha and
// beta, beta == 0 over NaN garbage, and the multi-threaded split, against a double-precision loop.
// On a CPU without AVX-512 (or with EMBER_SGEMM=openblas) the same cases check the OpenBLAS path.
#include "testing.h"

#include "core/kernels.h"

#include <catch2/catch.hpp>

#include <array>
#include <cmath>
#include <limits>

using namespace ember;

namespace {

// C = alpha * op(A) op(B) + beta * C0 in double; op(X) read through X's strides.
std::vector<double> reference(const Tensor& a, bool ta, const Tensor& b, bool tb, const std::vector<double>& c0,
                              double alpha, double beta, std::int64_t n, std::int64_t m, std::int64_t k) {
  const auto va = a.contiguous().to_vector<double>(), vb = b.contiguous().to_vector<double>();
  const std::int64_t a_cols = a.size(1), b_cols = b.size(1);
  std::vector<double> out(static_cast<std::size_t>(n * m));
  for (std::int64_t i = 0; i < n; ++i)
    for (std::int64_t j = 0; j < m; ++j) {
      double sum = 0;
      for (std::int64_t p = 0; p < k; ++p)
        sum += (ta ? va[p * a_cols + i] : va[i * a_cols + p]) * (tb ? vb[j * b_cols + p] : vb[p * b_cols + j]);
      out[i * m + j] = alpha * sum + (beta == 0 ? 0.0 : beta * c0[i * m + j]);
    }
  return out;
}

// Runs one product through kernels::gemm on views cut out of larger matrices (so the leading
// dimensions exceed the widths) and compares with the double loop at float32 accuracy.
void check_gemm(std::int64_t n, std::int64_t m, std::int64_t k, bool ta, bool tb, double alpha, double beta) {
  INFO("n " << n << " m " << m << " k " << k << " ta " << ta << " tb " << tb << " alpha " << alpha << " beta " << beta);
  const Tensor a_big = randn({(ta ? k : n) + 3, (ta ? n : k) + 5});
  const Tensor b_big = randn({(tb ? m : k) + 2, (tb ? k : m) + 7});
  const Tensor a = kernels::narrow(kernels::narrow(a_big, 0, 1, ta ? k : n), 1, 2, ta ? n : k);
  const Tensor b = kernels::narrow(kernels::narrow(b_big, 0, 2, tb ? m : k), 1, 3, tb ? k : m);
  Tensor c = randn({n, m});
  std::vector<double> c0 = c.to_vector<double>();
  if (beta == 0) {  // BLAS semantics: C is not read, so NaN garbage in it must not leak through
    c.fill_(std::numeric_limits<double>::quiet_NaN());
    c0.assign(c0.size(), 0.0);
  }
  kernels::gemm(a, ta, b, tb, c, alpha, beta);
  const std::vector<double> expected = reference(a, ta, b, tb, c0, alpha, beta, n, m, k);
  const std::vector<double> actual = c.to_vector<double>();
  // float32 products summed over k terms of size ~1: errors grow like sqrt(k) * 2^-24.
  const double tolerance = 1e-5 * std::sqrt(static_cast<double>(k)) + 1e-5;
  for (std::size_t i = 0; i < actual.size(); ++i) {
    INFO("element " << i);
    REQUIRE(std::isfinite(actual[i]));
    REQUIRE(std::abs(actual[i] - expected[i]) <= tolerance * (1 + std::abs(expected[i])));
  }
}

}  // namespace

TEST_CASE("sgemm: every transpose, edge tiles and blocks, alpha and beta", "[core]") {
  manual_seed(11);
  // (n, m, k): tiny, exactly one 8 x 32 tile, one past it, ragged, several depth blocks (k > 256),
  // several row blocks (n > 128), several column blocks (m > 1024).
  const std::vector<std::array<std::int64_t, 3>> shapes = {
      {1, 1, 1}, {8, 32, 16}, {9, 33, 17}, {31, 63, 100}, {32, 512, 128}, {7, 40, 300}, {130, 20, 70}, {5, 1030, 9}};
  for (const auto& [n, m, k] : shapes)
    for (bool ta : {false, true})
      for (bool tb : {false, true}) check_gemm(n, m, k, ta, tb, 1.0, 0.0);
  for (const auto& [alpha, beta] : std::vector<std::pair<double, double>>{{1.0, 1.0}, {0.5, -2.0}, {-1.5, 0.0}}) {
    check_gemm(9, 33, 17, false, true, alpha, beta);
    check_gemm(64, 96, 513, true, false, alpha, beta);  // beta applies once, not once per depth block
  }
}

TEST_CASE("sgemm: the multi-threaded split gives the single-threaded result", "[core]") {
  manual_seed(12);
  const int threads_before = get_num_threads();
  set_num_threads(2);
  check_gemm(64, 1030, 256, false, true, 1.0, 1.0);  // split by columns, a ragged last tile
  check_gemm(1029, 64, 128, true, false, 1.0, 0.0);  // split by rows
  set_num_threads(threads_before);
}

TEST_CASE("gemm with a packed right operand equals gemm with the operand itself", "[core]") {
  manual_seed(14);
  for (const auto& [n, m, k] : std::vector<std::array<std::int64_t, 3>>{{3, 5, 7}, {16, 512, 128}, {33, 1030, 300}})
    for (bool ta : {false, true})
      for (bool tb : {false, true}) {
        INFO("n " << n << " m " << m << " k " << k << " ta " << ta << " tb " << tb);
        const Tensor a = randn(ta ? Shape{k, n} : Shape{n, k}), b = randn(tb ? Shape{m, k} : Shape{k, m});
        const kernels::PackedRhs packed = kernels::pack_rhs(b, tb);
        Tensor expected = randn({n, m}), actual = kernels::clone(expected);
        kernels::gemm(a, ta, b, tb, expected, 0.5, 1.0);
        kernels::gemm(a, ta, packed, actual, 0.5, 1.0);
        testing::require_close(actual, expected, 1e-5, 1e-5);
      }
  // The fallback (float64: nothing packed) and the shape check.
  const Tensor a = randn({4, 6}, kFloat64), b = randn({6, 5}, kFloat64);
  Tensor c = zeros({4, 5}, kFloat64);
  kernels::gemm(a, false, kernels::pack_rhs(b, false), c);
  testing::require_close(c, kernels::mm(a, b), 1e-12, 1e-12);
  Tensor wrong = zeros({4, 6});
  REQUIRE_THROWS_WITH(kernels::gemm(randn({4, 6}), false, kernels::pack_rhs(randn({6, 5}), false), wrong),
                      Catch::Contains("gemm: op(A) is [4, 6], op(B) is [6, 5] and C is [4, 6]"));
}
