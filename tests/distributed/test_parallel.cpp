// nn::DistributedDataParallel on 2 MPI processes: weights broadcast at construction, bucketed
// gradient averaging (dense and row-sparse), and 2-process training equal to 1-process training
// with the doubled batch, down to each rank's checkpoint.
#include "nn/parallel.h"

#include "autograd/ops.h"
#include "core/distributed.h"
#include "core/kernels.h"
#include "data/dataloader.h"
#include "data/distributed_sampler.h"
#include "nn/embedding.h"
#include "nn/functional.h"
#include "nn/linear.h"
#include "optim/adam.h"
#include "optim/sgd.h"
#include "optim/sparse_adam.h"
#include "testing.h"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <unistd.h>

using namespace ember;
using Catch::Contains;
namespace dist = ember::distributed;

namespace {

// A float tensor of the given shape (tensor({...}, {...}) is ambiguous with the int64 overload).
Tensor floats(const std::vector<double>& values, const Shape& shape, DType dtype = kFloat32) {
  return tensor(values, shape, dtype);
}

// tokens [B, T] -> mean of their embeddings [B, 6] -> logits [B, 3]
struct BagModel : nn::Module {
  explicit BagModel(bool sparse) : Module("BagModel") {
    embedding = register_module("embedding", std::make_shared<nn::Embedding>(nn::EmbeddingOptions(20, 6).sparse(sparse)));
    fc = register_module("fc", std::make_shared<nn::Linear>(nn::LinearOptions(6, 3)));
  }
  Tensor forward(const Tensor& tokens) { return fc->forward(mean(embedding->forward(tokens), {1})); }
  std::shared_ptr<nn::Embedding> embedding;
  std::shared_ptr<nn::Linear> fc;
};

std::shared_ptr<BagModel> make_model(bool sparse, std::uint64_t seed) {
  manual_seed(seed);
  return std::make_shared<BagModel>(sparse);
}

// 48 examples of 5 tokens and a label in {0, 1, 2}, the same on every rank.
std::shared_ptr<data::TensorDataset> make_dataset() {
  std::vector<std::int64_t> tokens, labels;
  for (std::int64_t i = 0; i < 48; ++i) {
    for (std::int64_t t = 0; t < 5; ++t) tokens.push_back((i * 7 + t * t * 3 + i / 5) % 20);
    labels.push_back((i * 5 + i / 7) % 3);
  }
  return std::make_shared<data::TensorDataset>(
      std::vector<Tensor>{tensor(tokens, {48, 5}), tensor(labels, {48})});
}

// Two epochs of training on shard `rank` of `num_replicas` (DistributedSampler, seed 11) with
// `batch_size` examples per step: SGD with momentum for a dense model; SparseAdam for a sparse
// embedding and Adam for the rest. With `ddp`, gradients are averaged across ranks after backward.
void train(BagModel& model, bool sparse, std::int64_t batch_size, std::int64_t num_replicas, std::int64_t rank,
           nn::DistributedDataParallel* ddp) {
  auto sampler = std::make_shared<data::DistributedSampler>(
      48, data::DistributedSamplerOptions().num_replicas(num_replicas).rank(rank).seed(11));
  data::DataLoader loader(make_dataset(), data::DataLoaderOptions().batch_size(batch_size).sampler(sampler),
                          data::stack_collate);
  std::vector<std::unique_ptr<optim::Optimizer>> optimizers;
  if (sparse) {
    optimizers.push_back(std::make_unique<optim::SparseAdam>(std::vector<Tensor>{model.embedding->weight},
                                                             optim::SparseAdamOptions(0.05)));
    optimizers.push_back(std::make_unique<optim::Adam>(model.fc->parameters(), optim::AdamOptions(0.05)));
  } else {
    optimizers.push_back(
        std::make_unique<optim::SGD>(model.parameters(), optim::SGDOptions(0.5).momentum(0.9)));
  }
  for (std::int64_t epoch = 0; epoch < 2; ++epoch) {
    sampler->set_epoch(epoch);
    for (std::vector<Tensor>& batch : loader) {
      for (auto& o : optimizers) o->zero_grad();
      nn::functional::cross_entropy(model.forward(batch[0]), batch[1]).backward();
      if (ddp) ddp->synchronize_gradients();
      for (auto& o : optimizers) o->step();
    }
  }
}

double max_abs_diff(const nn::Module& a, const nn::Module& b) {
  double diff = 0;
  const auto pa = a.named_parameters(), pb = b.named_parameters();
  for (std::size_t i = 0; i < pa.size(); ++i) {
    const auto va = pa[i].second.to_vector<double>(), vb = pb[i].second.to_vector<double>();
    for (std::size_t k = 0; k < va.size(); ++k) diff = std::max(diff, std::abs(va[k] - vb[k]));
  }
  return diff;
}

std::string read_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

// Two Linear layers registered as "first" (3 -> 2) and "second" (2 -> 2).
struct TwoLayers : nn::Module {
  TwoLayers() : Module("TwoLayers") {
    first = register_module("first", std::make_shared<nn::Linear>(3, 2));
    second = register_module("second", std::make_shared<nn::Linear>(2, 2));
  }
  std::shared_ptr<nn::Linear> first, second;
};

// Sets every gradient of `model` to (rank + 1) * (1, 2, 3, ...).
void set_rank_grads(nn::Module& model) {
  for (auto& [name, p] : model.named_parameters()) {
    std::vector<double> values;
    for (std::int64_t k = 0; k < p.numel(); ++k) values.push_back((dist::rank() + 1) * (k + 1.0));
    p.set_grad(tensor(values, p.shape()));
  }
}

}  // namespace

