// nn::LSTM and the fused lstm_layer op: golden parity with torch.nn.LSTM (incl. packed
// sequences), float64 gradchecks, error messages, the one-node-per-layer tape, and options.
#include <catch2/catch.hpp>

#include "golden.h"
#include "testing.h"

#include "autograd/engine.h"
#include "autograd/grad_mode.h"
#include "autograd/lstm_cell.h"
#include "autograd/ops.h"
#include "autograd/ops_lstm.h"
#include "core/kernels.h"
#include "nn/lstm.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <functional>
#include <iostream>
#include <sstream>

using namespace ember;
using Catch::Contains;

namespace {

// Golden tolerances. float32: 1e-5 relative per element (atol 1e-6 covers values near zero, where
// float32 epsilon is 1.2e-7). A gradient element is a sum over T*B steps whose terms may cancel,
// so PyTorch's own float32 gradients differ from float64 ones by up to 1e-2 relative on small
// elements (measured on these cases): gradients also accept 1e-5 of the tensor's largest magnitude.
// float64 (ember vs PyTorch, both float64) has no such noise and is checked at 1e-9.
constexpr double kRtol = 1e-5, kAtol = 1e-6, kRtol64 = 1e-9, kAtol64 = 1e-12;

Tensor loss_of(const nn::LSTMOutput& out, const Tensor& w_output, const Tensor& w_h, const Tensor& w_c) {
  return sum(out.output * w_output) + sum(out.h_n * w_h) + sum(out.c_n * w_c);
}

void make_float64(nn::LSTM& lstm) {
  for (auto& [name, p] : lstm.named_parameters(false))
    lstm.replace_parameter(name, kernels::to(p, kFloat64).requires_grad_());
}

Tensor golden(const nlohmann::json& j, DType dtype) { return kernels::to(testing::tensor_from_json(j), dtype); }

std::shared_ptr<nn::LSTM> lstm_from_case(const nlohmann::json& c, DType dtype) {
  const auto& o = c.at("options");
  auto lstm = std::make_shared<nn::LSTM>(nn::LSTMOptions(o.at("input_size"), o.at("hidden_size"))
                                             .num_layers(o.at("num_layers"))
                                             .bias(o.at("bias"))
                                             .batch_first(o.at("batch_first"))
                                             .bidirectional(o.at("bidirectional")));
  if (dtype == kFloat64) make_float64(*lstm);
  nn::NamedTensors state;
  for (const auto& [name, t] : c.at("params").items()) state.emplace_back(name, golden(t, dtype));
  lstm->load_state_dict(state);
  lstm->eval();
  return lstm;
}

// Runs one golden case in `dtype` and compares values and gradients with PyTorch's in that dtype.
void check_golden_case(const nlohmann::json& c, DType dtype) {
  const bool f32 = dtype == kFloat32;
  const double rtol = f32 ? kRtol : kRtol64, atol = f32 ? kAtol : kAtol64;
  auto lstm = lstm_from_case(c, dtype);
  Tensor x = golden(c.at("input"), dtype).requires_grad_();
  std::optional<std::tuple<Tensor, Tensor>> hx;
  Tensor h0, c0, lengths;
  if (c.contains("h0")) {
    h0 = golden(c.at("h0"), dtype).requires_grad_();
    c0 = golden(c.at("c0"), dtype).requires_grad_();
    hx = std::make_tuple(h0, c0);
  }
  if (c.contains("lengths")) lengths = testing::tensor_from_json(c.at("lengths"));

  const nn::LSTMOutput out = lstm->forward(x, hx, lengths);
  const auto& expected = c.at(f32 ? "expected" : "expected_float64");
  testing::require_close(out.output, golden(expected.at("output"), dtype), rtol, atol);
  testing::require_close(out.h_n, golden(expected.at("h_n"), dtype), rtol, atol);
  testing::require_close(out.c_n, golden(expected.at("c_n"), dtype), rtol, atol);

  const auto& w = c.at("loss_weights");
  loss_of(out, golden(w.at("output"), dtype), golden(w.at("h_n"), dtype), golden(w.at("c_n"), dtype)).backward();
  const auto& grads = c.at(f32 ? "grads" : "grads_float64");
  const auto check_grad = [&](const Tensor& actual, const nlohmann::json& j) {
    const Tensor e = golden(j, dtype);
    const double largest = kernels::max(kernels::abs(e)).item<double>();
    testing::require_close(actual, e, rtol, std::max(atol, (f32 ? kRtol : 0.0) * largest));
  };
  check_grad(x.grad(), grads.at("input"));
  if (h0.defined()) {
    check_grad(h0.grad(), grads.at("h0"));
    check_grad(c0.grad(), grads.at("c0"));
  }
  std::size_t checked = 0;
  for (const auto& [name, p] : lstm->named_parameters()) {
    INFO("parameter " << name);
    check_grad(p.grad(), grads.at(name));
    ++checked;
  }
  CHECK(checked == c.at("params").size());
}

// Full-Jacobian float64 check: central differences of every output with respect to every
// element of every input, against one backward per output element (a one-hot gradient).
void gradcheck(const std::function<std::vector<Tensor>()>& f, const std::vector<Tensor>& inputs,
               const std::vector<std::string>& names, double eps = 1e-6, double atol = 1e-7, double rtol = 1e-5) {
  std::vector<Tensor> outs = f();
  std::vector<std::vector<double>> analytic;  // [output element][flattened input element]
  for (std::size_t o = 0; o < outs.size(); ++o) {
    for (std::int64_t j = 0; j < outs[o].numel(); ++j) {
      for (Tensor in : inputs) in.set_grad(Tensor());
      std::vector<Tensor> roots = f(), seeds;
      for (std::size_t k = 0; k < roots.size(); ++k) {
        Tensor s = zeros(roots[k].shape(), kFloat64);
        if (k == o) s.data_ptr<double>()[j] = 1.0;
        seeds.push_back(s);
      }
      autograd::backward(roots, seeds);
      std::vector<double> row;
      for (const Tensor& in : inputs) {
        const std::vector<double> g = in.grad().defined() ? in.grad().to_vector<double>()
                                                           : std::vector<double>(in.numel(), 0.0);
        row.insert(row.end(), g.begin(), g.end());
      }
      analytic.push_back(row);
    }
  }
  NoGradGuard no_grad;
  std::size_t column = 0;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    double* p = inputs[i].data_ptr<double>();
    for (std::int64_t k = 0; k < inputs[i].numel(); ++k, ++column) {
      const double saved = p[k];
      p[k] = saved + eps;
      const std::vector<Tensor> plus = f();
      p[k] = saved - eps;
      const std::vector<Tensor> minus = f();
      p[k] = saved;
      std::size_t row = 0;
      for (std::size_t o = 0; o < plus.size(); ++o) {
        const std::vector<double> a = plus[o].to_vector<double>(), b = minus[o].to_vector<double>();
        for (std::size_t j = 0; j < a.size(); ++j, ++row) {
          const double numeric = (a[j] - b[j]) / (2 * eps), exact = analytic[row][column];
          INFO("input " << names[i] << " element " << k << ", output " << o << " element " << j << ": analytic "
                        << exact << ", numeric " << numeric);
          REQUIRE(std::abs(exact - numeric) <= atol + rtol * std::abs(numeric));
        }
      }
    }
  }
}

