// Dropout (module and F::dropout), ReLU and Tanh modules: statistics, train/eval behaviour,
// gradients through the mask, PyTorch's error message, printing.
#include <catch2/catch.hpp>

#include "testing.h"

#include "autograd/ops.h"
#include "autograd/ops_activation.h"
#include "core/kernels.h"
#include "nn/activation.h"
#include "nn/functional.h"

#include <algorithm>
#include <cmath>

using namespace ember;
using Catch::Contains;
using testing::require_equal;
namespace F = ember::nn::functional;

TEST_CASE("dropout: inverted scaling, zero fraction about p, gradient through the same mask", "[nn]") {
  manual_seed(70);
  const Tensor x = ones({200, 500}).requires_grad_();
  const Tensor y = F::dropout(x, 0.3, /*training=*/true);
  const std::vector<float> v = y.to_vector<float>();
  std::int64_t zeros_count = 0;
  for (float value : v) {
    if (value == 0.0f) {
      ++zeros_count;
    } else {
      REQUIRE(value == static_cast<float>(1.0 / 0.7));  // survivors scaled by 1 / (1 - p)
    }
  }
  // 100000 Bernoulli(0.3) draws: the standard deviation of the fraction is 0.0014.
  REQUIRE(static_cast<double>(zeros_count) / v.size() == Approx(0.3).margin(0.007));
  sum(y).backward();
  require_equal(x.grad(), kernels::contiguous(y).detach());  // x = 1, so dy/dx = mask / (1 - p) = y
}

TEST_CASE("dropout: eval, p = 0 and p = 1, and reproducibility from the seed", "[nn]") {
  const Tensor x = randn({4, 5});
  REQUIRE(F::dropout(x, 0.5, /*training=*/false).is_same(x));
  REQUIRE(F::dropout(x, 0.0, /*training=*/true).is_same(x));
  // p = 1 multiplies by an all-zero mask: negative inputs give -0.0, as in PyTorch (x * 0).
  testing::require_close(F::dropout(x, 1.0, true), zeros({4, 5}), 0.0, 0.0);
  manual_seed(3);
  const Tensor a = F::dropout(x, 0.5, true);
  manual_seed(3);
  const Tensor b = F::dropout(x, 0.5, true);
  require_equal(a, b);
}

TEST_CASE("dropout: p outside [0, 1] is refused with PyTorch's message", "[nn]") {
  REQUIRE_THROWS_AS(F::dropout(ones({3}), 1.5, true), ValueError);
  REQUIRE_THROWS_WITH(F::dropout(ones({3}), 1.5, true),
                      Contains("dropout probability has to be between 0 and 1, but got 1.5"));
  REQUIRE_THROWS_WITH(nn::Dropout(nn::DropoutOptions(-0.1)),
                      Contains("Dropout: dropout probability has to be between 0 and 1, but got -0.1"));
  REQUIRE_THROWS_AS(F::dropout(tensor(std::vector<std::int64_t>{1, 2}, {2}), 0.5, true), TypeError);
}

TEST_CASE("Dropout module: drops in training, identity in eval", "[nn]") {
  manual_seed(71);
  nn::Dropout dropout(nn::DropoutOptions(0.5));
  const Tensor x = ones({1000});
  const Tensor trained = dropout.forward(x);
  const std::vector<float> values = trained.to_vector<float>();
  REQUIRE(std::count(values.begin(), values.end(), 0.0f) > 400);
  dropout.eval();
  REQUIRE(dropout.forward(x).is_same(x));
  dropout.train();
  REQUIRE_FALSE(dropout.forward(x).is_same(x));
}

TEST_CASE("ReLU and Tanh modules forward to the functions; printing like PyTorch", "[nn]") {
  const Tensor x = tensor({-2.0, -0.5, 0.0, 0.5, 2.0});
  require_equal(nn::ReLU().forward(x), tensor({0.0, 0.0, 0.0, 0.5, 2.0}));
  require_equal(nn::Tanh().forward(x), kernels::tanh(x));
  REQUIRE(nn::to_string(nn::ReLU()) == "ReLU()");
  REQUIRE(nn::to_string(nn::Tanh()) == "Tanh()");
  REQUIRE(nn::to_string(nn::Dropout()) == "Dropout(p=0.5, inplace=False)");
  REQUIRE(nn::to_string(nn::Dropout(nn::DropoutOptions(0.0))) == "Dropout(p=0.0, inplace=False)");
  REQUIRE(nn::to_string(nn::Dropout(0.1)) == "Dropout(p=0.1, inplace=False)");
}

