// nn::RNN and the fused rnn_layer op (tanh and relu): golden parity with torch.nn.RNN (incl.
// packed sequences), float64 gradchecks, the thread split, errors, the tape, and options.
#include "recurrent_golden.h"

#include "autograd/engine.h"
#include "autograd/ops_rnn.h"
#include "nn/rnn.h"

using namespace ember;
using Catch::Contains;

namespace {

std::shared_ptr<nn::RNN> rnn_from_options(const nlohmann::json& o) {
  return std::make_shared<nn::RNN>(nn::RNNOptions(o.at("input_size"), o.at("hidden_size"))
                                       .num_layers(o.at("num_layers"))
                                       .nonlinearity(o.at("nonlinearity"))
                                       .bias(o.at("bias"))
                                       .batch_first(o.at("batch_first"))
                                       .bidirectional(o.at("bidirectional")));
}

void check_golden(DType dtype) {
  testing::check_recurrent_golden("rnn", 20, dtype, rnn_from_options,
                                  [](nn::RNN& m, const Tensor& x, const Tensor& h0, const Tensor& lengths) {
                                    const nn::RNNOutput out = m.forward(x, h0, lengths);
                                    return std::pair{out.output, out.h_n};
                                  });
}

Tensor leaf64(const Shape& shape) { return randn(shape, kFloat64).requires_grad_(); }
Tensor flat(const Tensor& output, const Tensor& h_n) { return cat({reshape(output, {-1}), reshape(h_n, {-1})}); }

}  // namespace

TEST_CASE("RNN (tanh and relu) matches PyTorch in float32: output, h_n and every gradient (golden)", "[nn]") {
  check_golden(kFloat32);
}

TEST_CASE("RNN (tanh and relu) matches PyTorch in float64: output, h_n and every gradient (golden)", "[nn]") {
  check_golden(kFloat64);
}

TEST_CASE("rnn_layer gradcheck (float64): tanh and relu, both directions, with and without lengths", "[nn]") {
  manual_seed(51);
  const std::int64_t T = 3, B = 3, I = 2, H = 3;
  for (const std::string nonlinearity : {"tanh", "relu"})
    for (const bool reverse : {false, true})
      for (const bool with_lengths : {false, true}) {
        INFO(nonlinearity << ", reverse " << reverse << ", lengths " << with_lengths);
        // relu: a finite difference across the kink at 0 would measure an average slope; with this
        // seed no pre-activation lies within the step (1e-6) of 0.
        std::vector<Tensor> inputs{leaf64({T, B, I}), leaf64({B, H}), leaf64({H, I}),
                                   leaf64({H, H}),    leaf64({H}),    leaf64({H})};
        const Tensor lengths = with_lengths ? tensor(std::vector<std::int64_t>{2, 3, 1}, {B}) : Tensor();
        REQUIRE(testing::gradcheck(
            [&](const std::vector<Tensor>& in) {
              const RNNLayerOutput r =
                  rnn_layer(in[0], in[1], in[2], in[3], in[4], in[5], nonlinearity, lengths, reverse);
              return flat(r.output, r.h_n);
            },
            inputs));
      }
}

TEST_CASE("RNN gradcheck (float64): 2 layers, bidirectional, batch_first, h0, every parameter", "[nn]") {
  manual_seed(52);
  nn::RNN rnn(nn::RNNOptions(2, 2).num_layers(2).bidirectional(true).batch_first(true));
  testing::make_float64(rnn);
  std::vector<Tensor> inputs{leaf64({2, 3, 2}), leaf64({4, 2, 2})};
  for (const Tensor& p : rnn.parameters()) inputs.push_back(p);
  REQUIRE(inputs.size() == 2 + 16);
  for (const bool with_lengths : {false, true}) {
    INFO("lengths " << with_lengths);
    const Tensor lengths = with_lengths ? tensor(std::vector<std::int64_t>{3, 1}, {2}) : Tensor();
    REQUIRE(testing::gradcheck(
        [&](const std::vector<Tensor>& in) {
          const nn::RNNOutput r = rnn.forward(in[0], in[1], lengths);
          return flat(r.output, r.h_n);
        },
        inputs));
  }
}

