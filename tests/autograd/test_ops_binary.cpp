// Elementwise binary ops (autograd/ops_binary.cpp): float64 gradcheck with broadcasting, 0-d
// and non-contiguous operands; ties, scalars, comparisons; float32 parity with PyTorch.
#include "ops_testing.h"
#include "testing.h"

#include "autograd/engine.h"
#include "autograd/ops.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using namespace ember;
using testing::gradcheck;
using testing::Layout;

namespace {

using BinaryFn = std::function<Tensor(const Tensor&, const Tensor&)>;

struct Operands {
  Shape a, b;
  Layout layout_a = Layout::Contiguous, layout_b = Layout::Contiguous;
};

// Same shapes, broadcasting both ways, 0-d and 1-d operands, and non-contiguous operands.
const std::vector<Operands> kOperands = {
    {{3, 4}, {3, 4}},
    {{7}, {7}},
    {{}, {}},
    {{3, 4}, {4}},
    {{3, 1}, {1, 4}},
    {{}, {3, 4}},
    {{3, 4}, {}},
    {{2, 3, 4}, {3, 1}},
    {{3, 4}, {3, 4}, Layout::Transposed, Layout::Narrowed},
    {{3, 4}, {2, 3, 4}, Layout::Narrowed, Layout::Transposed},
};

// gradcheck of f(a, b) on every operand pair, both inputs requiring grad.
void check_operands(const BinaryFn& f, const testing::Values& values_a = testing::normal_values(),
                    const testing::Values& values_b = testing::normal_values()) {
  for (const Operands& o : kOperands) {
    const Tensor a = testing::make_leaf(o.a, values_a, o.layout_a);
    const Tensor b = testing::make_leaf(o.b, values_b, o.layout_b);
    INFO("a: " << testing::describe(a) << "; b: " << testing::describe(b));
    REQUIRE(gradcheck([&](const std::vector<Tensor>& in) { return f(in[0], in[1]); }, {a, b}));
  }
}

}  // namespace

TEST_CASE("gradcheck: add and sub, with and without alpha, under broadcasting", "[autograd]") {
  manual_seed(10);
  SECTION("add") { check_operands([](const Tensor& a, const Tensor& b) { return add(a, b); }); }
  SECTION("add alpha") { check_operands([](const Tensor& a, const Tensor& b) { return add(a, b, 2.5); }); }
  SECTION("sub") { check_operands([](const Tensor& a, const Tensor& b) { return sub(a, b); }); }
  SECTION("sub alpha") { check_operands([](const Tensor& a, const Tensor& b) { return sub(a, b, -0.75); }); }
}

TEST_CASE("gradcheck: mul, div and pow under broadcasting", "[autograd]") {
  manual_seed(11);
  SECTION("mul") { check_operands([](const Tensor& a, const Tensor& b) { return a * b; }); }
  SECTION("div") {
    check_operands([](const Tensor& a, const Tensor& b) { return a / b; }, testing::normal_values(),
                   testing::values_off_kinks({0.0}, 0.5));
  }
  SECTION("pow") {
    check_operands([](const Tensor& a, const Tensor& b) { return pow(a, b); }, testing::uniform_values(0.5, 2.0));
  }
  SECTION("x * x: one tensor as both operands") {
    const Tensor x = testing::make_leaf({3, 4});
    REQUIRE(gradcheck([](const std::vector<Tensor>& in) { return in[0] * in[0]; }, {x}));
  }
}

TEST_CASE("gradcheck: maximum and minimum away from ties", "[autograd]") {
  manual_seed(12);
  // Independent N(0, 1) operands are never equal, so no finite difference straddles a tie.
  SECTION("maximum") { check_operands([](const Tensor& a, const Tensor& b) { return maximum(a, b); }); }
  SECTION("minimum") { check_operands([](const Tensor& a, const Tensor& b) { return minimum(a, b); }); }
}

