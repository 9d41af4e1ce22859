// optim::Adam and optim::AdamW: golden trajectories, state, and errors.
#include "optim_testing.h"

using namespace ember;
using ember::testing::require_equal;
using ember::testing::snapshot;
using Catch::Contains;

TEST_CASE("Adam matches PyTorch for 10 steps in every configuration", "[optim]") {
  ember::testing::check_golden("Adam");
}

TEST_CASE("AdamW matches PyTorch for 10 steps in every configuration", "[optim]") {
  ember::testing::check_golden("AdamW");
}

TEST_CASE("Adam validates its options at construction", "[optim]") {
  Tensor p = ones({3}).requires_grad_();
  REQUIRE_THROWS_WITH(optim::Adam({p}, optim::AdamOptions(-1)), Contains("Adam: Invalid learning rate: -1.0"));
  REQUIRE_THROWS_WITH(optim::Adam({p}, optim::AdamOptions().eps(-1e-8)), Contains("Invalid epsilon value: -1e-08"));
  REQUIRE_THROWS_WITH(optim::Adam({p}, optim::AdamOptions().betas({1.0, 0.999})),
                      Contains("Invalid beta parameter at index 0: 1.0"));
  REQUIRE_THROWS_WITH(optim::Adam({p}, optim::AdamOptions().betas({0.9, -0.1})),
                      Contains("Invalid beta parameter at index 1: -0.1"));
  REQUIRE_THROWS_WITH(optim::Adam({p}, optim::AdamOptions().weight_decay(-1)),
                      Contains("Invalid weight_decay value: -1.0"));
  REQUIRE_THROWS_WITH(optim::AdamW({p}, optim::AdamWOptions(-0.5)), Contains("AdamW: Invalid learning rate: -0.5"));
  // lr = 0 is allowed for Adam (only SparseAdam needs lr > 0).
  REQUIRE_NOTHROW(optim::Adam({p}, optim::AdamOptions(0.0)));
}

TEST_CASE("AdamW defaults to weight_decay 1e-2 and decays decoupled from the gradient", "[optim]") {
  REQUIRE(optim::AdamWOptions().weight_decay() == 1e-2);
  REQUIRE(optim::AdamOptions().weight_decay() == 0.0);
  Tensor p = full({2}, 2.0, kFloat64).requires_grad_();
  optim::AdamW adamw({p}, optim::AdamWOptions(0.1).weight_decay(0.5));
  p.set_grad(zeros({2}, kFloat64));  // zero gradient: only the decay moves p
  adamw.step();
  REQUIRE(p.to_vector<double>() == std::vector<double>{2.0 * (1 - 0.1 * 0.5), 2.0 * (1 - 0.1 * 0.5)});
}

TEST_CASE("Adam rejects a sparse gradient, naming SparseAdam, and changes nothing", "[optim]") {
  Tensor dense = tensor({1.0, 2.0}, kFloat64).requires_grad_();
  Tensor table = ones({4, 2}, kFloat64).requires_grad_();
  for (bool decoupled : {false, true}) {
    std::unique_ptr<optim::Optimizer> adam;
    if (decoupled) adam = std::make_unique<optim::AdamW>(std::vector<Tensor>{dense, table});
    else adam = std::make_unique<optim::Adam>(std::vector<Tensor>{dense, table});
    dense.set_grad(tensor({1.0, 1.0}, kFloat64));
    table.set_sparse_grad(SparseTensor(tensor(std::vector<std::int64_t>{1}, {1}), ones({1, 2}, kFloat64), {4, 2}));
    const Tensor dense_before = snapshot(dense), table_before = snapshot(table);
    REQUIRE_THROWS_WITH(adam->step(), Contains(decoupled ? "AdamW does not support sparse gradients, please consider "
                                                           "SparseAdam instead"
                                                         : "Adam does not support sparse gradients, please consider "
                                                           "SparseAdam instead"));
    require_equal(dense, dense_before);
    require_equal(table, table_before);
    REQUIRE(adam->state(0, 0) == nullptr);
  }
}

TEST_CASE("Adam skips parameters without a gradient: no state, no step count", "[optim]") {
  Tensor a = ones({2}, kFloat64).requires_grad_();
  Tensor b = ones({2}, kFloat64).requires_grad_();
  optim::Adam adam({a, b}, optim::AdamOptions(0.1).amsgrad(true));
  a.set_grad(ones({2}, kFloat64));
  const Tensor b_before = snapshot(b);
  adam.step();
  adam.step();
  const auto* sa = dynamic_cast<const optim::AdamParamState*>(adam.state(0, 0));
  REQUIRE(sa != nullptr);
  REQUIRE(sa->step == 2);
  REQUIRE(sa->exp_avg.defined());
  REQUIRE(sa->exp_avg_sq.defined());
  REQUIRE(sa->max_exp_avg_sq.defined());
  REQUIRE(adam.state(0, 1) == nullptr);
  require_equal(b, b_before);
}
