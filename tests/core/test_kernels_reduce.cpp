// core/kernels_reduce.cpp: sum, mean, max/min, argmax, norm and sum_to against PyTorch golden
// data (scripts/golden/core_ops.py; float32 rtol 1e-5, float64 rtol 1e-10, see tests/golden.h),
// plus accuracy, non-contiguous layouts and every error path.
#include "golden.h"
#include "testing.h"

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

std::vector<std::int64_t> dims_of(const nlohmann::json& params) {
  return params.at("dims").get<std::vector<std::int64_t>>();
}

double p_of(const nlohmann::json& params) {
  const nlohmann::json& p = params.at("p");
  if (p.is_string()) return p.get<std::string>() == "inf" ? INFINITY : -INFINITY;
  return p.get<double>();
}

// Runs one golden reduce case through ember; returns its outputs in the script's order.
std::vector<Tensor> run_reduce_case(const nlohmann::json& c) {
  const std::string op = c.at("op");
  const nlohmann::json& params = c.at("params");
  const Tensor x = testing::input_from_json(c.at("inputs").at(0));
  if (op == "sum") return {kernels::sum(x, dims_of(params), params.at("keepdim"))};
  if (op == "mean") return {kernels::mean(x, dims_of(params), params.at("keepdim"))};
  if (op == "max" || op == "min") {
    auto [values, indices] = op == "max" ? kernels::max(x, params.at("dim"), params.at("keepdim"))
                                         : kernels::min(x, params.at("dim"), params.at("keepdim"));
    return {values, indices};
  }
  if (op == "max_all") return {kernels::max(x)};
  if (op == "min_all") return {kernels::min(x)};
  if (op == "argmax") return {kernels::argmax(x, params.at("dim"), params.at("keepdim"))};
  if (op == "norm") return {kernels::norm(x, p_of(params), dims_of(params), params.at("keepdim"))};
  if (op == "sum_to") return {kernels::sum_to(x, params.at("shape").get<Shape>())};
  FAIL("unknown golden op " << op);
  return {};
}

}  // namespace

TEST_CASE("reductions match PyTorch on golden cases", "[core]") {
  const nlohmann::json& cases = golden_cases("reduce");
  REQUIRE(cases.size() >= 100);
  for (const nlohmann::json& c : cases) {
    INFO("golden case: " << c.at("name").get<std::string>());
    const std::vector<Tensor> outputs = run_reduce_case(c);
    REQUIRE(outputs.size() == c.at("outputs").size());
    for (std::size_t i = 0; i < outputs.size(); ++i) testing::require_golden(outputs[i], c.at("outputs").at(i));
  }
}

TEST_CASE("float32 sums accumulate in double", "[core]") {
  // A naive float32 running sum of a million 0.1f drifts by about 1%; ember must not.
  const std::int64_t n = 1'000'000;
  const Tensor x = full({n}, 0.1, kFloat32);
  const double exact = static_cast<double>(0.1f) * n;
  CHECK(kernels::sum(x).item<double>() == Approx(exact).epsilon(1e-7));
  CHECK(kernels::mean(x).item<double>() == Approx(0.1f).epsilon(1e-7));
  // Column sums (the accumulator runs along the row) take the other inner loop.
  const Tensor columns = full({n / 4, 4}, 0.1, kFloat32);
  testing::require_close(kernels::sum(columns, {0}), full({4}, exact / 4, kFloat32), 1e-7, 0.0);
  CHECK(kernels::norm(x).item<double>() == Approx(std::sqrt(n * 0.1 * 0.1)).epsilon(1e-6));
}

TEST_CASE("reductions of views equal reductions of their contiguous copies", "[core]") {
  manual_seed(3);
  const Tensor base = randn({40, 70, 3}, kFloat64);
  const std::vector<Tensor> views = {
      kernels::permute(base, {2, 0, 1}),
      kernels::narrow(kernels::transpose(base, 0, 1), 0, 5, 60),
      kernels::select(base, 2, 1),
      kernels::expand(kernels::narrow(base, 0, 0, 1), {9, 70, 3}),
  };
  for (std::size_t v = 0; v < views.size(); ++v) {
    INFO("view " << v << " of shape " << shape_str(views[v].shape()));
    const Tensor copy = kernels::clone(views[v]);
    REQUIRE(copy.is_contiguous());
    for (const std::vector<std::int64_t>& dims : std::vector<std::vector<std::int64_t>>{{}, {0}, {-1}, {0, 1}}) {
      testing::require_close(kernels::sum(views[v], dims), kernels::sum(copy, dims), 1e-12, 1e-12);
      testing::require_close(kernels::norm(views[v], 3.0, dims, true), kernels::norm(copy, 3.0, dims, true), 1e-12,
                             1e-12);
    }
    auto [values, indices] = kernels::max(views[v], 1);
    auto [copy_values, copy_indices] = kernels::max(copy, 1);
    testing::require_equal(values, copy_values);
    testing::require_equal(indices, copy_indices);
    testing::require_equal(kernels::min(views[v]), kernels::min(copy));
  }
}

