// The losses (nn/loss.h, nn/functional.h, the fused cross_entropy / nll_loss of autograd/ops_nn.cpp):
// golden parity with PyTorch for every reduction, ignore_index, class weights, label_smoothing and
// probability targets; float64 gradchecks; PyTorch's error messages with nothing changed.
#include <catch2/catch.hpp>

#include "golden.h"
#include "testing.h"

#include "autograd/engine.h"
#include "autograd/ops.h"
#include "core/kernels.h"
#include "nn/functional.h"
#include "nn/loss.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <map>

using namespace ember;
using Catch::Contains;
using testing::gradcheck;
using testing::require_close;
using testing::require_equal;
namespace F = ember::nn::functional;

namespace {

// Golden tolerance, float32: 1e-5 relative. The absolute 1e-6 only covers values near zero
// (e.g. BCE of a logit of 40, about 4e-18), where a relative error means nothing.
constexpr double kRtol = 1e-5, kAtol = 1e-6;

nn::Reduction reduction_of(const std::string& name) {
  if (name == "none") return nn::Reduction::None;
  if (name == "sum") return nn::Reduction::Sum;
  REQUIRE(name == "mean");
  return nn::Reduction::Mean;
}

// Runs one golden case through nn::functional and through the loss module; both must agree.
Tensor run_case(const nlohmann::json& c, std::map<std::string, Tensor>& in) {
  const std::string loss = c.at("loss");
  const nlohmann::json& o = c.at("options");
  const nn::Reduction reduction = reduction_of(o.at("reduction"));
  const auto get = [&](const char* name) { return in.count(name) ? in.at(name) : Tensor(); };
  Tensor functional, module;
  if (loss == "cross_entropy") {
    const auto options = nn::CrossEntropyLossOptions()
                             .weight(get("weight"))
                             .reduction(reduction)
                             .ignore_index(o.value("ignore_index", std::int64_t{-100}))
                             .label_smoothing(o.value("label_smoothing", 0.0));
    functional = F::cross_entropy(in.at("input"), in.at("target"), options);
    module = nn::CrossEntropyLoss(options).forward(in.at("input"), in.at("target"));
  } else if (loss == "nll_loss") {
    const auto options = nn::NLLLossOptions().weight(get("weight")).reduction(reduction).ignore_index(
        o.value("ignore_index", std::int64_t{-100}));
    functional = F::nll_loss(in.at("input"), in.at("target"), options);
    module = nn::NLLLoss(options).forward(in.at("input"), in.at("target"));
  } else if (loss == "mse_loss") {
    functional = F::mse_loss(in.at("input"), in.at("target"), nn::MSELossOptions(reduction));
    module = nn::MSELoss(nn::MSELossOptions(reduction)).forward(in.at("input"), in.at("target"));
  } else if (loss == "binary_cross_entropy_with_logits") {
    const auto options = nn::BCEWithLogitsLossOptions().weight(get("weight")).pos_weight(get("pos_weight")).reduction(reduction);
    functional = F::binary_cross_entropy_with_logits(in.at("input"), in.at("target"), options);
    module = nn::BCEWithLogitsLoss(options).forward(in.at("input"), in.at("target"));
  } else {
    REQUIRE(loss == "margin_ranking_loss");
    const auto options = nn::MarginRankingLossOptions().margin(o.value("margin", 0.0)).reduction(reduction);
    functional = F::margin_ranking_loss(in.at("input1"), in.at("input2"), in.at("target"), options);
    module = nn::MarginRankingLoss(options).forward(in.at("input1"), in.at("input2"), in.at("target"));
  }
  require_equal(module, functional);
  return functional;
}

Tensor leaf(const Shape& shape) { return randn(shape, kFloat64).requires_grad_(); }

// N(0, 1) values at least 0.1 away from 0: finite differences across a kink (the max and |x| in
// BCE's stable form) measure an average slope, not the derivative.
Tensor leaf_off_zero(const Shape& shape) {
  Tensor x = randn(shape, kFloat64);
  double* p = x.data_ptr<double>();
  for (std::int64_t i = 0; i < x.numel(); ++i)
    if (std::abs(p[i]) < 0.1) p[i] = p[i] < 0 ? -0.1 : 0.1;
  return x.requires_grad_();
}

// float64 probabilities (rows sum to 1 along dim 1) as a leaf.
Tensor probability_leaf(const Shape& shape) {
  return kernels::div(kernels::exp(randn(shape, kFloat64)),
                      kernels::sum(kernels::exp(randn(shape, kFloat64)), {1}, true)).requires_grad_();
}

}  // namespace

