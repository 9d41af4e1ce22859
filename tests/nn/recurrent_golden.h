// Golden parity of the recurrent modules with one state (GRU, RNN) against the cases written by
// scripts/golden/recurrent.py: output, h_n and the gradients of the input, h0 and every parameter.
#pragma once

#include "golden.h"
#include "testing.h"

#include "autograd/ops.h"
#include "core/kernels.h"
#include "nn/module.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <memory>

namespace ember::testing {

inline Tensor golden_as(const nlohmann::json& j, DType dtype) { return kernels::to(tensor_from_json(j), dtype); }

// Makes the module's parameters float64 leaves (the module is built in float32).
inline void make_float64(nn::Module& module) {
  for (auto& [name, p] : module.named_parameters(false))
    module.replace_parameter(name, kernels::to(p, kFloat64).requires_grad_());
}

// Tolerances as tests/nn/test_lstm.cpp: float32 1e-5 relative (gradients also 1e-5 of the
// tensor's largest magnitude, since PyTorch's float32 sums over T*B steps cancel), float64 1e-9.
// `module` is built from the case's options; `forward(input, h0, lengths)` returns (output, h_n).
template <typename M, typename Forward>
void check_recurrent_golden_case(const nlohmann::json& c, DType dtype, std::shared_ptr<M> module, Forward forward) {
  const bool f32 = dtype == kFloat32;
  const double rtol = f32 ? 1e-5 : 1e-9, atol = f32 ? 1e-6 : 1e-12;
  if (!f32) make_float64(*module);
  nn::NamedTensors state;
  for (const auto& [name, t] : c.at("params").items()) state.emplace_back(name, golden_as(t, dtype));
  module->load_state_dict(state);
  module->eval();
  Tensor x = golden_as(c.at("input"), dtype).requires_grad_();
  Tensor h0 = c.contains("h0") ? golden_as(c.at("h0"), dtype).requires_grad_() : Tensor();
  const Tensor lengths = c.contains("lengths") ? tensor_from_json(c.at("lengths")) : Tensor();

  const auto [output, h_n] = forward(*module, x, h0, lengths);
  const auto& expected = c.at(f32 ? "expected" : "expected_float64");
  require_close(output, golden_as(expected.at("output"), dtype), rtol, atol);
  require_close(h_n, golden_as(expected.at("h_n"), dtype), rtol, atol);

  const auto& w = c.at("loss_weights");
  (sum(output * golden_as(w.at("output"), dtype)) + sum(h_n * golden_as(w.at("h_n"), dtype))).backward();
  const auto& grads = c.at(f32 ? "grads" : "grads_float64");
  const auto check_grad = [&](const Tensor& actual, const nlohmann::json& j) {
    const Tensor e = golden_as(j, dtype);
    const double largest = kernels::max(kernels::abs(e)).item<double>();
    require_close(actual, e, rtol, std::max(atol, (f32 ? 1e-5 : 0.0) * largest));
  };
  check_grad(x.grad(), grads.at("input"));
  if (h0.defined()) check_grad(h0.grad(), grads.at("h0"));
  std::size_t checked = 0;
  for (const auto& [name, p] : module->named_parameters()) {
    INFO("parameter " << name);
    check_grad(p.grad(), grads.at(name));
    ++checked;
  }
  CHECK(checked == c.at("params").size());
}

// Every case of tests/data/golden/<topic>.json in `dtype`; make_module(options json) builds the
// module, forward(module, input, h0, lengths) returns (output, h_n).
template <typename MakeModule, typename Forward>
void check_recurrent_golden(const std::string& topic, std::size_t min_cases, DType dtype, MakeModule make_module,
                            Forward forward) {
  const nlohmann::json doc = load_golden(topic);
  REQUIRE(doc.at("cases").size() >= min_cases);
  for (const auto& c : doc.at("cases")) {
    INFO("case: " << c.at("name").get<std::string>() << ", " << dtype_name(dtype));
    check_recurrent_golden_case(c, dtype, make_module(c.at("options")), forward);
  }
}

}  // namespace ember::testing
