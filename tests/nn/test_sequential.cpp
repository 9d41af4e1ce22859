// nn::Sequential: PyTorch's "0", "1", ... names, forward order, nesting and printing.
#include <catch2/catch.hpp>

#include "testing.h"

#include "autograd/ops.h"
#include "nn/activation.h"
#include "nn/linear.h"
#include "nn/sequential.h"

using namespace ember;
using Catch::Contains;

TEST_CASE("Sequential: modules registered as 0, 1, 2 with PyTorch's state_dict keys", "[nn]") {
  manual_seed(80);
  auto first = std::make_shared<nn::Linear>(4, 8);
  auto last = std::make_shared<nn::Linear>(8, 2);
  nn::Sequential mlp(first, std::make_shared<nn::ReLU>(), last);
  REQUIRE(mlp.size() == 3);
  std::vector<std::string> keys;
  for (const auto& [name, t] : mlp.state_dict()) keys.push_back(name);
  REQUIRE(keys == std::vector<std::string>{"0.weight", "0.bias", "2.weight", "2.bias"});
  REQUIRE(mlp[0].get() == first.get());
  REQUIRE_THROWS_AS(mlp[3], IndexError);
  REQUIRE_THROWS_WITH(mlp[3], Contains("Sequential: index 3 is out of range; expected [0, 3)"));

  const Tensor x = randn({5, 4});
  testing::require_equal(mlp.forward(x), last->forward(relu(first->forward(x))));
}

TEST_CASE("Sequential: empty, named entries, nesting and printing like PyTorch", "[nn]") {
  nn::Sequential empty;
  const Tensor x = randn({2, 3});
  REQUIRE(empty.forward(x).is_same(x));

  auto inner = std::make_shared<nn::Sequential>(std::make_shared<nn::Linear>(3, 3), std::make_shared<nn::Tanh>());
  nn::Sequential outer;
  outer.push_back(inner);
  outer.push_back("dropout", std::make_shared<nn::Dropout>(nn::DropoutOptions(0.1)));
  outer.push_back("head", std::make_shared<nn::Linear>(nn::LinearOptions(3, 1).bias(false)));
  REQUIRE(outer.named_parameters()[0].first == "0.0.weight");
  REQUIRE(outer.named_parameters().back().first == "head.weight");
  REQUIRE(outer.forward(x).shape() == Shape{2, 1});
  REQUIRE(nn::to_string(outer) ==
          "Sequential(\n"
          "  (0): Sequential(\n"
          "    (0): Linear(in_features=3, out_features=3, bias=True)\n"
          "    (1): Tanh()\n"
          "  )\n"
          "  (dropout): Dropout(p=0.1, inplace=False)\n"
          "  (head): Linear(in_features=3, out_features=1, bias=False)\n"
          ")");
  outer.eval();
  REQUIRE_FALSE(inner->children()[1]->is_training());
}