TEST_CASE("DistributedDataParallel broadcasts rank 0's weights at construction", "[distributed]") {
  auto model = make_model(false, 100 + dist::rank());  // different weights on every rank
  const auto rank0 = make_model(false, 100);
  if (dist::rank() != 0) REQUIRE(max_abs_diff(*model, *rank0) > 0.01);
  nn::DistributedDataParallel ddp(model);
  REQUIRE(ddp.module() == model);
  for (std::size_t i = 0; i < model->parameters().size(); ++i)
    testing::require_equal(model->parameters()[i], rank0->parameters()[i]);
}

TEST_CASE("DistributedDataParallel checks its options and the process group", "[distributed]") {
  REQUIRE_THROWS_WITH(nn::DistributedDataParallel(nullptr), Contains("the module is null"));
  REQUIRE_THROWS_WITH(nn::DistributedDataParallel(std::make_shared<TwoLayers>(),
                                                  nn::DistributedDataParallelOptions().bucket_cap_mb(0)),
                      Contains("bucket_cap_mb=0 is invalid; expected > 0"));
}

TEST_CASE("synchronize_gradients averages dense gradients in reverse-order buckets", "[distributed]") {
  auto model = std::make_shared<TwoLayers>();
  nn::DistributedDataParallel ddp(model);
  set_rank_grads(*model);
  ddp.synchronize_gradients();
  for (auto& [name, p] : model->named_parameters()) {  // mean of 1x and 2x: 1.5x
    std::vector<double> expected;
    for (std::int64_t k = 0; k < p.numel(); ++k) expected.push_back(1.5 * (k + 1.0));
    testing::require_equal(p.grad(), tensor(expected, p.shape()));
  }
  // 4 small parameters, 25 MiB buckets: one message, last-registered parameter first.
  using Names = std::vector<std::vector<std::string>>;
  REQUIRE(ddp.buckets() == Names{{"second.bias", "second.weight", "first.bias", "first.weight"}});

  // A 24-byte cap: second.bias (8 bytes) + second.weight (16) fill the first bucket.
  nn::DistributedDataParallel small(model, nn::DistributedDataParallelOptions().bucket_cap_mb(24.0 / (1024 * 1024)));
  set_rank_grads(*model);
  small.synchronize_gradients();
  REQUIRE(small.buckets() == Names{{"second.bias", "second.weight"}, {"first.bias"}, {"first.weight"}});
  testing::require_equal(model->second->weight.grad(), floats({1.5, 3.0, 4.5, 6.0}, {2, 2}));
}

TEST_CASE("synchronize_gradients keeps row-sparse gradients sparse and averages them", "[distributed]") {
  auto model = make_model(true, 3);
  nn::DistributedDataParallel ddp(model);
  // Rank 0 looks up rows 2, 5, 2; rank 1 rows 5, 7.
  const Tensor tokens = dist::rank() == 0 ? tensor(std::vector<std::int64_t>{2, 5, 2}, {1, 3})
                                          : tensor(std::vector<std::int64_t>{5, 7}, {1, 2});
  sum(model->embedding->forward(tokens)).backward();
  ddp.synchronize_gradients();
  const SparseTensor grad = model->embedding->weight.sparse_grad();
  REQUIRE(grad.indices.to_vector<std::int64_t>() == std::vector<std::int64_t>{2, 5, 7});
  // d sum / d row = number of lookups: row 2 twice on rank 0, row 5 once on each, row 7 once; halved.
  Tensor expected = zeros({3, 6});
  kernels::narrow(expected, 0, 0, 1).fill_(1.0);
  kernels::narrow(expected, 0, 1, 1).fill_(1.0);
  kernels::narrow(expected, 0, 2, 1).fill_(0.5);
  testing::require_equal(grad.values, expected);
  REQUIRE(ddp.buckets().empty());  // fc got no gradient on any rank: nothing to average
}

