// nn: sizes that do not fit are refused (an Embedding of 2^40 x 2^40), and every module's forward
// and load_state_dict refuse an undefined tensor by name instead of crashing.
#include <catch2/catch.hpp>

#include "nn/activation.h"
#include "nn/embedding.h"
#include "nn/embedding_bag.h"
#include "nn/linear.h"
#include "nn/loss.h"
#include "nn/lstm.h"
#include "nn/sequential.h"

#include <cstdint>

using namespace ember;
using Catch::Contains;

TEST_CASE("nn sizes: an Embedding whose table does not fit in int64 is refused naming its shape", "[nn]") {
  const std::int64_t k40 = std::int64_t{1} << 40;
  REQUIRE_THROWS_AS(nn::Embedding(nn::EmbeddingOptions(k40, k40)), ValueError);
  REQUIRE_THROWS_WITH(nn::Embedding(nn::EmbeddingOptions(k40, k40)), Contains("[1099511627776, 1099511627776]"));
  REQUIRE_THROWS_AS(nn::EmbeddingBag(nn::EmbeddingBagOptions(k40, k40)), ValueError);
  REQUIRE_THROWS_AS(nn::Linear(k40, k40), ValueError);
}

TEST_CASE("nn sizes: load_state_dict refuses an undefined tensor by name, the model unchanged", "[nn]") {
  nn::Linear linear(3, 2);
  const std::vector<float> before = linear.weight.to_vector<float>();
  nn::NamedTensors state = linear.state_dict();
  state[0].second = Tensor();
  REQUIRE_THROWS_AS(linear.load_state_dict(state), ValueError);
  REQUIRE_THROWS_WITH(linear.load_state_dict(state),
                      "Linear: load_state_dict: tensor 'weight' is undefined; expected a tensor");
  CHECK(linear.weight.to_vector<float>() == before);
}

TEST_CASE("nn sizes: every module's forward refuses an undefined input by name", "[nn]") {
  const Tensor undefined;
  const Tensor x = zeros({2, 3});
  const Tensor target = zeros({2, 3});
  REQUIRE_THROWS_WITH(nn::Linear(3, 2).forward(undefined), "Linear.forward: input is undefined; expected a tensor");
  REQUIRE_THROWS_WITH(nn::Embedding(nn::EmbeddingOptions(4, 2)).forward(undefined),
                      "Embedding.forward: indices is undefined; expected a tensor");
  REQUIRE_THROWS_WITH(nn::EmbeddingBag(nn::EmbeddingBagOptions(4, 2)).forward(undefined),
                      "EmbeddingBag.forward: input is undefined; expected a tensor");
  REQUIRE_THROWS_WITH(nn::LSTM(nn::LSTMOptions(3, 2)).forward(undefined),
                      "LSTM.forward: input is undefined; expected a tensor");
  REQUIRE_THROWS_AS(nn::ReLU().forward(undefined), ValueError);
  REQUIRE_THROWS_AS(nn::Tanh().forward(undefined), ValueError);
  REQUIRE_THROWS_AS(nn::Dropout().forward(undefined), ValueError);
  nn::Sequential seq(std::make_shared<nn::ReLU>());
  REQUIRE_THROWS_WITH(seq.forward(undefined), "Sequential.forward: input is undefined; expected a tensor");
  REQUIRE_THROWS_WITH(nn::MSELoss().forward(x, undefined), "MSELoss.forward: target is undefined; expected a tensor");
  REQUIRE_THROWS_AS(nn::MSELoss().forward(undefined, target), ValueError);
  REQUIRE_THROWS_AS(nn::CrossEntropyLoss().forward(undefined, target), ValueError);
  REQUIRE_THROWS_AS(nn::NLLLoss().forward(undefined, target), ValueError);
  REQUIRE_THROWS_AS(nn::BCEWithLogitsLoss().forward(undefined, target), ValueError);
  REQUIRE_THROWS_WITH(nn::MarginRankingLoss().forward(x, undefined, target),
                      "MarginRankingLoss.forward: input2 is undefined; expected a tensor");
}