TEST_CASE("reductions: 0-d, empty and bool tensors", "[core]") {
  const Tensor scalar = scalar_tensor(4.0);
  testing::require_equal(kernels::sum(scalar, {0}), scalar);
  testing::require_equal(kernels::sum(scalar, {-1}, true), scalar);
  auto [value, index] = kernels::max(scalar, 0);
  CHECK(value.item<double>() == 4.0);
  CHECK(index.dim() == 0);
  CHECK(index.item<std::int64_t>() == 0);

  CHECK(std::isnan(kernels::mean(empty({0}, kFloat32)).item<double>()));  // 0/0, as PyTorch
  testing::require_equal(kernels::sum(empty({0, 3}, kFloat64), {0}), zeros({3}, kFloat64));
  testing::require_equal(kernels::norm(empty({0, 3}), INFINITY, {0}), zeros({3}));
  CHECK(kernels::max(empty({0, 3}), 1).first.shape() == Shape{0});  // a non-empty reduced dim

  const Tensor mask = kernels::gt(tensor({1.0, -2.0, 3.0, 0.5}), scalar_tensor(0.0));
  const Tensor count = kernels::sum(mask);
  CHECK(count.dtype() == kInt64);
  CHECK(count.item<std::int64_t>() == 3);
}

TEST_CASE("max/min pick the first extremum and propagate NaN", "[core]") {
  const Tensor x = tensor({2.0, 5.0, 5.0, -1.0, -1.0}, kFloat64);
  CHECK(kernels::max(x, 0).second.item<std::int64_t>() == 1);
  CHECK(kernels::min(x, 0).second.item<std::int64_t>() == 3);
  CHECK(kernels::argmax(x, -1).item<std::int64_t>() == 1);
  const Tensor all_neg_inf = full({3}, -INFINITY);
  CHECK(kernels::argmax(all_neg_inf, 0).item<std::int64_t>() == 0);
  CHECK(kernels::max(all_neg_inf).item<double>() == -INFINITY);
  const Tensor with_nan = tensor({1.0, NAN, 7.0, NAN});
  CHECK(std::isnan(kernels::max(with_nan).item<double>()));
  CHECK(std::isnan(kernels::min(with_nan).item<double>()));
  CHECK(kernels::min(with_nan, 0).second.item<std::int64_t>() == 1);
  CHECK(std::isnan(kernels::norm(with_nan, INFINITY).item<double>()));
  // Along a leading dim each result keeps a running extremum: ties and NaN follow the same rules.
  const Tensor columns = tensor({1.0, 4.0, NAN, 4.0, NAN, 2.0, 1.0, NAN}, {4, 2}, kFloat64);
  auto [values, indices] = kernels::max(columns, 0);
  CHECK(std::isnan(values.to_vector<double>()[0]));
  CHECK(std::isnan(values.to_vector<double>()[1]));
  CHECK(indices.to_vector<std::int64_t>() == std::vector<std::int64_t>{1, 3});  // as PyTorch
  CHECK(kernels::min(columns, 0).second.to_vector<std::int64_t>() == std::vector<std::int64_t>{1, 3});
  CHECK(kernels::max(kernels::narrow(columns, 0, 0, 2), 0).second.to_vector<std::int64_t>() ==
        std::vector<std::int64_t>{1, 0});  // tie 4.0 == 4.0 keeps the first
}

TEST_CASE("sum_to returns a fresh tensor of exactly the target shape", "[core]") {
  const Tensor x = ones({2, 3});
  const Tensor same = kernels::sum_to(x, {2, 3});
  CHECK_FALSE(same.shares_storage(x));
  testing::require_equal(same, x);
  testing::require_equal(kernels::sum_to(x, {1, 3}), full({1, 3}, 2.0));
  testing::require_equal(kernels::sum_to(x, {}), scalar_tensor(6.0));
}

TEST_CASE("reduction errors name the op, the value and the valid range", "[core]") {
  const Tensor x = ones({2, 3});
  REQUIRE_THROWS_AS(kernels::sum(x, {2}), IndexError);
  REQUIRE_THROWS_WITH(kernels::sum(x, {2}), Contains("sum") && Contains("dimension 2 is out of range"));
  REQUIRE_THROWS_WITH(kernels::mean(x, {-3}), Contains("mean") && Contains("-3"));
  REQUIRE_THROWS_AS(kernels::sum(x, {0, -2}), ValueError);
  REQUIRE_THROWS_WITH(kernels::sum(x, {0, -2}), Contains("sum: dim 0 appears more than once in dims [0, -2]"));
  REQUIRE_THROWS_AS(kernels::mean(ones({3}, kInt64)), TypeError);
  REQUIRE_THROWS_WITH(kernels::mean(ones({3}, kInt64)), Contains("mean") && Contains("int64"));
  REQUIRE_THROWS_AS(kernels::norm(ones({3}, kInt64)), TypeError);
  REQUIRE_THROWS_AS(kernels::max(ones({3}, kBool)), TypeError);
  REQUIRE_THROWS_AS(kernels::max(empty({0, 2})), ValueError);
  REQUIRE_THROWS_WITH(kernels::max(empty({0, 2})), Contains("max: cannot reduce an empty tensor of shape [0, 2]"));
  REQUIRE_THROWS_AS(kernels::min(empty({0, 2}), 0), IndexError);
  REQUIRE_THROWS_WITH(kernels::min(empty({0, 2}), 0), Contains("min: reduction dim 0 of shape [0, 2] has size 0"));
  REQUIRE_THROWS_WITH(kernels::argmax(x, 5), Contains("argmax") && Contains("dimension 5"));
  REQUIRE_THROWS_AS(kernels::norm(x, NAN), ValueError);
  REQUIRE_THROWS_AS(kernels::sum_to(x, {2}), ShapeError);
  REQUIRE_THROWS_WITH(kernels::sum_to(x, {2}), Contains("sum_to: cannot sum shape [2, 3] down to shape [2]"));
  REQUIRE_THROWS_WITH(kernels::sum_to(x, {1, 2, 3}), Contains("[1, 2, 3]"));
}
