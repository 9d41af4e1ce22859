// core/kernels_index.cpp: index_select, gather, scatter_add and index_add_ against PyTorch golden
// data (scripts/golden/core_ops.py; float32 rtol 1e-5, float64 rtol 1e-10, int64 exact), and
// every error path, including that a failed call leaves the destination bitwise unchanged.
#include "golden.h"
#include "testing.h"

#include "core/kernels.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using namespace ember;
using Catch::Contains;

namespace {

const nlohmann::json& golden_cases(const char* family) {
  static const nlohmann::json doc = testing::load_golden("core_ops");
  return doc.at("cases").at(family);
}

Tensor int64s(const std::vector<std::int64_t>& values) {
  return tensor(values, Shape{static_cast<std::int64_t>(values.size())});
}

}  // namespace

TEST_CASE("indexing kernels match PyTorch on golden cases", "[core]") {
  const nlohmann::json& cases = golden_cases("index");
  REQUIRE(cases.size() >= 20);
  for (const nlohmann::json& c : cases) {
    INFO("golden case: " << c.at("name").get<std::string>());
    const std::string op = c.at("op");
    const nlohmann::json& params = c.at("params");
    const nlohmann::json& inputs = c.at("inputs");
    const Tensor x = testing::input_from_json(inputs.at(0));
    const Tensor index = testing::input_from_json(inputs.at(1));
    const std::int64_t dim = params.at("dim");
    Tensor out;
    if (op == "index_select") {
      out = kernels::index_select(x, dim, index);
    } else if (op == "gather") {
      out = kernels::gather(x, dim, index);
    } else if (op == "scatter_add") {
      const Tensor before = kernels::clone(x);
      out = kernels::scatter_add(x, dim, index, testing::input_from_json(inputs.at(2)));
      testing::require_equal(x, before);  // not in place
    } else if (op == "index_add_") {
      // x may be a transposed view: the write must land through its strides.
      kernels::index_add_(x, dim, index, testing::input_from_json(inputs.at(2)), params.at("alpha"));
      out = x;
    } else {
      FAIL("unknown golden op " << op);
    }
    testing::require_golden(out, c.at("outputs").at(0));
  }
}

TEST_CASE("index_add_ accumulates repeated indices and bumps the version", "[core]") {
  const Tensor x = zeros({3, 2}, kFloat64);
  const std::uint64_t version = x.version();
  kernels::index_add_(x, 0, int64s({2, 2, 0, 2}), ones({4, 2}, kFloat64), 2.0);
  testing::require_equal(x, tensor({2.0, 2.0, 0.0, 0.0, 6.0, 6.0}, {3, 2}, kFloat64));
  CHECK(x.version() > version);
  // A 0-d index selects one slice, like a 1-element index.
  kernels::index_add_(x, 1, tensor(std::vector<std::int64_t>{1}, Shape{}), ones({3, 1}, kFloat64));
  testing::require_equal(x, tensor({2.0, 3.0, 0.0, 1.0, 6.0, 7.0}, {3, 2}, kFloat64));
}

TEST_CASE("indexing: empty indices, 0-d and bool tensors", "[core]") {
  const Tensor x = arange(12, kFloat32);
  CHECK(kernels::index_select(kernels::reshape(x, {3, 4}), 1, int64s({})).shape() == Shape{3, 0});
  const Tensor scalar = scalar_tensor(5.0);
  testing::require_equal(kernels::index_select(scalar, 0, int64s({0})), scalar);
  const Tensor mask = kernels::gt(x, scalar_tensor(5.0));
  const Tensor picked = kernels::index_select(mask, 0, int64s({0, 11}));
  CHECK(picked.dtype() == kBool);
  CHECK(picked.to_vector<std::int64_t>() == std::vector<std::int64_t>{0, 1});
  const Tensor grid = kernels::reshape(x, {3, 4});
  testing::require_equal(kernels::gather(grid, 1, tensor(std::vector<std::int64_t>{3, 0}, Shape{2, 1})),
                         tensor({3.0, 4.0}, {2, 1}, kFloat32));
  testing::require_equal(kernels::scatter_add(grid, 0, zeros({0, 4}, kInt64), zeros({0, 4})), grid);
}

