// nn::Linear and the fused linear op: golden parity with torch.nn.Linear (outputs and every
// gradient, 1-D/2-D/3-D inputs, bias on and off), float64 gradcheck, init, errors, printing.
#include <catch2/catch.hpp>

#include "golden.h"
#include "testing.h"

#include "autograd/engine.h"
#include "autograd/grad_mode.h"
#include "autograd/ops.h"
#include "autograd/ops_nn.h"
#include "core/kernels.h"
#include "nn/linear.h"

#include <nlohmann/json.hpp>

#include <cmath>

using namespace ember;
using Catch::Contains;
using testing::gradcheck;
using testing::require_close;
using testing::require_equal;

namespace {

// Golden tolerance, float32: 1e-5 relative. The absolute 1e-6 only covers values near zero,
// where a relative error means nothing (float32 epsilon is 1.2e-7).
constexpr double kRtol = 1e-5, kAtol = 1e-6;

Tensor leaf(const Shape& shape) { return randn(shape, kFloat64).requires_grad_(); }

}  // namespace

TEST_CASE("Linear: golden parity with torch.nn.Linear, outputs and every gradient", "[nn]") {
  const nlohmann::json doc = testing::load_golden("nn_linear");
  REQUIRE(doc.at("cases").size() == 7);
  for (const auto& c : doc.at("cases")) {
    INFO("case: " << c.at("name").get<std::string>());
    const bool has_bias = c.at("bias").get<bool>();
    nn::Linear layer(nn::LinearOptions(c.at("in_features"), c.at("out_features")).bias(has_bias));
    nn::NamedTensors state{{"weight", testing::tensor_from_json(c.at("weight"))}};
    if (has_bias) state.emplace_back("bias", testing::tensor_from_json(c.at("bias_value")));
    layer.load_state_dict(state);
    Tensor x = testing::tensor_from_json(c.at("x")).requires_grad_();
    const Tensor y = layer.forward(x);
    require_close(y, testing::tensor_from_json(c.at("y")), kRtol, kAtol);
    sum(y * testing::tensor_from_json(c.at("upstream"))).backward();
    require_close(x.grad(), testing::tensor_from_json(c.at("grad_x")), kRtol, kAtol);
    require_close(layer.weight.grad(), testing::tensor_from_json(c.at("grad_weight")), kRtol, kAtol);
    if (has_bias) require_close(layer.bias.grad(), testing::tensor_from_json(c.at("grad_bias")), kRtol, kAtol);
  }
}

TEST_CASE("linear: float64 gradcheck for x, weight and bias over 1-D, 2-D and 3-D inputs", "[nn]") {
  manual_seed(40);
  const auto with_bias = [](const std::vector<Tensor>& in) { return linear(in[0], in[1], in[2]); };
  const auto without_bias = [](const std::vector<Tensor>& in) { return linear(in[0], in[1]); };
  for (const Shape& x_shape : {Shape{4}, Shape{3, 4}, Shape{2, 3, 4}}) {
    INFO("x shape " << shape_str(x_shape));
    REQUIRE(gradcheck(with_bias, {leaf(x_shape), leaf({5, 4}), leaf({5})}));
    REQUIRE(gradcheck(without_bias, {leaf(x_shape), leaf({5, 4})}));
  }
  SECTION("non-contiguous operands: a transposed x and a transposed weight") {
    const Tensor x = kernels::transpose(randn({4, 3}, kFloat64), 0, 1).requires_grad_();  // [3, 4]
    const Tensor w = kernels::transpose(randn({4, 5}, kFloat64), 0, 1).requires_grad_();  // [5, 4]
    REQUIRE(gradcheck(with_bias, {x, w, leaf({5})}));
  }
  SECTION("only some inputs require grad") {
    REQUIRE(gradcheck(with_bias, {leaf({3, 4}), randn({5, 4}, kFloat64), randn({5}, kFloat64)}));
    REQUIRE(gradcheck(with_bias, {randn({3, 4}, kFloat64), leaf({5, 4}), randn({5}, kFloat64)}));
    REQUIRE(gradcheck(with_bias, {randn({3, 4}, kFloat64), randn({5, 4}, kFloat64), leaf({5})}));
  }
}

TEST_CASE("linear: one tape entry, and an empty batch gives zero weight gradients", "[nn]") {
  manual_seed(41);
  nn::Linear layer(6, 3);
  const Tensor x = randn({4, 2, 6});
  const Tensor y = layer.forward(x);
  REQUIRE(y.shape() == Shape{4, 2, 3});
  REQUIRE(y.grad_fn_name() == "linear");
  // Exactly one recorded op between the loss and the parameters: sum <- linear.
  const std::string tape = autograd::print_tape(sum(y));
  REQUIRE(tape.find("linear") != std::string::npos);
  REQUIRE(tape.find("matmul") == std::string::npos);
  REQUIRE(tape.find("add") == std::string::npos);

  const Tensor empty_batch = zeros({0, 6});
  const Tensor out = layer.forward(empty_batch);
  REQUIRE(out.shape() == Shape{0, 3});
  sum(out).backward();
  require_equal(layer.weight.grad(), zeros({3, 6}));
  require_equal(layer.bias.grad(), zeros({3}));
}

