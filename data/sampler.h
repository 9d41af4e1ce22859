// Samplers decide which examples go into which batch, and in what order, once per epoch.
// A Sampler yields an order of example indices; a BatchSampler yields the batches themselves.
// Randomness comes from an ember::Generator, so a seed fixes the whole sequence of epochs.
#pragma once

#include "core/arg.h"
#include "core/tensor.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

namespace ember::data {

using IndexBatch = std::vector<std::int64_t>;

// The order in which one epoch visits the examples (torch.utils.data.Sampler).
class Sampler {
 public:
  virtual ~Sampler() = default;
  // Called once at the start of every epoch, on the thread that iterates the DataLoader.
  virtual std::vector<std::int64_t> epoch_order() = 0;
  virtual std::int64_t size() const = 0;
};

// 0, 1, ..., n-1 every epoch.
class SequentialSampler : public Sampler {
 public:
  explicit SequentialSampler(std::int64_t n);
  std::vector<std::int64_t> epoch_order() override;
  std::int64_t size() const override { return n_; }

 private:
  std::int64_t n_;
};

// randperm(n) every epoch, a new permutation each time. With a generator, permutations are
// drawn from it (copies of a Generator share its state). Without one, each epoch seeds a
// private generator from the global one, as PyTorch does: manual_seed() then fixes the order.
class RandomSampler : public Sampler {
 public:
  explicit RandomSampler(std::int64_t n, std::optional<Generator> generator = std::nullopt);
  std::vector<std::int64_t> epoch_order() override;
  std::int64_t size() const override { return n_; }

 private:
  std::int64_t n_;
  std::optional<Generator> generator_;
};

// The batches of one epoch (torch.utils.data's batch_sampler).
class BatchSampler {
 public:
  virtual ~BatchSampler() = default;
  // Called once at the start of every epoch, on the thread that iterates the DataLoader.
  virtual std::vector<IndexBatch> epoch_batches() = 0;
  virtual std::int64_t num_batches() const = 0;
};

// Consecutive indices of a Sampler's order, batch_size at a time; the last batch is shorter
// unless drop_last drops it. 10 examples, batch_size 4: sizes 4, 4, 2 (or 4, 4).
class FixedSizeBatchSampler : public BatchSampler {
 public:
  FixedSizeBatchSampler(std::shared_ptr<Sampler> sampler, std::int64_t batch_size,
                        bool drop_last);
  std::vector<IndexBatch> epoch_batches() override;
  std::int64_t num_batches() const override;

 private:
  std::shared_ptr<Sampler> sampler_;
  std::int64_t batch_size_;
  bool drop_last_;
};

struct BucketSamplerOptions {
  explicit BucketSamplerOptions(std::int64_t batch_size) : batch_size_(batch_size) {}
  /// Examples per batch (required).
  EMBER_ARG(std::int64_t, batch_size);
  /// Examples sorted together: pool_factor * batch_size per chunk. Default: 100 (torchtext).
  EMBER_ARG(std::int64_t, pool_factor) = 100;
  /// Drop the one batch shorter than batch_size. Default: false.
  EMBER_ARG(bool, drop_last) = false;
  /// Shuffle the examples before chunking and the batches afterwards. Default: true. When false,
  /// the chunks follow the dataset order and batches come out sorted within each chunk.
  EMBER_ARG(bool, shuffle) = true;
  /// Source of randomness; default: a private generator seeded from the global one each epoch.
  EMBER_ARG(std::optional<Generator>, generator);
};

// Groups examples of similar length so that batches need little padding (torchtext's
// BucketIterator "pool"): shuffle all indices, cut them into chunks of pool_factor * batch_size,
// sort each chunk by length (stable), slice it into batches, and shuffle the order of batches.
class BucketSampler : public BatchSampler {
 public:
  BucketSampler(std::vector<std::int64_t> lengths, BucketSamplerOptions options);
  std::vector<IndexBatch> epoch_batches() override;
  std::int64_t num_batches() const override;

 private:
  std::vector<std::int64_t> lengths_;
  BucketSamplerOptions options_;
  std::optional<Generator> generator_;  // advanced every epoch
};

// One permutation of [0, n), from `generator` or, without one, from a private generator seeded
// by the global generator (the per-epoch rule shared by RandomSampler and BucketSampler).
std::vector<std::int64_t> random_permutation(std::int64_t n, std::optional<Generator>& generator);

}  // namespace ember::data