TEST_CASE("losses: golden parity with PyTorch, outputs and gradients, every reduction", "[nn]") {
  const nlohmann::json doc = testing::load_golden("nn_losses");
  std::map<std::string, int> per_loss;
  for (const auto& c : doc.at("cases")) {
    INFO("case: " << c.at("loss").get<std::string>() << ": " << c.at("name").get<std::string>());
    std::map<std::string, Tensor> in;
    for (const auto& [name, t] : c.at("inputs").items()) in[name] = testing::tensor_from_json(t);
    for (const auto& name : c.at("requires_grad")) in.at(name.get<std::string>()).requires_grad_();
    const Tensor out = run_case(c, in);
    require_close(out, testing::tensor_from_json(c.at("output")), kRtol, kAtol);
    sum(out * testing::tensor_from_json(c.at("upstream"))).backward();
    for (const auto& [name, g] : c.at("grads").items()) {
      INFO("gradient of " << name);
      require_close(in.at(name).grad(), testing::tensor_from_json(g), kRtol, kAtol);
    }
    ++per_loss[c.at("loss")];
  }
  REQUIRE(per_loss["cross_entropy"] == 39);
  REQUIRE(per_loss["nll_loss"] == 12);
  REQUIRE(per_loss["mse_loss"] == 3);
  REQUIRE(per_loss["binary_cross_entropy_with_logits"] == 12);
  REQUIRE(per_loss["margin_ranking_loss"] == 6);
}

TEST_CASE("cross_entropy: float64 gradcheck with weights, ignore_index, smoothing, K dims, probabilities", "[nn]") {
  manual_seed(50);
  const Tensor target = tensor(std::vector<std::int64_t>{2, -100, 0, 3, 1}, {5});
  const Tensor weight = kernels::add(rand({4}, kFloat64), scalar_tensor(0.5, kFloat64));
  for (nn::Reduction reduction : {nn::Reduction::None, nn::Reduction::Mean, nn::Reduction::Sum}) {
    for (double smoothing : {0.0, 0.2}) {
      INFO("reduction " << static_cast<int>(reduction) << ", label_smoothing " << smoothing);
      REQUIRE(gradcheck([&](const std::vector<Tensor>& in) { return cross_entropy(in[0], target, weight, reduction, -100, smoothing); },
                        {leaf({5, 4})}));
      REQUIRE(gradcheck([&](const std::vector<Tensor>& in) { return cross_entropy(in[0], target, Tensor(), reduction, -100, smoothing); },
                        {leaf({5, 4})}));
    }
  }
  SECTION("K-dimensional input [2, 3, 2, 2] against [2, 2, 2]") {
    const Tensor k_target = tensor(std::vector<std::int64_t>{0, 2, 1, 1, 2, 0, -100, 1}, {2, 2, 2});
    REQUIRE(gradcheck([&](const std::vector<Tensor>& in) { return cross_entropy(in[0], k_target, Tensor(), nn::Reduction::Mean, -100, 0.1); },
                      {leaf({2, 3, 2, 2})}));
  }
  SECTION("unbatched input [4] against a 0-d target") {
    REQUIRE(gradcheck([](const std::vector<Tensor>& in) { return cross_entropy(in[0], tensor(std::vector<std::int64_t>{1}, {})); },
                      {leaf({4})}));
  }
  SECTION("probability targets: gradients for the logits and the target") {
    REQUIRE(gradcheck([&](const std::vector<Tensor>& in) { return cross_entropy(in[0], in[1], weight, nn::Reduction::Mean, -100, 0.3); },
                      {leaf({3, 4}), probability_leaf({3, 4})}));
    REQUIRE(gradcheck([&](const std::vector<Tensor>& in) { return cross_entropy(in[0], in[1], Tensor(), nn::Reduction::None); },
                      {leaf({3, 4}), probability_leaf({3, 4})}));
  }
  SECTION("a non-contiguous input (transposed)") {
    const Tensor x = kernels::transpose(randn({4, 5}, kFloat64), 0, 1).requires_grad_();
    REQUIRE(gradcheck([&](const std::vector<Tensor>& in) { return cross_entropy(in[0], target, weight); }, {x}));
  }
}

