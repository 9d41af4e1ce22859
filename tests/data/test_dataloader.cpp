// DataLoader: order reproducibility across worker counts, batch sizes, drop_last, custom
// collate, worker exceptions, early exit, bounded prefetching and option validation.
#include "data/dataloader.h"

#include "core/error.h"

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <thread>

using Catch::Contains;
using ember::Tensor;
using namespace ember::data;
using Indices = std::vector<std::int64_t>;

namespace {

// Example i is the integer i; get() can be made slow or failing, and counts its calls.
class IntDataset : public Dataset<std::int64_t> {
 public:
  explicit IntDataset(std::int64_t n, std::int64_t fail_at = -1) : n_(n), fail_at_(fail_at) {}
  std::int64_t size() const override { return n_; }
  std::int64_t get(std::int64_t index) const override {
    ++calls;
    // Later indices finish sooner, so workers complete out of order.
    if (jitter) std::this_thread::sleep_for(std::chrono::microseconds(200 * ((n_ - index) % 5)));
    if (index == fail_at_) {
      throw ember::ValueError("IntDataset: bad example " + std::to_string(index));
    }
    return index;
  }
  mutable std::atomic<std::int64_t> calls{0};
  bool jitter = false;

 private:
  std::int64_t n_, fail_at_;
};

std::vector<Indices> one_epoch(DataLoader<std::int64_t>& loader) {
  std::vector<Indices> batches;
  for (const Indices& batch : loader) batches.push_back(batch);
  return batches;
}

std::vector<Tensor> tensors_23() {
  return {ember::arange(23.0), ember::arange(100.0, 123.0)};
}

}  // namespace

TEST_CASE("DataLoader: a seed fixes the batch sequence whatever the number of workers",
          "[data]") {
  auto dataset = std::make_shared<TensorDataset>(tensors_23());
  std::vector<Indices> runs;  // per worker count: both epochs of field 0, -1 between batches
  for (std::int64_t workers : {0, 1, 2}) {
    DataLoader loader(dataset,
                      DataLoaderOptions().batch_size(4).shuffle(true).seed(42).num_workers(workers),
                      stack_collate);
    std::vector<Indices> epochs;
    for (int epoch = 0; epoch < 2; ++epoch) {
      Indices order;
      for (std::vector<Tensor>& batch : loader) {
        const Indices x = batch[0].to_vector<std::int64_t>();
        const Indices y = batch[1].to_vector<std::int64_t>();
        for (std::size_t i = 0; i < x.size(); ++i) CHECK(y[i] == x[i] + 100);  // rows stay paired
        order.insert(order.end(), x.begin(), x.end());
        order.push_back(-1);  // batch boundary
      }
      epochs.push_back(order);
    }
    CHECK(epochs[0] != epochs[1]);  // a new permutation each epoch
    runs.push_back(epochs[0]);
    runs.back().insert(runs.back().end(), epochs[1].begin(), epochs[1].end());
  }
  CHECK(runs[0] == runs[1]);
  CHECK(runs[0] == runs[2]);
  // 23 examples in batches of 4: six boundaries per epoch, every index once.
  CHECK(std::count(runs[0].begin(), runs[0].end(), -1) == 12);
}

TEST_CASE("DataLoader: same seed gives the same order on a fresh loader", "[data]") {
  auto dataset = std::make_shared<IntDataset>(30);
  const auto options = DataLoaderOptions().batch_size(7).shuffle(true).seed(9);
  DataLoader<std::int64_t> a(dataset, options), b(dataset, options);
  CHECK(one_epoch(a) == one_epoch(b));
  DataLoader<std::int64_t> c(dataset, DataLoaderOptions().batch_size(7).shuffle(true).seed(10));
  CHECK(one_epoch(a) != one_epoch(c));
}

TEST_CASE("DataLoader: batch sizes, the last batch and drop_last", "[data]") {
  auto dataset = std::make_shared<IntDataset>(10);
  DataLoader<std::int64_t> keep(dataset, DataLoaderOptions().batch_size(4));
  CHECK(keep.size() == 3);
  CHECK(one_epoch(keep) == std::vector<Indices>{{0, 1, 2, 3}, {4, 5, 6, 7}, {8, 9}});
  DataLoader<std::int64_t> drop(dataset, DataLoaderOptions().batch_size(4).drop_last(true));
  CHECK(drop.size() == 2);
  CHECK(one_epoch(drop) == std::vector<Indices>{{0, 1, 2, 3}, {4, 5, 6, 7}});
  DataLoader<std::int64_t> shuffled(
      dataset, DataLoaderOptions().batch_size(3).shuffle(true).drop_last(true).seed(1));
  const auto batches = one_epoch(shuffled);
  REQUIRE(batches.size() == 3);
  for (const auto& batch : batches) CHECK(batch.size() == 3);
  DataLoader<std::int64_t> single(dataset);
  CHECK(single.size() == 10);
  CHECK(one_epoch(single).back() == Indices{9});
}

TEST_CASE("DataLoader: a custom collate builds any batch type", "[data]") {
  auto dataset = std::make_shared<IntDataset>(9);
  DataLoader loader(dataset, DataLoaderOptions().batch_size(4).num_workers(2),
                    [](std::vector<std::int64_t> examples) {
                      std::int64_t sum = 0;
                      for (auto x : examples) sum += x;
                      return sum;
                    });
  static_assert(std::is_same_v<decltype(loader), DataLoader<std::int64_t, std::int64_t>>);
  Indices sums;
  for (std::int64_t sum : loader) sums.push_back(sum);
  CHECK(sums == Indices{6, 22, 8});
}

