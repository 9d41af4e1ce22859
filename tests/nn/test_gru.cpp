// nn::GRU and the fused gru_layer op: golden parity with torch.nn.GRU (incl. packed sequences),
// float64 gradchecks, the thread split, error messages, the one-node-per-layer tape, and options.
#include "recurrent_golden.h"

#include "autograd/engine.h"
#include "autograd/ops_gru.h"
#include "nn/gru.h"

#include <sstream>

using namespace ember;
using Catch::Contains;

namespace {

std::shared_ptr<nn::GRU> gru_from_options(const nlohmann::json& o) {
  return std::make_shared<nn::GRU>(nn::GRUOptions(o.at("input_size"), o.at("hidden_size"))
                                       .num_layers(o.at("num_layers"))
                                       .bias(o.at("bias"))
                                       .batch_first(o.at("batch_first"))
                                       .bidirectional(o.at("bidirectional")));
}

void check_golden(DType dtype) {
  testing::check_recurrent_golden("gru", 10, dtype, gru_from_options,
                                  [](nn::GRU& m, const Tensor& x, const Tensor& h0, const Tensor& lengths) {
                                    const nn::GRUOutput out = m.forward(x, h0, lengths);
                                    return std::pair{out.output, out.h_n};
                                  });
}

Tensor leaf64(const Shape& shape) { return randn(shape, kFloat64).requires_grad_(); }

// Both outputs of a layer or module as one flat tensor, so that gradcheck sees the full Jacobian.
Tensor flat(const Tensor& output, const Tensor& h_n) { return cat({reshape(output, {-1}), reshape(h_n, {-1})}); }

}  // namespace

TEST_CASE("GRU matches PyTorch in float32: output, h_n and every gradient (golden, 1e-5 relative)", "[nn]") {
  check_golden(kFloat32);
}

TEST_CASE("GRU matches PyTorch in float64: output, h_n and every gradient (golden, 1e-9 relative)", "[nn]") {
  check_golden(kFloat64);
}

TEST_CASE("gru_layer gradcheck (float64): all six inputs, both directions, with and without lengths", "[nn]") {
  manual_seed(41);
  const std::int64_t T = 3, B = 3, I = 2, H = 2;
  for (const bool reverse : {false, true}) {
    for (const bool with_lengths : {false, true}) {
      INFO("reverse " << reverse << ", lengths " << with_lengths);
      std::vector<Tensor> inputs{leaf64({T, B, I}),     leaf64({B, H}),     leaf64({3 * H, I}),
                                 leaf64({3 * H, H}), leaf64({3 * H}), leaf64({3 * H})};
      const Tensor lengths = with_lengths ? tensor(std::vector<std::int64_t>{2, 3, 1}, {B}) : Tensor();
      REQUIRE(testing::gradcheck(
          [&](const std::vector<Tensor>& in) {
            const GRULayerOutput r = gru_layer(in[0], in[1], in[2], in[3], in[4], in[5], lengths, reverse);
            return flat(r.output, r.h_n);
          },
          inputs));
    }
  }
}

TEST_CASE("GRU gradcheck (float64): 2 layers, bidirectional, batch_first, h0, every parameter", "[nn]") {
  manual_seed(42);
  nn::GRU gru(nn::GRUOptions(2, 2).num_layers(2).bidirectional(true).batch_first(true));
  testing::make_float64(gru);
  std::vector<Tensor> inputs{leaf64({2, 3, 2}), leaf64({4, 2, 2})};
  for (const Tensor& p : gru.parameters()) inputs.push_back(p);
  REQUIRE(inputs.size() == 2 + 16);
  for (const bool with_lengths : {false, true}) {
    INFO("lengths " << with_lengths);
    const Tensor lengths = with_lengths ? tensor(std::vector<std::int64_t>{3, 1}, {2}) : Tensor();
    REQUIRE(testing::gradcheck(
        [&](const std::vector<Tensor>& in) {
          const nn::GRUOutput r = gru.forward(in[0], in[1], lengths);
          return flat(r.output, r.h_n);
        },
        inputs));
  }
}