TEST_CASE("index errors name the op, the value, its position and the valid range", "[core]") {
  const Tensor table = randn({1000, 4});
  REQUIRE_THROWS_AS(kernels::index_select(table, 0, int64s({0, 1, 2, 1007})), IndexError);
  REQUIRE_THROWS_WITH(kernels::index_select(table, 0, int64s({0, 1, 2, 1007})),
                      Contains("index_select: index 1007 at position 3 is out of range for dim 0 of size 1000") &&
                          Contains("expected 0 <= index < 1000"));
  REQUIRE_THROWS_WITH(kernels::index_select(table, -1, int64s({-1})),
                      Contains("index -1 at position 0 is out of range for dim 1 of size 4"));
  REQUIRE_THROWS_AS(kernels::index_select(table, 0, tensor({1.0})), TypeError);
  REQUIRE_THROWS_WITH(kernels::index_select(table, 0, tensor({1.0})), Contains("index has dtype float32; expected int64"));
  REQUIRE_THROWS_AS(kernels::index_select(table, 0, zeros({2, 2}, kInt64)), ShapeError);
  REQUIRE_THROWS_AS(kernels::index_select(table, 2, int64s({0})), IndexError);

  const Tensor x = randn({3, 5});
  const Tensor bad = tensor(std::vector<std::int64_t>{0, 1, 2, 0, 1, 7}, Shape{2, 3});
  REQUIRE_THROWS_WITH(kernels::gather(x, 1, bad),
                      Contains("gather: index 7 at position [1, 2] is out of range for dim 1 of size 5"));
  // Only the dims other than `dim` are bounded by the input: index may be longer along `dim`.
  CHECK(kernels::gather(x, 0, zeros({4, 5}, kInt64)).shape() == Shape{4, 5});
  REQUIRE_THROWS_WITH(kernels::gather(x, 1, zeros({4, 5}, kInt64)),
                      Contains("gather: index of shape [4, 5] does not fit input of shape [3, 5] outside dim 1"));
  REQUIRE_THROWS_AS(kernels::gather(x, 0, zeros({3}, kInt64)), ShapeError);
}

TEST_CASE("failed scatter_add and index_add_ leave every tensor unchanged", "[core]") {
  const Tensor x = randn({4, 3});
  const Tensor x_before = kernels::clone(x);
  const std::uint64_t version = x.version();
  const Tensor src = randn({4, 3});

  // The bad index comes last: nothing may be written before it is found.
  const Tensor index = tensor(std::vector<std::int64_t>{0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 9}, Shape{4, 3});
  REQUIRE_THROWS_WITH(kernels::scatter_add(x, 0, index, src),
                      Contains("scatter_add: index 9 at position [3, 2] is out of range for dim 0 of size 4"));
  REQUIRE_THROWS_WITH(kernels::scatter_add(x, 1, zeros({5, 3}, kInt64), randn({5, 3})),
                      Contains("does not fit input of shape [4, 3] outside dim 1"));
  REQUIRE_THROWS_WITH(kernels::scatter_add(x, 0, zeros({2, 3}, kInt64), randn({1, 3})),
                      Contains("does not fit src of shape [1, 3]"));
  REQUIRE_THROWS_AS(kernels::scatter_add(x, 0, zeros({2, 3}, kInt64), randn({2, 3}, kFloat64)), TypeError);

  REQUIRE_THROWS_WITH(kernels::index_add_(x, 0, int64s({3, 0, 4}), randn({3, 3})),
                      Contains("index_add_: index 4 at position 2 is out of range for dim 0 of size 4"));
  REQUIRE_THROWS_WITH(kernels::index_add_(x, 1, int64s({0, 1}), randn({4, 3})),
                      Contains("index_add_: src of shape [4, 3] does not fit destination [4, 3] with 2 indices"));
  REQUIRE_THROWS_AS(kernels::index_add_(x, 0, int64s({0}), randn({1, 3}, kFloat64)), TypeError);
  REQUIRE_THROWS_AS(kernels::index_add_(x, 0, zeros({1, 1}, kInt64), randn({1, 3})), ShapeError);
  REQUIRE_THROWS_WITH(kernels::index_add_(zeros({2}, kInt64), 0, int64s({0}), ones({1}, kInt64), 0.5),
                      Contains("alpha 0.5 is not an integer"));
  const Tensor expanded = kernels::expand(zeros({1, 3}), {4, 3});
  REQUIRE_THROWS_WITH(kernels::index_add_(expanded, 1, int64s({0}), ones({4, 1})),
                      Contains("has stride 0 in dim 0"));

  testing::require_equal(x, x_before);
  CHECK(x.version() == version);
}