TEST_CASE("synchronize_gradients counts a missing gradient as zero", "[distributed]") {
  auto model = std::make_shared<TwoLayers>();
  nn::DistributedDataParallel ddp(model);
  if (dist::rank() == 0) model->first->bias.set_grad(tensor({4.0, 8.0}));
  ddp.synchronize_gradients();
  testing::require_equal(model->first->bias.grad(), tensor({2.0, 4.0}));
  REQUIRE_FALSE(model->second->bias.grad().defined());  // no rank had one: still none
}

TEST_CASE("synchronize_gradients rejects a gradient dense on one rank and sparse on another", "[distributed]") {
  auto model = make_model(false, 5);
  nn::DistributedDataParallel ddp(model);
  Tensor& weight = model->embedding->weight;
  if (dist::rank() == 0) {
    weight.set_grad(ones({20, 6}));
  } else {
    weight.set_sparse_grad(SparseTensor(tensor(std::vector<std::int64_t>{1}, {1}), ones({1, 6}), {20, 6}));
  }
  model->fc->bias.set_grad(tensor({1.0, 2.0, 3.0}));
  REQUIRE_THROWS_WITH(ddp.synchronize_gradients(),
                      Contains("the gradient of embedding.weight is dense on 1 ranks and row-sparse on 1; expected the "
                               "same kind on every rank"));
  // Nothing was averaged: the check runs before any gradient changes.
  testing::require_equal(model->fc->bias.grad(), tensor({1.0, 2.0, 3.0}));
  REQUIRE(weight.has_sparse_grad() == (dist::rank() == 1));
}

TEST_CASE("2-process training with batch b equals 1-process training with batch 2b", "[distributed]") {
  for (bool sparse : {false, true}) {
    INFO("sparse embedding: " << sparse);
    constexpr std::int64_t b = 4;  // 12 steps: 48 examples / (2 ranks * 4) per epoch, 2 epochs

    // Reference: one process, the whole (same-seed) permutation, batches of 2b.
    auto reference = make_model(sparse, 42);
    train(*reference, sparse, 2 * b, 1, 0, nullptr);

    // Each rank its own shard and batch b, gradients averaged by DDP. Rank 1 starts from other
    // weights, which the construction-time broadcast must replace.
    auto model = make_model(sparse, 42 + dist::rank());
    nn::DistributedDataParallel ddp(model);
    train(*model, sparse, b, 2, dist::rank(), &ddp);
    const double diff = max_abs_diff(*model, *reference);
    INFO("max |2-process - 1-process| = " << diff);
    REQUIRE(diff <= 1e-5);

    // The comparison can fail: training on the local shard alone ends elsewhere.
    auto alone = make_model(sparse, 42);
    train(*alone, sparse, b, 2, dist::rank(), nullptr);
    REQUIRE(max_abs_diff(*alone, *reference) > 1e-3);
    REQUIRE(max_abs_diff(*reference, *make_model(sparse, 42)) > 1e-2);  // and training moved the weights
  }
}

TEST_CASE("after distributed training each rank's checkpoint equals rank 0's", "[distributed]") {
  auto model = make_model(true, 7 + dist::rank());
  nn::DistributedDataParallel ddp(model);
  train(*model, true, 4, 2, dist::rank(), &ddp);

  // Rank 0 names a private folder (an int64 id, broadcast); every rank saves its own checkpoint.
  Tensor id = tensor(std::vector<std::int64_t>{static_cast<std::int64_t>(::getpid())}, {1});
  dist::broadcast(id, 0);
  const auto dir = std::filesystem::temp_directory_path() / ("ember_ddp_" + std::to_string(id.item<std::int64_t>()));
  if (dist::rank() == 0) std::filesystem::create_directories(dir);
  dist::barrier();
  model->save((dir / ("rank" + std::to_string(dist::rank()) + ".safetensors")).string());
  dist::barrier();
  const std::string mine = read_bytes(dir / ("rank" + std::to_string(dist::rank()) + ".safetensors"));
  const std::string rank0 = read_bytes(dir / "rank0.safetensors");
  REQUIRE(mine.size() > 20 * 6 * 4);
  REQUIRE(mine == rank0);  // bitwise: the replicas never drifted apart
  dist::barrier();
  if (dist::rank() == 0) std::filesystem::remove_all(dir);
}
