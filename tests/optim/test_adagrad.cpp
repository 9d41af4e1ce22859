// optim::Adagrad: golden trajectories (dense and sparse), eager state, empty gradients, errors.
#include "optim_testing.h"

using namespace ember;
using ember::testing::require_equal;
using ember::testing::snapshot;
using Catch::Contains;

TEST_CASE("Adagrad matches PyTorch for 10 steps, dense and sparse", "[optim]") {
  ember::testing::check_golden("Adagrad");
}

TEST_CASE("Adagrad creates its state at construction, as PyTorch", "[optim]") {
  Tensor p = ones({2, 3}, kFloat64).requires_grad_();
  optim::Adagrad adagrad({p}, optim::AdagradOptions(0.1).initial_accumulator_value(0.25));
  const auto* s = dynamic_cast<const optim::AdagradParamState*>(adagrad.state(0, 0));
  REQUIRE(s != nullptr);
  REQUIRE(s->step == 0);
  require_equal(s->sum, full({2, 3}, 0.25, kFloat64));
}

TEST_CASE("Adagrad counts an empty sparse gradient as a step and changes nothing", "[optim]") {
  Tensor table = ones({5, 2}, kFloat64).requires_grad_();
  optim::Adagrad adagrad({table}, optim::AdagradOptions(0.1).initial_accumulator_value(0.5));
  table.set_sparse_grad(SparseTensor::empty({5, 2}, kFloat64));
  const Tensor before = snapshot(table);
  adagrad.step();
  require_equal(table, before);
  const auto* s = dynamic_cast<const optim::AdagradParamState*>(adagrad.state(0, 0));
  REQUIRE(s->step == 1);
  require_equal(s->sum, full({5, 2}, 0.5, kFloat64));
}

TEST_CASE("Adagrad validates its options and rejects weight decay with sparse gradients", "[optim]") {
  Tensor p = ones({4, 2}, kFloat64).requires_grad_();
  REQUIRE_THROWS_WITH(optim::Adagrad({p}, optim::AdagradOptions(-0.1)), Contains("Invalid learning rate: -0.1"));
  REQUIRE_THROWS_WITH(optim::Adagrad({p}, optim::AdagradOptions().lr_decay(-1)), Contains("Invalid lr_decay value: -1.0"));
  REQUIRE_THROWS_WITH(optim::Adagrad({p}, optim::AdagradOptions().weight_decay(-1)),
                      Contains("Invalid weight_decay value: -1.0"));
  REQUIRE_THROWS_WITH(optim::Adagrad({p}, optim::AdagradOptions().initial_accumulator_value(-1)),
                      Contains("Invalid initial_accumulator_value value: -1.0"));
  REQUIRE_THROWS_WITH(optim::Adagrad({p}, optim::AdagradOptions().eps(-1)), Contains("Invalid epsilon value: -1.0"));

  optim::Adagrad adagrad({p}, optim::AdagradOptions(0.1).weight_decay(0.1));
  p.set_sparse_grad(SparseTensor(tensor(std::vector<std::int64_t>{2}, {1}), ones({1, 2}, kFloat64), {4, 2}));
  const Tensor before = snapshot(p);
  REQUIRE_THROWS_WITH(adagrad.step(), Contains("weight_decay option is not compatible with sparse gradients"));
  require_equal(p, before);
  const auto* s = dynamic_cast<const optim::AdagradParamState*>(adagrad.state(0, 0));
  REQUIRE(s->step == 0);
  require_equal(s->sum, zeros({4, 2}, kFloat64));
}
