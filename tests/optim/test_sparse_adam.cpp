// optim::SparseAdam: golden trajectories (repeated, absent and all-zero rows, empty gradient),
// untouched rows of a 1,000,000-row table, and errors.
#include "optim_testing.h"

#include "autograd/ops.h"
#include "nn/embedding.h"
#include "nn/functional.h"
#include "nn/linear.h"

#include <cstring>

using namespace ember;
using ember::testing::require_equal;
using ember::testing::snapshot;
using Catch::Contains;

TEST_CASE("SparseAdam matches PyTorch for 10 steps: repeated, absent, zero rows, empty grad", "[optim]") {
  ember::testing::check_golden("SparseAdam");
}

TEST_CASE("SparseAdam on a 1,000,000-row table writes only the rows present", "[optim]") {
  const std::int64_t rows = 1000000, width = 4;
  Tensor table = rand({rows, width}).requires_grad_();
  const Tensor before = snapshot(table);
  optim::SparseAdam adam({table}, optim::SparseAdamOptions(0.01));
  const std::vector<std::int64_t> present = {3, 999999, 500000, 3};
  table.set_sparse_grad(SparseTensor(tensor(present, {4}), ones({4, width}), {rows, width}));
  adam.step();
  // A second step on other rows must not move the first ones (no decay of absent rows).
  table.set_sparse_grad(SparseTensor(tensor(std::vector<std::int64_t>{7}, {1}), ones({1, width}), {rows, width}));
  adam.step();
  const float* now = table.data_ptr<float>();
  const float* old = before.data_ptr<float>();
  const auto* state = dynamic_cast<const optim::SparseAdamParamState*>(adam.state(0, 0));
  REQUIRE(state->step == 2);
  const float* m = state->exp_avg.data_ptr<float>();
  std::int64_t changed = 0, first_unexpected = -1;
  for (std::int64_t r = 0; r < rows; ++r) {
    const bool touched = r == 3 || r == 999999 || r == 500000 || r == 7;
    const bool same = std::memcmp(now + r * width, old + r * width, width * sizeof(float)) == 0;
    bool moments_zero = true;
    for (std::int64_t j = 0; j < width; ++j) moments_zero = moments_zero && m[r * width + j] == 0.0f;
    if (touched) {
      changed += same ? 0 : 1;
    } else if ((!same || !moments_zero) && first_unexpected < 0) {
      first_unexpected = r;
    }
  }
  INFO("first row written although absent from every gradient: " << first_unexpected);
  REQUIRE(first_unexpected == -1);
  REQUIRE(changed == 4);
}

TEST_CASE("SparseAdam counts an empty gradient as a step and changes nothing", "[optim]") {
  Tensor table = ones({5, 2}, kFloat64).requires_grad_();
  optim::SparseAdam adam({table});
  table.set_sparse_grad(SparseTensor(tensor(std::vector<std::int64_t>{1}, {1}), ones({1, 2}, kFloat64), {5, 2}));
  adam.step();
  const Tensor before = snapshot(table);
  // Both ways an empty gradient arises: an all-padding batch, and zero_grad(set_to_none=false).
  table.set_sparse_grad(SparseTensor::empty({5, 2}, kFloat64));
  adam.step();
  adam.zero_grad(false);
  REQUIRE(table.has_sparse_grad());
  REQUIRE(table.sparse_grad().nnz() == 0);
  adam.step();
  require_equal(table, before);
  REQUIRE(dynamic_cast<const optim::SparseAdamParamState*>(adam.state(0, 0))->step == 3);
}

