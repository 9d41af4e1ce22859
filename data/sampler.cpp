// Sequential, random, fixed-size batch and bucketing samplers.
#include "data/sampler.h"

#include <algorithm>
#include <numeric>
#include <utility>

namespace ember::data {

std::vector<std::int64_t> random_permutation(std::int64_t n, std::optional<Generator>& generator) {
  if (generator) return randperm(n, *generator).to_vector<std::int64_t>();
  Generator epoch_generator(default_generator().next_u64());
  return randperm(n, epoch_generator).to_vector<std::int64_t>();
}

SequentialSampler::SequentialSampler(std::int64_t n) : n_(n) {
  EMBER_CHECK(n >= 0, ValueError, "SequentialSampler: size {} is negative", n);
}

std::vector<std::int64_t> SequentialSampler::epoch_order() {
  std::vector<std::int64_t> order(n_);
  std::iota(order.begin(), order.end(), 0);
  return order;
}

RandomSampler::RandomSampler(std::int64_t n, std::optional<Generator> generator)
    : n_(n), generator_(std::move(generator)) {
  EMBER_CHECK(n >= 0, ValueError, "RandomSampler: size {} is negative", n);
}

std::vector<std::int64_t> RandomSampler::epoch_order() {
  return random_permutation(n_, generator_);
}

FixedSizeBatchSampler::FixedSizeBatchSampler(std::shared_ptr<Sampler> sampler,
                                             std::int64_t batch_size, bool drop_last)
    : sampler_(std::move(sampler)), batch_size_(batch_size), drop_last_(drop_last) {
  EMBER_CHECK(sampler_ != nullptr, ValueError, "FixedSizeBatchSampler: the sampler is null");
  EMBER_CHECK(batch_size >= 1, ValueError,
              "FixedSizeBatchSampler: batch_size={} is invalid; expected >= 1", batch_size);
}

std::vector<IndexBatch> FixedSizeBatchSampler::epoch_batches() {
  const std::vector<std::int64_t> order = sampler_->epoch_order();
  std::vector<IndexBatch> batches;
  for (std::size_t start = 0; start < order.size(); start += batch_size_) {
    const std::size_t end = std::min(order.size(), start + batch_size_);
    if (drop_last_ && end - start < static_cast<std::size_t>(batch_size_)) break;
    batches.emplace_back(order.begin() + start, order.begin() + end);
  }
  return batches;
}

std::int64_t FixedSizeBatchSampler::num_batches() const {
  const std::int64_t n = sampler_->size();
  return drop_last_ ? n / batch_size_ : (n + batch_size_ - 1) / batch_size_;
}

BucketSampler::BucketSampler(std::vector<std::int64_t> lengths, BucketSamplerOptions options)
    : lengths_(std::move(lengths)), options_(std::move(options)), generator_(options_.generator()) {
  EMBER_CHECK(options_.batch_size() >= 1, ValueError,
              "BucketSampler: batch_size={} is invalid; expected >= 1", options_.batch_size());
  EMBER_CHECK(options_.pool_factor() >= 1, ValueError,
              "BucketSampler: pool_factor={} is invalid; expected >= 1", options_.pool_factor());
  for (std::size_t i = 0; i < lengths_.size(); ++i) {
    EMBER_CHECK(lengths_[i] >= 0, ValueError, "BucketSampler: length {} of example {} is negative",
                lengths_[i], i);
  }
}

std::vector<IndexBatch> BucketSampler::epoch_batches() {
  const auto n = static_cast<std::int64_t>(lengths_.size());
  const std::int64_t batch_size = options_.batch_size();
  std::vector<std::int64_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  if (options_.shuffle()) order = random_permutation(n, generator_);

  // Chunks hold a whole number of batches, so only the very last batch can be short.
  const std::int64_t chunk = options_.pool_factor() * batch_size;
  std::vector<IndexBatch> batches;
  for (std::int64_t chunk_start = 0; chunk_start < n; chunk_start += chunk) {
    const std::int64_t chunk_end = std::min(n, chunk_start + chunk);
    std::stable_sort(order.begin() + chunk_start, order.begin() + chunk_end,
                     [&](std::int64_t a, std::int64_t b) { return lengths_[a] < lengths_[b]; });
    for (std::int64_t start = chunk_start; start < chunk_end; start += batch_size) {
      const std::int64_t end = std::min(chunk_end, start + batch_size);
      if (options_.drop_last() && end - start < batch_size) break;
      batches.emplace_back(order.begin() + start, order.begin() + end);
    }
  }
  if (!options_.shuffle()) return batches;

  std::vector<IndexBatch> shuffled;
  shuffled.reserve(batches.size());
  for (std::int64_t k : random_permutation(static_cast<std::int64_t>(batches.size()), generator_)) {
    shuffled.push_back(std::move(batches[k]));
  }
  return shuffled;
}

std::int64_t BucketSampler::num_batches() const {
  const auto n = static_cast<std::int64_t>(lengths_.size());
  const std::int64_t batch_size = options_.batch_size();
  return options_.drop_last() ? n / batch_size : (n + batch_size - 1) / batch_size;
}

}  // namespace ember::data