TEST_CASE("maximum and minimum split the gradient evenly at ties, as PyTorch", "[autograd]") {
  Tensor a = testing::as_leaf(tensor({1.0, 2.0, 3.0}, kFloat64));
  Tensor b = testing::as_leaf(tensor({2.0, 2.0, 1.0}, kFloat64));
  sum(maximum(a, b)).backward();
  CHECK(a.grad().to_vector<double>() == std::vector<double>{0.0, 0.5, 1.0});
  CHECK(b.grad().to_vector<double>() == std::vector<double>{1.0, 0.5, 0.0});
  a.set_grad(Tensor());
  b.set_grad(Tensor());
  sum(minimum(a, b)).backward();
  CHECK(a.grad().to_vector<double>() == std::vector<double>{1.0, 0.5, 0.0});
  CHECK(b.grad().to_vector<double>() == std::vector<double>{0.0, 0.5, 1.0});
}

TEST_CASE("gradcheck: where and masked_fill (the bool inputs get no gradient)", "[autograd]") {
  manual_seed(13);
  const Tensor cond = gt(randn({3, 4}, kFloat64), scalar_tensor(0.0, kFloat64));
  SECTION("where, all [3, 4]") {
    REQUIRE(gradcheck([](const std::vector<Tensor>& in) { return where(in[0], in[1], in[2]); },
                      {cond, testing::make_leaf({3, 4}), testing::make_leaf({3, 4}, testing::normal_values(),
                                                                              Layout::Transposed)}));
  }
  SECTION("where, broadcast operands") {
    REQUIRE(gradcheck([](const std::vector<Tensor>& in) { return where(in[0], in[1], in[2]); },
                      {cond, testing::make_leaf({4}), testing::make_leaf({})}));
    REQUIRE(gradcheck([](const std::vector<Tensor>& in) { return where(in[0], in[1], in[2]); },
                      {gt(randn({4}, kFloat64), scalar_tensor(0.0, kFloat64)), testing::make_leaf({3, 1}),
                       testing::make_leaf({3, 4})}));
  }
  SECTION("masked_fill") {
    for (const Shape& mask_shape : {Shape{3, 4}, Shape{4}, Shape{3, 1}}) {
      const Tensor mask = gt(randn(mask_shape, kFloat64), scalar_tensor(0.0, kFloat64));
      INFO("mask " << shape_str(mask_shape));
      REQUIRE(gradcheck([](const std::vector<Tensor>& in) { return masked_fill(in[0], in[1], -1.5); },
                        {testing::make_leaf({3, 4}, testing::normal_values(), Layout::Narrowed), mask}));
    }
  }
}

TEST_CASE("gradcheck: operators with scalars on either side", "[autograd]") {
  manual_seed(14);
  const testing::Values divisors = testing::values_off_kinks({0.0}, 0.5);
  const std::vector<std::pair<const char*, std::function<Tensor(const Tensor&)>>> ops = {
      {"x + 2", [](const Tensor& x) { return x + 2.0; }},  {"2 + x", [](const Tensor& x) { return 2.0 + x; }},
      {"x - 2", [](const Tensor& x) { return x - 2.0; }},  {"2 - x", [](const Tensor& x) { return 2.0 - x; }},
      {"x * 2", [](const Tensor& x) { return x * 2.0; }},  {"2 * x", [](const Tensor& x) { return 2.0 * x; }},
      {"x / 2", [](const Tensor& x) { return x / 2.0; }},  {"2 / x", [](const Tensor& x) { return 2.0 / x; }},
  };
  for (const auto& [name, f] : ops) {
    for (const Tensor& x : testing::leaves_in_layouts(divisors)) {
      INFO(name << " on " << testing::describe(x));
      REQUIRE(gradcheck([&f = f](const std::vector<Tensor>& in) { return f(in[0]); }, {x}));
    }
  }
}

TEST_CASE("scalars take the tensor's dtype; mixing dtypes is a TypeError naming the op", "[autograd]") {
  using Catch::Matchers::Contains;
  Tensor x = testing::as_leaf(tensor({1.0, 2.0}, kFloat32));
  CHECK((x * 2.5).dtype() == kFloat32);
  CHECK((1.0 / x).dtype() == kFloat32);
  REQUIRE_THROWS_AS(add(x, tensor({1.0, 2.0}, kFloat64)), TypeError);
  REQUIRE_THROWS_WITH(mul(x, tensor({1.0, 2.0}, kFloat64)), Contains("mul") && Contains("float32"));
  REQUIRE_THROWS_AS(add(x, tensor({1.0, 2.0, 3.0}, kFloat32)), ShapeError);
}