TEST_CASE("Sigmoid, SiLU, GELU, Softplus, LeakyReLU, ELU modules forward to the ops with their options",
          "[nn]") {
  const Tensor x = tensor({-30.0, -2.0, -0.5, 0.0, 0.5, 2.0, 30.0});
  require_equal(nn::Sigmoid().forward(x), sigmoid(x));
  require_equal(nn::SiLU().forward(x), silu(x));
  require_equal(nn::GELU().forward(x), gelu(x, "none"));
  require_equal(nn::GELU(nn::GELUOptions().approximate("tanh")).forward(x), gelu(x, "tanh"));
  require_equal(F::gelu(x, F::GELUFuncOptions().approximate("tanh")), gelu(x, "tanh"));
  require_equal(nn::Softplus(nn::SoftplusOptions().beta(2.0).threshold(5.0)).forward(x), softplus(x, 2.0, 5.0));
  require_equal(F::softplus(x), softplus(x, 1.0, 20.0));
  require_equal(nn::LeakyReLU(nn::LeakyReLUOptions().negative_slope(0.2)).forward(x), leaky_relu(x, 0.2));
  require_equal(F::leaky_relu(x), leaky_relu(x, 0.01));
  require_equal(nn::ELU(nn::ELUOptions().alpha(0.5)).forward(x), elu(x, 0.5));
  require_equal(F::elu(x), elu(x, 1.0));
  require_equal(F::silu(x), silu(x));
  // Two hand-computed values: leaky_relu(-2) = -0.4 at slope 0.2; elu(-0.5) = 0.5 (e^-0.5 - 1).
  CHECK(nn::LeakyReLU(nn::LeakyReLUOptions().negative_slope(0.2)).forward(x).to_vector<float>()[1] ==
        Approx(-0.4f));
  CHECK(nn::ELU(nn::ELUOptions().alpha(0.5)).forward(x).to_vector<float>()[2] == Approx(0.5 * std::expm1(-0.5)));
}

TEST_CASE("activation modules print like PyTorch and refuse bad options on construction", "[nn]") {
  REQUIRE(nn::to_string(nn::Sigmoid()) == "Sigmoid()");
  REQUIRE(nn::to_string(nn::SiLU()) == "SiLU()");
  REQUIRE(nn::to_string(nn::GELU()) == "GELU(approximate='none')");
  REQUIRE(nn::to_string(nn::GELU(nn::GELUOptions().approximate("tanh"))) == "GELU(approximate='tanh')");
  REQUIRE(nn::to_string(nn::Softplus()) == "Softplus(beta=1, threshold=20)");
  REQUIRE(nn::to_string(nn::Softplus(nn::SoftplusOptions().beta(0.5))) == "Softplus(beta=0.5, threshold=20)");
  REQUIRE(nn::to_string(nn::LeakyReLU()) == "LeakyReLU(negative_slope=0.01)");
  REQUIRE(nn::to_string(nn::ELU()) == "ELU(alpha=1.0)");
  REQUIRE(nn::to_string(nn::ELU(nn::ELUOptions().alpha(0.5))) == "ELU(alpha=0.5)");
  REQUIRE_THROWS_WITH(nn::GELU(nn::GELUOptions().approximate("fast")),
                      Contains("gelu: approximate = 'fast'; expected 'none' or 'tanh'"));
  REQUIRE_THROWS_WITH(nn::Softplus(nn::SoftplusOptions().beta(0.0)), Contains("softplus: beta = 0"));
  REQUIRE_THROWS_AS(nn::LeakyReLU(nn::LeakyReLUOptions().negative_slope(INFINITY)), ValueError);
  REQUIRE_THROWS_AS(nn::ELU(nn::ELUOptions().alpha(std::nan(""))), ValueError);
}