Tensor leaf64(const Shape& shape) { return randn(shape, kFloat64).requires_grad_(); }

}  // namespace

// ---- golden parity with torch.nn.LSTM ---------------------------------------------------------

TEST_CASE("LSTM matches PyTorch in float32: output, h_n, c_n and every gradient (golden, 1e-5 relative)",
          "[nn]") {
  const nlohmann::json doc = testing::load_golden("lstm");
  REQUIRE(doc.at("cases").size() >= 14);
  for (const auto& c : doc.at("cases")) {
    INFO("case: " << c.at("name").get<std::string>());
    check_golden_case(c, kFloat32);
  }
}

TEST_CASE("LSTM matches PyTorch in float64: output, h_n, c_n and every gradient (golden, 1e-9 relative)",
          "[nn]") {
  const nlohmann::json doc = testing::load_golden("lstm");
  for (const auto& c : doc.at("cases")) {
    INFO("case: " << c.at("name").get<std::string>());
    check_golden_case(c, kFloat64);
  }
}

// ---- float64 gradchecks -------------------------------------------------------------------------

TEST_CASE("lstm_layer gradcheck (float64): all seven inputs, both directions, with and without lengths",
          "[nn]") {
  manual_seed(7);
  const std::int64_t T = 3, B = 3, I = 2, H = 2;
  for (const bool reverse : {false, true}) {
    for (const bool with_lengths : {false, true}) {
      INFO("reverse " << reverse << ", lengths " << with_lengths);
      Tensor x = leaf64({T, B, I}), h0 = leaf64({B, H}), c0 = leaf64({B, H});
      Tensor w_ih = leaf64({4 * H, I}), w_hh = leaf64({4 * H, H}), b_ih = leaf64({4 * H}), b_hh = leaf64({4 * H});
      const Tensor lengths = with_lengths ? tensor(std::vector<std::int64_t>{2, 3, 1}, {B}) : Tensor();
      const auto f = [&] {
        LSTMLayerOutput r = lstm_layer(x, h0, c0, w_ih, w_hh, b_ih, b_hh, lengths, reverse);
        return std::vector<Tensor>{r.output, r.h_n, r.c_n};
      };
      gradcheck(f, {x, h0, c0, w_ih, w_hh, b_ih, b_hh}, {"x", "h0", "c0", "w_ih", "w_hh", "b_ih", "b_hh"});
    }
  }
}

