// nn::RNNCell, GRUCell, LSTMCell: golden parity with the torch.nn cells over several steps,
// batched and unbatched (values and every gradient), a float64 gradcheck of each, errors, printing.
#include "recurrent_golden.h"

#include "nn/rnn_cell.h"

using namespace ember;
using Catch::Contains;

namespace {

std::shared_ptr<nn::RecurrentCellBase> make_cell(const nlohmann::json& c) {
  const auto& o = c.at("options");
  const std::string kind = c.at("cell");
  if (kind == "RNNCell")
    return std::make_shared<nn::RNNCell>(
        nn::RNNCellOptions(o.at("input_size"), o.at("hidden_size")).bias(o.at("bias")).nonlinearity(o.at("nonlinearity")));
  if (kind == "GRUCell")
    return std::make_shared<nn::GRUCell>(nn::GRUCellOptions(o.at("input_size"), o.at("hidden_size")).bias(o.at("bias")));
  return std::make_shared<nn::LSTMCell>(nn::LSTMCellOptions(o.at("input_size"), o.at("hidden_size")).bias(o.at("bias")));
}

// One step of any cell: (h', c') with c' undefined for RNNCell and GRUCell.
std::pair<Tensor, Tensor> step(nn::RecurrentCellBase& cell, const Tensor& x, const Tensor& h, const Tensor& c) {
  if (auto* lstm = dynamic_cast<nn::LSTMCell*>(&cell)) {
    const auto [h1, c1] =
        lstm->forward(x, h.defined() ? std::optional{std::make_tuple(h, c)} : std::nullopt);
    return {h1, c1};
  }
  if (auto* gru = dynamic_cast<nn::GRUCell*>(&cell)) return {gru->forward(x, h), Tensor()};
  return {dynamic_cast<nn::RNNCell&>(cell).forward(x, h), Tensor()};
}

}  // namespace

TEST_CASE("RNNCell, GRUCell, LSTMCell match the torch.nn cells over several steps, batched and unbatched",
          "[nn]") {
  const nlohmann::json doc = testing::load_golden("cells");
  REQUIRE(doc.at("cases").size() >= 13);
  for (const auto& c : doc.at("cases")) {
    INFO("case: " << c.at("name").get<std::string>());
    auto cell = make_cell(c);
    nn::NamedTensors state;
    for (const auto& [name, t] : c.at("params").items()) state.emplace_back(name, testing::tensor_from_json(t));
    cell->load_state_dict(state);
    std::vector<Tensor> xs;
    for (const auto& x : c.at("inputs")) xs.push_back(testing::tensor_from_json(x).requires_grad_());
    Tensor h0 = c.contains("h0") ? testing::tensor_from_json(c.at("h0")).requires_grad_() : Tensor();
    Tensor c0 = c.contains("c0") ? testing::tensor_from_json(c.at("c0")).requires_grad_() : Tensor();
    Tensor h = h0, cs = c0, loss;
    for (std::size_t t = 0; t < xs.size(); ++t) {
      std::tie(h, cs) = step(*cell, xs[t], h, cs);
      testing::require_close(h, testing::tensor_from_json(c.at("expected")[t]), 1e-5, 1e-6);
      if (c.contains("expected_c")) testing::require_close(cs, testing::tensor_from_json(c.at("expected_c")[t]), 1e-5, 1e-6);
      const Tensor term = sum(h * testing::tensor_from_json(c.at("loss_weights")[t]));
      loss = loss.defined() ? loss + term : term;
    }
    if (cs.defined()) loss = loss + sum(cs);
    loss.backward();
    const auto& grads = c.at("grads");
    for (std::size_t t = 0; t < xs.size(); ++t)
      testing::require_close(xs[t].grad(), testing::tensor_from_json(grads.at("input_" + std::to_string(t))), 1e-5, 1e-5);
    if (h0.defined()) testing::require_close(h0.grad(), testing::tensor_from_json(grads.at("h0")), 1e-5, 1e-5);
    if (c0.defined()) testing::require_close(c0.grad(), testing::tensor_from_json(grads.at("c0")), 1e-5, 1e-5);
    for (const auto& [name, p] : cell->named_parameters()) {
      INFO("parameter " << name);
      testing::require_close(p.grad(), testing::tensor_from_json(grads.at(name)), 1e-5, 1e-5);
    }
  }
}

