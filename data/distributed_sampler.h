// data::DistributedSampler: each rank's shard of a dataset (torch.utils.data.DistributedSampler).
// Every rank draws the same seeded permutation, pads it to a multiple of the world size, and
// takes every num_replicas-th index from position `rank`: the shards are disjoint (up to the
// padding) and together cover the dataset. Plug it into DataLoaderOptions::sampler:
//
//   auto sampler = std::make_shared<data::DistributedSampler>(dataset->size(),
//                                                             data::DistributedSamplerOptions().seed(7));
//   data::DataLoader loader(dataset, data::DataLoaderOptions().batch_size(32).sampler(sampler));
//   for (int epoch = 0; epoch < epochs; ++epoch) {
//     sampler->set_epoch(epoch);  // as in PyTorch: without it every epoch has the same order
//     for (auto& batch : loader) { ... }
//   }
#pragma once

#include "core/arg.h"
#include "data/sampler.h"

#include <cstdint>
#include <optional>
#include <vector>

namespace ember::data {

struct DistributedSamplerOptions {
  /// Number of shards. Default: distributed::world_size() (the group must be initialized).
  EMBER_ARG(std::optional<std::int64_t>, num_replicas);
  /// This process's shard, in [0, num_replicas). Default: distributed::rank().
  EMBER_ARG(std::optional<std::int64_t>, rank);
  /// Permute the indices every epoch (with seed + epoch). Default: true.
  EMBER_ARG(bool, shuffle) = true;
  /// Base seed of the permutation; must be the same on every rank. Default: 0.
  EMBER_ARG(std::uint64_t, seed) = 0;
  /// Drop the tail so that every shard is equal without padding; otherwise the permutation is
  /// padded by repeating its first indices. Default: false.
  EMBER_ARG(bool, drop_last) = false;
};

class DistributedSampler : public Sampler {
 public:
  DistributedSampler(std::int64_t dataset_size, DistributedSamplerOptions options = {});

  // This rank's indices for the current epoch: size() of them.
  std::vector<std::int64_t> epoch_order() override;
  // Indices per rank: ceil(n / num_replicas), or floor with drop_last (PyTorch's num_samples).
  std::int64_t size() const override { return num_samples_; }
  // The epoch whose order epoch_order() returns; call it before each epoch.
  void set_epoch(std::int64_t epoch) { epoch_ = epoch; }
  std::int64_t epoch() const { return epoch_; }
  std::int64_t num_replicas() const { return num_replicas_; }
  std::int64_t rank() const { return rank_; }

 private:
  std::int64_t dataset_size_;
  DistributedSamplerOptions options_;
  std::int64_t num_replicas_;
  std::int64_t rank_;
  std::int64_t num_samples_;
  std::int64_t epoch_ = 0;
};

}  // namespace ember::data
