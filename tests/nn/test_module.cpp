// nn::Module through a small custom model: dotted names, state_dict keys, strict loading that
// names missing / unexpected / mismatched keys and changes nothing on failure, train/eval
// recursion, zero_grad in both modes, and printing like PyTorch's print(model).
#include <catch2/catch.hpp>

#include "testing.h"

#include "autograd/ops.h"
#include "core/kernels.h"
#include "nn/activation.h"
#include "nn/functional.h"
#include "nn/linear.h"
#include "nn/sequential.h"

#include <algorithm>

using namespace ember;
using Catch::Contains;
using testing::require_equal;

namespace {

// The kind of model docs/custom_models.md describes: registered submodules, a parameter of its
// own, a buffer, and a typed forward.
struct TwoTower : nn::Module {
  TwoTower() : Module("TwoTower") {
    encoder = register_module("encoder", std::make_shared<nn::Sequential>(std::make_shared<nn::Linear>(4, 6),
                                                                          std::make_shared<nn::ReLU>()));
    head = register_module("head", std::make_shared<nn::Linear>(6, 3));
    dropout = register_module("dropout", std::make_shared<nn::Dropout>(nn::DropoutOptions(0.2)));
    scale = register_parameter("scale", ones({3}));
    steps = register_buffer("steps", zeros({1}, kInt64));
  }
  Tensor forward(const Tensor& x) { return head->forward(dropout->forward(encoder->forward(x))) * scale; }

  std::shared_ptr<nn::Sequential> encoder;
  std::shared_ptr<nn::Linear> head;
  std::shared_ptr<nn::Dropout> dropout;
  Tensor scale, steps;
};

std::vector<std::string> names_of(const nn::NamedTensors& list) {
  std::vector<std::string> names;
  for (const auto& [name, t] : list) names.push_back(name);
  return names;
}

std::vector<Tensor> snapshot(const nn::Module& m) {
  std::vector<Tensor> copies;
  for (const auto& [name, t] : m.state_dict()) copies.push_back(kernels::clone(t));
  return copies;
}

void require_unchanged(const nn::Module& m, const std::vector<Tensor>& before) {
  const nn::NamedTensors now = m.state_dict();
  REQUIRE(now.size() == before.size());
  for (std::size_t i = 0; i < now.size(); ++i) {
    INFO(now[i].first);
    require_equal(now[i].second, before[i]);
  }
}

}  // namespace

TEST_CASE("Module: dotted parameter names and state_dict keys, as PyTorch names them", "[nn]") {
  TwoTower model;
  REQUIRE(names_of(model.named_parameters()) ==
          std::vector<std::string>{"scale", "encoder.0.weight", "encoder.0.bias", "head.weight", "head.bias"});
  REQUIRE(names_of(model.named_parameters(/*recurse=*/false)) == std::vector<std::string>{"scale"});
  REQUIRE(names_of(model.named_buffers()) == std::vector<std::string>{"steps"});
  const std::vector<std::string> keys = names_of(model.state_dict());
  REQUIRE(keys.size() == 6);
  REQUIRE(std::find(keys.begin(), keys.end(), "steps") != keys.end());
  REQUIRE(model.num_parameters() == 3 + 4 * 6 + 6 + 6 * 3 + 3);
  std::vector<std::string> module_names;
  for (const auto& [name, m] : model.named_modules()) module_names.push_back(name + ":" + m->name());
  REQUIRE(module_names == std::vector<std::string>{":TwoTower", "encoder:Sequential", "encoder.0:Linear",
                                                   "encoder.1:ReLU", "head:Linear", "dropout:Dropout"});
  REQUIRE(model.children().size() == 3);
}

TEST_CASE("Module: registration errors name the module and the name", "[nn]") {
  TwoTower model;
  REQUIRE_THROWS_WITH(model.register_parameter("scale", ones({1})), Contains("TwoTower: \"scale\" is already registered"));
  REQUIRE_THROWS_WITH(model.register_buffer("a.b", ones({1})), Contains("invalid name \"a.b\""));
}

