// nn::LSTM and the fused lstm_layer op: golden parity with torch.nn.LSTM (incl. packed
// sequences), float64 gradchecks, error messages, the one-node-per-layer tape, and options.
#include <catch2/catch.hpp>

#include "golden.h"
#include "testing.h"

#include "autograd/engine.h"
#include "autograd/grad_mode.h"
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

// Golden tolerance, float32: 1e-5 relative. The absolute 1e-6 only covers values near zero,
// where relative error is meaningless (float32 epsilon is 1.2e-7).
constexpr double kRtol = 1e-5, kAtol = 1e-6;

Tensor loss_of(const nn::LSTMOutput& out, const Tensor& w_output, const Tensor& w_h, const Tensor& w_c) {
  return sum(out.output * w_output) + sum(out.h_n * w_h) + sum(out.c_n * w_c);
}

std::shared_ptr<nn::LSTM> lstm_from_case(const nlohmann::json& c) {
  const auto& o = c.at("options");
  auto lstm = std::make_shared<nn::LSTM>(nn::LSTMOptions(o.at("input_size"), o.at("hidden_size"))
                                             .num_layers(o.at("num_layers"))
                                             .bias(o.at("bias"))
                                             .batch_first(o.at("batch_first"))
                                             .bidirectional(o.at("bidirectional")));
  nn::NamedTensors state;
  for (const auto& [name, t] : c.at("params").items()) state.emplace_back(name, testing::tensor_from_json(t));
  lstm->load_state_dict(state);
  lstm->eval();
  return lstm;
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

void make_float64(nn::LSTM& lstm) {
  for (auto& [name, p] : lstm.named_parameters(false)) lstm.replace_parameter(name, kernels::to(p, kFloat64).requires_grad_());
}

}  // namespace

// ---- golden parity with torch.nn.LSTM ---------------------------------------------------------

TEST_CASE("LSTM matches PyTorch: output, h_n, c_n and every gradient (golden, 1e-5 relative)", "[nn]") {
  const nlohmann::json doc = testing::load_golden("lstm");
  REQUIRE(doc.at("cases").size() >= 14);
  for (const auto& c : doc.at("cases")) {
    INFO("case: " << c.at("name").get<std::string>());
    auto lstm = lstm_from_case(c);
    Tensor x = testing::tensor_from_json(c.at("input")).requires_grad_();
    std::optional<std::tuple<Tensor, Tensor>> hx;
    Tensor h0, c0, lengths;
    if (c.contains("h0")) {
      h0 = testing::tensor_from_json(c.at("h0")).requires_grad_();
      c0 = testing::tensor_from_json(c.at("c0")).requires_grad_();
      hx = std::make_tuple(h0, c0);
    }
    if (c.contains("lengths")) lengths = testing::tensor_from_json(c.at("lengths"));

    const nn::LSTMOutput out = lstm->forward(x, hx, lengths);
    const auto& expected = c.at("expected");
    testing::require_close(out.output, testing::tensor_from_json(expected.at("output")), kRtol, kAtol);
    testing::require_close(out.h_n, testing::tensor_from_json(expected.at("h_n")), kRtol, kAtol);
    testing::require_close(out.c_n, testing::tensor_from_json(expected.at("c_n")), kRtol, kAtol);

    const auto& w = c.at("loss_weights");
    loss_of(out, testing::tensor_from_json(w.at("output")), testing::tensor_from_json(w.at("h_n")),
            testing::tensor_from_json(w.at("c_n")))
        .backward();
    const auto& grads = c.at("grads");
    testing::require_close(x.grad(), testing::tensor_from_json(grads.at("input")), kRtol, kAtol);
    if (h0.defined()) {
      testing::require_close(h0.grad(), testing::tensor_from_json(grads.at("h0")), kRtol, kAtol);
      testing::require_close(c0.grad(), testing::tensor_from_json(grads.at("c0")), kRtol, kAtol);
    }
    std::size_t checked = 0;
    for (const auto& [name, p] : lstm->named_parameters()) {
      INFO("parameter " << name);
      testing::require_close(p.grad(), testing::tensor_from_json(grads.at(name)), kRtol, kAtol);
      ++checked;
    }
    CHECK(checked == c.at("params").size());
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
