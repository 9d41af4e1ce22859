// nn::DistributedDataParallel: data-parallel training over ember::distributed (MPI), after
// torch.nn.parallel.DistributedDataParallel. Every rank holds a replica of the model, runs
// forward and backward on its own shard of the data, then averages the gradients:
//
//   distributed::init();
//   auto model = std::make_shared<Net>();
//   nn::DistributedDataParallel ddp(model);  // rank 0's weights on every rank
//   for (auto& batch : loader) {             // loader with a data::DistributedSampler
//     optimizer.zero_grad();
//     loss_of(*model, batch).backward();
//     ddp.synchronize_gradients();           // every rank now holds the mean gradient
//     optimizer.step();                      // identical on every rank: replicas stay equal
//   }
//
// Unlike PyTorch, ember has no backward hooks that start communication while backward runs, so
// the gradients are synchronized by an explicit call after backward.
#pragma once

#include "core/arg.h"
#include "nn/module.h"

#include <memory>
#include <string>
#include <vector>

namespace ember::nn {

struct DistributedDataParallelOptions {
  /// Dense gradients travel in flat buckets of about this many MiB, one all_reduce each (few
  /// large messages instead of one per parameter). Default: 25 (PyTorch's bucket_cap_mb).
  EMBER_ARG(double, bucket_cap_mb) = 25.0;
  /// Also broadcast the buffers (not only the parameters) from rank 0 at construction.
  /// Default: true.
  EMBER_ARG(bool, broadcast_buffers) = true;
};

class DistributedDataParallel {
 public:
  // Needs an initialized process group. Broadcasts rank 0's parameters (and buffers) so every
  // replica starts equal; every rank must construct it at the same point.
  explicit DistributedDataParallel(std::shared_ptr<Module> module,
                                   DistributedDataParallelOptions options = {});

  const std::shared_ptr<Module>& module() const { return module_; }
  const DistributedDataParallelOptions& options() const { return options_; }

  // Overwrites every rank's parameters (and buffers, with broadcast_buffers) with rank 0's.
  void broadcast_parameters();

  // Call on every rank after backward. Dense gradients are averaged with all_reduce, bucketed
  // into flat buffers of at most bucket_cap_mb, parameters taken in reverse registration order
  // (as PyTorch: backward produces the last layers' gradients first). Row-sparse gradients
  // (Embedding with sparse=true) are all-gathered, coalesced and divided by the world size: they
  // stay row-sparse. A parameter whose gradient is missing on some ranks counts as zero there.
  // Throws on every rank, before changing any gradient, when a parameter's gradient is dense on
  // some ranks and row-sparse on others.
  void synchronize_gradients();

  // The dense-gradient buckets of the last synchronize_gradients(): parameter names per bucket.
  const std::vector<std::vector<std::string>>& buckets() const { return buckets_; }

 private:
  std::shared_ptr<Module> module_;
  DistributedDataParallelOptions options_;
  std::vector<std::vector<std::string>> buckets_;
};

}  // namespace ember::nn