TEST_CASE("Module: strict load_state_dict round trip, and failures that change nothing", "[nn]") {
  manual_seed(90);
  TwoTower source, target;
  target.load_state_dict(source.state_dict());
  const nn::NamedTensors a = source.state_dict(), b = target.state_dict();
  for (std::size_t i = 0; i < a.size(); ++i) require_equal(b[i].second, a[i].second);
  REQUIRE_FALSE(a[1].second.is_same(b[1].second));  // values are copied, not shared

  manual_seed(91);
  TwoTower model;
  const std::vector<Tensor> before = snapshot(model);
  const std::uint64_t version = model.head->weight.version();
  SECTION("missing keys") {
    nn::NamedTensors state = source.state_dict();
    state.erase(state.begin() + 2);  // encoder.0.bias
    REQUIRE_THROWS_AS(model.load_state_dict(state), ValueError);
    REQUIRE_THROWS_WITH(model.load_state_dict(state), Contains("missing keys: encoder.0.bias"));
  }
  SECTION("unexpected keys") {
    nn::NamedTensors state = source.state_dict();
    state.emplace_back("head.extra", ones({2}));
    REQUIRE_THROWS_WITH(model.load_state_dict(state), Contains("unexpected keys: head.extra"));
  }
  SECTION("a shape mismatch names the key and both shapes") {
    nn::NamedTensors state = source.state_dict();
    for (auto& [name, t] : state)
      if (name == "head.weight") t = ones({3, 5});
    REQUIRE_THROWS_WITH(model.load_state_dict(state),
                        Contains("head.weight: checkpoint has [3, 5] float32, model has [3, 6] float32"));
    // Non-strict loading skips missing and unexpected keys but still refuses a wrong shape.
    REQUIRE_THROWS_WITH(model.load_state_dict(state, /*strict=*/false), Contains("head.weight"));
  }
  require_unchanged(model, before);
  REQUIRE(model.head->weight.version() == version);
}

TEST_CASE("Module: non-strict loading copies only the keys that match", "[nn]") {
  manual_seed(92);
  TwoTower model;
  const Tensor head_before = kernels::clone(model.head->weight);
  model.load_state_dict({{"scale", full({3}, 2.0)}, {"not.there", ones({1})}}, /*strict=*/false);
  require_equal(model.scale, full({3}, 2.0));
  require_equal(model.head->weight, head_before);
}

TEST_CASE("Module: train() and eval() recurse into every submodule", "[nn]") {
  TwoTower model;
  REQUIRE(model.is_training());
  model.eval();
  for (const auto& [name, m] : model.named_modules()) {
    INFO(name);
    REQUIRE_FALSE(m->is_training());
  }
  const Tensor x = randn({2, 4});
  require_equal(model.forward(x), model.forward(x));  // no dropout in eval
  model.train();
  REQUIRE(model.dropout->is_training());
  REQUIRE(model.encoder->children()[0]->is_training());
}

TEST_CASE("Module: zero_grad drops gradients, or zeroes them in place", "[nn]") {
  manual_seed(93);
  TwoTower model;
  model.eval();
  sum(model.forward(randn({3, 4}))).backward();
  for (const Tensor& p : model.parameters()) REQUIRE(p.grad().defined());
  SECTION("set_to_none = false keeps the buffers, zeroed") {
    const Tensor grad_buffer = model.head->weight.grad();
    model.zero_grad(/*set_to_none=*/false);
    for (const Tensor& p : model.parameters()) require_equal(p.grad(), zeros(p.shape()));
    REQUIRE(model.head->weight.grad().shares_storage(grad_buffer));
  }
  SECTION("set_to_none = true, the default, drops them") {
    model.zero_grad();
    for (const Tensor& p : model.parameters()) REQUIRE_FALSE(p.grad().defined());
  }
}

TEST_CASE("Module: printing like PyTorch's print(model)", "[nn]") {
  TwoTower model;
  REQUIRE(nn::to_string(model) ==
          "TwoTower(\n"
          "  (encoder): Sequential(\n"
          "    (0): Linear(in_features=4, out_features=6, bias=True)\n"
          "    (1): ReLU()\n"
          "  )\n"
          "  (head): Linear(in_features=6, out_features=3, bias=True)\n"
          "  (dropout): Dropout(p=0.2, inplace=False)\n"
          ")");
}
