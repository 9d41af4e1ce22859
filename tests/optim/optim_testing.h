// Helpers shared by the optim tests: building optimizers from the golden file's option dicts,
// setting golden gradients, and replaying a golden trajectory.
#pragma once

#include "core/kernels.h"
#include "core/sparse.h"
#include "golden.h"
#include "optim/adagrad.h"
#include "optim/adam.h"
#include "optim/sgd.h"
#include "optim/sparse_adam.h"
#include "testing.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <memory>
#include <string>
#include <vector>

namespace ember::testing {

inline std::unique_ptr<optim::Optimizer> make_optimizer(const std::string& kind, const nlohmann::json& o,
                                                        std::vector<Tensor> params) {
  auto betas = [&](optim::betas_t fallback) {
    return o.contains("betas") ? optim::betas_t{o["betas"][0].get<double>(), o["betas"][1].get<double>()} : fallback;
  };
  if (kind == "SGD")
    return std::make_unique<optim::SGD>(params, optim::SGDOptions(o.at("lr").get<double>())
                                                    .momentum(o.value("momentum", 0.0))
                                                    .dampening(o.value("dampening", 0.0))
                                                    .weight_decay(o.value("weight_decay", 0.0))
                                                    .nesterov(o.value("nesterov", false))
                                                    .maximize(o.value("maximize", false)));
  if (kind == "Adam") {
    optim::AdamOptions d;
    return std::make_unique<optim::Adam>(params, optim::AdamOptions(o.value("lr", 1e-3))
                                                     .betas(betas(d.betas()))
                                                     .eps(o.value("eps", d.eps()))
                                                     .weight_decay(o.value("weight_decay", d.weight_decay()))
                                                     .amsgrad(o.value("amsgrad", false))
                                                     .maximize(o.value("maximize", false)));
  }
  if (kind == "AdamW") {
    optim::AdamWOptions d;
    return std::make_unique<optim::AdamW>(params, optim::AdamWOptions(o.value("lr", 1e-3))
                                                      .betas(betas(d.betas()))
                                                      .eps(o.value("eps", d.eps()))
                                                      .weight_decay(o.value("weight_decay", d.weight_decay()))
                                                      .amsgrad(o.value("amsgrad", false))
                                                      .maximize(o.value("maximize", false)));
  }
  if (kind == "Adagrad") {
    optim::AdagradOptions d;
    return std::make_unique<optim::Adagrad>(
        params, optim::AdagradOptions(o.value("lr", 1e-2))
                    .lr_decay(o.value("lr_decay", 0.0))
                    .eps(o.value("eps", d.eps()))
                    .weight_decay(o.value("weight_decay", 0.0))
                    .initial_accumulator_value(o.value("initial_accumulator_value", 0.0))
                    .maximize(o.value("maximize", false)));
  }
  if (kind == "SparseAdam") {
    optim::SparseAdamOptions d;
    return std::make_unique<optim::SparseAdam>(params, optim::SparseAdamOptions(o.value("lr", 1e-3))
                                                           .betas(betas(d.betas()))
                                                           .eps(o.value("eps", d.eps()))
                                                           .maximize(o.value("maximize", false)));
  }
  FAIL("unknown optimizer " << kind);
  return nullptr;
}

// A golden gradient: null (no gradient), a dense tensor, or {"indices", "values"}.
inline void set_golden_grad(Tensor& p, const nlohmann::json& g) {
  if (g.is_null()) {
    p.set_grad(Tensor());
  } else if (g.contains("indices")) {
    p.set_sparse_grad(SparseTensor(tensor_from_json(g["indices"]), tensor_from_json(g["values"]), p.shape()));
  } else {
    p.set_grad(tensor_from_json(g));
  }
}

// 1e-6 relative as the issue asks (float64 parameters make PyTorch's and ember's rounding
// differences ~1e-15); float32 cases 1e-5. The absolute term only matters for values near 0.
inline void require_trajectory_close(const Tensor& actual, const nlohmann::json& expected) {
  const bool f32 = expected.at("dtype") == "float32";
  require_close(actual, tensor_from_json(expected), f32 ? 1e-5 : 1e-6, f32 ? 1e-6 : 1e-12);
}

inline std::vector<nlohmann::json> golden_optimizer_cases(const std::string& kind) {
  static const nlohmann::json doc = load_golden("optim");
  std::vector<nlohmann::json> out;
  for (const auto& c : doc.at("cases").at("optimizers"))
    if (c.at("optimizer") == kind) out.push_back(c);
  return out;
}

// Replays steps [begin, end) of a golden case on (p, optimizer), checking each step.
inline void replay(const nlohmann::json& c, Tensor& p, optim::Optimizer& optimizer, std::size_t begin,
                   std::size_t end) {
  for (std::size_t step = begin; step < end; ++step) {
    INFO(c.at("name").get<std::string>() << ", step " << step + 1);
    set_golden_grad(p, c.at("grads")[step]);
    optimizer.step();
    require_trajectory_close(p, c.at("expected")[step]);
  }
}

// Every golden case of one optimizer kind: 10 steps equal PyTorch's parameters.
inline void check_golden(const std::string& kind) {
  const auto cases = golden_optimizer_cases(kind);
  REQUIRE(!cases.empty());
  for (const auto& c : cases) {
    Tensor p = tensor_from_json(c.at("param"));
    p.requires_grad_(true);
    auto optimizer = make_optimizer(kind, c.at("options"), {p});
    replay(c, p, *optimizer, 0, c.at("grads").size());
  }
}

// Bitwise copy of a tensor, for "unchanged after a failed call" checks.
inline Tensor snapshot(const Tensor& t) { return kernels::clone(t); }

}  // namespace ember::testing
