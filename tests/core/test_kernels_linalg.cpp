// core/kernels_linalg.cpp: gemm, mm, bmm and matmul against PyTorch golden data
// (scripts/golden/core_ops.py), against a naive loop on larger broadcast shapes, the no-copy
// promise for transposed operands, and every error path.
#include "golden.h"
#include "testing.h"

#include "core/allocator.h"
#include "core/kernels.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <cmath>

using namespace ember;
using Catch::Contains;

namespace {

const nlohmann::json& golden_cases(const char* family) {
  static const nlohmann::json doc = testing::load_golden("core_ops");
  return doc.at("cases").at(family);
}

// out[b, i, j] = sum_k a[b, i, k] * x[b, k, j] in double, batch dims already broadcast.
Tensor naive_bmm(const Tensor& a, const Tensor& b) {
  const std::int64_t batch = a.size(0), n = a.size(1), k = a.size(2), m = b.size(2);
  const std::vector<double> va = a.to_vector<double>(), vb = b.to_vector<double>();
  std::vector<double> out(static_cast<std::size_t>(batch * n * m), 0.0);
  for (std::int64_t s = 0; s < batch; ++s)
    for (std::int64_t i = 0; i < n; ++i)
      for (std::int64_t j = 0; j < m; ++j) {
        double acc = 0.0;
        for (std::int64_t p = 0; p < k; ++p) acc += va[(s * n + i) * k + p] * vb[(s * k + p) * m + j];
        out[(s * n + i) * m + j] = acc;
      }
  return tensor(out, {batch, n, m}, kFloat64);
}

}  // namespace

TEST_CASE("matrix products match PyTorch on golden cases", "[core]") {
  const nlohmann::json& cases = golden_cases("linalg");
  REQUIRE(cases.size() >= 25);
  for (const nlohmann::json& c : cases) {
    INFO("golden case: " << c.at("name").get<std::string>());
    const std::string op = c.at("op");
    const nlohmann::json& params = c.at("params");
    const Tensor a = testing::input_from_json(c.at("inputs").at(0));
    const Tensor b = testing::input_from_json(c.at("inputs").at(1));
    Tensor out;
    if (op == "mm") out = kernels::mm(a, b);
    else if (op == "bmm") out = kernels::bmm(a, b);
    else if (op == "matmul") out = kernels::matmul(a, b);
    else if (op == "gemm") {
      out = kernels::clone(testing::input_from_json(c.at("inputs").at(2)));
      kernels::gemm(a, params.at("transpose_a"), b, params.at("transpose_b"), out, params.at("alpha"),
                    params.at("beta"));
    } else {
      FAIL("unknown golden op " << op);
    }
    // atol 1e-5: BLAS and PyTorch add the float32 products of each dot in different orders.
    testing::require_golden(out, c.at("outputs").at(0), out.dtype() == kFloat32 ? 1e-5 : 0.0);
  }
}

TEST_CASE("matmul broadcasts batch dims like torch.matmul", "[core]") {
  manual_seed(11);
  // [3, 1, 17, 9] x [4, 9, 5] -> [3, 4, 17, 5], the left operand also transposed in memory.
  const Tensor a = kernels::transpose(randn({3, 1, 9, 17}, kFloat64), -2, -1);
  const Tensor b = randn({4, 9, 5}, kFloat64);
  const Tensor out = kernels::matmul(a, b);
  REQUIRE(out.shape() == Shape{3, 4, 17, 5});
  const Tensor a3 = kernels::reshape(kernels::contiguous(kernels::expand(a, {3, 4, 17, 9})), {12, 17, 9});
  const Tensor b3 = kernels::reshape(kernels::contiguous(kernels::expand(b, {3, 4, 9, 5})), {12, 9, 5});
  testing::require_close(kernels::reshape(out, {12, 17, 5}), naive_bmm(a3, b3), 1e-12, 1e-12);

  // A batched left operand against a matrix folds into one tall product.
  const Tensor tall = randn({6, 33, 20}, kFloat64), w = randn({20, 7}, kFloat64);
  const Tensor folded = kernels::matmul(tall, w);
  REQUIRE(folded.shape() == Shape{6, 33, 7});
  testing::require_close(folded, naive_bmm(tall, kernels::contiguous(kernels::expand(w, {6, 20, 7}))), 1e-12, 1e-12);
}

