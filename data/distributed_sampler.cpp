// data::DistributedSampler: a seeded permutation shared by every rank, padded and strided per rank.
#include "data/distributed_sampler.h"

#include "core/distributed.h"

#include <numeric>
#include <utility>

namespace ember::data {

DistributedSampler::DistributedSampler(std::int64_t dataset_size, DistributedSamplerOptions options)
    : dataset_size_(dataset_size), options_(std::move(options)) {
  EMBER_CHECK(dataset_size >= 0, ValueError, "DistributedSampler: dataset size {} is negative", dataset_size);
  const bool need_group = !options_.num_replicas() || !options_.rank();
  EMBER_CHECK(!need_group || distributed::is_initialized(), Error,
              "DistributedSampler: num_replicas and rank default to the process group's, but it is not "
              "initialized; call distributed::init() or set both options");
  num_replicas_ = options_.num_replicas() ? *options_.num_replicas() : distributed::world_size();
  rank_ = options_.rank() ? *options_.rank() : distributed::rank();
  EMBER_CHECK(num_replicas_ >= 1, ValueError, "DistributedSampler: num_replicas={} is invalid; expected >= 1",
              num_replicas_);
  EMBER_CHECK(rank_ >= 0 && rank_ < num_replicas_, ValueError,
              "DistributedSampler: rank {} is out of range; expected [0, {})", rank_, num_replicas_);
  // PyTorch's num_samples: with drop_last, ceil((n - R) / R) = floor(n / R); otherwise ceil(n / R).
  num_samples_ = options_.drop_last() ? dataset_size_ / num_replicas_
                                      : (dataset_size_ + num_replicas_ - 1) / num_replicas_;
}

std::vector<std::int64_t> DistributedSampler::epoch_order() {
  std::vector<std::int64_t> indices(dataset_size_);
  if (options_.shuffle()) {
    // seed + epoch, not a running generator: every rank draws the same permutation, and epoch k's
    // order does not depend on how many epochs ran before it (resuming replays it exactly).
    Generator generator(options_.seed() + static_cast<std::uint64_t>(epoch_));
    indices = randperm(dataset_size_, generator).to_vector<std::int64_t>();
  } else {
    std::iota(indices.begin(), indices.end(), 0);
  }
  // Pad by repeating the permutation from its start (several times over if the dataset is smaller
  // than the padding), or cut the tail with drop_last, so every rank gets num_samples indices.
  const std::int64_t total_size = num_samples_ * num_replicas_;
  if (total_size > dataset_size_) {
    indices.reserve(total_size);
    for (std::int64_t i = dataset_size_; i < total_size; ++i) {
      const std::int64_t repeated = indices[i - dataset_size_];
      indices.push_back(repeated);
    }
  } else {
    indices.resize(total_size);
  }
  std::vector<std::int64_t> shard;
  shard.reserve(num_samples_);
  for (std::int64_t i = rank_; i < total_size; i += num_replicas_) shard.push_back(indices[i]);
  return shard;
}

}  // namespace ember::data
