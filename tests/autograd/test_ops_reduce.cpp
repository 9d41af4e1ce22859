// Reductions and softmax (autograd/ops_reduce.cpp): float64 gradcheck over dims/keepdim on 0-d,
// 1-d, 2-d, 3-d and non-contiguous inputs; ties; norm's special cases; float32 parity with PyTorch.
#include "ops_testing.h"
#include "testing.h"

#include "autograd/ops.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <cmath>
#include <limits>

using namespace ember;
using testing::gradcheck;
using testing::Layout;

namespace {

using Dims = std::vector<std::int64_t>;
using ReduceFn = std::function<Tensor(const Tensor&, const Dims&, bool)>;

// The (dims, keepdim) choices that make sense for a tensor of x's rank.
std::vector<std::pair<Dims, bool>> dim_choices(const Tensor& x) {
  std::vector<std::pair<Dims, bool>> choices = {{{}, false}, {{}, true}};
  if (x.dim() >= 1) choices.insert(choices.end(), {{{0}, false}, {{-1}, true}});
  if (x.dim() >= 2) choices.insert(choices.end(), {{{1}, false}, {{0, -1}, true}, {{-1, 0}, false}});
  return choices;
}

// gradcheck of f(x, dims, keepdim) for every layout and every dims choice.
void check_reduction(const ReduceFn& f, const testing::Values& values = testing::normal_values()) {
  std::vector<Tensor> leaves = testing::leaves_in_layouts(values);
  leaves.push_back(testing::make_leaf({2, 3, 4}, values, Layout::Transposed));
  for (const Tensor& x : leaves) {
    for (const auto& [dims, keepdim] : dim_choices(x)) {
      INFO("input " << testing::describe(x) << ", dims " << shape_str(dims) << ", keepdim " << keepdim);
      REQUIRE(gradcheck([&, &dims = dims, keepdim = keepdim](const std::vector<Tensor>& in) {
        return f(in[0], dims, keepdim);
      }, {x}));
    }
  }
}

}  // namespace

TEST_CASE("gradcheck: sum and mean over every dims choice", "[autograd]") {
  manual_seed(20);
  SECTION("sum") { check_reduction([](const Tensor& x, const Dims& d, bool k) { return sum(x, d, k); }); }
  SECTION("mean") { check_reduction([](const Tensor& x, const Dims& d, bool k) { return mean(x, d, k); }); }
}

TEST_CASE("gradcheck: max and min along a dim, and over all elements", "[autograd]") {
  manual_seed(21);
  // N(0, 1) values have no ties, so a small perturbation never changes which element wins.
  std::vector<Tensor> leaves = testing::leaves_in_layouts();
  leaves.push_back(testing::make_leaf({2, 3, 4}, testing::normal_values(), Layout::Transposed));
  for (const Tensor& x : leaves) {
    INFO("input " << testing::describe(x));
    for (std::int64_t dim : {std::int64_t{0}, std::int64_t{-1}}) {
      for (bool keepdim : {false, true}) {
        INFO("dim " << dim << ", keepdim " << keepdim);
        REQUIRE(gradcheck([&](const std::vector<Tensor>& in) { return max(in[0], dim, keepdim).first; }, {x}));
        REQUIRE(gradcheck([&](const std::vector<Tensor>& in) { return min(in[0], dim, keepdim).first; }, {x}));
      }
    }
    REQUIRE(gradcheck([](const std::vector<Tensor>& in) { return max(in[0]); }, {x}));
    REQUIRE(gradcheck([](const std::vector<Tensor>& in) { return min(in[0]); }, {x}));
  }
}

TEST_CASE("max and min over all elements share the gradient evenly among ties", "[autograd]") {
  Tensor x = testing::as_leaf(tensor({1.0, 3.0, 3.0, 2.0, 3.0, 1.0}, {2, 3}, kFloat64));
  max(x).backward();
  const double third = 1.0 / 3.0;
  CHECK(x.grad().to_vector<double>() == std::vector<double>{0.0, third, third, 0.0, third, 0.0});
  x.set_grad(Tensor());
  min(x).backward();
  CHECK(x.grad().to_vector<double>() == std::vector<double>{0.5, 0.0, 0.0, 0.0, 0.0, 0.5});
  x.set_grad(Tensor());
  // Along a dim the gradient goes to the first maximum only, like the index max reports.
  sum(max(x, 1).first).backward();
  CHECK(x.grad().to_vector<double>() == std::vector<double>{0.0, 1.0, 0.0, 0.0, 1.0, 0.0});
}

TEST_CASE("argmax is not differentiable and records nothing", "[autograd]") {
  Tensor x = testing::as_leaf(tensor({1.0, 5.0, 2.0, 7.0, 0.0, 1.0}, {2, 3}, kFloat64));
  const Tensor i = argmax(x, 1);
  CHECK(i.dtype() == kInt64);
  CHECK_FALSE(i.requires_grad());
  CHECK(i.to_vector<std::int64_t>() == std::vector<std::int64_t>{1, 0});
}

