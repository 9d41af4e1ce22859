// DataLoader: batches of a Dataset in sampler order, optionally prefetched by worker threads.
//
//   auto dataset = std::make_shared<data::TensorDataset>(std::vector<Tensor>{x, y});
//   auto options = data::DataLoaderOptions().batch_size(32).shuffle(true).seed(0);
//   data::DataLoader loader(dataset, options, data::stack_collate);
//   for (std::vector<Tensor>& batch : loader) { ... }   // one epoch; iterate again for the next
//
// Every epoch the batch sampler fixes the whole order on the calling thread before any worker
// starts, so the batches (and their order) depend on the seed only, never on num_workers.
#pragma once

#include "core/arg.h"
#include "data/dataset.h"
#include "data/sampler.h"

#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <iterator>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

namespace ember::data {

struct DataLoaderOptions {
  /// Examples per batch. Default: 1.
  EMBER_ARG(std::int64_t, batch_size) = 1;
  /// Visit the examples in a new random order every epoch (RandomSampler). Default: false.
  EMBER_ARG(bool, shuffle) = false;
  /// Drop the last batch when it is shorter than batch_size. Default: false.
  EMBER_ARG(bool, drop_last) = false;
  /// Worker threads that load batches ahead of the caller; 0 loads on the calling thread.
  /// Default: 0.
  EMBER_ARG(std::int64_t, num_workers) = 0;
  /// Batches loaded ahead per worker: at most prefetch_factor * num_workers are in flight.
  /// Default: 2 (as PyTorch).
  EMBER_ARG(std::int64_t, prefetch_factor) = 2;
  /// Seed of the shuffling generator: same seed, same sequence of epochs. Default: none (the
  /// global generator, see RandomSampler). Exclusive with `generator`.
  EMBER_ARG(std::optional<std::uint64_t>, seed);
  /// The shuffling generator itself. Default: none. Exclusive with `seed`.
  EMBER_ARG(std::optional<Generator>, generator);
  /// Custom order of examples. Exclusive with shuffle. Default: none (sequential or random).
  EMBER_ARG(std::shared_ptr<Sampler>, sampler);
  /// Custom batches (e.g. BucketSampler). Exclusive with batch_size, shuffle, sampler and
  /// drop_last, as in PyTorch. Default: none.
  EMBER_ARG(std::shared_ptr<BatchSampler>, batch_sampler);
};

// Validates `options` (ValueError naming the offending option) and returns the batch sampler
// they describe for a dataset of `dataset_size` examples.
std::shared_ptr<BatchSampler> make_batch_sampler(const DataLoaderOptions& options,
                                                 std::int64_t dataset_size);

// What DataLoader uses when no collate is given: the examples as they are when Batch is
// std::vector<Example>; stack_collate for TensorDataset examples.
template <typename Example, typename Batch>
Batch default_collate(std::vector<Example> examples) {
  if constexpr (std::is_same_v<Batch, std::vector<Example>>) {
    return examples;
  } else if constexpr (std::is_same_v<Example, std::vector<Tensor>> &&
                       std::is_same_v<Batch, std::vector<Tensor>>) {
    return stack_collate(std::move(examples));
  } else {
    static_assert(sizeof(Example) == 0, "DataLoader: this Batch type needs a collate function");
  }
}

template <typename Example, typename Batch = std::vector<Example>>
class DataLoader {
 public:
  // Turns the examples of one batch (in sampler order) into a batch. Workers call it
  // concurrently, so it must not mutate shared state.
  using Collate = std::function<Batch(std::vector<Example>)>;

  DataLoader(std::shared_ptr<const Dataset<Example>> dataset, const DataLoaderOptions& options = {},
             Collate collate = default_collate<Example, Batch>)
      : dataset_(std::move(dataset)), options_(options), collate_(std::move(collate)) {
    EMBER_CHECK(dataset_ != nullptr, ValueError, "DataLoader: the dataset is null");
    EMBER_CHECK(static_cast<bool>(collate_), ValueError, "DataLoader: the collate is empty");
    batch_sampler_ = make_batch_sampler(options_, dataset_->size());
  }

  // Number of batches per epoch.
  std::int64_t size() const { return batch_sampler_->num_batches(); }
  const DataLoaderOptions& options() const { return options_; }

  class Iterator;
  // Starts an epoch: draws its batch order and starts the workers. Loads (and waits for) the
  // first batch, so a failure there is thrown here.
  Iterator begin() {
    auto epoch = std::make_shared<Epoch>(dataset_, collate_, batch_sampler_->epoch_batches(),
                                         options_.num_workers(), options_.prefetch_factor());
    return Iterator(std::move(epoch));
  }
  std::default_sentinel_t end() const { return {}; }

 private:
  class Epoch;