TEST_CASE("nll_loss and the composed losses: float64 gradcheck", "[nn]") {
  manual_seed(51);
  const Tensor target = tensor(std::vector<std::int64_t>{2, 1, -100, 0}, {4});
  const Tensor weight = kernels::add(rand({3}, kFloat64), scalar_tensor(0.5, kFloat64));
  for (nn::Reduction reduction : {nn::Reduction::None, nn::Reduction::Mean, nn::Reduction::Sum}) {
    INFO("reduction " << static_cast<int>(reduction));
    REQUIRE(gradcheck([&](const std::vector<Tensor>& in) { return nll_loss(in[0], target, weight, reduction); },
                      {leaf({4, 3})}));
    REQUIRE(gradcheck([&](const std::vector<Tensor>& in) { return F::mse_loss(in[0], in[1], nn::MSELossOptions(reduction)); },
                      {leaf({3, 4}), leaf({3, 4})}));
    const auto bce_options = nn::BCEWithLogitsLossOptions()
                                 .reduction(reduction)
                                 .weight(kernels::add(rand({4}, kFloat64), scalar_tensor(0.5, kFloat64)))
                                 .pos_weight(tensor({0.5, 1.0, 2.0, 3.0}, kFloat64));
    REQUIRE(gradcheck([&](const std::vector<Tensor>& in) { return F::binary_cross_entropy_with_logits(in[0], in[1], bce_options); },
                      {leaf_off_zero({3, 4}), rand({3, 4}, kFloat64).requires_grad_()}));
  }
  SECTION("margin_ranking_loss, hinge kept away from 0") {
    const Tensor x1 = tensor({1.0, -0.5, 2.0, 0.3}, kFloat64).requires_grad_();
    const Tensor x2 = tensor({0.2, 0.4, -1.0, 0.9}, kFloat64).requires_grad_();
    const Tensor y = tensor({1.0, -1.0, -1.0, 1.0}, kFloat64);
    REQUIRE(gradcheck([&](const std::vector<Tensor>& in) {
      return F::margin_ranking_loss(in[0], in[1], y, nn::MarginRankingLossOptions().margin(0.25));
    }, {x1, x2}));
  }
}

TEST_CASE("binary_cross_entropy_with_logits: the gradient at logit 0 is sigmoid(0) - y, stable at +-100", "[nn]") {
  const Tensor x = tensor({0.0, 100.0, -100.0}, kFloat64).requires_grad_();
  const Tensor y = tensor({0.25, 1.0, 0.0}, kFloat64);
  const Tensor loss = F::binary_cross_entropy_with_logits(x, y, nn::BCEWithLogitsLossOptions().reduction(nn::Reduction::None));
  const std::vector<double> l = loss.to_vector<double>();
  REQUIRE(l[0] == Approx(std::log(2.0)));
  REQUIRE(l[1] == Approx(0.0).margin(1e-40));
  REQUIRE(l[2] == Approx(0.0).margin(1e-40));
  sum(loss).backward();
  const std::vector<double> g = x.grad().to_vector<double>();
  REQUIRE(g[0] == Approx(0.5 - 0.25));
  REQUIRE(std::isfinite(g[1]));
  REQUIRE(std::isfinite(g[2]));
}

TEST_CASE("cross_entropy: one tape entry; the all-ignored mean is NaN with zero gradient", "[nn]") {
  const Tensor x = randn({3, 4}).requires_grad_();
  const Tensor loss = F::cross_entropy(x, tensor(std::vector<std::int64_t>{-100, -100, -100}, {3}));
  REQUIRE(loss.grad_fn_name() == "cross_entropy");
  const std::string tape = autograd::print_tape(loss);
  REQUIRE(tape.find("softmax") == std::string::npos);
  REQUIRE(tape.find("gather") == std::string::npos);
  REQUIRE(std::isnan(loss.item<double>()));
  loss.backward();
  require_equal(x.grad(), zeros({3, 4}));
}