TEST_CASE("rnn_layer: two threads (batch split) give the one-thread outputs and gradients", "[nn]") {
  const int threads_before = get_num_threads();
  const auto run = [](int threads, const std::string& nonlinearity, bool reverse) {
    set_num_threads(threads);
    manual_seed(53);
    const std::int64_t T = 6, B = 48, I = 24, H = 96;
    std::vector<Tensor> leaves = {randn({T, B, I}), randn({B, H}), randn({H, I}) * 0.2, randn({H, H}) * 0.1,
                                  randn({H}), randn({H})};
    for (Tensor& t : leaves) t = t.detach().requires_grad_();
    std::vector<std::int64_t> lengths_vec;
    for (std::int64_t b = 0; b < B; ++b) lengths_vec.push_back(1 + b % T);
    const RNNLayerOutput out = rnn_layer(leaves[0], leaves[1], leaves[2], leaves[3], leaves[4], leaves[5],
                                         nonlinearity, tensor(lengths_vec, {B}), reverse);
    (sum(out.output * out.output) + sum(out.h_n)).backward();
    std::vector<Tensor> values{out.output.detach(), out.h_n.detach()};
    for (const Tensor& t : leaves) values.push_back(t.grad());
    return values;
  };
  for (const std::string nonlinearity : {"tanh", "relu"})
    for (bool reverse : {false, true}) {
      INFO(nonlinearity << " reverse " << reverse);
      const std::vector<Tensor> one = run(1, nonlinearity, reverse), two = run(2, nonlinearity, reverse);
      for (std::size_t i = 0; i < one.size(); ++i) {
        INFO("value " << i);
        testing::require_close(two[i], one[i], 1e-5, 1e-5);  // OpenBLAS may split the weight products differently
      }
    }
  set_num_threads(threads_before);
}

TEST_CASE("RNN: one rnn_tanh / rnn_relu node per layer and direction, names, printing, errors", "[nn]") {
  manual_seed(54);
  nn::RNN relu(nn::RNNOptions(3, 4).nonlinearity("relu").num_layers(2).bidirectional(true));
  const nn::RNNOutput out = relu.forward(randn({5, 2, 3}));
  CHECK(out.output.grad_fn_name() == "cat");  // the two directions of the last layer
  CHECK(out.output.shape() == Shape{5, 2, 8});
  CHECK(out.h_n.shape() == Shape{4, 2, 4});
  const std::string tape = autograd::print_tape(sum(out.output) + sum(out.h_n));
  std::size_t nodes = 0;
  for (std::size_t at = tape.find(" rnn_relu "); at != std::string::npos; at = tape.find(" rnn_relu ", at + 1)) ++nodes;
  CHECK(nodes == 4u);
  CHECK(nn::RNN(nn::RNNOptions(3, 4)).forward(randn({2, 1, 3})).output.grad_fn_name() == "rnn_tanh");

  const nn::NamedTensors params = relu.named_parameters();
  REQUIRE(params.size() == 16);
  CHECK(params[0].first == "weight_ih_l0");
  CHECK(params[0].second.shape() == Shape{4, 3});
  CHECK(params[8].first == "weight_ih_l1");
  CHECK(params[8].second.shape() == Shape{4, 8});
  CHECK(params[15].first == "bias_hh_l1_reverse");
  // PyTorch's repr does not show the nonlinearity.
  CHECK(nn::to_string(relu) == "RNN(3, 4, num_layers=2, bidirectional=True)");

  REQUIRE_THROWS_WITH(nn::RNN(nn::RNNOptions(3, 4).nonlinearity("gelu")), Contains("Unknown nonlinearity 'gelu'"));
  REQUIRE_THROWS_WITH(nn::RNN(nn::RNNOptions(3, -1)), Contains("RNN: hidden_size = -1"));
  REQUIRE_THROWS_WITH(relu.forward(randn({5, 2, 3}), randn({2, 2, 4})), Contains("Expected hidden size [4, 2, 4]"));
  const Tensor none;
  REQUIRE_THROWS_WITH(rnn_layer(randn({2, 1, 3}), none, randn({4, 3}), randn({4, 4}), none, none, "sigmoid"),
                      Contains("rnn: Unknown nonlinearity 'sigmoid'"));
  REQUIRE_THROWS_WITH(rnn_layer(randn({2, 1, 3}), none, randn({4, 2}), randn({4, 4}), none, none),
                      Contains("rnn: x has shape [2, 1, 3]; expected [T, B, 2]"));
}
