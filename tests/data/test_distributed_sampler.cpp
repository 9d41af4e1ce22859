// data::DistributedSampler in one process, with explicit num_replicas and rank: PyTorch's shards,
// padding and drop_last, the shared seeded shuffle, set_epoch, errors, and use in a DataLoader.
#include "data/distributed_sampler.h"

#include "core/distributed.h"
#include "data/dataloader.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <numeric>

using namespace ember;
using Catch::Contains;
using Indices = std::vector<std::int64_t>;

namespace {

data::DistributedSampler shard(std::int64_t n, std::int64_t replicas, std::int64_t rank,
                               data::DistributedSamplerOptions options = {}) {
  return data::DistributedSampler(n, options.num_replicas(replicas).rank(rank));
}

}  // namespace

TEST_CASE("DistributedSampler without shuffle gives PyTorch's strided, padded shards", "[data]") {
  // torch: DistributedSampler(range(10), num_replicas=3, rank=r, shuffle=False)
  auto options = data::DistributedSamplerOptions().shuffle(false);
  REQUIRE(shard(10, 3, 0, options).epoch_order() == Indices{0, 3, 6, 9});
  REQUIRE(shard(10, 3, 1, options).epoch_order() == Indices{1, 4, 7, 0});  // padded with the first indices
  REQUIRE(shard(10, 3, 2, options).epoch_order() == Indices{2, 5, 8, 1});
  REQUIRE(shard(10, 3, 2, options).size() == 4);

  // drop_last=True: the tail is cut, every shard holds floor(10 / 3) indices.
  options.drop_last(true);
  REQUIRE(shard(10, 3, 0, options).epoch_order() == Indices{0, 3, 6});
  REQUIRE(shard(10, 3, 2, options).epoch_order() == Indices{2, 5, 8});
  REQUIRE(shard(10, 3, 1, options).size() == 3);

  // More replicas than twice the data: the padding repeats the data several times.
  options.drop_last(false);
  Indices all;
  for (std::int64_t r = 0; r < 5; ++r) {
    const Indices s = shard(2, 5, r, options).epoch_order();
    REQUIRE(s.size() == 1);
    all.push_back(s[0]);
  }
  REQUIRE(all == Indices{0, 1, 0, 1, 0});
  REQUIRE(shard(0, 3, 1, options).epoch_order().empty());
}

TEST_CASE("DistributedSampler shuffles with seed + epoch, identically for every rank", "[data]") {
  const auto options = data::DistributedSamplerOptions().seed(5);
  for (std::int64_t epoch : {0, 1, 7}) {
    Generator generator(5 + epoch);
    const Indices permutation = randperm(11, generator).to_vector<std::int64_t>();
    Indices seen;
    for (std::int64_t r = 0; r < 4; ++r) {
      auto sampler = shard(11, 4, r, options);
      sampler.set_epoch(epoch);
      REQUIRE(sampler.epoch() == epoch);
      const Indices s = sampler.epoch_order();
      REQUIRE(s.size() == 3);  // ceil(11 / 4)
      for (std::size_t k = 0; k < s.size(); ++k) {
        const std::size_t position = r + 4 * k;  // rank r takes every 4th index of the padded permutation
        REQUIRE(s[k] == permutation[position % 11]);
      }
      REQUIRE(sampler.epoch_order() == s);  // the same epoch again: the same order
      seen.insert(seen.end(), s.begin(), s.end());
    }
    std::sort(seen.begin(), seen.end());
    seen.erase(std::unique(seen.begin(), seen.end()), seen.end());
    REQUIRE(seen.size() == 11);  // together the shards cover the dataset
  }
  auto a = shard(50, 2, 0, options), b = shard(50, 2, 0, options);
  b.set_epoch(1);
  REQUIRE(a.epoch_order() != b.epoch_order());  // a new epoch, a new order
  auto c = shard(50, 2, 0, data::DistributedSamplerOptions().seed(6));
  REQUIRE(c.epoch_order() != a.epoch_order());  // another seed, another order
}

TEST_CASE("DistributedSampler with one replica visits the permutation in order", "[data]") {
  // What makes 1-process training with batch 2b comparable to 2 processes with batch b.
  auto one = shard(9, 1, 0, data::DistributedSamplerOptions().seed(3));
  Generator generator(3);
  REQUIRE(one.epoch_order() == randperm(9, generator).to_vector<std::int64_t>());
}

TEST_CASE("DistributedSampler rejects bad options with their values", "[data]") {
  REQUIRE_THROWS_WITH(shard(10, 2, 2), Contains("DistributedSampler: rank 2 is out of range; expected [0, 2)"));
  REQUIRE_THROWS_WITH(shard(10, 2, -1), Contains("rank -1 is out of range"));
  REQUIRE_THROWS_WITH(shard(10, 0, 0), Contains("num_replicas=0 is invalid; expected >= 1"));
  REQUIRE_THROWS_WITH(shard(-1, 2, 0), Contains("dataset size -1 is negative"));
  // The defaults come from the process group, which this test process never joins.
  REQUIRE_FALSE(distributed::is_initialized());
  REQUIRE_THROWS_WITH(data::DistributedSampler(10), Contains("not initialized; call distributed::init() or set both options"));
  REQUIRE_THROWS_WITH(data::DistributedSampler(10, data::DistributedSamplerOptions().num_replicas(2)),
                      Contains("not initialized"));
}

TEST_CASE("DistributedSampler drives a DataLoader: each rank gets the batches of its shard", "[data]") {
  std::vector<double> values(10);
  std::iota(values.begin(), values.end(), 0.0);
  auto dataset = std::make_shared<data::TensorDataset>(std::vector<Tensor>{tensor(values, {10})});
  auto sampler = std::make_shared<data::DistributedSampler>(
      10, data::DistributedSamplerOptions().num_replicas(2).rank(1).shuffle(false));
  data::DataLoader loader(dataset, data::DataLoaderOptions().batch_size(2).sampler(sampler), data::stack_collate);
  REQUIRE(loader.size() == 3);  // 5 examples on this rank
  std::vector<double> got;
  for (std::vector<Tensor>& batch : loader)
    for (double v : batch[0].to_vector<double>()) got.push_back(v);
  REQUIRE(got == std::vector<double>{1, 3, 5, 7, 9});
}
