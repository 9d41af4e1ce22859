// core/kernels_join.cpp: cat and stack against PyTorch golden data (scripts/golden/core_ops.py;
// copies, so compared exactly up to the float tolerances of tests/golden.h), and the error paths.
#include "golden.h"
#include "testing.h"

#include "core/kernels.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using namespace ember;
using Catch::Contains;

TEST_CASE("cat and stack match PyTorch on golden cases", "[core]") {
  static const nlohmann::json doc = testing::load_golden("core_ops");
  const nlohmann::json& cases = doc.at("cases").at("join");
  REQUIRE(cases.size() >= 14);
  for (const nlohmann::json& c : cases) {
    INFO("golden case: " << c.at("name").get<std::string>());
    std::vector<Tensor> inputs;
    for (const nlohmann::json& input : c.at("inputs")) inputs.push_back(testing::input_from_json(input));
    const std::string op = c.at("op");
    const std::int64_t dim = c.at("params").at("dim");
    Tensor out;
    if (op == "cat") out = kernels::cat(inputs, dim);
    else if (op == "stack") out = kernels::stack(inputs, dim);
    else FAIL("unknown golden op " << op);
    testing::require_golden(out, c.at("outputs").at(0));
  }
}

TEST_CASE("cat and stack copy: the result shares no storage with its inputs", "[core]") {
  const Tensor x = randn({2, 3});
  const Tensor one = kernels::cat({x}, 0);
  CHECK_FALSE(one.shares_storage(x));
  testing::require_equal(one, x);
  const Tensor stacked = kernels::stack({x}, 0);
  CHECK(stacked.shape() == Shape{1, 2, 3});
  CHECK_FALSE(stacked.shares_storage(x));

  // Expanded (stride-0) and bool inputs take the strided path.
  const Tensor row = tensor({1.0, 2.0, 3.0});
  const Tensor joined = kernels::cat({kernels::expand(row, {2, 3}), x}, 0);
  REQUIRE(joined.shape() == Shape{4, 3});
  testing::require_equal(kernels::narrow(joined, 0, 0, 2), kernels::contiguous(kernels::expand(row, {2, 3})));
  testing::require_equal(kernels::narrow(joined, 0, 2, 2), x);
  const Tensor mask = kernels::gt(row, scalar_tensor(1.5));
  const Tensor masks = kernels::stack({mask, mask}, 1);
  CHECK(masks.dtype() == kBool);
  CHECK(masks.to_vector<std::int64_t>() == std::vector<std::int64_t>{0, 0, 1, 1, 1, 1});
}

TEST_CASE("join errors name the tensor position, shapes and dtypes", "[core]") {
  const Tensor a = ones({2, 3}), b = ones({2, 4});
  REQUIRE_THROWS_AS(kernels::cat({}, 0), ValueError);
  REQUIRE_THROWS_WITH(kernels::cat({}, 0), Contains("cat: got an empty list of tensors"));
  REQUIRE_THROWS_AS(kernels::cat({a, b}, 0), ShapeError);
  REQUIRE_THROWS_WITH(kernels::cat({a, b}, 0),
                      Contains("cat: tensor 1 has shape [2, 4] but tensor 0 has shape [2, 3]; expected equal sizes "
                               "outside dim 0"));
  REQUIRE_THROWS_WITH(kernels::cat({a, ones({2, 3, 1})}, 1), Contains("tensor 1 has shape [2, 3, 1]"));
  REQUIRE_THROWS_AS(kernels::cat({a, ones({2, 3}, kFloat64)}, 0), TypeError);
  REQUIRE_THROWS_WITH(kernels::cat({a, a, ones({2, 3}, kInt64)}, 0),
                      Contains("cat: tensor 2 has dtype int64; expected float32 like tensor 0"));
  REQUIRE_THROWS_WITH(kernels::cat({a, scalar_tensor(1.0)}, 0), Contains("cat: tensor 1 is 0-d"));
  REQUIRE_THROWS_AS(kernels::cat({a, b}, 2), IndexError);
  REQUIRE_THROWS_WITH(kernels::cat({a, Tensor()}, 0), Contains("cat: tensor 1 is undefined"));

  REQUIRE_THROWS_AS(kernels::stack({}, 0), ValueError);
  REQUIRE_THROWS_AS(kernels::stack({a, b}, 0), ShapeError);
  REQUIRE_THROWS_WITH(kernels::stack({a, a, b}, 0),
                      Contains("stack: tensor 2 has shape [2, 4]; expected [2, 3] like tensor 0"));
  REQUIRE_THROWS_WITH(kernels::stack({a, ones({2, 3}, kFloat64)}, 0), Contains("stack: tensor 1 has dtype float64"));
  REQUIRE_THROWS_AS(kernels::stack({a, a}, 3), IndexError);
  CHECK(kernels::stack({a, a}, -3).shape() == Shape{2, 2, 3});
}
