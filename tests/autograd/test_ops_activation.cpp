// The activations of autograd/ops_activation.cpp: golden parity with torch.nn.functional in float32
// and float64 (values and gradients, kinks and thresholds included), float64 gradchecks on every
// layout, and the refusal of bad options.
#include "ops_testing.h"
#include "golden.h"
#include "testing.h"

#include "autograd/ops.h"
#include "core/kernels.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <functional>
#include <cmath>
#include <map>
#include <set>

using namespace ember;
using Catch::Contains;
using testing::gradcheck;

namespace {

using ActivationFn = std::function<Tensor(const Tensor&, const nlohmann::json& params)>;

const std::map<std::string, ActivationFn>& activation_table() {
  static const std::map<std::string, ActivationFn> table = {
      {"gelu", [](const Tensor& x, const nlohmann::json& p) { return gelu(x, p.at("approximate")); }},
      {"silu", [](const Tensor& x, const nlohmann::json&) { return silu(x); }},
      {"softplus",
       [](const Tensor& x, const nlohmann::json& p) { return softplus(x, p.at("beta"), p.at("threshold")); }},
      {"leaky_relu", [](const Tensor& x, const nlohmann::json& p) { return leaky_relu(x, p.at("negative_slope")); }},
      {"elu", [](const Tensor& x, const nlohmann::json& p) { return elu(x, p.at("alpha")); }},
  };
  return table;
}

Tensor golden(const nlohmann::json& j, DType dtype) { return kernels::to(testing::tensor_from_json(j), dtype); }

void check_golden(DType dtype) {
  const nlohmann::json doc = testing::load_golden("activations");
  const bool f32 = dtype == kFloat32;
  std::set<std::string> ops_seen;
  for (const auto& c : doc.at("cases")) {
    INFO("case: " << c.at("name").get<std::string>() << ", " << dtype_name(dtype));
    const std::string op = c.at("op");
    ops_seen.insert(op);
    Tensor x = golden(c.at("input"), dtype).requires_grad_();
    const Tensor y = activation_table().at(op)(x, c.at("params"));
    // float32: 1e-5 relative (erf, exp and log1p of glibc and of PyTorch's vectorised kernels
    // differ by a few ulp); float64: both sides evaluate the same formula in double.
    const double rtol = f32 ? 1e-5 : 1e-12, atol = f32 ? 1e-6 : 1e-14;
    testing::require_close(y, golden(c.at(f32 ? "output" : "output_float64"), dtype), rtol, atol);
    sum(y * golden(c.at("grad_output"), dtype)).backward();
    testing::require_close(x.grad(), golden(c.at(f32 ? "grad_input" : "grad_input_float64"), dtype), rtol, atol);
  }
  CHECK(ops_seen.size() == activation_table().size());  // every op has a golden case
}

void check_every_layout(const std::function<Tensor(const Tensor&)>& f, const testing::Values& values) {
  for (const Tensor& x : testing::leaves_in_layouts(values)) {
    INFO("input " << testing::describe(x));
    REQUIRE(gradcheck([&](const std::vector<Tensor>& in) { return f(in[0]); }, {x}));
  }
}

}  // namespace

TEST_CASE("activations match torch.nn.functional in float32 (golden, incl. kinks and thresholds)",
          "[autograd]") {
  check_golden(kFloat32);
}

TEST_CASE("activations match torch.nn.functional in float64 (golden, 1e-12 relative)", "[autograd]") {
  check_golden(kFloat64);
}

TEST_CASE("gradcheck: gelu (both forms), silu, softplus, leaky_relu, elu on every layout", "[autograd]") {
  manual_seed(11);
  const testing::Values normal = testing::normal_values(), off_zero = testing::values_off_kinks({0.0});
  SECTION("gelu none") { check_every_layout([](const Tensor& x) { return gelu(x); }, normal); }
  SECTION("gelu tanh") { check_every_layout([](const Tensor& x) { return gelu(x, "tanh"); }, normal); }
  SECTION("silu") { check_every_layout([](const Tensor& x) { return silu(x); }, normal); }
  SECTION("softplus") { check_every_layout([](const Tensor& x) { return softplus(x); }, normal); }
  // beta 2, threshold 1: the identity branch above x = 0.5 is reached; values stay off that kink.
  SECTION("softplus beta 2 threshold 1") {
    check_every_layout([](const Tensor& x) { return softplus(x, 2.0, 1.0); }, testing::values_off_kinks({0.5}));
  }
  SECTION("leaky_relu") { check_every_layout([](const Tensor& x) { return leaky_relu(x, 0.2); }, off_zero); }
  SECTION("elu") { check_every_layout([](const Tensor& x) { return elu(x, 0.7); }, off_zero); }
}

TEST_CASE("activations at large |x| give finite values and gradients", "[autograd]") {
  for (DType dtype : {kFloat32, kFloat64}) {
    INFO(dtype_name(dtype));
    Tensor x = testing::as_leaf(tensor({-1000.0, -90.0, 90.0, 1000.0}, dtype));
    for (const auto& [name, f] : activation_table()) {
      INFO(name);
      x.set_grad(Tensor());
      const nlohmann::json params = {{"approximate", "tanh"}, {"beta", 1.0}, {"threshold", 20.0},
                                     {"negative_slope", 0.01}, {"alpha", 1.0}};
      const Tensor y = f(x, params);
      sum(y).backward();
      for (double v : kernels::to(y, kFloat64).to_vector<double>()) REQUIRE(std::isfinite(v));
      for (double v : kernels::to(x.grad(), kFloat64).to_vector<double>()) REQUIRE(std::isfinite(v));
    }
  }
}

TEST_CASE("activations refuse bad options and integer inputs, naming the value", "[autograd]") {
  const Tensor x = tensor({1.0, -1.0});
  REQUIRE_THROWS_WITH(gelu(x, "Tanh"), Contains("gelu: approximate = 'Tanh'; expected 'none' or 'tanh'"));
  REQUIRE_THROWS_AS(gelu(x, "erf"), ValueError);
  REQUIRE_THROWS_WITH(softplus(x, 0.0), Contains("softplus: beta = 0"));
  REQUIRE_THROWS_WITH(leaky_relu(x, std::nan("")), Contains("leaky_relu: negative_slope = nan"));
  REQUIRE_THROWS_WITH(elu(x, INFINITY), Contains("elu: alpha = inf"));
  const Tensor ints = tensor(std::vector<std::int64_t>{1, 2}, {2});
  REQUIRE_THROWS_AS(silu(ints), TypeError);
  REQUIRE_THROWS_WITH(gelu(ints), Contains("gelu: input has dtype int64; expected float32 or float64"));
}

TEST_CASE("each activation is one tape node named after it", "[autograd]") {
  Tensor x = randn({3}).requires_grad_();
  CHECK(gelu(x).grad_fn_name() == "gelu");
  CHECK(silu(x).grad_fn_name() == "silu");
  CHECK(softplus(x).grad_fn_name() == "softplus");
  CHECK(leaky_relu(x).grad_fn_name() == "leaky_relu");
  CHECK(elu(x).grad_fn_name() == "elu");
}