TEST_CASE("transposed operands reach BLAS as flags, not copies", "[core]") {
  const Tensor a = randn({64, 32}), b = randn({48, 64});
  const Tensor at = kernels::transpose(a, 0, 1), bt = kernels::transpose(b, 0, 1);
  const std::uint64_t before = allocator::stats().allocations;
  const Tensor out = kernels::mm(at, bt);  // [32, 64] x [64, 48]
  CHECK(allocator::stats().allocations - before == 1);  // the output only
  testing::require_close(out, kernels::mm(kernels::contiguous(at), kernels::contiguous(bt)), 1e-5, 1e-5);

  // A column slice has neither unit row nor unit column stride: it must be copied, and still be right.
  const Tensor wide = randn({64, 64});
  const Tensor every_other = kernels::as_strided(wide, {32, 32}, {128, 2}, 0);
  testing::require_close(kernels::mm(every_other, every_other),
                         kernels::mm(kernels::contiguous(every_other), kernels::contiguous(every_other)), 1e-5, 1e-5);
}

TEST_CASE("gemm accumulates into C with alpha and beta", "[core]") {
  const Tensor a = ones({2, 3}), b = ones({3, 4});
  const Tensor c = full({2, 4}, NAN);
  kernels::gemm(a, false, b, false, c);  // beta = 0 overwrites, even NaN
  testing::require_equal(c, full({2, 4}, 3.0));
  const std::uint64_t version = c.version();
  kernels::gemm(a, false, b, false, c, 2.0, 1.0);
  testing::require_equal(c, full({2, 4}, 9.0));
  CHECK(c.version() > version);
  const Tensor d = full({2, 4}, 5.0);
  kernels::gemm(ones({2, 0}), false, ones({0, 4}), false, d, 1.0, 0.5);  // k = 0: C = beta * C
  testing::require_equal(d, full({2, 4}, 2.5));
}

TEST_CASE("gemm split over threads gives the one-thread result for every layout", "[core]") {
  // Big enough to be split (rows when C is tall, columns when it is wide), with transposed operands,
  // a strided C row block and beta != 0: each block is its own BLAS call on a slice of A or B.
  const int threads_before = get_num_threads();
  for (const auto& [n, k, m] : {std::tuple<std::int64_t, std::int64_t, std::int64_t>{301, 67, 129}, {37, 131, 517}})
    for (bool ta : {false, true})
      for (bool tb : {false, true})
        for (DType dtype : {kFloat32, kFloat64}) {
          INFO("n " << n << " k " << k << " m " << m << " ta " << ta << " tb " << tb << " " << dtype_name(dtype));
          manual_seed(3);
          const Tensor a = randn(ta ? Shape{k, n} : Shape{n, k}, dtype), b = randn(tb ? Shape{m, k} : Shape{k, m}, dtype);
          const Tensor c0 = randn({n + 5, m}, dtype);
          Tensor results[2];
          for (int threads : {1, 2}) {
            set_num_threads(threads);
            const Tensor c = kernels::clone(c0);
            kernels::gemm(a, ta, b, tb, kernels::narrow(c, 0, 2, n), 0.5, 2.0);
            results[threads - 1] = c;
          }
          set_num_threads(threads_before);
          // Each element is still summed by one BLAS call, but OpenBLAS blocks a smaller call
          // differently, so the bits may differ from one thread's (not the value, to rounding).
          const double tol = dtype == kFloat32 ? 1e-4 : 1e-10;
          testing::require_close(results[1], results[0], tol, tol);
          const Tensor op_a = ta ? kernels::transpose(a, 0, 1) : a, op_b = tb ? kernels::transpose(b, 0, 1) : b;
          const Tensor product = kernels::select(
              naive_bmm(kernels::unsqueeze(kernels::to(op_a, kFloat64), 0), kernels::unsqueeze(kernels::to(op_b, kFloat64), 0)),
              0, 0);
          const Tensor c0_block = kernels::to(kernels::narrow(c0, 0, 2, n), kFloat64);
          const Tensor expected = kernels::add(kernels::mul(product, scalar_tensor(0.5, kFloat64)),
                                               kernels::mul(c0_block, scalar_tensor(2.0, kFloat64)));
          testing::require_close(kernels::to(kernels::narrow(results[1], 0, 2, n), kFloat64), expected, tol, tol);
          // The rows of C outside the block are untouched.
          testing::require_equal(kernels::narrow(results[1], 0, 0, 2), kernels::narrow(c0, 0, 0, 2));
          testing::require_equal(kernels::narrow(results[1], 0, n + 2, 3), kernels::narrow(c0, 0, n + 2, 3));
        }
}

