// Benchmark workload 6 (docs/performance.md): fixed costs.
//   autograd_chain   forward + backward of a chain of 1000 tiny ops (y = y * 1.001 on 16 floats),
//                    so the time is the engine's per-op overhead (record a node, run its backward)
//   dataloader       one epoch of a DataLoader over 10,000 in-memory token sequences (5 to 60
//                    tokens), batch 32, shuffled, padded by the collate; reported per batch
// Twin: bench/overhead.py.
#include "bench/harness.h"

#include "autograd/ops.h"
#include "data/dataloader.h"
#include "data/text_dataset.h"

using namespace ember;

namespace {

constexpr int kChain = 1000;
constexpr std::int64_t kExamples = 10'000, kBatch = 32;

void autograd_chain(const bench::Args& args) {
  const Tensor x = randn({16}).requires_grad_();
  const bench::Timing t = bench::measure(
      [&] {
        Tensor y = x;
        for (int i = 0; i < kChain; ++i) y = y * 1.001;
        sum(y).backward();
      },
      5, args.repeats(200));
  bench::report("overhead", "autograd_chain", args.threads, t, fmt::format("\"ops\": {}", kChain + 1));
}

// Token sequences from the shared Lcg stream: length 5 + below(56), tokens in [1, 20000).
class Sequences : public data::Dataset<data::TextExample> {
 public:
  Sequences() {
    bench::Lcg lcg(7);
    for (std::int64_t i = 0; i < kExamples; ++i) {
      data::TextExample ex;
      const std::int64_t length = 5 + lcg.below(56);
      for (std::int64_t t = 0; t < length; ++t) ex.tokens.push_back(1 + lcg.below(19999));
      ex.label = lcg.below(10);
      examples_.push_back(std::move(ex));
    }
  }
  std::int64_t size() const override { return kExamples; }
  data::TextExample get(std::int64_t index) const override { return examples_[static_cast<std::size_t>(index)]; }

 private:
  std::vector<data::TextExample> examples_;
};

void dataloader(const bench::Args& args) {
  const auto dataset = std::make_shared<Sequences>();
  std::uint64_t epoch = 0;
  std::int64_t batches = 0;
  const bench::Timing t = bench::measure(
      [&] {
        data::DataLoader<data::TextExample, data::TextBatch> loader(
            dataset, data::DataLoaderOptions().batch_size(kBatch).shuffle(true).seed(epoch++),
            [](std::vector<data::TextExample> ex) { return data::pad_collate(std::move(ex), 0); });
        batches = 0;
        for (data::TextBatch& batch : loader) batches += batch.tokens.size(0) > 0;
      },
      1, args.repeats(10));
  bench::Timing per_batch = t;
  per_batch.median_ms /= static_cast<double>(batches);
  per_batch.min_ms /= static_cast<double>(batches);
  per_batch.cpu_median_ms /= static_cast<double>(batches);
  per_batch.faults_per_step /= static_cast<double>(batches);
  bench::report("overhead", "dataloader", args.threads, per_batch, fmt::format("\"batches\": {}", batches));
}

}  // namespace

int main(int argc, char** argv) {
  const bench::Args args(argc, argv);
  set_num_threads(args.threads);
  if (args.wants("autograd_chain")) autograd_chain(args);
  if (args.wants("dataloader")) dataloader(args);
  return 0;
}
