// Matrix products (autograd/ops_linalg.cpp): float64 gradcheck of mm, bmm and every matmul case
// (1-d operands, broadcast batch dims, transposed and narrowed operands); float32 parity with PyTorch.
#include "ops_testing.h"
#include "testing.h"

#include "autograd/ops.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using namespace ember;
using testing::gradcheck;
using testing::Layout;
using testing::make_leaf;

namespace {

const testing::Values kNormal = testing::normal_values();

Tensor mm_of(const std::vector<Tensor>& in) { return mm(in[0], in[1]); }
Tensor bmm_of(const std::vector<Tensor>& in) { return bmm(in[0], in[1]); }
Tensor matmul_of(const std::vector<Tensor>& in) { return matmul(in[0], in[1]); }

}  // namespace

TEST_CASE("gradcheck: mm with contiguous, transposed and narrowed operands", "[autograd]") {
  manual_seed(30);
  for (Layout la : {Layout::Contiguous, Layout::Transposed, Layout::Narrowed}) {
    for (Layout lb : {Layout::Contiguous, Layout::Transposed, Layout::Narrowed}) {
      const Tensor a = make_leaf({3, 4}, kNormal, la), b = make_leaf({4, 5}, kNormal, lb);
      INFO("a: " << testing::describe(a) << "; b: " << testing::describe(b));
      REQUIRE(gradcheck(mm_of, {a, b}));
    }
  }
  SECTION("only one operand requires grad") {
    REQUIRE(gradcheck(mm_of, {make_leaf({3, 4}), randn({4, 2}, kFloat64)}));
    REQUIRE(gradcheck(mm_of, {randn({3, 4}, kFloat64), make_leaf({4, 2})}));
  }
  SECTION("vector shapes: [1, k] x [k, 1]") { REQUIRE(gradcheck(mm_of, {make_leaf({1, 6}), make_leaf({6, 1})})); }
}

TEST_CASE("gradcheck: bmm with contiguous and transposed operands", "[autograd]") {
  manual_seed(31);
  for (Layout la : {Layout::Contiguous, Layout::Transposed}) {
    for (Layout lb : {Layout::Contiguous, Layout::Transposed, Layout::Narrowed}) {
      const Tensor a = make_leaf({2, 3, 4}, kNormal, la), b = make_leaf({2, 4, 5}, kNormal, lb);
      INFO("a: " << testing::describe(a) << "; b: " << testing::describe(b));
      REQUIRE(gradcheck(bmm_of, {a, b}));
    }
  }
}

TEST_CASE("gradcheck: matmul for 1-d, 2-d and broadcast batched operands", "[autograd]") {
  manual_seed(32);
  const std::vector<std::pair<Shape, Shape>> shapes = {
      {{4}, {4}},                // dot product, 0-d result
      {{3, 4}, {4}},             // matrix x vector
      {{4}, {4, 5}},             // vector x matrix
      {{3, 4}, {4, 5}},          // mm
      {{2, 3, 4}, {4, 5}},       // batch x matrix: b's gradient sums over the batch
      {{3, 4}, {2, 4, 5}},       // matrix x batch
      {{2, 1, 3, 4}, {3, 4, 2}}, // both batch dims broadcast
      {{4}, {2, 4, 5}},          // vector x batch
      {{2, 3, 4}, {4}},          // batch x vector
  };
  for (const auto& [sa, sb] : shapes) {
    const Tensor a = make_leaf(sa), b = make_leaf(sb);
    INFO("a " << shape_str(sa) << " x b " << shape_str(sb));
    REQUIRE(gradcheck(matmul_of, {a, b}));
  }
  SECTION("transposed operands") {
    REQUIRE(gradcheck(matmul_of, {make_leaf({2, 3, 4}, kNormal, Layout::Transposed),
                                  make_leaf({4, 5}, kNormal, Layout::Narrowed)}));
  }
}

TEST_CASE("matrix products match PyTorch: values and gradients (golden, float32)", "[autograd]") {
  using Json = nlohmann::json;
  using Inputs = std::vector<Tensor>;
  const std::map<std::string, testing::GoldenOp> table = {
      {"mm", [](const Inputs& x, const Json&) { return mm(x[0], x[1]); }},
      {"bmm", [](const Inputs& x, const Json&) { return bmm(x[0], x[1]); }},
      {"matmul", [](const Inputs& x, const Json&) { return matmul(x[0], x[1]); }},
  };
  testing::check_golden_ops("linalg", table);
}
