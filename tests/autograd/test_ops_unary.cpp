// Elementwise unary ops (autograd/ops_unary.cpp): float64 gradcheck on 0-d, 1-d, 2-d and
// non-contiguous inputs, the saturation and kink conventions, and float32 parity with PyTorch.
#include "ops_testing.h"
#include "testing.h"

#include "autograd/ops.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <cmath>

using namespace ember;
using testing::gradcheck;

namespace {

using UnaryFn = std::function<Tensor(const Tensor&)>;

// gradcheck of f on every layout of leaves_in_layouts(values).
void check_every_layout(const UnaryFn& f, const testing::Values& values = testing::normal_values()) {
  for (const Tensor& x : testing::leaves_in_layouts(values)) {
    INFO("input " << testing::describe(x));
    REQUIRE(gradcheck([&](const std::vector<Tensor>& in) { return f(in[0]); }, {x}));
  }
}

}  // namespace

TEST_CASE("gradcheck: neg, exp, tanh, sigmoid on every layout", "[autograd]") {
  manual_seed(1);
  SECTION("neg") { check_every_layout([](const Tensor& x) { return neg(x); }); }
  SECTION("exp") { check_every_layout([](const Tensor& x) { return exp(x); }); }
  SECTION("tanh") { check_every_layout([](const Tensor& x) { return tanh(x); }); }
  SECTION("sigmoid") { check_every_layout([](const Tensor& x) { return sigmoid(x); }); }
  SECTION("operator-") { check_every_layout([](const Tensor& x) { return -x; }); }
}

TEST_CASE("gradcheck: log and sqrt on positive inputs", "[autograd]") {
  manual_seed(2);
  const testing::Values positive = testing::uniform_values(0.5, 2.0);
  SECTION("log") { check_every_layout([](const Tensor& x) { return log(x); }, positive); }
  SECTION("sqrt") { check_every_layout([](const Tensor& x) { return sqrt(x); }, positive); }
}

TEST_CASE("gradcheck: relu and abs away from their kink at 0", "[autograd]") {
  manual_seed(3);
  const testing::Values off_zero = testing::values_off_kinks({0.0});
  SECTION("relu") { check_every_layout([](const Tensor& x) { return relu(x); }, off_zero); }
  SECTION("abs") { check_every_layout([](const Tensor& x) { return abs(x); }, off_zero); }
}

TEST_CASE("gradcheck: pow with integer, zero, negative and fractional exponents", "[autograd]") {
  manual_seed(4);
  for (double p : {2.0, 3.0, 1.0, 0.0}) {
    INFO("exponent " << p);
    check_every_layout([p](const Tensor& x) { return pow(x, p); });
  }
  // x^-1 is steep near 0: keep |x| >= 0.3.
  INFO("exponent -1");
  check_every_layout([](const Tensor& x) { return pow(x, -1.0); }, testing::values_off_kinks({0.0}, 0.3));
  for (double p : {0.5, -1.5, 2.7}) {
    INFO("exponent " << p << " (positive base)");
    check_every_layout([p](const Tensor& x) { return pow(x, p); }, testing::uniform_values(0.5, 2.0));
  }
}

TEST_CASE("gradcheck: clamp with both bounds, min only and max only, off the bounds", "[autograd]") {
  manual_seed(5);
  const testing::Values off_bounds = testing::values_off_kinks({-0.5, 0.5});
  SECTION("both") { check_every_layout([](const Tensor& x) { return clamp(x, -0.5, 0.5); }, off_bounds); }
  SECTION("min") { check_every_layout([](const Tensor& x) { return clamp(x, -0.5, std::nullopt); }, off_bounds); }
  SECTION("max") { check_every_layout([](const Tensor& x) { return clamp(x, std::nullopt, 0.5); }, off_bounds); }
}