TEST_CASE("cells gradcheck (float64): two steps, input, state and every parameter", "[nn]") {
  manual_seed(61);
  const std::vector<std::shared_ptr<nn::RecurrentCellBase>> cells = {
      std::make_shared<nn::RNNCell>(nn::RNNCellOptions(2, 3)),
      std::make_shared<nn::GRUCell>(nn::GRUCellOptions(2, 3)),
      std::make_shared<nn::LSTMCell>(nn::LSTMCellOptions(2, 3))};
  for (const auto& cell : cells) {
    INFO(cell->name());
    testing::make_float64(*cell);
    const bool lstm = cell->name() == "LSTMCell";
    // x, h0 (and c0), then the parameters.
    std::vector<Tensor> inputs{randn({2, 2}, kFloat64).requires_grad_(), randn({2, 3}, kFloat64).requires_grad_()};
    if (lstm) inputs.push_back(randn({2, 3}, kFloat64).requires_grad_());
    for (const Tensor& p : cell->parameters()) inputs.push_back(p);
    REQUIRE(testing::gradcheck(
        [&](const std::vector<Tensor>& in) {
          auto [h1, c1] = step(*cell, in[0], in[1], lstm ? in[2] : Tensor());
          auto [h2, c2] = step(*cell, in[0] * 0.5, h1, c1);
          return lstm ? cat({reshape(h2, {-1}), reshape(c2, {-1})}) : reshape(h2, {-1});
        },
        inputs));
  }
}

TEST_CASE("cells: PyTorch's parameter names, printing, and errors naming the shapes", "[nn]") {
  nn::GRUCell gru(nn::GRUCellOptions(3, 4));
  const nn::NamedTensors params = gru.named_parameters();
  REQUIRE(params.size() == 4);
  CHECK(params[0].first == "weight_ih");
  CHECK(params[0].second.shape() == Shape{12, 3});
  CHECK(params[3].first == "bias_hh");
  CHECK(nn::LSTMCell(nn::LSTMCellOptions(3, 4)).named_parameters()[1].second.shape() == Shape{16, 4});
  CHECK(nn::RNNCell(nn::RNNCellOptions(3, 4)).named_parameters()[0].second.shape() == Shape{4, 3});
  CHECK(nn::to_string(gru) == "GRUCell(3, 4)");
  CHECK(nn::to_string(nn::GRUCell(nn::GRUCellOptions(3, 4).bias(false))) == "GRUCell(3, 4, bias=False)");
  CHECK(nn::to_string(nn::RNNCell(nn::RNNCellOptions(3, 4).nonlinearity("relu"))) == "RNNCell(3, 4, nonlinearity=relu)");
  CHECK(nn::to_string(nn::LSTMCell(nn::LSTMCellOptions(3, 4))) == "LSTMCell(3, 4)");

  REQUIRE_THROWS_WITH(gru.forward(randn({2, 3, 3})), Contains("GRUCell: Expected input to be 1-D or 2-D but received 3-D tensor"));
  REQUIRE_THROWS_WITH(gru.forward(randn({2, 5})), Contains("input has inconsistent input_size: got 5 expected 3"));
  REQUIRE_THROWS_WITH(gru.forward(randn({2, 3}), randn({3, 4})),
                      Contains("Input batch size 2 doesn't match hidden0 batch size 3"));
  REQUIRE_THROWS_WITH(gru.forward(randn({2, 3}), randn({2, 5})),
                      Contains("hidden0 has inconsistent hidden_size: got 5, expected 4"));
  REQUIRE_THROWS_WITH(gru.forward(randn({3}), randn({1, 4})), Contains("GRUCell: the state has shape [1, 4]; expected [4]"));
  REQUIRE_THROWS_WITH(nn::RNNCell(nn::RNNCellOptions(3, 4).nonlinearity("gelu")), Contains("Unknown nonlinearity 'gelu'"));
  REQUIRE_THROWS_WITH(nn::LSTMCell(nn::LSTMCellOptions(0, 4)), Contains("LSTMCell: input_size = 0"));
  nn::LSTMCell lstm(nn::LSTMCellOptions(3, 4));
  REQUIRE_THROWS_WITH(lstm.forward(randn({2, 3}), std::make_tuple(randn({2, 4}), randn({2, 6}))),
                      Contains("hidden0 has inconsistent hidden_size: got 6, expected 4"));
  // Unbatched: [in] -> [H].
  CHECK(gru.forward(randn({3})).shape() == Shape{4});
  CHECK(std::get<1>(lstm.forward(randn({3}))).shape() == Shape{4});
}