TEST_CASE("LSTM gradcheck (float64): 2 layers, bidirectional, batch_first, h0/c0, every parameter", "[nn]") {
  manual_seed(8);
  nn::LSTM lstm(nn::LSTMOptions(2, 2).num_layers(2).bidirectional(true).batch_first(true));
  make_float64(lstm);
  Tensor x = leaf64({2, 3, 2}), h0 = leaf64({4, 2, 2}), c0 = leaf64({4, 2, 2});
  std::vector<Tensor> inputs{x, h0, c0};
  std::vector<std::string> names{"input", "h0", "c0"};
  for (const auto& [name, p] : lstm.named_parameters()) {
    inputs.push_back(p);
    names.push_back(name);
  }
  REQUIRE(inputs.size() == 3 + 16);
  for (const bool with_lengths : {false, true}) {
    INFO("lengths " << with_lengths);
    const Tensor lengths = with_lengths ? tensor(std::vector<std::int64_t>{3, 1}, {2}) : Tensor();
    const auto f = [&] {
      nn::LSTMOutput r = lstm.forward(x, std::make_tuple(h0, c0), lengths);
      return std::vector<Tensor>{r.output, r.h_n, r.c_n};
    };
    gradcheck(f, inputs, names);
  }
}

// ---- the tape -----------------------------------------------------------------------------------

TEST_CASE("the tape holds exactly one lstm node per layer and direction", "[nn]") {
  manual_seed(1);
  for (const bool bidirectional : {false, true}) {
    nn::LSTM lstm(nn::LSTMOptions(4, 6).num_layers(3).bidirectional(bidirectional).batch_first(true));
    Tensor x = randn({2, 5, 4}).requires_grad_();
    const nn::LSTMOutput out = lstm.forward(x);
    const Tensor loss = sum(out.output) + sum(out.h_n) + sum(out.c_n);
    const std::string tape = autograd::print_tape(loss);
    INFO(tape);
    std::size_t lstm_nodes = 0;
    std::istringstream lines(tape);
    for (std::string line; std::getline(lines, line);) {
      std::istringstream words(line);
      std::string seq, op;
      words >> seq >> op;
      if (op == "lstm") ++lstm_nodes;
    }
    CHECK(lstm_nodes == (bidirectional ? 6u : 3u));
  }
  nn::LSTM single(nn::LSTMOptions(4, 6));
  const nn::LSTMOutput out = single.forward(randn({5, 2, 4}));
  CHECK(out.output.grad_fn_name() == "lstm");  // no copy or reshape after the fused node
}

TEST_CASE("lstm_layer accepts an undefined gradient for any of its outputs", "[nn]") {
  manual_seed(2);
  Tensor x = randn({4, 3, 2}, kFloat64).requires_grad_();
  Tensor w_ih = randn({8, 2}, kFloat64).requires_grad_(), w_hh = randn({8, 2}, kFloat64).requires_grad_();
  // Only h_n is used: output and c_n get undefined gradients, which mean zero.
  LSTMLayerOutput r = lstm_layer(x, Tensor(), Tensor(), w_ih, w_hh, Tensor(), Tensor());
  sum(r.h_n * 3.0).backward();
  const Tensor only_h = kernels::clone(x.grad()), only_h_w = kernels::clone(w_hh.grad());
  x.set_grad(Tensor());
  w_hh.set_grad(Tensor());
  r = lstm_layer(x, Tensor(), Tensor(), w_ih, w_hh, Tensor(), Tensor());
  autograd::backward({r.output, r.h_n, r.c_n}, {zeros({4, 3, 2}, kFloat64), full({3, 2}, 3.0, kFloat64),
                                                 zeros({3, 2}, kFloat64)});
  testing::require_close(only_h, x.grad(), 1e-12, 1e-14);
  testing::require_close(only_h_w, w_hh.grad(), 1e-12, 1e-14);
}

