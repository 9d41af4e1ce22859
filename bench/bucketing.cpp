// Benchmark workload 5, second half: what ember's length-bucketing sampler adds to an epoch of
// `text_classifier train` (the app itself draws random batches). The app's model and recipe
// (Embedding(V, 64) -> LSTM(64, 128) -> last real step -> Linear, Adam 1e-3, batches of 32) for one
// epoch over the same file, once with random batches and once with BucketSampler batches; the time
// of the epoch and the validation accuracy after it. No twin: an ember-only comparison.
//   bench_bucketing --train train.tsv --valid valid.tsv [--threads 1]
#include "bench/harness.h"

#include "autograd/grad_mode.h"
#include "autograd/ops.h"
#include "data/dataloader.h"
#include "data/text_dataset.h"
#include "nn/embedding.h"
#include "nn/functional.h"
#include "nn/linear.h"
#include "nn/lstm.h"
#include "optim/adam.h"

using namespace ember;

namespace {

using Loader = data::DataLoader<data::TextExample, data::TextBatch>;

struct Model {
  std::shared_ptr<nn::Embedding> embedding;
  std::shared_ptr<nn::LSTM> rnn;
  std::shared_ptr<nn::Linear> fc;

  Model(std::int64_t vocab, std::int64_t classes)
      : embedding(std::make_shared<nn::Embedding>(nn::EmbeddingOptions(vocab, 64).padding_idx(0))),
        rnn(std::make_shared<nn::LSTM>(nn::LSTMOptions(64, 128).batch_first(true))),
        fc(std::make_shared<nn::Linear>(nn::LinearOptions(128, classes))) {}

  Tensor forward(const data::TextBatch& batch) {
    Tensor out = rnn->forward(embedding->forward(batch.tokens), std::nullopt, batch.lengths).output;
    return fc->forward(nn::last_valid_step(out, batch.lengths, /*batch_first=*/true));
  }
  std::vector<Tensor> parameters() const {
    std::vector<Tensor> params = embedding->parameters();
    for (const Tensor& p : rnn->parameters()) params.push_back(p);
    for (const Tensor& p : fc->parameters()) params.push_back(p);
    return params;
  }
};

double accuracy(Model& model, const std::shared_ptr<data::TextDataset>& valid) {
  NoGradGuard no_grad;
  Loader loader(valid, data::DataLoaderOptions().batch_size(32), valid->collate());
  std::int64_t correct = 0;
  for (data::TextBatch& batch : loader) {
    const auto predicted = argmax(model.forward(batch), 1).to_vector<std::int64_t>();
    const auto target = batch.labels.to_vector<std::int64_t>();
    for (std::size_t i = 0; i < predicted.size(); ++i) correct += predicted[i] == target[i];
  }
  return static_cast<double>(correct) / static_cast<double>(valid->size());
}

void epoch(const std::shared_ptr<data::TextDataset>& train, const std::shared_ptr<data::TextDataset>& valid,
           bool bucket, const bench::Args& args) {
  manual_seed(0);
  Model model(train->vocab()->size(), static_cast<std::int64_t>(train->labels().size()));
  optim::Adam adam(model.parameters(), optim::AdamOptions(1e-3));
  auto options = data::DataLoaderOptions();
  if (bucket)
    options.batch_sampler(std::make_shared<data::BucketSampler>(
        train->lengths(), data::BucketSamplerOptions(32).generator(Generator(0))));
  else
    options.batch_size(32).shuffle(true).seed(0);
  Loader loader(train, options, train->collate());
  std::int64_t padded = 0, steps = 0;
  const double start = bench::now_ms(), cpu_start = bench::cpu_ms();
  for (data::TextBatch& batch : loader) {
    adam.zero_grad();
    nn::functional::cross_entropy(model.forward(batch), batch.labels).backward();
    adam.step();
    padded += batch.tokens.numel();
    ++steps;
  }
  bench::Timing t;
  t.median_ms = t.min_ms = bench::now_ms() - start;
  t.cpu_median_ms = bench::cpu_ms() - cpu_start;
  t.repeats = 1;
  bench::report("bucketing", bucket ? "epoch_bucket" : "epoch_random", args.threads, t,
                fmt::format("\"valid_accuracy\": {:.4f}, \"steps\": {}, \"padded_tokens\": {}", accuracy(model, valid),
                            steps, padded));
}

}  // namespace

int main(int argc, char** argv) {
  const bench::Args args(argc, argv);
  if (!args.values.count("train") || !args.values.count("valid")) {
    std::fprintf(stderr, "usage: bench_bucketing --train FILE --valid FILE [--threads N]\n");
    return 2;
  }
  set_num_threads(args.threads);
  const auto train = std::make_shared<data::TextDataset>(data::TextDatasetOptions(args.values.at("train")));
  const auto valid = std::make_shared<data::TextDataset>(
      data::TextDatasetOptions(args.values.at("valid")).vocab(train->vocab()).labels(train->labels()));
  for (bool bucket : {false, true})
    if (args.wants(bucket ? "epoch_bucket" : "epoch_random")) epoch(train, valid, bucket, args);
  return 0;
}