TEST_CASE("DataLoader: workers return batches in sampler order", "[data]") {
  auto dataset = std::make_shared<IntDataset>(64);
  dataset->jitter = true;
  DataLoader<std::int64_t> loader(dataset, DataLoaderOptions().batch_size(2).num_workers(4));
  Indices seen;
  for (const Indices& batch : loader) seen.insert(seen.end(), batch.begin(), batch.end());
  Indices expected(64);
  std::iota(expected.begin(), expected.end(), 0);
  CHECK(seen == expected);
}

TEST_CASE("DataLoader: a worker's exception reaches the caller at the failing batch",
          "[data]") {
  for (std::int64_t workers : {0, 1, 2}) {
    auto dataset = std::make_shared<IntDataset>(20, /*fail_at=*/13);
    DataLoader<std::int64_t> loader(dataset,
                                    DataLoaderOptions().batch_size(4).num_workers(workers));
    std::vector<Indices> received;
    const auto iterate = [&] {
      for (const Indices& batch : loader) received.push_back(batch);
    };
    INFO("num_workers=" << workers);
    REQUIRE_THROWS_AS(iterate(), ember::ValueError);
    // Batches 0-2 arrive; batch 3 ({12, 13, 14, 15}) fails.
    CHECK(received == std::vector<Indices>{{0, 1, 2, 3}, {4, 5, 6, 7}, {8, 9, 10, 11}});
    received.clear();
    REQUIRE_THROWS_WITH(iterate(), Contains("bad example 13"));
  }
}

TEST_CASE("DataLoader: leaving an epoch early stops the workers", "[data]") {
  auto dataset = std::make_shared<IntDataset>(1000);
  DataLoader<std::int64_t> loader(dataset, DataLoaderOptions().batch_size(5).num_workers(2));
  std::int64_t taken = 0;
  for (const Indices& batch : loader) {
    CHECK(batch.front() == 5 * taken);
    if (++taken == 3) break;
  }
  CHECK(taken == 3);
  CHECK(dataset->calls.load() < 1000);
}

TEST_CASE("DataLoader: prefetching is bounded by prefetch_factor * num_workers", "[data]") {
  auto dataset = std::make_shared<IntDataset>(100);
  DataLoader<std::int64_t> loader(
      dataset, DataLoaderOptions().batch_size(2).num_workers(2).prefetch_factor(2));
  auto it = loader.begin();  // batch 0 is taken: at most batches 1..4 may be loaded ahead
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  CHECK(dataset->calls.load() <= 2 * (1 + 4));
  CHECK(*it == Indices{0, 1});
}

TEST_CASE("DataLoader: without a seed, manual_seed fixes the order", "[data]") {
  auto dataset = std::make_shared<IntDataset>(25);
  DataLoader<std::int64_t> loader(dataset, DataLoaderOptions().batch_size(5).shuffle(true));
  ember::manual_seed(77);
  const auto first = one_epoch(loader);
  ember::manual_seed(77);
  CHECK(one_epoch(loader) == first);
}

TEST_CASE("DataLoader: a BatchSampler replaces batch_size and shuffle", "[data]") {
  auto dataset = std::make_shared<IntDataset>(7);
  auto sampler = std::make_shared<BucketSampler>(
      Indices{5, 1, 4, 2, 3, 9, 7}, BucketSamplerOptions(2).pool_factor(2).shuffle(false));
  DataLoader<std::int64_t> loader(dataset, DataLoaderOptions().batch_sampler(sampler));
  CHECK(loader.size() == 4);
  CHECK(one_epoch(loader) == std::vector<Indices>{{1, 3}, {2, 0}, {4, 6}, {5}});
}

TEST_CASE("DataLoader: invalid or conflicting options name the option", "[data]") {
  auto dataset = std::make_shared<IntDataset>(7);
  using Loader = DataLoader<std::int64_t>;
  REQUIRE_THROWS_WITH(Loader(dataset, DataLoaderOptions().batch_size(0)),
                      Contains("batch_size=0 is invalid; expected >= 1"));
  REQUIRE_THROWS_WITH(Loader(dataset, DataLoaderOptions().num_workers(-1)),
                      Contains("num_workers=-1 is invalid"));
  REQUIRE_THROWS_WITH(Loader(dataset, DataLoaderOptions().prefetch_factor(0)),
                      Contains("prefetch_factor=0 is invalid"));
  REQUIRE_THROWS_WITH(
      Loader(dataset,
             DataLoaderOptions().shuffle(true).sampler(std::make_shared<SequentialSampler>(7))),
      Contains("sampler option is mutually exclusive with shuffle"));
  auto batches = std::make_shared<FixedSizeBatchSampler>(std::make_shared<SequentialSampler>(7),
                                                         2, false);
  REQUIRE_THROWS_WITH(Loader(dataset, DataLoaderOptions().batch_sampler(batches).batch_size(3)),
                      Contains("batch_sampler option is mutually exclusive with batch_size"));
  REQUIRE_THROWS_WITH(
      Loader(dataset, DataLoaderOptions().shuffle(true).seed(1).generator(ember::Generator(1))),
      Contains("seed and generator options are mutually exclusive"));
  REQUIRE_THROWS_AS(Loader(nullptr), ember::ValueError);
}

TEST_CASE("DataLoader: a custom sampler sets the order", "[data]") {
  struct Reverse : Sampler {
    std::vector<std::int64_t> epoch_order() override { return {4, 3, 2, 1, 0}; }
    std::int64_t size() const override { return 5; }
  };
  auto dataset = std::make_shared<IntDataset>(5);
  DataLoader<std::int64_t> loader(
      dataset, DataLoaderOptions().batch_size(2).sampler(std::make_shared<Reverse>()));
  CHECK(one_epoch(loader) == std::vector<Indices>{{4, 3}, {2, 1}, {0}});
}