TEST_CASE("LSTM under no_grad records nothing and computes the same values", "[nn]") {
  manual_seed(3);
  nn::LSTM lstm(nn::LSTMOptions(4, 6).num_layers(2).bidirectional(true));
  const Tensor x = randn({5, 3, 4}), lengths = tensor(std::vector<std::int64_t>{5, 2, 4}, {3});
  const nn::LSTMOutput with_grad = lstm.forward(x, std::nullopt, lengths);
  NoGradGuard no_grad;
  const nn::LSTMOutput without = lstm.forward(x, std::nullopt, lengths);
  CHECK(without.output.grad_fn_name().empty());
  CHECK_FALSE(without.h_n.requires_grad());
  testing::require_equal(without.output, with_grad.output);
  testing::require_equal(without.h_n, with_grad.h_n);
  testing::require_equal(without.c_n, with_grad.c_n);
}

TEST_CASE("changing a weight in place between forward and backward is an error", "[nn]") {
  manual_seed(4);
  nn::LSTM lstm(nn::LSTMOptions(3, 4));
  const nn::LSTMOutput out = lstm.forward(randn({2, 2, 3}));
  {
    NoGradGuard no_grad;
    lstm.named_parameters()[1].second.add_(ones({16, 4}));  // weight_hh_l0
  }
  REQUIRE_THROWS_WITH(sum(out.output).backward(), Contains("modified by an inplace operation"));
}

TEST_CASE("backward with retain_graph runs twice and accumulates", "[nn]") {
  manual_seed(5);
  nn::LSTM lstm(nn::LSTMOptions(3, 4).bidirectional(true));
  Tensor x = randn({3, 2, 3}).requires_grad_();
  const nn::LSTMOutput out = lstm.forward(x, std::nullopt, tensor(std::vector<std::int64_t>{3, 1}, {2}));
  const Tensor loss = sum(out.output) + sum(out.c_n);
  loss.backward(Tensor(), /*retain_graph=*/true);
  const Tensor once = kernels::clone(x.grad());
  loss.backward();
  testing::require_close(x.grad(), kernels::mul(once, full({}, 2.0)), 1e-6, 1e-7);
}

// ---- lengths and last_valid_step --------------------------------------------------------------

TEST_CASE("with lengths, each sequence gives what it gives alone, and padded outputs are 0", "[nn]") {
  manual_seed(6);
  nn::LSTM lstm(nn::LSTMOptions(3, 4).num_layers(2).bidirectional(true).batch_first(true));
  const Tensor x = randn({3, 5, 3});
  const std::vector<std::int64_t> lens{5, 2, 4};
  const nn::LSTMOutput out = lstm.forward(x, std::nullopt, tensor(lens, {3}));
  for (std::int64_t b = 0; b < 3; ++b) {
    INFO("sequence " << b);
    const Tensor alone_x = kernels::unsqueeze(kernels::narrow(kernels::select(x, 0, b), 0, 0, lens[b]), 0);
    const nn::LSTMOutput alone = lstm.forward(alone_x);
    const Tensor valid = kernels::narrow(kernels::select(out.output, 0, b), 0, 0, lens[b]);
    testing::require_close(valid, kernels::select(alone.output, 0, 0), 1e-6, 1e-7);
    testing::require_close(kernels::select(out.h_n, 1, b), kernels::select(alone.h_n, 1, 0), 1e-6, 1e-7);
    testing::require_close(kernels::select(out.c_n, 1, b), kernels::select(alone.c_n, 1, 0), 1e-6, 1e-7);
    if (lens[b] < 5) {
      const Tensor padded = kernels::narrow(kernels::select(out.output, 0, b), 0, lens[b], 5 - lens[b]);
      testing::require_equal(padded, zeros(padded.shape()));
    }
  }
}