TEST_CASE("cross_entropy and nll_loss: PyTorch's error messages, nothing changed", "[nn]") {
  const Tensor x = randn({4, 5}).requires_grad_();
  const Tensor x_before = kernels::clone(x);
  const std::uint64_t version_before = x.version();
  const auto targets = [](std::vector<std::int64_t> v) { return tensor(v, {static_cast<std::int64_t>(v.size())}); };
  REQUIRE_THROWS_AS(F::cross_entropy(x, targets({0, 5, 1, 2})), IndexError);
  REQUIRE_THROWS_WITH(F::cross_entropy(x, targets({0, 5, 1, 2})),
                      Contains("cross_entropy: Target 5 is out of bounds at position [1]; expected a class index in [0, 5)"));
  REQUIRE_THROWS_WITH(F::cross_entropy(x, targets({0, 1, -1, 2})), Contains("Target -1 is out of bounds"));
  REQUIRE_THROWS_WITH(F::nll_loss(x, targets({0, 1, 2, 7})), Contains("nll_loss: Target 7 is out of bounds"));
  REQUIRE_THROWS_AS(F::cross_entropy(x, targets({0, 1, 2})), ValueError);
  REQUIRE_THROWS_WITH(F::cross_entropy(x, targets({0, 1, 2})),
                      Contains("Expected input batch_size (4) to match target batch_size (3)."));
  REQUIRE_THROWS_AS(F::cross_entropy(x, zeros({4})), TypeError);
  REQUIRE_THROWS_WITH(F::cross_entropy(x, zeros({4})), Contains("expected scalar type Long but found Float"));
  REQUIRE_THROWS_WITH(F::cross_entropy(x, targets({0, 1, 2, 3}), nn::CrossEntropyLossOptions().weight(ones({3}))),
                      Contains("weight tensor should be defined either for all 5 classes or no classes but got weight "
                               "tensor of shape: [3]"));
  REQUIRE_THROWS_WITH(F::cross_entropy(x, targets({0, 1, 2, 3}), nn::CrossEntropyLossOptions().label_smoothing(1.5)),
                      Contains("label_smoothing must be between 0.0 and 1.0. Got: 1.5"));
  REQUIRE_THROWS_WITH(F::cross_entropy(x, zeros({4, 5}), nn::CrossEntropyLossOptions().ignore_index(0)),
                      Contains("ignore_index is not supported for floating point target"));
  REQUIRE_THROWS_WITH(F::cross_entropy(x, tensor(std::vector<std::int64_t>{0, 1, 2, 3}, {4, 1})),
                      Contains("target shape [4, 1] does not match input shape [4, 5]; expected [4]"));
  REQUIRE_THROWS_WITH(nn::CrossEntropyLoss(nn::CrossEntropyLossOptions().label_smoothing(-0.1)),
                      Contains("CrossEntropyLoss: label_smoothing must be between 0.0 and 1.0. Got: -0.1"));
  require_equal(x, x_before);
  REQUIRE_FALSE(x.grad().defined());
  REQUIRE(x.version() == version_before);
}

TEST_CASE("composed losses: shape and dtype errors", "[nn]") {
  const Tensor a = randn({3, 4}), b = randn({3, 4});
  REQUIRE_THROWS_WITH(F::mse_loss(a, randn({3, 1})),
                      Contains("mse_loss: target shape [3, 1] does not match input shape [3, 4]; expected equal shapes"));
  REQUIRE_THROWS_AS(F::mse_loss(a, randn({3, 4}, kFloat64)), TypeError);
  REQUIRE_THROWS_WITH(F::binary_cross_entropy_with_logits(a, randn({4, 3})),
                      Contains("Target size ([4, 3]) must be the same as input size ([3, 4])"));
  REQUIRE_THROWS_WITH(F::binary_cross_entropy_with_logits(a, b, nn::BCEWithLogitsLossOptions().pos_weight(ones({3}))),
                      Contains("pos_weight shape [3] does not broadcast to input shape [3, 4]"));
  REQUIRE_THROWS_WITH(F::margin_ranking_loss(randn({3}), randn({3}), randn({3, 1})),
                      Contains("All input tensors should have same dimension but got sizes: input1: [3], input2: [3], "
                               "target: [3, 1]"));
}

TEST_CASE("cross_entropy: the target is saved and checked for in-place changes", "[nn]") {
  const Tensor x = randn({2, 3}).requires_grad_();
  Tensor target = tensor(std::vector<std::int64_t>{0, 2}, {2});
  const Tensor loss = F::cross_entropy(x, target);
  target.fill_(1);
  REQUIRE_THROWS_WITH(loss.backward(), Contains("cross_entropy") && Contains("version"));
}

TEST_CASE("loss modules register their class weights as buffers, like PyTorch's state_dict", "[nn]") {
  nn::CrossEntropyLoss plain;
  REQUIRE(plain.state_dict().empty());
  nn::CrossEntropyLoss weighted(nn::CrossEntropyLossOptions().weight(ones({3})));
  REQUIRE(weighted.state_dict().size() == 1);
  REQUIRE(weighted.state_dict()[0].first == "weight");
  nn::BCEWithLogitsLoss bce(nn::BCEWithLogitsLossOptions().weight(ones({2})).pos_weight(ones({2})));
  REQUIRE(bce.state_dict().size() == 2);
  REQUIRE(bce.state_dict()[1].first == "pos_weight");
  REQUIRE(nn::to_string(weighted) == "CrossEntropyLoss()");
  REQUIRE(nn::to_string(nn::MSELoss()) == "MSELoss()");
}
