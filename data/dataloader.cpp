// DataLoaderOptions validation and the choice of batch sampler, with PyTorch's rules and
// messages for conflicting options.
#include "data/dataloader.h"

namespace ember::data {

std::shared_ptr<BatchSampler> make_batch_sampler(const DataLoaderOptions& options,
                                                 std::int64_t dataset_size) {
  EMBER_CHECK(options.batch_size() >= 1, ValueError,
              "DataLoader: batch_size={} is invalid; expected >= 1", options.batch_size());
  EMBER_CHECK(options.num_workers() >= 0, ValueError,
              "DataLoader: num_workers={} is invalid; expected >= 0", options.num_workers());
  EMBER_CHECK(options.prefetch_factor() >= 1, ValueError,
              "DataLoader: prefetch_factor={} is invalid; expected >= 1",
              options.prefetch_factor());
  EMBER_CHECK(!(options.seed() && options.generator()), ValueError,
              "DataLoader: seed and generator options are mutually exclusive");
  if (options.batch_sampler()) {
    EMBER_CHECK(options.batch_size() == 1 && !options.shuffle() && !options.sampler() &&
                    !options.drop_last(),
                ValueError,
                "DataLoader: batch_sampler option is mutually exclusive with batch_size, "
                "shuffle, sampler, and drop_last");
    return options.batch_sampler();
  }
  EMBER_CHECK(!(options.sampler() && options.shuffle()), ValueError,
              "DataLoader: sampler option is mutually exclusive with shuffle");

  std::shared_ptr<Sampler> sampler = options.sampler();
  if (!sampler && options.shuffle()) {
    std::optional<Generator> generator = options.generator();
    if (options.seed()) generator = Generator(*options.seed());
    sampler = std::make_shared<RandomSampler>(dataset_size, generator);
  } else if (!sampler) {
    sampler = std::make_shared<SequentialSampler>(dataset_size);
  }
  return std::make_shared<FixedSizeBatchSampler>(sampler, options.batch_size(),
                                                 options.drop_last());
}

}  // namespace ember::data