TEST_CASE("gradcheck: norm for p = 2, 1, 3, 1.5, 0.5, inf, -inf", "[autograd]") {
  manual_seed(22);
  const double inf = std::numeric_limits<double>::infinity();
  for (double p : {2.0, 1.0, 3.0, 1.5, 0.5, inf, -inf}) {
    INFO("p = " << p);
    // |x|^(p-1) has a kink (p <= 1) or a steep slope (p < 2) at 0: keep |x| >= 0.2.
    check_reduction([p](const Tensor& x, const Dims& d, bool k) { return norm(x, p, d, k); },
                    testing::values_off_kinks({0.0}, 0.2));
  }
}

TEST_CASE("norm's gradient is 0, not NaN, at the zero vector; p = 0 has gradient 0", "[autograd]") {
  for (double p : {2.0, 3.0, 1.5}) {
    INFO("p = " << p);
    Tensor x = testing::as_leaf(zeros({4}, kFloat64));
    norm(x, p).backward();
    CHECK(x.grad().to_vector<double>() == std::vector<double>(4, 0.0));
  }
  Tensor x = testing::as_leaf(tensor({1.0, 0.0, -2.0}, kFloat64));
  norm(x, 0.0).backward();
  CHECK(x.grad().to_vector<double>() == std::vector<double>(3, 0.0));
}

TEST_CASE("gradcheck: softmax and log_softmax along every dim", "[autograd]") {
  manual_seed(23);
  std::vector<Tensor> leaves = testing::leaves_in_layouts();
  leaves.push_back(testing::make_leaf({2, 3, 4}, testing::normal_values(), Layout::Transposed));
  for (const Tensor& x : leaves) {
    for (std::int64_t dim = -std::max<std::int64_t>(x.dim(), 1); dim < std::max<std::int64_t>(x.dim(), 1); ++dim) {
      INFO("input " << testing::describe(x) << ", dim " << dim);
      REQUIRE(gradcheck([dim](const std::vector<Tensor>& in) { return softmax(in[0], dim); }, {x}));
      REQUIRE(gradcheck([dim](const std::vector<Tensor>& in) { return log_softmax(in[0], dim); }, {x}));
    }
  }
}

TEST_CASE("softmax and log_softmax stay finite for logits far beyond exp's range", "[autograd]") {
  for (DType dtype : {kFloat32, kFloat64}) {
    INFO(dtype_name(dtype));
    Tensor x = testing::as_leaf(tensor({1000.0, 0.0, -1000.0, 900.0}, {1, 4}, dtype));
    const Tensor y = log_softmax(x, 1);
    for (double v : y.to_vector<double>()) CHECK(std::isfinite(v));
    CHECK(y.to_vector<double>()[0] == Approx(0.0));
    sum(y * tensor({1.0, 2.0, 3.0, 4.0}, {1, 4}, dtype)).backward();
    for (double g : x.grad().to_vector<double>()) CHECK(std::isfinite(g));
    x.set_grad(Tensor());
    const Tensor s = softmax(x, 1);
    sum(s * s).backward();
    CHECK(s.to_vector<double>()[0] == Approx(1.0));
    for (double g : x.grad().to_vector<double>()) CHECK(std::isfinite(g));
  }
  Tensor big = testing::as_leaf(tensor({300.0, 299.0, 301.5, 280.0}, {2, 2}, kFloat64));
  REQUIRE(gradcheck([](const std::vector<Tensor>& in) { return log_softmax(in[0], 1); }, {big}));
}

TEST_CASE("reductions match PyTorch: values and gradients (golden, float32)", "[autograd]") {
  using Json = nlohmann::json;
  using Inputs = std::vector<Tensor>;
  using testing::param_bool;
  using testing::param_int;
  const auto dims = [](const Json& p) { return p.at("dims").get<Dims>(); };
  const std::map<std::string, testing::GoldenOp> table = {
      {"sum", [dims](const Inputs& x, const Json& p) { return sum(x[0], dims(p), param_bool(p, "keepdim")); }},
      {"mean", [dims](const Inputs& x, const Json& p) { return mean(x[0], dims(p), param_bool(p, "keepdim")); }},
      {"max_dim",
       [](const Inputs& x, const Json& p) { return max(x[0], param_int(p, "dim"), param_bool(p, "keepdim")).first; }},
      {"min_dim",
       [](const Inputs& x, const Json& p) { return min(x[0], param_int(p, "dim"), param_bool(p, "keepdim")).first; }},
      {"max_all", [](const Inputs& x, const Json&) { return max(x[0]); }},
      {"min_all", [](const Inputs& x, const Json&) { return min(x[0]); }},
      {"argmax",
       [](const Inputs& x, const Json& p) { return argmax(x[0], param_int(p, "dim"), param_bool(p, "keepdim")); }},
      {"norm",
       [dims](const Inputs& x, const Json& p) {
         return norm(x[0], testing::param_double(p, "p"), dims(p), param_bool(p, "keepdim"));
       }},
      {"softmax", [](const Inputs& x, const Json& p) { return softmax(x[0], param_int(p, "dim")); }},
      {"log_softmax", [](const Inputs& x, const Json& p) { return log_softmax(x[0], param_int(p, "dim")); }},
  };
  testing::check_golden_ops("reduce", table);
}