  std::shared_ptr<const Dataset<Example>> dataset_;
  DataLoaderOptions options_;
  Collate collate_;
  std::shared_ptr<BatchSampler> batch_sampler_;
};

// An input iterator over one epoch. The batch it points to may be moved from.
template <typename Example, typename Batch>
class DataLoader<Example, Batch>::Iterator {
 public:
  using value_type = Batch;
  using difference_type = std::ptrdiff_t;

  explicit Iterator(std::shared_ptr<Epoch> epoch) : epoch_(std::move(epoch)) {
    current_ = epoch_->next();
  }
  Batch& operator*() const { return *current_; }
  Batch* operator->() const { return &*current_; }
  // Moves to the next batch; rethrows the exception of a batch that failed to load.
  Iterator& operator++() {
    current_.reset();
    current_ = epoch_->next();
    return *this;
  }
  void operator++(int) { ++*this; }
  bool operator==(std::default_sentinel_t) const { return !current_.has_value(); }

 private:
  std::shared_ptr<Epoch> epoch_;
  mutable std::optional<Batch> current_;
};

// One pass over the batches. Workers claim batch numbers in order, never running more than
// `capacity` ahead of the caller, and park results in `ready_` until the caller asks for them,
// so batches come out in sampler order whatever the thread timing.
template <typename Example, typename Batch>
class DataLoader<Example, Batch>::Epoch {
 public:
  Epoch(std::shared_ptr<const Dataset<Example>> dataset, Collate collate,
        std::vector<IndexBatch> batches, std::int64_t num_workers, std::int64_t prefetch_factor)
      : dataset_(std::move(dataset)),
        collate_(std::move(collate)),
        batches_(std::move(batches)),
        capacity_(static_cast<std::size_t>(num_workers * prefetch_factor)) {
    for (std::int64_t w = 0; w < num_workers; ++w) workers_.emplace_back([this] { work(); });
  }

  ~Epoch() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    work_available_.notify_all();
    for (auto& worker : workers_) worker.join();
  }

  // The next batch in order, or nothing after the last one.
  std::optional<Batch> next() {
    if (workers_.empty()) {
      if (next_to_return_ == batches_.size()) return std::nullopt;
      return load(next_to_return_++);
    }
    std::unique_lock<std::mutex> lock(mutex_);
    if (next_to_return_ == batches_.size()) return std::nullopt;
    batch_ready_.wait(lock, [&] { return ready_.count(next_to_return_) > 0; });
    auto node = ready_.extract(next_to_return_++);
    lock.unlock();
    work_available_.notify_all();  // the in-flight window moved on
    if (node.mapped().error) std::rethrow_exception(node.mapped().error);
    return std::move(node.mapped().batch);
  }

 private:
  struct Result {
    std::optional<Batch> batch;
    std::exception_ptr error;  // set when get() or collate threw
  };

  Batch load(std::size_t batch_number) const {
    const IndexBatch& indices = batches_[batch_number];
    std::vector<Example> examples;
    examples.reserve(indices.size());
    for (std::int64_t index : indices) examples.push_back(dataset_->get(index));
    return collate_(std::move(examples));
  }

  void work() {
    while (true) {
      std::unique_lock<std::mutex> lock(mutex_);
      work_available_.wait(lock, [&] {
        return stopping_ || next_to_load_ == batches_.size() ||
               next_to_load_ < next_to_return_ + capacity_;
      });
      if (stopping_ || next_to_load_ == batches_.size()) return;
      const std::size_t batch_number = next_to_load_++;
      lock.unlock();

      Result result;
      try {
        result.batch = load(batch_number);
      } catch (...) {
        result.error = std::current_exception();
      }
      lock.lock();
      ready_.emplace(batch_number, std::move(result));
      lock.unlock();
      batch_ready_.notify_all();
    }
  }

  std::shared_ptr<const Dataset<Example>> dataset_;
  Collate collate_;
  std::vector<IndexBatch> batches_;
  std::size_t capacity_;  // batches loaded or loading but not yet returned, at most

  std::mutex mutex_;  // guards everything below
  std::condition_variable work_available_;
  std::condition_variable batch_ready_;
  std::size_t next_to_load_ = 0;
  std::size_t next_to_return_ = 0;
  std::map<std::size_t, Result> ready_;
  bool stopping_ = false;
  std::vector<std::thread> workers_;  // last: started after every member above exists
};

// Deduction guides: `DataLoader loader(dataset, options)` and
// `DataLoader loader(dataset, options, collate)` need no template arguments.
template <typename D>
DataLoader(std::shared_ptr<D>) -> DataLoader<typename D::ExampleType>;
template <typename D>
DataLoader(std::shared_ptr<D>, DataLoaderOptions) -> DataLoader<typename D::ExampleType>;
template <typename D, typename F>
DataLoader(std::shared_ptr<D>, DataLoaderOptions, F)
    -> DataLoader<typename D::ExampleType,
                  std::invoke_result_t<F, std::vector<typename D::ExampleType>>>;

}  // namespace ember::data