TEST_CASE("linear: x is saved for the weight gradient and checked for in-place changes", "[nn]") {
  manual_seed(42);
  nn::Linear layer(3, 2);
  Tensor x = randn({2, 3});
  const Tensor y = layer.forward(x);
  x.add_(ones({2, 3}));  // bumps x's version after the forward saved it
  REQUIRE_THROWS_WITH(sum(y).backward(), Contains("linear") && Contains("version"));
}

TEST_CASE("Linear: PyTorch's init, weight drawn before bias, U(-1/sqrt(in), 1/sqrt(in))", "[nn]") {
  SECTION("the draws are two successive uniform_ calls with bound 1/sqrt(in_features)") {
    manual_seed(7);
    nn::Linear layer(5, 4);
    manual_seed(7);
    const double bound = 1.0 / std::sqrt(5.0);
    const Tensor w = empty({4, 5}).uniform_(-bound, bound);
    const Tensor b = empty({4}).uniform_(-bound, bound);
    // kaiming_uniform_(a = sqrt(5)) computes the same bound as sqrt(3) * sqrt(1/3) / sqrt(5):
    // the two can differ in the last bit of the bound, hence 1e-6 rather than bitwise equality.
    require_close(layer.weight, w, 0.0, 1e-6);
    require_close(layer.bias, b, 0.0, 1e-6);
  }
  SECTION("statistics of a large layer") {
    manual_seed(8);
    nn::Linear layer(256, 512);
    const double bound = 1.0 / 16.0;
    const std::vector<double> w = layer.weight.to_vector<double>();
    double sum_sq = 0.0, max_abs = 0.0;
    for (double v : w) {
      sum_sq += v * v;
      max_abs = std::max(max_abs, std::abs(v));
    }
    REQUIRE(max_abs <= bound);
    REQUIRE(max_abs > 0.99 * bound);
    // std of U(-b, b) is b / sqrt(3); 131072 samples pin it to well under 1%.
    REQUIRE(std::sqrt(sum_sq / w.size()) == Approx(bound / std::sqrt(3.0)).epsilon(0.01));
    for (double v : layer.bias.to_vector<double>()) REQUIRE(std::abs(v) <= bound);
  }
  SECTION("parameters are leaves that require grad, with PyTorch's names and shapes") {
    nn::Linear with_bias(5, 4), without_bias(nn::LinearOptions(5, 4).bias(false));
    const nn::NamedTensors params = with_bias.named_parameters();
    REQUIRE(params.size() == 2);
    REQUIRE(params[0].first == "weight");
    REQUIRE(params[0].second.shape() == Shape{4, 5});
    REQUIRE(params[1].first == "bias");
    REQUIRE(params[1].second.shape() == Shape{4});
    REQUIRE(params[0].second.requires_grad());
    REQUIRE(params[0].second.is_leaf());
    REQUIRE(without_bias.named_parameters().size() == 1);
    REQUIRE_FALSE(without_bias.bias.defined());
    REQUIRE(with_bias.num_parameters() == 24);
  }
}

TEST_CASE("Linear: errors name the module and the shapes, and change nothing", "[nn]") {
  manual_seed(9);
  nn::Linear layer(128, 4);
  const Tensor weight_before = kernels::clone(layer.weight), bias_before = kernels::clone(layer.bias);
  REQUIRE_THROWS_AS(layer.forward(zeros({8, 64})), ShapeError);
  REQUIRE_THROWS_WITH(layer.forward(zeros({8, 64})), Contains("Linear: input shape [8, 64] does not match in_features=128"));
  REQUIRE_THROWS_WITH(layer.forward(zeros({})), Contains("Linear: input shape [] does not match in_features=128"));
  REQUIRE_THROWS_AS(layer.forward(zeros({2, 128}, kFloat64)), TypeError);
  REQUIRE_THROWS_WITH(layer.forward(zeros({2, 128}, kFloat64)),
                      Contains("input dtype float64 does not match weight dtype float32"));
  require_equal(layer.weight, weight_before);
  require_equal(layer.bias, bias_before);
  REQUIRE_FALSE(layer.weight.grad().defined());

  REQUIRE_THROWS_WITH(nn::Linear(-1, 4), Contains("in_features=-1 and out_features=4 must both be >= 0"));
  SECTION("the functional form names the weight") {
    REQUIRE_THROWS_WITH(linear(zeros({2, 3}), zeros({4, 5})),
                        Contains("linear: input shape [2, 3] does not match in_features=5 of weight [4, 5]"));
    REQUIRE_THROWS_WITH(linear(zeros({2, 5}), zeros({4, 5}), zeros({3})),
                        Contains("linear: bias shape [3] does not match out_features=4"));
    REQUIRE_THROWS_WITH(linear(zeros({2, 5}), zeros({5})), Contains("linear: weight shape [5] is not 2-D"));
  }
}

TEST_CASE("Linear: printing like PyTorch's repr", "[nn]") {
  REQUIRE(nn::to_string(nn::Linear(5, 4)) == "Linear(in_features=5, out_features=4, bias=True)");
  REQUIRE(nn::to_string(nn::Linear(nn::LinearOptions(3, 1).bias(false))) ==
          "Linear(in_features=3, out_features=1, bias=False)");
}