TEST_CASE("matrix product errors name shapes and dtypes", "[core]") {
  const Tensor a = ones({2, 3}), b = ones({4, 5});
  REQUIRE_THROWS_AS(kernels::mm(a, b), ShapeError);
  REQUIRE_THROWS_WITH(kernels::mm(a, b), Contains("mm: shapes [2, 3] and [4, 5] cannot be multiplied (3 != 4)"));
  REQUIRE_THROWS_WITH(kernels::mm(ones({2, 3, 4}), b), Contains("mm: shapes [2, 3, 4] and [4, 5]; expected two 2-D"));
  REQUIRE_THROWS_AS(kernels::mm(a, ones({3, 2}, kFloat64)), TypeError);
  REQUIRE_THROWS_WITH(kernels::mm(a, ones({3, 2}, kFloat64)), Contains("dtypes float32 and float64 do not match"));
  REQUIRE_THROWS_AS(kernels::mm(ones({2, 3}, kInt64), ones({3, 2}, kInt64)), TypeError);
  REQUIRE_THROWS_WITH(kernels::bmm(ones({2, 3, 4}), ones({3, 4, 5})),
                      Contains("bmm: batch sizes 2 and 3 differ"));
  REQUIRE_THROWS_WITH(kernels::bmm(ones({2, 3, 4}), ones({2, 5, 5})), Contains("(4 != 5)"));
  REQUIRE_THROWS_WITH(kernels::matmul(scalar_tensor(1.0), ones({4})),
                      Contains("matmul: shapes [] and [4] include a 0-d tensor"));
  REQUIRE_THROWS_WITH(kernels::matmul(ones({3}), ones({4})), Contains("matmul: shapes [3] and [4] cannot be multiplied"));
  REQUIRE_THROWS_AS(kernels::matmul(ones({2, 3, 4}), ones({5, 4, 2})), ShapeError);  // batch 2 vs 5
  const Tensor c = zeros({4, 2});
  REQUIRE_THROWS_WITH(kernels::gemm(a, false, b, false, c), Contains("gemm: op(A) is [2, 3], op(B) is [4, 5]"));
  const Tensor strided_c = kernels::transpose(zeros({2, 2}), 0, 1);
  REQUIRE_THROWS_AS(kernels::gemm(ones({2, 2}), false, ones({2, 2}), true, kernels::expand(zeros({1, 2}), {2, 2})),
                    ValueError);
  REQUIRE_THROWS_WITH(kernels::gemm(ones({2, 2}), false, ones({2, 2}), false, strided_c),
                      Contains("is not contiguous"));
  testing::require_equal(strided_c, zeros({2, 2}));
}