TEST_CASE("last_valid_step gathers the last real step: h_n of the last layer", "[nn]") {
  manual_seed(9);
  const Tensor lengths = tensor(std::vector<std::int64_t>{2, 5, 3}, {3});
  for (const bool batch_first : {false, true}) {
    for (const bool bidirectional : {false, true}) {
      INFO("batch_first " << batch_first << ", bidirectional " << bidirectional);
      nn::LSTM lstm(nn::LSTMOptions(3, 4).num_layers(2).bidirectional(bidirectional).batch_first(batch_first));
      Tensor x = randn(batch_first ? Shape{3, 5, 3} : Shape{5, 3, 3}).requires_grad_();
      const nn::LSTMOutput out = lstm.forward(x, std::nullopt, lengths);
      const Tensor last = nn::last_valid_step(out.output, lengths, batch_first, bidirectional);
      const std::int64_t L = out.h_n.size(0);
      const Tensor expected = bidirectional
                                  ? kernels::cat({kernels::select(out.h_n, 0, L - 2), kernels::select(out.h_n, 0, L - 1)}, 1)
                                  : kernels::select(out.h_n, 0, L - 1);
      testing::require_equal(last, expected);
      sum(last).backward();  // differentiable back to the input
      CHECK(x.grad().defined());
    }
  }
  // Without lengths in the LSTM, the unidirectional gather still reads step lengths[b] - 1.
  const Tensor output = arange(0.0, 24.0, 1.0, kFloat32);
  const Tensor o = kernels::view(output, {4, 3, 2});  // [seq, batch, F]
  const Tensor last = nn::last_valid_step(o, tensor(std::vector<std::int64_t>{1, 4, 2}, {3}), false);
  CHECK(last.to_vector<float>() == std::vector<float>{0, 1, 20, 21, 10, 11});
}

TEST_CASE("last_valid_step rejects bad arguments", "[nn]") {
  const Tensor o = zeros({4, 3, 2});
  REQUIRE_THROWS_WITH(nn::last_valid_step(zeros({4, 3}), tensor(std::vector<std::int64_t>{1, 1, 1}, {3}), false),
                      Contains("last_valid_step: output has shape [4, 3]; expected [seq, batch, features]"));
  REQUIRE_THROWS_WITH(nn::last_valid_step(o, tensor(std::vector<std::int64_t>{1, 1}, {2}), false),
                      Contains("lengths is int64 [2]; expected an int64 tensor of shape [3]"));
  REQUIRE_THROWS_AS(nn::last_valid_step(o, zeros({3}), false), TypeError);
  REQUIRE_THROWS_WITH(nn::last_valid_step(o, zeros({3}), false),
                      Contains("lengths is float32 [3]; expected an int64 tensor of shape [3]"));
  REQUIRE_THROWS_WITH(nn::last_valid_step(o, tensor(std::vector<std::int64_t>{1, 5, 1}, {3}), false),
                      Contains("lengths[1] = 5 is out of range; expected 1 <= length <= 4"));
  REQUIRE_THROWS_WITH(nn::last_valid_step(zeros({4, 3, 3}), tensor(std::vector<std::int64_t>{1, 1, 1}, {3}), false, true),
                      Contains("3 features cannot be split into two directions"));
}

// ---- errors: messages, and nothing changed by a failed call -----------------------------------

TEST_CASE("LSTM rejects bad options with PyTorch's checks", "[nn]") {
  REQUIRE_THROWS_WITH(nn::LSTM(nn::LSTMOptions(4, 6).dropout(1.5)),
                      Contains("LSTM: dropout = 1.5; expected a number in range [0, 1] representing the probability "
                               "of an element being zeroed"));
  REQUIRE_THROWS_WITH(nn::LSTM(nn::LSTMOptions(4, 6).dropout(-0.1)), Contains("dropout = -0.1"));
  REQUIRE_THROWS_WITH(nn::LSTM(nn::LSTMOptions(4, 6).num_layers(0)),
                      Contains("LSTM: num_layers = 0; expected num_layers >= 1"));
  REQUIRE_THROWS_WITH(nn::LSTM(nn::LSTMOptions(4, 0)), Contains("LSTM: hidden_size = 0; expected hidden_size > 0"));
  REQUIRE_THROWS_WITH(nn::LSTM(nn::LSTMOptions(-1, 6)), Contains("LSTM: input_size = -1; expected input_size > 0"));
  REQUIRE_THROWS_AS(nn::LSTM(nn::LSTMOptions(4, 6).dropout(2)), ValueError);
  // PyTorch only warns about dropout on a single layer: legal, no effect.
  CHECK_NOTHROW(nn::LSTM(nn::LSTMOptions(4, 6).dropout(0.5)));
}