TEST_CASE("gru_layer: two threads (batch split) give the one-thread outputs and gradients", "[nn]") {
  const int threads_before = get_num_threads();
  const auto run = [](int threads, bool with_lengths, bool reverse) {
    set_num_threads(threads);
    manual_seed(43);
    const std::int64_t T = 6, B = 40, I = 24, H = 48;
    std::vector<Tensor> leaves = {randn({T, B, I}), randn({B, H}), randn({3 * H, I}) * 0.2, randn({3 * H, H}) * 0.2,
                                  randn({3 * H}), randn({3 * H})};
    for (Tensor& t : leaves) t = t.detach().requires_grad_();
    std::vector<std::int64_t> lengths_vec;
    for (std::int64_t b = 0; b < B; ++b) lengths_vec.push_back(1 + b % T);
    const Tensor lengths = with_lengths ? tensor(lengths_vec, {B}) : Tensor();
    const GRULayerOutput out = gru_layer(leaves[0], leaves[1], leaves[2], leaves[3], leaves[4], leaves[5], lengths,
                                         reverse);
    (sum(out.output * out.output) + sum(out.h_n)).backward();
    std::vector<Tensor> values{out.output.detach(), out.h_n.detach()};
    for (const Tensor& t : leaves) values.push_back(t.grad());
    return values;
  };
  for (bool with_lengths : {false, true})
    for (bool reverse : {false, true}) {
      INFO("lengths " << with_lengths << " reverse " << reverse);
      const std::vector<Tensor> one = run(1, with_lengths, reverse), two = run(2, with_lengths, reverse);
      for (std::size_t i = 0; i < one.size(); ++i) {
        INFO("value " << i);
        // Each row's arithmetic does not depend on the split; OpenBLAS may split the weight
        // gradients' products differently, hence a tolerance.
        testing::require_close(two[i], one[i], 1e-5, 1e-5);
      }
    }
  set_num_threads(threads_before);
}

TEST_CASE("the tape holds one gru node per layer and direction, and undefined output gradients work", "[nn]") {
  manual_seed(44);
  for (const bool bidirectional : {false, true}) {
    nn::GRU gru(nn::GRUOptions(4, 6).num_layers(3).bidirectional(bidirectional));
    const nn::GRUOutput out = gru.forward(randn({5, 2, 4}).requires_grad_());
    const std::string tape = autograd::print_tape(sum(out.output) + sum(out.h_n));
    std::size_t nodes = 0;
    std::istringstream lines(tape);
    for (std::string line; std::getline(lines, line);) {
      std::istringstream words(line);
      std::string seq, op;
      words >> seq >> op;
      if (op == "gru") ++nodes;
    }
    CHECK(nodes == (bidirectional ? 6u : 3u));
  }
  // Only h_n used: the output's gradient is undefined; only the output: h_n's is.
  Tensor x = randn({4, 3, 2}).requires_grad_(), w_ih = randn({9, 2}).requires_grad_(), w_hh = randn({9, 3});
  const Tensor none;
  sum(gru_layer(x, none, w_ih, w_hh, none, none).h_n).backward();
  const Tensor dx_from_h_n = x.grad();
  REQUIRE(dx_from_h_n.defined());
  x.set_grad(Tensor());
  sum(gru_layer(x, none, w_ih, w_hh, none, none).output).backward();
  REQUIRE(x.grad().defined());
  // The last output step is h_n: its gradient reaches x as well, and the two differ elsewhere.
  CHECK(kernels::max(kernels::abs(x.grad() - dx_from_h_n)).item<float>() > 0.0f);
}

