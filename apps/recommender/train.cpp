// `recommender train`: load or generate ratings, fit matrix factorisation with MSE, report
// train/test RMSE per epoch and the final test RMSE against the global-mean baseline.
#include "apps/common/checkpoint.h"
#include "apps/common/optimizers.h"
#include "apps/recommender/checkpoint.h"
#include "apps/recommender/commands.h"
#include "apps/recommender/model.h"
#include "apps/recommender/ratings.h"

#include "autograd/grad_mode.h"
#include "autograd/ops.h"
#include "data/dataloader.h"
#include "nn/functional.h"
#include "optim/adam.h"
#include "optim/sparse_adam.h"

#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <unistd.h>

namespace ember::apps::recommender {
namespace {

namespace F = nn::functional;

RatingData load_data(const CommandLine& cli, std::uint64_t seed) {
  RatingData d;
  const double test_fraction = cli.number("test-fraction", 1e-6, 0.9);
  if (!cli.given("train")) {
    EMBER_CHECK(!cli.given("test"), ValueError,
                "recommender: --test needs --train (without it the built-in synthetic dataset is used)");
    SyntheticOptions s;
    s.num_users = cli.integer("synthetic-users", 2, 1'000'000);
    s.num_items = cli.integer("synthetic-items", 2, 1'000'000);
    s.rank = cli.integer("synthetic-rank", 1, 1000);
    s.num_ratings = cli.integer("synthetic-ratings", 2, 100'000'000);
    s.noise = cli.number("synthetic-noise", 0.0, 100.0);
    const Ratings all = synthetic_ratings(s, seed, d.users, d.items);
    split_ratings(all, test_fraction, seed, d.train, d.test);
    d.description = fmt::format("synthetic rank-{} ratings, noise {} (seed {})", s.rank, s.noise, seed);
    return d;
  }
  if (cli.given("test")) {
    d.train = read_ratings(cli.str("train"), d.users, d.items);
    d.test = read_ratings(cli.str("test"), d.users, d.items, /*known_ids_only=*/true, &d.skipped_test);
    EMBER_CHECK(d.test.size() > 0, ValueError,
                "recommender: no rating of {} has both its user and its item in {}; nothing to test on",
                cli.str("test"), cli.str("train"));
    d.description = fmt::format("{} (train), {} (test)", cli.str("train"), cli.str("test"));
  } else {
    const Ratings all = read_ratings(cli.str("train"), d.users, d.items);
    split_ratings(all, test_fraction, seed, d.train, d.test);
    d.description = fmt::format("{}, random {:g}% held out (seed {})", cli.str("train"), 100 * test_fraction, seed);
  }
  return d;
}

Tensor column(const std::vector<std::int64_t>& values) {
  return tensor(values, {static_cast<std::int64_t>(values.size())});
}
Tensor column(const std::vector<float>& values) {
  return tensor(std::vector<double>(values.begin(), values.end()), {static_cast<std::int64_t>(values.size())});
}

// Root mean squared error of the model's predictions, in chunks so memory stays flat.
double rmse(MatrixFactorization& model, const Ratings& ratings) {
  NoGradGuard no_grad;
  const Tensor users = column(ratings.users), items = column(ratings.items), values = column(ratings.values);
  double squared = 0;
  constexpr std::int64_t kChunk = 65536;
  for (std::int64_t start = 0; start < ratings.size(); start += kChunk) {
    const std::int64_t n = std::min(kChunk, ratings.size() - start);
    Tensor error = model.forward(narrow(users, 0, start, n), narrow(items, 0, start, n)) - narrow(values, 0, start, n);
    squared += sum(error * error).item<double>();
  }
  return std::sqrt(squared / static_cast<double>(ratings.size()));
}

double baseline_rmse(double mu, const Ratings& ratings) {
  double squared = 0;
  for (float v : ratings.values) squared += (v - mu) * (v - mu);
  return std::sqrt(squared / static_cast<double>(ratings.size()));
}

// Adam for everything, or with --sparse, SparseAdam for the four tables (row-sparse gradients)
// and Adam for the rest (nothing else is trainable here, but a user's extension would be).
SparseDenseOptimizers make_optimizers(MatrixFactorization& model, double lr) {
  std::vector<Tensor> dense, sparse;
  for (auto& module : {model.user_embedding, model.item_embedding, model.user_bias, model.item_bias})
    (model.config().sparse ? sparse : dense).push_back(module->weight);
  return SparseDenseOptimizers(dense, sparse, lr);
}

}  // namespace

int run_train(const CommandLine& cli) {
  const auto seed = static_cast<std::uint64_t>(cli.integer("seed", 0, INT64_MAX));
  if (const auto threads = cli.integer("threads", 0, 1024); threads > 0) set_num_threads(static_cast<int>(threads));
  const std::int64_t epochs = cli.integer("epochs", 1, 100000);
  const std::int64_t batch_size = cli.integer("batch-size", 1, 1 << 24);
  const double lr = cli.number("lr", 1e-12, 10.0);
  const double l2 = cli.number("l2", 0.0, 1e6);
  MatrixFactorizationConfig config;
  config.dim = cli.integer("dim", kDimRange);
  config.sparse = cli.flag("sparse");

  std::unique_ptr<CheckpointClaim> claim;  // checked and locked before anything is read or trained
  if (cli.given("checkpoint")) {
    CheckpointUse use{"recommender", {}, {}};
    for (const char* name : {"train", "test", "config"})
      if (cli.given(name)) use.inputs.emplace_back("--" + std::string(name), cli.str(name));
    claim = claim_checkpoint(cli.str("checkpoint"), use);
  }

  const RatingData data = load_data(cli, seed);
  const double mu = data.train.mean();
  fmt::print("data: {}\n", data.description);
  fmt::print("ratings: {} train, {} test; {} users, {} items; mean rating {:.4f}\n", data.train.size(),
             data.test.size(), data.users.size(), data.items.size(), mu);
  if (data.skipped_test > 0)
    fmt::print("note: {} test rating(s) skipped: their user or item never occurs in the training file\n",
               data.skipped_test);

  manual_seed(seed);
  config.num_users = data.users.size();
  config.num_items = data.items.size();
  MatrixFactorization model(config, mu);
  SparseDenseOptimizers optimizers = make_optimizers(model, lr);
  fmt::print("model: dim {}, {} parameters, {} (lr {:g}, l2 {:g})\n", config.dim, model.num_parameters(),
             config.sparse ? "SparseAdam on the row-sparse table gradients" : "Adam", lr, l2);

  auto dataset = std::make_shared<data::TensorDataset>(
      std::vector<Tensor>{column(data.train.users), column(data.train.items), column(data.train.values)});
  data::DataLoader loader(dataset, data::DataLoaderOptions().batch_size(batch_size).shuffle(true).seed(seed),
                          data::stack_collate);
  const bool tty = ::isatty(STDOUT_FILENO) == 1;
  for (std::int64_t epoch = 1; epoch <= epochs; ++epoch) {
    const auto start = std::chrono::steady_clock::now();
    ProgressBar bar(fmt::format("epoch {}/{}", epoch, epochs), loader.size());
    double loss_sum = 0;
    std::int64_t batches = 0;
    for (std::vector<Tensor>& batch : loader) {
      const Tensor &users = batch[0], &items = batch[1], &ratings = batch[2];
      optimizers.zero_grad();
      Tensor loss = F::mse_loss(model.forward(users, items), ratings);
      Tensor objective = l2 > 0 ? loss + l2 * model.penalty(users, items) : loss;
      objective.backward();
      optimizers.step();
      loss_sum += loss.item<double>();
      ++batches;
      if (tty) bar.update(batches, fmt::format("mse {:.4f}", loss_sum / static_cast<double>(batches)));
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const std::string stats = fmt::format("train_rmse {:.4f}  test_rmse {:.4f}  {:.1f}s", rmse(model, data.train),
                                          rmse(model, data.test), seconds);
    if (tty) bar.finish(stats);
    else fmt::print("epoch {}/{}  {}\n", epoch, epochs, stats);
  }

  const double test_rmse = rmse(model, data.test), baseline = baseline_rmse(mu, data.test);
  const double change = 100.0 * (1.0 - test_rmse / baseline);
  fmt::print("test RMSE {:.4f}; global-mean baseline {:.4f} ({:.1f}% {})\n", test_rmse, baseline, std::abs(change),
             change >= 0 ? "lower" : "higher");
  if (claim) {
    save_checkpoint(claim->dir(), model, data.users, data.items, data.train);
    fmt::print("checkpoint saved to {}\n", cli.str("checkpoint"));
  }
  return 0;
}

}  // namespace ember::apps::recommender