TEST_CASE("LSTM forward errors name the module, the expected and the received shape; nothing changes",
          "[nn]") {
  manual_seed(10);
  nn::LSTM lstm(nn::LSTMOptions(64, 8).batch_first(true).num_layers(2));
  std::vector<Tensor> before;
  for (const Tensor& p : lstm.parameters()) before.push_back(kernels::clone(p));
  Tensor x = randn({32, 10, 64}).requires_grad_();
  const Tensor x_before = kernels::clone(x);
  const auto unchanged = [&] {
    const std::vector<Tensor> now = lstm.parameters();
    for (std::size_t k = 0; k < now.size(); ++k) {
      testing::require_equal(now[k], before[k]);
      CHECK_FALSE(now[k].grad().defined());
    }
    testing::require_equal(x, x_before);
    CHECK_FALSE(x.grad().defined());
  };
  const auto state = [](Shape h, Shape c) { return std::make_optional(std::make_tuple(zeros(h), zeros(c))); };

  REQUIRE_THROWS_WITH(lstm.forward(randn({32, 10, 32})),
                      Contains("LSTM: expected input of shape [batch, seq, 64] (batch_first), got [32, 10, 32]"));
  REQUIRE_THROWS_WITH(lstm.forward(randn({10, 64})),
                      Contains("LSTM: expected input of shape [batch, seq, 64] (batch_first), got [10, 64]"));
  REQUIRE_THROWS_AS(lstm.forward(randn({10, 64})), ShapeError);
  REQUIRE_THROWS_WITH(lstm.forward(zeros({32, 0, 64})),
                      Contains("LSTM: expected a sequence length larger than 0, got input of shape [32, 0, 64]"));
  REQUIRE_THROWS_WITH(lstm.forward(randn({32, 10, 64}, kFloat64)),
                      Contains("LSTM: input has dtype float64; expected float32 like the parameters"));
  REQUIRE_THROWS_WITH(lstm.forward(x, state({1, 32, 8}, {2, 32, 8})),
                      Contains("LSTM: expected h0 of shape [2, 32, 8] ([num_layers * num_directions, batch, "
                               "hidden_size]), got [1, 32, 8]"));
  REQUIRE_THROWS_WITH(lstm.forward(x, state({2, 32, 8}, {2, 31, 8})),
                      Contains("LSTM: expected c0 of shape [2, 32, 8]"));
  REQUIRE_THROWS_WITH(lstm.forward(x, std::make_tuple(Tensor(), zeros({2, 32, 8}))),
                      Contains("LSTM: expected h0 of shape [2, 32, 8] ([num_layers * num_directions, batch, "
                               "hidden_size]), got an undefined tensor"));
  REQUIRE_THROWS_AS(lstm.forward(x, std::nullopt, zeros({32})), TypeError);
  REQUIRE_THROWS_WITH(lstm.forward(x, std::nullopt, zeros({32})),
                      Contains("LSTM: expected lengths as an int64 tensor of shape [32], got float32 [32]"));
  std::vector<std::int64_t> lens(32, 10);
  lens[7] = 0;
  REQUIRE_THROWS_WITH(lstm.forward(x, std::nullopt, tensor(lens, {32})),
                      Contains("LSTM: lengths[7] = 0 is out of range; expected 1 <= length <= 10 (the sequence length)"));
  lens[7] = 11;
  REQUIRE_THROWS_WITH(lstm.forward(x, std::nullopt, tensor(lens, {32})), Contains("lengths[7] = 11 is out of range"));
  unchanged();

  nn::LSTM time_major(nn::LSTMOptions(3, 4));
  REQUIRE_THROWS_WITH(time_major.forward(randn({5, 2, 4})),
                      Contains("LSTM: expected input of shape [seq, batch, 3], got [5, 2, 4]"));
}