TEST_CASE("GRU: PyTorch's parameter names and shapes, init bounds, printing", "[nn]") {
  manual_seed(45);
  nn::GRU gru(nn::GRUOptions(3, 4).num_layers(2).bidirectional(true).batch_first(true).dropout(0.1));
  const nn::NamedTensors params = gru.named_parameters();
  const std::vector<std::pair<std::string, Shape>> expected = {
      {"weight_ih_l0", {12, 3}},         {"weight_hh_l0", {12, 4}},         {"bias_ih_l0", {12}},
      {"bias_hh_l0", {12}},              {"weight_ih_l0_reverse", {12, 3}}, {"weight_hh_l0_reverse", {12, 4}},
      {"bias_ih_l0_reverse", {12}},      {"bias_hh_l0_reverse", {12}},      {"weight_ih_l1", {12, 8}},
      {"weight_hh_l1", {12, 4}},         {"bias_ih_l1", {12}},              {"bias_hh_l1", {12}},
      {"weight_ih_l1_reverse", {12, 8}}, {"weight_hh_l1_reverse", {12, 4}}, {"bias_ih_l1_reverse", {12}},
      {"bias_hh_l1_reverse", {12}}};
  REQUIRE(params.size() == expected.size());
  for (std::size_t i = 0; i < params.size(); ++i) {
    CHECK(params[i].first == expected[i].first);
    CHECK(params[i].second.shape() == expected[i].second);
    CHECK(kernels::max(kernels::abs(params[i].second)).item<float>() <= 0.5f);  // U(-1/sqrt(4), 1/sqrt(4))
  }
  CHECK(nn::to_string(gru) == "GRU(3, 4, num_layers=2, batch_first=True, dropout=0.1, bidirectional=True)");
  CHECK(nn::to_string(nn::GRU(nn::GRUOptions(3, 4).bias(false))) == "GRU(3, 4, bias=False)");
  CHECK(nn::GRU(nn::GRUOptions(3, 4).bias(false)).named_parameters().size() == 2);
}

TEST_CASE("GRU refuses bad options and inputs, naming them, and changes nothing", "[nn]") {
  REQUIRE_THROWS_WITH(nn::GRU(nn::GRUOptions(0, 4)), Contains("GRU: input_size = 0; expected input_size > 0"));
  REQUIRE_THROWS_WITH(nn::GRU(nn::GRUOptions(3, 4).num_layers(0)), Contains("GRU: num_layers = 0"));
  REQUIRE_THROWS_WITH(nn::GRU(nn::GRUOptions(3, 4).dropout(1.5)), Contains("GRU: dropout = 1.5"));
  nn::GRU gru(nn::GRUOptions(3, 4).num_layers(2).bidirectional(true));
  std::vector<Tensor> before;
  for (const Tensor& p : gru.parameters()) before.push_back(kernels::clone(p));
  const Tensor x = randn({5, 2, 3});
  REQUIRE_THROWS_WITH(gru.forward(randn({5, 2, 5})),
                      Contains("input.size(-1) must be equal to input_size. Expected 3, got 5"));
  REQUIRE_THROWS_WITH(gru.forward(randn({5, 3})), Contains("GRU: input has shape [5, 3]; expected 3 dimensions"));
  REQUIRE_THROWS_WITH(gru.forward(x, randn({4, 3, 4})), Contains("Expected hidden size [4, 2, 4]"));
  REQUIRE_THROWS_WITH(gru.forward(x, randn({4, 2, 4}, kFloat64)), Contains("GRU: hx has dtype float64"));
  REQUIRE_THROWS_WITH(gru.forward(x, Tensor(), tensor(std::vector<std::int64_t>{2, 6}, {2})),
                      Contains("GRU: lengths[1] = 6 is out of range; expected 1 <= length <= 5"));
  REQUIRE_THROWS_WITH(gru.forward(x, Tensor(), tensor({2.0, 3.0})), Contains("GRU: lengths is float32 [2]"));
  REQUIRE_THROWS_WITH(gru.forward(randn({0, 2, 3})), Contains("expected a sequence length larger than 0"));
  const Tensor none;
  REQUIRE_THROWS_WITH(gru_layer(x, none, randn({12, 3}), randn({8, 4}), none, none),
                      Contains("gru: w_hh has shape [8, 4]; expected [3H, H]"));
  REQUIRE_THROWS_WITH(gru_layer(x, none, randn({12, 3}), randn({12, 4}), randn({12}), none),
                      Contains("gru: only one of b_ih and b_hh is defined"));
  REQUIRE_THROWS_WITH(gru_layer(x, randn({3, 4}), randn({12, 3}), randn({12, 4}), none, none),
                      Contains("gru: h0 has shape [3, 4]; expected [2, 4]"));
  const std::vector<Tensor> after = gru.parameters();
  for (std::size_t i = 0; i < before.size(); ++i) {
    testing::require_equal(after[i], before[i]);
    CHECK_FALSE(after[i].grad().defined());
  }
}
