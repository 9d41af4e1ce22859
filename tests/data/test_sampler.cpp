// Samplers: sequential and seeded random orders, fixed-size batching, bucketing by length.
#include "data/sampler.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <numeric>

using namespace ember::data;
using Indices = std::vector<std::int64_t>;

namespace {

bool is_permutation_of_range(Indices order, std::int64_t n) {
  std::sort(order.begin(), order.end());
  Indices expected(n);
  std::iota(expected.begin(), expected.end(), 0);
  return order == expected;
}

// Padding a batch needs: batch size * longest length - real tokens.
std::int64_t padding(const std::vector<IndexBatch>& batches, const Indices& lengths) {
  std::int64_t total = 0;
  for (const auto& batch : batches) {
    std::int64_t longest = 0, tokens = 0;
    for (auto i : batch) longest = std::max(longest, lengths[i]), tokens += lengths[i];
    total += longest * static_cast<std::int64_t>(batch.size()) - tokens;
  }
  return total;
}

Indices random_lengths(std::int64_t n, std::uint64_t seed) {
  ember::Generator generator(seed);
  Indices lengths(n);
  for (auto& length : lengths) length = 1 + static_cast<std::int64_t>(generator.next_u64() % 200);
  return lengths;
}

}  // namespace

TEST_CASE("SequentialSampler visits 0..n-1", "[data]") {
  SequentialSampler sampler(5);
  CHECK(sampler.epoch_order() == Indices{0, 1, 2, 3, 4});
  CHECK(sampler.size() == 5);
}

TEST_CASE("RandomSampler: same seed, same epochs; each epoch a new permutation", "[data]") {
  RandomSampler a(50, ember::Generator(7));
  RandomSampler b(50, ember::Generator(7));
  const Indices a1 = a.epoch_order(), a2 = a.epoch_order();
  CHECK(a1 == b.epoch_order());
  CHECK(a2 == b.epoch_order());
  CHECK(a1 != a2);
  CHECK(is_permutation_of_range(a1, 50));
  CHECK(is_permutation_of_range(a2, 50));
  CHECK(RandomSampler(50, ember::Generator(8)).epoch_order() != a1);
}

TEST_CASE("RandomSampler without a generator follows manual_seed", "[data]") {
  RandomSampler sampler(40);
  ember::manual_seed(123);
  const Indices first = sampler.epoch_order();
  ember::manual_seed(123);
  CHECK(sampler.epoch_order() == first);
  CHECK(sampler.epoch_order() != first);
}

TEST_CASE("FixedSizeBatchSampler: last batch shorter, or dropped", "[data]") {
  auto sequential = std::make_shared<SequentialSampler>(10);
  FixedSizeBatchSampler keep(sequential, 4, false);
  CHECK(keep.epoch_batches() == std::vector<IndexBatch>{{0, 1, 2, 3}, {4, 5, 6, 7}, {8, 9}});
  CHECK(keep.num_batches() == 3);
  FixedSizeBatchSampler drop(sequential, 4, true);
  CHECK(drop.epoch_batches() == std::vector<IndexBatch>{{0, 1, 2, 3}, {4, 5, 6, 7}});
  CHECK(drop.num_batches() == 2);
  FixedSizeBatchSampler exact(std::make_shared<SequentialSampler>(8), 4, true);
  CHECK(exact.num_batches() == 2);
  CHECK(exact.epoch_batches().size() == 2);
  REQUIRE_THROWS_WITH(FixedSizeBatchSampler(sequential, 0, false),
                      Catch::Contains("batch_size=0 is invalid"));
}

TEST_CASE("BucketSampler covers every example once, in batches of similar length", "[data]") {
  const Indices lengths = random_lengths(1000, 1);
  BucketSampler sampler(lengths,
                        BucketSamplerOptions(32).pool_factor(10).generator(ember::Generator(3)));
  const std::vector<IndexBatch> batches = sampler.epoch_batches();
  REQUIRE(static_cast<std::int64_t>(batches.size()) == sampler.num_batches());
  REQUIRE(batches.size() == 32);  // ceil(1000 / 32)
  Indices all;
  std::int64_t short_batches = 0;
  for (const auto& batch : batches) {
    all.insert(all.end(), batch.begin(), batch.end());
    if (batch.size() != 32) {
      ++short_batches;
      CHECK(batch.size() == 1000 % 32);
    }
    // Sorted within its chunk, so each batch is in ascending length order.
    CHECK(std::is_sorted(batch.begin(), batch.end(),
                         [&](auto a, auto b) { return lengths[a] < lengths[b]; }));
  }
  CHECK(short_batches == 1);
  CHECK(is_permutation_of_range(all, 1000));
}

TEST_CASE("BucketSampler needs far less padding than random batches", "[data]") {
  const Indices lengths = random_lengths(3200, 2);
  BucketSampler bucket(lengths, BucketSamplerOptions(32).generator(ember::Generator(5)));
  FixedSizeBatchSampler random(
      std::make_shared<RandomSampler>(3200, ember::Generator(5)), 32, false);
  const std::int64_t bucket_padding = padding(bucket.epoch_batches(), lengths);
  const std::int64_t random_padding = padding(random.epoch_batches(), lengths);
  INFO("padding: bucket " << bucket_padding << ", random " << random_padding);
  CHECK(random_padding > 0);
  CHECK(bucket_padding * 10 < random_padding);
}

TEST_CASE("BucketSampler is reproducible for a seed and reshuffles each epoch", "[data]") {
  const Indices lengths = random_lengths(500, 4);
  BucketSampler a(lengths, BucketSamplerOptions(16).generator(ember::Generator(11)));
  BucketSampler b(lengths, BucketSamplerOptions(16).generator(ember::Generator(11)));
  const auto a1 = a.epoch_batches();
  CHECK(a1 == b.epoch_batches());
  CHECK(a.epoch_batches() != a1);
}

TEST_CASE("BucketSampler drop_last keeps only full batches; no shuffle keeps chunk order",
          "[data]") {
  const Indices lengths = {5, 1, 4, 2, 3, 9, 7};
  BucketSampler drop(lengths,
                     BucketSamplerOptions(2).drop_last(true).generator(ember::Generator(1)));
  const auto batches = drop.epoch_batches();
  CHECK(drop.num_batches() == 3);
  REQUIRE(batches.size() == 3);
  for (const auto& batch : batches) CHECK(batch.size() == 2);

  BucketSampler ordered(lengths, BucketSamplerOptions(2).pool_factor(2).shuffle(false));
  // Chunks of 4: {5,1,4,2} -> lengths sorted 1,2,4,5; then {3,9,7} -> 3,7,9.
  CHECK(ordered.epoch_batches() == std::vector<IndexBatch>{{1, 3}, {2, 0}, {4, 6}, {5}});
  REQUIRE_THROWS_WITH(BucketSampler({1, -2}, BucketSamplerOptions(2)),
                      Catch::Contains("length -2 of example 1 is negative"));
}
