// Learning-rate schedulers: golden lr sequences from PyTorch (two parameter groups), and errors.
#include "optim_testing.h"

#include "optim/lr_scheduler.h"

#include <cmath>
#include <map>

using namespace ember;
using Catch::Contains;
using nlohmann::json;

namespace {

// The same table as LAMBDAS in scripts/golden/optim.py.
optim::LambdaLR::Lambda lambda_named(const std::string& name) {
  if (name == "pow0.95") return [](std::int64_t e) { return std::pow(0.95, double(e)); };
  if (name == "inverse") return [](std::int64_t e) { return 1.0 / double(e + 1); };
  if (name == "warmup3") return [](std::int64_t e) { return std::min(1.0, double(e + 1) / 3.0); };
  FAIL("unknown lambda " << name);
  return {};
}

std::unique_ptr<optim::LRScheduler> make_scheduler(const std::string& kind, const json& o, optim::Optimizer& opt) {
  if (kind == "StepLR")
    return std::make_unique<optim::StepLR>(opt, optim::StepLROptions(o.at("step_size")).gamma(o.value("gamma", 0.1)));
  if (kind == "MultiStepLR")
    return std::make_unique<optim::MultiStepLR>(
        opt, optim::MultiStepLROptions(o.at("milestones").get<std::vector<std::int64_t>>()).gamma(o.value("gamma", 0.1)));
  if (kind == "ExponentialLR")
    return std::make_unique<optim::ExponentialLR>(opt, optim::ExponentialLROptions(o.at("gamma")));
  if (kind == "CosineAnnealingLR")
    return std::make_unique<optim::CosineAnnealingLR>(
        opt, optim::CosineAnnealingLROptions(o.at("T_max")).eta_min(o.value("eta_min", 0.0)));
  if (kind == "LambdaLR") {
    std::vector<optim::LambdaLR::Lambda> lambdas;
    for (const auto& name : o.at("lr_lambda")) lambdas.push_back(lambda_named(name));
    return std::make_unique<optim::LambdaLR>(opt, lambdas);
  }
  FAIL("unknown scheduler " << kind);
  return nullptr;
}

// SGD with two groups at the given lrs, as the golden script builds it.
struct TwoGroups {
  Tensor a = zeros({1}).requires_grad_();
  Tensor b = zeros({1}).requires_grad_();
  optim::SGD sgd;
  explicit TwoGroups(const json& lrs)
      : sgd({optim::ParamGroup({a}, optim::SGDOptions(lrs[0])), optim::ParamGroup({b}, optim::SGDOptions(lrs[1]))},
            optim::SGDOptions(1.0)) {}
  void require_lrs(const json& expected, const std::vector<double>& last_lr) {
    for (std::size_t g = 0; g < 2; ++g) {
      // The recursive formulas are evaluated in the same double arithmetic as PyTorch's.
      REQUIRE(sgd.lr(g) == Approx(expected[g].get<double>()).epsilon(1e-12).margin(1e-15));
      REQUIRE(last_lr[g] == sgd.lr(g));
    }
  }
};

}  // namespace

TEST_CASE("StepLR, MultiStepLR, ExponentialLR, CosineAnnealingLR and LambdaLR match PyTorch", "[optim]") {
  const auto doc = ember::testing::load_golden("optim");
  const auto& cases = doc.at("cases").at("schedulers");
  REQUIRE(cases.size() >= 8);
  for (const auto& c : cases) {
    TwoGroups model(c.at("lrs"));
    auto scheduler = make_scheduler(c.at("scheduler"), c.at("options"), model.sgd);
    for (std::size_t epoch = 0; epoch < c.at("expected").size(); ++epoch) {
      INFO(c.at("name").get<std::string>() << ", epoch " << epoch);
      if (epoch > 0) scheduler->step();
      REQUIRE(scheduler->last_epoch() == std::int64_t(epoch));
      model.require_lrs(c.at("expected")[epoch], scheduler->get_last_lr());
    }
  }
}