TEST_CASE("tanh and sigmoid at large |x| give gradient 0, not NaN", "[autograd]") {
  for (DType dtype : {kFloat32, kFloat64}) {
    INFO(dtype_name(dtype));
    Tensor x = testing::as_leaf(tensor({-800.0, -40.0, -20.0, 20.0, 40.0, 800.0}, dtype));
    sum(tanh(x)).backward();
    for (double g : x.grad().to_vector<double>()) CHECK(g == 0.0);
    x.set_grad(Tensor());
    sum(sigmoid(x)).backward();
    for (double g : x.grad().to_vector<double>()) {
      CHECK(std::isfinite(g));
      CHECK(g < 1e-8);
    }
  }
  Tensor wide = testing::as_leaf(tensor({-30.0, -8.0, 8.0, 30.0}, kFloat64));
  REQUIRE(gradcheck([](const std::vector<Tensor>& in) { return tanh(in[0]); }, {wide}));
}

TEST_CASE("at the kinks, relu, abs and clamp follow PyTorch's subgradients", "[autograd]") {
  Tensor x = testing::as_leaf(tensor({-1.0, 0.0, 1.0}, kFloat64));
  sum(relu(x)).backward();
  CHECK(x.grad().to_vector<double>() == std::vector<double>{0.0, 0.0, 1.0});
  x.set_grad(Tensor());
  sum(abs(x)).backward();
  CHECK(x.grad().to_vector<double>() == std::vector<double>{-1.0, 0.0, 1.0});
  x.set_grad(Tensor());
  sum(clamp(x, -1.0, 0.0)).backward();  // a value equal to a bound passes the gradient
  CHECK(x.grad().to_vector<double>() == std::vector<double>{1.0, 1.0, 0.0});
  x.set_grad(Tensor());
  sum(pow(x, 0.0)).backward();  // x^0: zero gradient, also at x = 0 (no 0 * inf)
  CHECK(x.grad().to_vector<double>() == std::vector<double>{0.0, 0.0, 0.0});
}

TEST_CASE("exp, tanh, sigmoid and sqrt save their output: changing it in place breaks backward", "[autograd]") {
  using Catch::Matchers::Contains;
  Tensor x = testing::as_leaf(tensor({0.5, 1.0}, kFloat64));
  for (const char* op : {"exp", "tanh", "sigmoid", "sqrt"}) {
    INFO(op);
    const std::string name = op;
    Tensor y = name == "exp" ? exp(x) : name == "tanh" ? tanh(x) : name == "sigmoid" ? sigmoid(x) : sqrt(x);
    y.mul_(2.0);
    REQUIRE_THROWS_WITH(sum(y).backward(), Contains(name + ":") && Contains("version 1; expected version 0"));
  }
}

TEST_CASE("unary ops match PyTorch: values and gradients (golden, float32)", "[autograd]") {
  using testing::param_double;
  using testing::param_optional;
  using Json = nlohmann::json;
  const std::map<std::string, testing::GoldenOp> table = {
      {"neg", [](const std::vector<Tensor>& x, const Json&) { return neg(x[0]); }},
      {"exp", [](const std::vector<Tensor>& x, const Json&) { return exp(x[0]); }},
      {"log", [](const std::vector<Tensor>& x, const Json&) { return log(x[0]); }},
      {"tanh", [](const std::vector<Tensor>& x, const Json&) { return tanh(x[0]); }},
      {"sigmoid", [](const std::vector<Tensor>& x, const Json&) { return sigmoid(x[0]); }},
      {"relu", [](const std::vector<Tensor>& x, const Json&) { return relu(x[0]); }},
      {"sqrt", [](const std::vector<Tensor>& x, const Json&) { return sqrt(x[0]); }},
      {"abs", [](const std::vector<Tensor>& x, const Json&) { return abs(x[0]); }},
      {"pow", [](const std::vector<Tensor>& x, const Json& p) { return pow(x[0], param_double(p, "exponent")); }},
      {"clamp",
       [](const std::vector<Tensor>& x, const Json& p) {
         return clamp(x[0], param_optional(p, "min"), param_optional(p, "max"));
       }},
  };
  testing::check_golden_ops("unary", table);
}
