// The seed's TextClassifier as a module: PyTorch's state_dict keys and shapes, its parameter
// count, and a tape with one node per fused layer.
#include <catch2/catch.hpp>

#include "apps/text_classifier/common.h"
#include "apps/text_classifier/model.h"
#include "autograd/engine.h"
#include "nn/functional.h"

#include <regex>

using namespace ember;

TEST_CASE("text_classifier model: state_dict keys and shapes are PyTorch's", "[apps]") {
  manual_seed(0);
  apps::TextClassifier model(apps::TextClassifierConfig{});
  std::vector<std::pair<std::string, Shape>> expected = {
      {"embedding.weight", {1000, 64}}, {"rnn.weight_ih_l0", {512, 64}}, {"rnn.weight_hh_l0", {512, 128}},
      {"rnn.bias_ih_l0", {512}},        {"rnn.bias_hh_l0", {512}},       {"fc.weight", {2, 128}},
      {"fc.bias", {2}}};
  const auto state = model.state_dict();
  REQUIRE(state.size() == expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    CHECK(state[i].first == expected[i].first);
    CHECK(state[i].second.shape() == expected[i].second);
  }
  // sum(p.numel() for p in model.parameters()) of the PyTorch model
  CHECK(model.num_parameters() == 163586);
}

TEST_CASE("text_classifier model: one tape entry per fused layer", "[apps]") {
  manual_seed(0);
  apps::TextClassifier model(apps::TextClassifierConfig{});
  Tensor tokens = randint(1, 1000, {32, 10});
  Tensor lengths = randint(1, 11, {32});
  Tensor loss = nn::functional::cross_entropy(model.forward(tokens, lengths), randint(0, 2, {32}));
  const std::string tape = autograd::print_tape(loss);
  INFO(tape);
  auto count = [&](const std::string& op) {
    const std::regex row("^ *[0-9]+  " + op + " ", std::regex::multiline);
    return std::distance(std::sregex_iterator(tape.begin(), tape.end(), row), std::sregex_iterator());
  };
  CHECK(count("embedding") == 1);
  CHECK(count("lstm") == 1);
  CHECK(count("linear") == 1);
  CHECK(count("cross_entropy") == 1);
  CHECK(count("AccumulateGrad") == 7);  // one per parameter
  loss.backward();
  for (const auto& [name, p] : model.named_parameters()) {
    INFO(name);
    CHECK(p.grad().defined());
  }
}

TEST_CASE("text_classifier model: parameter_count, which bounds a checkpoint's config.json, counts the model",
          "[apps]") {
  // The count a reader checks against model.safetensors before building anything must be the
  // model's own, for every shape option.
  for (const bool bidirectional : {false, true}) {
    for (const std::int64_t layers : {1, 3}) {
      apps::TextClassifierConfig config;
      config.vocab_size = 37;
      config.num_classes = 5;
      config.embedding_dim = 6;
      config.hidden_dim = 4;
      config.num_layers = layers;
      config.bidirectional = bidirectional;
      apps::TextClassifier model(config);
      INFO("layers " << layers << " bidirectional " << bidirectional);
      CHECK(apps::parameter_count(config) == model.num_parameters());
    }
  }
  CHECK(apps::parameter_count(apps::TextClassifierConfig{}) == 163586);  // PyTorch's count, as above
}