TEST_CASE("ReduceLROnPlateau matches PyTorch", "[optim]") {
  const auto doc = ember::testing::load_golden("optim");
  const auto& cases = doc.at("cases").at("plateau");
  REQUIRE(cases.size() >= 4);
  for (const auto& c : cases) {
    TwoGroups model(c.at("lrs"));
    const json& o = c.at("options");
    auto options = optim::ReduceLROnPlateauOptions()
                       .mode(o.value("mode", "min"))
                       .factor(o.value("factor", 0.1))
                       .patience(o.value("patience", 10))
                       .threshold(o.value("threshold", 1e-4))
                       .threshold_mode(o.value("threshold_mode", "rel"))
                       .cooldown(o.value("cooldown", 0))
                       .eps(o.value("eps", 1e-8));
    if (o.contains("min_lr")) options.min_lr(o.at("min_lr").get<std::vector<double>>());
    optim::ReduceLROnPlateau scheduler(model.sgd, options);
    for (std::size_t epoch = 0; epoch < c.at("metrics").size(); ++epoch) {
      INFO(c.at("name").get<std::string>() << ", epoch " << epoch + 1);
      scheduler.step(c.at("metrics")[epoch].get<double>());
      model.require_lrs(c.at("expected")[epoch], scheduler.get_last_lr());
    }
  }
}

TEST_CASE("Schedulers validate their options", "[optim]") {
  Tensor p = zeros({1}).requires_grad_();
  optim::SGD sgd({p}, optim::SGDOptions(0.1));
  REQUIRE_THROWS_WITH(optim::StepLR(sgd, optim::StepLROptions(0)), Contains("step_size 0 is invalid; expected step_size >= 1"));
  REQUIRE_THROWS_WITH(optim::StepLR(sgd, optim::StepLROptions(2).gamma(-0.5)), Contains("gamma -0.5 is invalid"));
  REQUIRE_THROWS_WITH(optim::ExponentialLR(sgd, optim::ExponentialLROptions(-1)), Contains("gamma -1.0 is invalid"));
  REQUIRE_THROWS_WITH(optim::CosineAnnealingLR(sgd, optim::CosineAnnealingLROptions(0)), Contains("T_max 0 is invalid"));
  REQUIRE_THROWS_WITH(optim::LambdaLR(sgd, std::vector<optim::LambdaLR::Lambda>{}), Contains("Expected 1 lr_lambdas, but got 0"));
  REQUIRE_THROWS_WITH(optim::ReduceLROnPlateau(sgd, optim::ReduceLROnPlateauOptions().factor(1.0)),
                      Contains("Factor should be < 1.0."));
  REQUIRE_THROWS_WITH(optim::ReduceLROnPlateau(sgd, optim::ReduceLROnPlateauOptions().mode("lowest")),
                      Contains("mode lowest is unknown!"));
  REQUIRE_THROWS_WITH(optim::ReduceLROnPlateau(sgd, optim::ReduceLROnPlateauOptions().threshold_mode("pct")),
                      Contains("threshold mode pct is unknown!"));
  REQUIRE_THROWS_WITH(optim::ReduceLROnPlateau(sgd, optim::ReduceLROnPlateauOptions().min_lr({0.1, 0.2})),
                      Contains("expected 1 min_lrs, got 2"));
  REQUIRE(sgd.lr(0) == 0.1);  // no failed construction touched the optimizer
}

TEST_CASE("A scheduler step that would set a negative lr throws and changes nothing", "[optim]") {
  Tensor p = zeros({1}).requires_grad_();
  optim::SGD sgd({p}, optim::SGDOptions(0.1));
  optim::LambdaLR scheduler(sgd, [](std::int64_t e) { return e < 2 ? 1.0 : -1.0; });
  scheduler.step();
  REQUIRE_THROWS_WITH(scheduler.step(), Contains("LambdaLR: computed learning rate -0.1 for parameter group 0 at epoch 2"));
  REQUIRE(sgd.lr(0) == 0.1);
  REQUIRE(scheduler.last_epoch() == 1);
}
