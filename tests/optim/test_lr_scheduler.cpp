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

// A golden plateau case's options, defaults as in PyTorch.
optim::ReduceLROnPlateauOptions plateau_options(const json& o) {
  auto options = optim::ReduceLROnPlateauOptions()
                     .mode(o.value("mode", "min"))
                     .factor(o.value("factor", 0.1))
                     .patience(o.value("patience", 10))
                     .threshold(o.value("threshold", 1e-4))
                     .threshold_mode(o.value("threshold_mode", "rel"))
                     .cooldown(o.value("cooldown", 0))
                     .eps(o.value("eps", 1e-8));
  if (o.contains("min_lr")) options.min_lr(o.at("min_lr").get<std::vector<double>>());
  return options;
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
    const auto options = plateau_options(c.at("options"));
    optim::ReduceLROnPlateau scheduler(model.sgd, options);
    for (std::size_t epoch = 0; epoch < c.at("metrics").size(); ++epoch) {
      INFO(c.at("name").get<std::string>() << ", epoch " << epoch + 1);
      scheduler.step(c.at("metrics")[epoch].get<double>());
      model.require_lrs(c.at("expected")[epoch], scheduler.get_last_lr());
    }
  }
}

TEST_CASE("A scheduler resumed from its state_dict continues PyTorch's sequence", "[optim]") {
  const auto doc = ember::testing::load_golden("optim");
  for (const auto& c : doc.at("cases").at("schedulers")) {
    const std::size_t epochs = c.at("expected").size(), stop = epochs / 2;
    TwoGroups first(c.at("lrs"));
    auto scheduler = make_scheduler(c.at("scheduler"), c.at("options"), first.sgd);
    for (std::size_t epoch = 1; epoch <= stop; ++epoch) scheduler->step();
    const std::string saved = scheduler->state_dict().to_json();
    const std::vector<double> saved_lrs = {first.sgd.lr(0), first.sgd.lr(1)};

    // A new run builds everything as before, then restores the optimizer's lrs (what the
    // optimizer's own checkpoint does) and the scheduler's state.
    TwoGroups resumed(c.at("lrs"));
    auto again = make_scheduler(c.at("scheduler"), c.at("options"), resumed.sgd);
    for (std::size_t g = 0; g < 2; ++g) resumed.sgd.set_lr(g, saved_lrs[g]);
    again->load_state_dict(optim::LRSchedulerState::from_json(saved));
    REQUIRE(again->last_epoch() == std::int64_t(stop));
    REQUIRE(again->base_lrs() == scheduler->base_lrs());
    for (std::size_t epoch = stop + 1; epoch < epochs; ++epoch) {
      INFO(c.at("name").get<std::string>() << ", resumed at " << stop << ", epoch " << epoch);
      again->step();
      resumed.require_lrs(c.at("expected")[epoch], again->get_last_lr());
    }
  }
}

TEST_CASE("ReduceLROnPlateau resumed from its state_dict continues PyTorch's sequence", "[optim]") {
  const auto doc = ember::testing::load_golden("optim");
  for (const auto& c : doc.at("cases").at("plateau")) {
    const auto options = plateau_options(c.at("options"));
    const json& metrics = c.at("metrics");
    for (std::size_t stop : {std::size_t{0}, metrics.size() / 2}) {
      TwoGroups first(c.at("lrs"));
      optim::ReduceLROnPlateau scheduler(first.sgd, options);
      for (std::size_t epoch = 0; epoch < stop; ++epoch) scheduler.step(metrics[epoch].get<double>());
      const std::string saved = scheduler.state_dict().to_json();  // +-inf best before the first step

      TwoGroups resumed(c.at("lrs"));
      optim::ReduceLROnPlateau again(resumed.sgd, options);
      for (std::size_t g = 0; g < 2; ++g) resumed.sgd.set_lr(g, first.sgd.lr(g));
      again.load_state_dict(optim::ReduceLROnPlateauState::from_json(saved));
      REQUIRE(again.best() == scheduler.best());
      for (std::size_t epoch = stop; epoch < metrics.size(); ++epoch) {
        INFO(c.at("name").get<std::string>() << ", resumed at " << stop << ", epoch " << epoch + 1);
        again.step(metrics[epoch].get<double>());
        resumed.require_lrs(c.at("expected")[epoch], again.get_last_lr());
      }
    }
  }
}

TEST_CASE("Scheduler state that does not fit is refused and changes nothing", "[optim]") {
  TwoGroups model(json::array({0.1, 0.01}));
  optim::StepLR scheduler(model.sgd, optim::StepLROptions(2));
  scheduler.step();
  const optim::LRSchedulerState before = scheduler.state_dict();
  optim::LRSchedulerState one_group = before;
  one_group.base_lrs = {0.1};
  REQUIRE_THROWS_AS(scheduler.load_state_dict(one_group), ValueError);
  REQUIRE_THROWS_WITH(scheduler.load_state_dict(one_group),
                      Contains("StepLR: load_state_dict: base_lrs has 1 values; expected 2 (one per parameter group)"));
  optim::LRSchedulerState negative = before;
  negative.last_lr[1] = -1.0;
  REQUIRE_THROWS_WITH(scheduler.load_state_dict(negative), Contains("last_lr[1] = -1.0; expected a finite value >= 0"));
  REQUIRE(scheduler.state_dict().to_json() == before.to_json());
  REQUIRE(model.sgd.lr(0) == 0.1);

  REQUIRE_THROWS_AS(optim::LRSchedulerState::from_json("{\"last_epoch\": 1e30, \"base_lrs\": [], \"last_lr\": []}"),
                    IoError);
  REQUIRE_THROWS_WITH(optim::LRSchedulerState::from_json("{\"last_epoch\": 1e30}"),
                      Contains("\"last_epoch\" is 1e+30; expected an integer"));
  REQUIRE_THROWS_WITH(optim::LRSchedulerState::from_json("{\"last_epoch\": 3"), Contains("malformed state"));

  optim::ReduceLROnPlateau plateau(model.sgd);
  optim::ReduceLROnPlateauState bad = plateau.state_dict();
  bad.num_bad_epochs = -1;
  REQUIRE_THROWS_WITH(plateau.load_state_dict(bad), Contains("num_bad_epochs -1"));
  REQUIRE(plateau.num_bad_epochs() == 0);
  REQUIRE_THROWS_WITH(optim::ReduceLROnPlateauState::from_json(
                          "{\"last_epoch\": 0, \"best\": \"big\", \"num_bad_epochs\": 0, \"cooldown_counter\": 0, "
                          "\"last_lr\": [0.1, 0.01]}"),
                      Contains("\"best\" is \"big\""));
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