TEST_CASE("lstm_layer validates its arguments before computing anything", "[nn]") {
  const Tensor x = randn({5, 2, 3}), w_ih = randn({16, 3}), w_hh = randn({16, 4}), b = randn({16});
  REQUIRE_THROWS_WITH(lstm_layer(x, Tensor(), Tensor(), w_ih, randn({16, 5}), b, b),
                      Contains("lstm: w_hh has shape [16, 5]; expected [4H, H]"));
  REQUIRE_THROWS_WITH(lstm_layer(x, Tensor(), Tensor(), randn({16, 2}), w_hh, b, b),
                      Contains("lstm: x has shape [5, 2, 3]; expected [T, B, 2]"));
  REQUIRE_THROWS_WITH(lstm_layer(x, Tensor(), Tensor(), w_ih, w_hh, b, Tensor()),
                      Contains("lstm: only one of b_ih and b_hh is defined; expected both or neither"));
  REQUIRE_THROWS_WITH(lstm_layer(x, zeros({3, 4}), Tensor(), w_ih, w_hh, b, b),
                      Contains("lstm: an initial state has shape [3, 4]; expected [2, 4]"));
  REQUIRE_THROWS_WITH(lstm_layer(x, Tensor(), Tensor(), w_ih, w_hh, b, b, tensor(std::vector<std::int64_t>{6, 1}, {2})),
                      Contains("lstm: lengths[0] = 6 is out of range; expected 1 <= length <= 5"));
  REQUIRE_THROWS_WITH(lstm_layer(x, Tensor(), Tensor(), kernels::to(w_ih, kFloat64), w_hh, b, b),
                      Contains("lstm: a state or parameter has dtype float64; expected float32 like x"));
}

// ---- parameters, init, printing, dropout --------------------------------------------------------

TEST_CASE("LSTM parameters: PyTorch's names, shapes, order and U(-1/sqrt(H), 1/sqrt(H)) init", "[nn]") {
  manual_seed(11);
  nn::LSTM lstm(nn::LSTMOptions(3, 4).num_layers(2).bidirectional(true));
  const nn::NamedTensors params = lstm.named_parameters();
  std::vector<std::string> names;
  for (const auto& [name, p] : params) names.push_back(name);
  const std::vector<std::string> expected_names{
      "weight_ih_l0",         "weight_hh_l0",         "bias_ih_l0",         "bias_hh_l0",
      "weight_ih_l0_reverse", "weight_hh_l0_reverse", "bias_ih_l0_reverse", "bias_hh_l0_reverse",
      "weight_ih_l1",         "weight_hh_l1",         "bias_ih_l1",         "bias_hh_l1",
      "weight_ih_l1_reverse", "weight_hh_l1_reverse", "bias_ih_l1_reverse", "bias_hh_l1_reverse"};
  CHECK(names == expected_names);
  CHECK(params[0].second.shape() == Shape{16, 3});
  CHECK(params[8].second.shape() == Shape{16, 8});  // layer 1 reads both directions
  CHECK(params[9].second.shape() == Shape{16, 4});
  CHECK(params[10].second.shape() == Shape{16});
  CHECK(lstm.num_parameters() == 2 * (16 * 3 + 16 * 4 + 32) + 2 * (16 * 8 + 16 * 4 + 32));

  // Drawn in registration order from the default generator, like successive uniform_ calls.
  manual_seed(11);
  for (const auto& [name, p] : params) {
    INFO(name);
    const Tensor redrawn = empty(p.shape()).uniform_(-0.5, 0.5);  // 1/sqrt(4)
    testing::require_equal(p, redrawn);
    CHECK(p.requires_grad());
  }

  nn::LSTM no_bias(nn::LSTMOptions(3, 4).bias(false));
  CHECK(no_bias.named_parameters().size() == 2);
}

TEST_CASE("LSTM prints like PyTorch: only the options that differ from the defaults", "[nn]") {
  CHECK(nn::to_string(nn::LSTM(nn::LSTMOptions(64, 128).batch_first(true))) == "LSTM(64, 128, batch_first=True)");
  CHECK(nn::to_string(nn::LSTM(nn::LSTMOptions(64, 128))) == "LSTM(64, 128)");
  CHECK(nn::to_string(nn::LSTM(
            nn::LSTMOptions(3, 4).num_layers(2).bias(false).batch_first(true).dropout(0.1).bidirectional(true))) ==
        "LSTM(3, 4, num_layers=2, bias=False, batch_first=True, dropout=0.1, bidirectional=True)");
  CHECK(nn::LSTM(nn::LSTMOptions(3, 4).num_layers(2).dropout(1.0)).extra_repr() == "3, 4, num_layers=2, dropout=1.0");
}