TEST_CASE("SparseAdam validates its options strictly and rejects dense gradients", "[optim]") {
  Tensor p = ones({4, 2}, kFloat64).requires_grad_();
  REQUIRE_THROWS_WITH(optim::SparseAdam({p}, optim::SparseAdamOptions(0.0)), Contains("Invalid learning rate: 0.0"));
  REQUIRE_THROWS_WITH(optim::SparseAdam({p}, optim::SparseAdamOptions().eps(0.0)), Contains("Invalid epsilon value: 0.0"));
  REQUIRE_THROWS_WITH(optim::SparseAdam({p}, optim::SparseAdamOptions().betas({0.9, 1.0})),
                      Contains("Invalid beta parameter at index 1: 1.0"));

  Tensor table = ones({4, 2}, kFloat64).requires_grad_();
  optim::SparseAdam adam({table, p});
  table.set_sparse_grad(SparseTensor(tensor(std::vector<std::int64_t>{2}, {1}), ones({1, 2}, kFloat64), {4, 2}));
  p.set_grad(ones({4, 2}, kFloat64));
  const Tensor table_before = snapshot(table), p_before = snapshot(p);
  REQUIRE_THROWS_WITH(adam.step(), Contains("SparseAdam does not support dense gradients, please consider Adam instead"));
  require_equal(table, table_before);  // the sparse parameter comes first and is still untouched
  require_equal(p, p_before);
  REQUIRE(adam.state(0, 0) == nullptr);
}

namespace {

// The model of docs/optim.md: mean of embedded tokens, then a linear layer.
struct BagOfEmbeddings : nn::Module {
  BagOfEmbeddings(std::int64_t vocab, std::int64_t dim, std::int64_t classes) : Module("BagOfEmbeddings") {
    embedding = register_module(
        "embedding", std::make_shared<nn::Embedding>(nn::EmbeddingOptions(vocab, dim).padding_idx(0).sparse(true)));
    fc = register_module("fc", std::make_shared<nn::Linear>(nn::LinearOptions(dim, classes)));
  }
  Tensor forward(const Tensor& tokens) { return fc->forward(ember::mean(embedding->forward(tokens), {1})); }
  std::shared_ptr<nn::Embedding> embedding;
  std::shared_ptr<nn::Linear> fc;
};

}  // namespace

TEST_CASE("The two-optimizer recipe (SparseAdam for a sparse embedding, Adam for the rest) trains", "[optim]") {
  manual_seed(0);
  BagOfEmbeddings model(50, 8, 3);
  std::vector<Tensor> dense_params;
  for (auto& [name, p] : model.named_parameters())
    if (name != "embedding.weight") dense_params.push_back(p);
  optim::SparseAdam sparse_optimizer({model.embedding->weight}, optim::SparseAdamOptions(0.05));
  optim::Adam dense_optimizer(dense_params, optim::AdamOptions(0.05));

  // Tokens 1..9 only: rows 10..49 never appear and must stay bitwise unchanged.
  const Tensor tokens = tensor(std::vector<std::int64_t>{1, 2, 3, 0, 4, 5, 0, 0, 6, 7, 8, 9, 1, 4, 7, 0}, {4, 4});
  const Tensor labels = tensor(std::vector<std::int64_t>{0, 1, 2, 0}, {4});
  const Tensor all_padding = zeros({2, 4}, kInt64);
  const Tensor unused_before = snapshot(kernels::narrow(model.embedding->weight, 0, 10, 40));
  double first_loss = 0.0, last_loss = 0.0;
  for (int step = 0; step < 40; ++step) {
    sparse_optimizer.zero_grad();
    dense_optimizer.zero_grad();
    // Every 10th batch is all padding: the embedding's gradient is empty (nnz 0).
    const bool padding_batch = step % 10 == 9;
    Tensor loss = nn::functional::cross_entropy(model.forward(padding_batch ? all_padding : tokens),
                                                padding_batch ? kernels::narrow(labels, 0, 0, 2) : labels);
    loss.backward();
    REQUIRE(model.embedding->weight.has_sparse_grad());
    if (padding_batch) REQUIRE(model.embedding->weight.sparse_grad().nnz() == 0);
    sparse_optimizer.step();
    dense_optimizer.step();
    if (step == 0) first_loss = loss.item<double>();
    if (!padding_batch) last_loss = loss.item<double>();
  }
  INFO("loss " << first_loss << " -> " << last_loss);
  REQUIRE(last_loss < 0.1 * first_loss);
  require_equal(kernels::narrow(model.embedding->weight, 0, 10, 40), unused_before);
  REQUIRE(dynamic_cast<const optim::SparseAdamParamState*>(sparse_optimizer.state(0, 0))->step == 40);
}