TEST_CASE("mul saves an operand only when the other one needs a gradient", "[autograd]") {
  Tensor x = testing::as_leaf(ones({3, 4}, kFloat32));
  const Tensor constant = ones({3, 4}, kFloat32);
  const Tensor y = x * constant;  // backward needs `constant` only: 48 bytes, not 96
  CHECK_THAT(autograd::print_tape(y), Catch::Matchers::Contains("48 B"));
  Tensor w = testing::as_leaf(ones({3, 4}, kFloat32));
  CHECK_THAT(autograd::print_tape(x * w), Catch::Matchers::Contains("96 B"));
}

TEST_CASE("comparisons give bool tensors and never record", "[autograd]") {
  Tensor a = testing::as_leaf(tensor({1.0, 2.0, 3.0}, kFloat64));
  const Tensor b = tensor({2.0}, kFloat64);
  for (const Tensor& r : {eq(a, b), ne(a, b), lt(a, b), le(a, b), gt(a, b), ge(a, b)}) {
    CHECK(r.dtype() == kBool);
    CHECK_FALSE(r.requires_grad());
  }
  CHECK(lt(a, b).to_vector<int>() == std::vector<int>{1, 0, 0});
  CHECK(ge(a, b).to_vector<int>() == std::vector<int>{0, 1, 1});
}

TEST_CASE("binary ops match PyTorch: values and gradients (golden, float32)", "[autograd]") {
  using Json = nlohmann::json;
  using Inputs = std::vector<Tensor>;
  using testing::param_double;
  const std::map<std::string, testing::GoldenOp> table = {
      {"add", [](const Inputs& x, const Json& p) { return add(x[0], x[1], param_double(p, "alpha")); }},
      {"sub", [](const Inputs& x, const Json& p) { return sub(x[0], x[1], param_double(p, "alpha")); }},
      {"mul", [](const Inputs& x, const Json&) { return x[0] * x[1]; }},
      {"div", [](const Inputs& x, const Json&) { return x[0] / x[1]; }},
      {"pow", [](const Inputs& x, const Json&) { return pow(x[0], x[1]); }},
      {"maximum", [](const Inputs& x, const Json&) { return maximum(x[0], x[1]); }},
      {"minimum", [](const Inputs& x, const Json&) { return minimum(x[0], x[1]); }},
      {"where", [](const Inputs& x, const Json&) { return where(x[0], x[1], x[2]); }},
      {"masked_fill", [](const Inputs& x, const Json& p) { return masked_fill(x[0], x[1], param_double(p, "value")); }},
      {"add_scalar", [](const Inputs& x, const Json& p) { return x[0] + param_double(p, "scalar"); }},
      {"radd_scalar", [](const Inputs& x, const Json& p) { return param_double(p, "scalar") + x[0]; }},
      {"sub_scalar", [](const Inputs& x, const Json& p) { return x[0] - param_double(p, "scalar"); }},
      {"rsub_scalar", [](const Inputs& x, const Json& p) { return param_double(p, "scalar") - x[0]; }},
      {"mul_scalar", [](const Inputs& x, const Json& p) { return x[0] * param_double(p, "scalar"); }},
      {"rmul_scalar", [](const Inputs& x, const Json& p) { return param_double(p, "scalar") * x[0]; }},
      {"div_scalar", [](const Inputs& x, const Json& p) { return x[0] / param_double(p, "scalar"); }},
      {"rdiv_scalar", [](const Inputs& x, const Json& p) { return param_double(p, "scalar") / x[0]; }},
      {"neg_operator", [](const Inputs& x, const Json&) { return -x[0]; }},
      {"eq", [](const Inputs& x, const Json&) { return eq(x[0], x[1]); }},
      {"ne", [](const Inputs& x, const Json&) { return ne(x[0], x[1]); }},
      {"lt", [](const Inputs& x, const Json&) { return lt(x[0], x[1]); }},
      {"le", [](const Inputs& x, const Json&) { return le(x[0], x[1]); }},
      {"gt", [](const Inputs& x, const Json&) { return gt(x[0], x[1]); }},
      {"ge", [](const Inputs& x, const Json&) { return ge(x[0], x[1]); }},
  };
  testing::check_golden_ops("binary", table);
}