TEST_CASE("inter-layer dropout: training only, never on h_n/c_n of a layer or the last output", "[nn]") {
  manual_seed(12);
  nn::LSTM lstm(nn::LSTMOptions(3, 6).num_layers(2).dropout(0.5));
  nn::LSTM first(nn::LSTMOptions(3, 6));  // layer 0 alone, same weights
  const nn::NamedTensors params = lstm.named_parameters();
  first.load_state_dict(nn::NamedTensors(params.begin(), params.begin() + 4));
  const Tensor x = randn({5, 4, 3});

  lstm.train();
  const nn::LSTMOutput a = lstm.forward(x), b = lstm.forward(x);
  CHECK(a.output.to_vector<float>() != b.output.to_vector<float>());  // fresh masks each call
  const nn::LSTMOutput alone = first.forward(x);
  testing::require_equal(kernels::select(a.h_n, 0, 0), kernels::select(alone.h_n, 0, 0));
  testing::require_equal(kernels::select(a.c_n, 0, 0), kernels::select(alone.c_n, 0, 0));

  lstm.eval();
  const nn::LSTMOutput c = lstm.forward(x), d = lstm.forward(x);
  testing::require_equal(c.output, d.output);

  // p = 1 zeroes layer 1's input: its output is what zero input gives.
  manual_seed(13);
  nn::LSTM all_dropped(nn::LSTMOptions(3, 6).num_layers(2).dropout(1.0));
  nn::LSTM second(nn::LSTMOptions(6, 6));
  const nn::NamedTensors p2 = all_dropped.named_parameters();
  second.load_state_dict(nn::NamedTensors{{"weight_ih_l0", p2[4].second}, {"weight_hh_l0", p2[5].second},
                                          {"bias_ih_l0", p2[6].second}, {"bias_hh_l0", p2[7].second}});
  testing::require_close(all_dropped.forward(x).output, second.forward(zeros({5, 4, 6})).output, 1e-6, 1e-7);
}

// ---- the cell loops: every build against the double one --------------------------------------

TEST_CASE("LSTM cell loops: the baseline, AVX2+FMA and AVX-512 float builds match the double build", "[nn]") {
  manual_seed(14);
  const std::int64_t H = 37;  // not a multiple of the vector width: the loop tails run too
  const auto values = [](std::int64_t n, double scale) {
    return kernels::mul(randn({n}, kFloat64), full({}, scale, kFloat64)).to_vector<double>();
  };
  const std::vector<double> gates = values(4 * H, 4.0), bias = values(4 * H, 1.0), c_prev = values(H, 2.0),
                            dy = values(H, 1.0), dh_in = values(H, 1.0), dc_in = values(H, 1.0);

  // Reference: the double build.
  const auto& ref = lstm_cell::compiled_kernels<double>;
  std::vector<double> g64 = gates, c64(H), tc64(H), h64(H);
  ref.forward(H, g64.data(), bias.data(), c_prev.data(), c64.data(), tc64.data(), h64.data());
  std::vector<double> dh64 = dh_in, dc64 = dc_in, dg64(4 * H);
  ref.backward(H, g64.data(), c_prev.data(), tc64.data(), dy.data(), dh64.data(), dc64.data(), dg64.data());

  std::vector<std::pair<std::string, const lstm_cell::Kernels<float>*>> builds{
      {"baseline", &lstm_cell::compiled_kernels<float>}};
#if defined(__x86_64__)
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
    builds.emplace_back("avx2+fma", &lstm_cell::avx2_float_kernels());
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq"))
    builds.emplace_back("avx512", &lstm_cell::avx512_float_kernels());
#endif
  const auto to_f = [](const std::vector<double>& v) { return std::vector<float>(v.begin(), v.end()); };
  const auto close = [](const std::vector<float>& a, const std::vector<double>& e, const char* what) {
    for (std::size_t k = 0; k < e.size(); ++k) {
      INFO(what << "[" << k << "]: " << a[k] << " vs " << e[k]);
      REQUIRE(std::abs(a[k] - e[k]) <= 2e-6 * (1.0 + std::abs(e[k])));  // float32 rounding of O(1) values
    }
  };
  for (const auto& [name, cell] : builds) {
    INFO("build " << name);
    std::vector<float> g = to_f(gates), b = to_f(bias), cp = to_f(c_prev), c(H), tc(H), h(H);
    cell->forward(H, g.data(), b.data(), cp.data(), c.data(), tc.data(), h.data());
    close(g, g64, "activations");
    close(c, c64, "c");
    close(h, h64, "h");
    // Backward from the double build's saved values, so only the backward loop is compared.
    std::vector<float> dh = to_f(dh_in), dc = to_f(dc_in), dg(4 * H), dyf = to_f(dy);
    cell->backward(H, to_f(g64).data(), cp.data(), to_f(tc64).data(), dyf.data(), dh.data(), dc.data(), dg.data());
    close(dg, dg64, "dgates");
    close(dc, dc64, "dc_prev");
    close(dh, std::vector<double>(H, 0.0), "dh");
  }
}
