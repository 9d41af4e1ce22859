// optim::SGD: golden trajectories (dense and sparse, every option), sparse momentum buffer, errors.
#include "optim_testing.h"

using namespace ember;
using ember::testing::require_equal;
using ember::testing::snapshot;
using Catch::Contains;

TEST_CASE("SGD matches PyTorch for 10 steps in every configuration", "[optim]") {
  ember::testing::check_golden("SGD");
}

TEST_CASE("SGD validates its options at construction", "[optim]") {
  Tensor p = ones({3}).requires_grad_();
  REQUIRE_THROWS_WITH(optim::SGD({p}, optim::SGDOptions(-1)), Contains("Invalid learning rate: -1.0"));
  REQUIRE_THROWS_WITH(optim::SGD({p}, optim::SGDOptions(0.1).momentum(-0.5)), Contains("Invalid momentum value: -0.5"));
  REQUIRE_THROWS_WITH(optim::SGD({p}, optim::SGDOptions(0.1).weight_decay(-1e-4)),
                      Contains("Invalid weight_decay value: -0.0001"));
  REQUIRE_THROWS_WITH(optim::SGD({p}, optim::SGDOptions(0.1).nesterov(true)),
                      Contains("Nesterov momentum requires a momentum and zero dampening"));
  REQUIRE_THROWS_WITH(optim::SGD({p}, optim::SGDOptions(0.1).momentum(0.9).dampening(0.1).nesterov(true)),
                      Contains("Nesterov momentum requires a momentum and zero dampening"));
  REQUIRE_THROWS_AS(optim::SGD({p}, optim::SGDOptions(-1)), ValueError);
}

TEST_CASE("SGD rejects weight decay with a sparse gradient and changes nothing", "[optim]") {
  Tensor dense = tensor({1.0, 2.0}, kFloat64).requires_grad_();
  Tensor table = ones({4, 2}, kFloat64).requires_grad_();
  optim::SGD sgd({dense, table}, optim::SGDOptions(0.1).momentum(0.9).weight_decay(0.01));
  dense.set_grad(tensor({1.0, 1.0}, kFloat64));
  table.set_sparse_grad(SparseTensor(tensor(std::vector<std::int64_t>{1}, {1}), ones({1, 2}, kFloat64), {4, 2}));
  const Tensor dense_before = snapshot(dense), table_before = snapshot(table);
  REQUIRE_THROWS_WITH(sgd.step(), Contains("add(sparse, dense) is not supported. Use add(dense, sparse) instead."));
  require_equal(dense, dense_before);  // the dense parameter comes first and is still untouched
  require_equal(table, table_before);
  REQUIRE(sgd.state(0, 0) == nullptr);
  REQUIRE(sgd.state(0, 1) == nullptr);
}

TEST_CASE("SGD rejects a sparse row index out of range and changes nothing", "[optim]") {
  Tensor table = ones({4, 2}).requires_grad_();
  optim::SGD sgd({table}, optim::SGDOptions(0.1).momentum(0.9));
  table.set_sparse_grad(SparseTensor(tensor(std::vector<std::int64_t>{1, 4}, {2}), ones({2, 2}), {4, 2}));
  const Tensor before = snapshot(table);
  REQUIRE_THROWS_WITH(sgd.step(), Contains("row 4 in the sparse gradient of parameter 0 is out of range [0, 4)"));
  REQUIRE_THROWS_AS(sgd.step(), IndexError);
  require_equal(table, before);
  REQUIRE(sgd.state(0, 0) == nullptr);
}

TEST_CASE("SGD with momentum keeps a row-sparse buffer for sparse gradients", "[optim]") {
  Tensor table = zeros({1000, 2}, kFloat64).requires_grad_();
  optim::SGD sgd({table}, optim::SGDOptions(1.0).momentum(0.5));
  table.set_sparse_grad(SparseTensor(tensor(std::vector<std::int64_t>{7, 3, 7}, {3}), ones({3, 2}, kFloat64), {1000, 2}));
  sgd.step();
  const auto* state = dynamic_cast<const optim::SGDParamState*>(sgd.state(0, 0));
  REQUIRE(state != nullptr);
  REQUIRE_FALSE(state->momentum_buffer.defined());
  REQUIRE(state->sparse_momentum_buffer.nnz() == 2);  // rows 3 and 7, coalesced
  REQUIRE(state->sparse_momentum_buffer.indices.to_vector<std::int64_t>() == std::vector<std::int64_t>{3, 7});
  // An empty gradient acts as zero: the buffer decays and still moves its rows. No new row
  // arrives, so the buffer is updated in place (no allocation in the steady state).
  const Tensor buffer_values = state->sparse_momentum_buffer.values;
  table.set_sparse_grad(SparseTensor::empty({1000, 2}, kFloat64));
  sgd.step();
  REQUIRE(state->sparse_momentum_buffer.values.is_same(buffer_values));
  REQUIRE(table.to_vector<double>()[7 * 2] == -2.0 - 1.0);   // -2 (step 1) - 0.5 * 2 (step 2)
  REQUIRE(table.to_vector<double>()[3 * 2] == -1.0 - 0.5);
  REQUIRE(table.to_vector<double>()[0] == 0.0);
  // A dense gradient afterwards turns the buffer dense: same result as dense SGD would give.
  table.set_grad(zeros({1000, 2}, kFloat64));
  sgd.step();
  REQUIRE(state->momentum_buffer.defined());
  REQUIRE_FALSE(state->sparse_momentum_buffer.defined());
  REQUIRE(table.to_vector<double>()[7 * 2] == -3.0 - 0.5);
}

TEST_CASE("SGD steps float32 and float64 parameters and bumps their versions", "[optim]") {
  Tensor a = ones({2}, kFloat32).requires_grad_();
  Tensor b = ones({2}, kFloat64).requires_grad_();
  optim::SGD sgd({a, b}, optim::SGDOptions(0.5));
  a.set_grad(ones({2}, kFloat32));
  b.set_grad(ones({2}, kFloat64));
  const auto va = a.version(), vb = b.version();
  sgd.step();
  REQUIRE(a.to_vector<float>() == std::vector<float>{0.5f, 0.5f});
  REQUIRE(b.to_vector<double>() == std::vector<double>{0.5, 0.5});
  REQUIRE(a.version() > va);
  REQUIRE(b.version() > vb);
}
