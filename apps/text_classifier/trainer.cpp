// `text_classifier train`: data, model, optimizers, the epoch loop, metrics and checkpoints.
// Under `mpirun -np N` (same flags) each process trains on its shard of every epoch with
// --batch-size examples per step, gradients averaged by DistributedDataParallel; rank 0 alone
// prints, evaluates, writes metrics and checkpoints (docs/distributed.md).
#include "apps/text_classifier/trainer.h"

#include "apps/common/optimizers.h"
#include "apps/common/checkpoint.h"
#include "apps/text_classifier/common.h"
#include "apps/text_classifier/plot.h"
#include "apps/text_classifier/synthetic.h"
#include "autograd/grad_mode.h"
#include "autograd/ops.h"
#include "core/distributed.h"
#include "core/json_limits.h"
#include "data/dataloader.h"
#include "data/delimited_file.h"
#include "data/distributed_sampler.h"
#include "data/pretrained.h"
#include "nn/functional.h"
#include "nn/parallel.h"
#include "optim/adam.h"
#include "optim/sparse_adam.h"

#include <nlohmann/json.hpp>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <cmath>
#include <filesystem>
#include <limits>
#include <fstream>
#include <optional>
#include <sstream>

namespace ember::apps {
namespace {

struct Corpus {
  std::shared_ptr<const TextData> train, valid, test;
  std::shared_ptr<const data::Vocab> vocab;
  std::vector<std::string> labels;
};

// Labels that suggest a mistake in the training file: a single label (nothing to classify), or a
// label seen once among many examples (often a header line, or a stray line of another file).
void warn_about_labels(const data::TextDataset& train) {
  const std::string& path = train.options().path();
  const auto counts = train.label_counts();
  if (counts.size() == 1)
    fmt::print(stderr, "warning: every example of --train {} has the label \"{}\"; a classifier needs at least two\n",
               path, excerpt(train.labels()[0]));
  constexpr std::int64_t kMany = 100;  // below this, a rare label is not yet suspicious
  if (train.size() < kMany) return;
  for (std::size_t i = 0; i < counts.size(); ++i)
    if (counts[i] == 1)
      fmt::print(stderr,
                 "warning: the label \"{}\" occurs once among the {} examples of --train {} (a header line? then "
                 "pass --header)\n",
                 excerpt(train.labels()[i]), train.size(), path);
}

Corpus load_corpus(const CommandLine& cli, std::uint64_t seed, const std::shared_ptr<const data::Vocab>& resume_vocab,
                   const std::vector<std::string>& resume_labels, bool report) {
  Corpus c;
  const std::int64_t max_len = cli.integer("max-len", option_range::kMaxLen);
  if (!cli.given("train")) {  // the seed's sizes: vocab 1000, sequences of up to 10 tokens, 2 classes
    EMBER_CHECK(!cli.given("valid") && !cli.given("test"), ValueError,
                "text_classifier: --valid/--test need --train (without it the built-in synthetic dataset is used)");
    const std::int64_t n = cli.integer("synthetic-size", option_range::kSyntheticSize);
    c.train = std::make_shared<SyntheticTextDataset>(n - n / 5, 1000, 10, seed);
    c.valid = std::make_shared<SyntheticTextDataset>(n / 5, 1000, 10, seed + 1);
    std::vector<std::string> tokens{"<pad>", "<unk>"};
    for (int w = 2; w < 1000; ++w) tokens.push_back(fmt::format("w{}", w));
    c.vocab = std::make_shared<data::Vocab>(tokens);
    c.labels = {"0", "1"};
    return c;
  }
  EMBER_CHECK(cli.given("valid"), ValueError, "text_classifier: --train needs --valid FILE as well");
  auto options = [&](const std::string& path) {
    auto o = data::TextDatasetOptions(path).header(cli.flag("header"));
    if (max_len > 0) o.max_length(max_len);
    return o;
  };
  auto train_options = options(cli.str("train"));
  if (resume_vocab) {
    train_options.vocab(resume_vocab).labels(resume_labels);
  } else {
    auto vocab_options = data::VocabOptions().min_freq(cli.integer("min-freq", option_range::kMinFreq));
    if (const auto max_vocab = cli.integer("max-vocab", option_range::kMaxVocab); max_vocab > 0) vocab_options.max_size(max_vocab);
    train_options.vocab_options(vocab_options);
  }
  auto train = std::make_shared<data::TextDataset>(train_options);
  if (report) warn_about_labels(*train);
  c.vocab = train->vocab();
  c.labels = train->labels();
  c.train = train;
  c.valid = std::make_shared<data::TextDataset>(options(cli.str("valid")).vocab(c.vocab).labels(c.labels));
  if (cli.given("test"))
    c.test = std::make_shared<data::TextDataset>(options(cli.str("test")).vocab(c.vocab).labels(c.labels));
  return c;
}

// GloVe, word2vec text ("count dim" header) or word2vec binary (.bin), restricted to `vocab`.
data::PretrainedVectors load_pretrained(const std::string& path, const data::Vocab& vocab) {
  if (path.size() > 4 && path.substr(path.size() - 4) == ".bin") return data::load_word2vec_binary(path, vocab);
  std::ifstream in(path);
  EMBER_CHECK(in.good(), IoError, "text_classifier: cannot open pretrained vectors {}", path);
  std::string first;
  data::getline_bounded(in, first, path, 1);
  std::istringstream fields(first);
  std::string a, b, extra;
  const bool header = static_cast<bool>(fields >> a >> b) && !(fields >> extra) &&
                      a.find_first_not_of("0123456789") == std::string::npos &&
                      b.find_first_not_of("0123456789") == std::string::npos;
  return header ? data::load_word2vec_text(path, vocab) : data::load_glove(path, vocab);
}

// The seed's recipe: Adam for everything, or SparseAdam for a sparse embedding and Adam for the rest.
SparseDenseOptimizers make_optimizers(TextClassifier& model, double lr) {
  std::vector<Tensor> dense, sparse;
  for (auto& [name, p] : model.named_parameters())
    (model.config().sparse && name == "embedding.weight" ? sparse : dense).push_back(p);
  return SparseDenseOptimizers(dense, sparse, lr);
}

struct EpochMetrics {
  std::int64_t epoch;
  double train_loss, train_acc, valid_loss, valid_acc, seconds, examples_per_second;
};

nlohmann::ordered_json to_json(const EpochMetrics& m) {
  return {{"epoch", m.epoch},         {"train_loss", m.train_loss}, {"train_acc", m.train_acc},
          {"valid_loss", m.valid_loss}, {"valid_acc", m.valid_acc}, {"seconds", m.seconds},
          {"examples_per_second", m.examples_per_second}};
}

// state.json: epochs done, the generator's state and one metrics entry per completed epoch, every
// field type- and range-checked. Sets the generator; returns the epochs done.
std::int64_t read_saved_state(const std::string& path, std::vector<EpochMetrics>& history) {
  const nlohmann::json j = parse_json(read_file(path), path);
  const JsonFields state(j, path);
  const std::int64_t epochs_done = state.integer("epochs_done", {0, option_range::kEpochs.max});
  const nlohmann::json& entries = state.array("history");
  EMBER_CHECK(static_cast<std::int64_t>(entries.size()) == epochs_done, IoError,
              "{}: \"history\" has {} entries; expected one per epoch done ({})", path, entries.size(), epochs_done);
  constexpr NumberRange kNonNegative{0.0, std::numeric_limits<double>::max()}, kFraction{0.0, 1.0};
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const JsonFields m(entries[i], fmt::format("{} \"history\"[{}]", path, i));
    const auto epoch = static_cast<std::int64_t>(i) + 1;  // entries are epochs 1, 2, ... in order
    history.push_back({m.integer("epoch", {epoch, epoch}), m.number("train_loss", kNonNegative),
                       m.number("train_acc", kFraction), m.number("valid_loss", kNonNegative),
                       m.number("valid_acc", kFraction), m.number("seconds", kNonNegative),
                       m.number("examples_per_second", kNonNegative)});
  }
  try {
    default_generator().set_state(state.string("generator"));
  } catch (const ValueError& e) {
    throw IoError(fmt::format("{}: \"generator\": {}", path, e.what()));
  }
  return epochs_done;
}

int train(const CommandLine& given_options) {
  CommandLine cli = given_options;  // resuming adopts the checkpoint's options into this copy
  const bool is_distributed = distributed::is_initialized();
  const bool main_rank = !is_distributed || distributed::rank() == 0;  // prints, evaluates, writes files
  if (const auto threads = cli.integer("threads", option_range::kThreads); threads > 0) set_num_threads(static_cast<int>(threads));
  else if (is_distributed) set_num_threads(std::max(1, get_num_threads() / distributed::local_world_size()));  // share the cores

  // The checkpoint path is checked and locked before anything else is read or trained.
  std::unique_ptr<CheckpointClaim> claim;
  if (cli.given("checkpoint") && main_rank) {
    CheckpointUse use{"text_classifier", {}, {}};
    for (const char* name : {"train", "valid", "test", "pretrained", "config"})
      if (cli.given(name)) use.inputs.emplace_back("--" + std::string(name), cli.str(name));
    for (const char* name : {"metrics-out", "plot"})
      if (cli.given(name)) use.outputs.emplace_back("--" + std::string(name), cli.str(name));
    claim = claim_checkpoint(cli.str("checkpoint"), use);
  }

  // Resuming: the checkpoint's vocabulary, labels, model configuration and training options win;
  // a flag that contradicts them is refused before anything is trained.
  std::string resume_from;
  SavedConfig saved;
  std::shared_ptr<const data::Vocab> resume_vocab;
  std::vector<std::string> resume_labels;
  if (cli.given("resume")) {
    resume_from = checkpoint_to_read(cli.str("resume"));
    saved = read_saved_config(resume_from + "/config.json");
    cli.adopt_checkpoint_options(resumed_options(saved), cli.str("resume"), resume_from + "/config.json");
    resume_vocab = std::make_shared<data::Vocab>(read_json_strings(resume_from + "/vocab.json"));
    resume_labels = read_json_strings(resume_from + "/labels.json");
  }
  const auto seed = static_cast<std::uint64_t>(cli.integer("seed", option_range::kSeed));
  const std::int64_t epochs = cli.integer("epochs", option_range::kEpochs);
  const std::int64_t batch_size = cli.integer("batch-size", option_range::kBatchSize);
  const double lr = cli.number("lr", option_range::kLr);
  EMBER_CHECK(!cli.flag("freeze") || cli.given("pretrained"), ValueError,
              "text_classifier: --freeze needs --pretrained FILE");
  const Corpus corpus = load_corpus(cli, seed, resume_vocab, resume_labels, main_rank);
  const std::int64_t pad_index = corpus.vocab->pad_index();
  TextClassifierConfig config = config_from_cli(cli, corpus.vocab->size(), static_cast<std::int64_t>(corpus.labels.size()));
  config.padding_idx = pad_index;
  if (!resume_from.empty()) {
    // Checked before the model is built: its sizes must be those of the checkpoint's files.
    EMBER_CHECK(config.vocab_size == saved.model.vocab_size && config.num_classes == saved.model.num_classes &&
                    config.padding_idx == saved.model.padding_idx,
                IoError,
                "checkpoint {}: vocab.json has {} tokens (pad index {}) and labels.json {} labels; config.json "
                "expects {} (pad index {}) and {}",
                cli.str("resume"), config.vocab_size, config.padding_idx, config.num_classes, saved.model.vocab_size,
                saved.model.padding_idx, saved.model.num_classes);
    check_config_fits(config, resume_from + "/model.safetensors", resume_from + "/config.json");
  }

  data::PretrainedVectors vectors;
  if (cli.given("pretrained") && resume_from.empty()) {
    vectors = load_pretrained(cli.str("pretrained"), *corpus.vocab);
    if (main_rank) fmt::print("pretrained vectors: {}\n", vectors.report.summary());
    EMBER_CHECK(!cli.given("embedding-dim") || cli.integer("embedding-dim", option_range::kEmbeddingDim) == vectors.weight.size(1),
                ValueError, "text_classifier: --embedding-dim {} does not match the {}-dimensional vectors of {}",
                cli.str("embedding-dim"), vectors.weight.size(1), cli.str("pretrained"));
    config.embedding_dim = vectors.weight.size(1);
  }
  manual_seed(seed);
  auto model = std::make_shared<TextClassifier>(config);
  if (vectors.weight.defined()) {
    NoGradGuard no_grad;
    model->embedding->weight.copy_(vectors.weight);  // the pad row stays zero: the loader zeroes it
    if (cli.flag("freeze")) model->embedding->weight.requires_grad_(false);
  }
  // A frozen embedding has no optimizer state: freeze it again, as the checkpoint's run did.
  if (!resume_from.empty() && saved.frozen) model->embedding->weight.requires_grad_(false);
  SparseDenseOptimizers optimizers = make_optimizers(*model, lr);
  std::int64_t start_epoch = 0;
  std::vector<EpochMetrics> history;
  if (!resume_from.empty()) {
    model->load(resume_from + "/model.safetensors");
    if (optimizers.dense) optimizers.dense->load(resume_from + "/optimizer_dense");
    if (optimizers.sparse) optimizers.sparse->load(resume_from + "/optimizer_sparse");
    start_epoch = read_saved_state(resume_from + "/state.json", history);
  }

  // Every rank starts from rank 0's weights (a no-op without --resume/--pretrained: same seed).
  std::optional<nn::DistributedDataParallel> ddp;
  if (is_distributed) ddp.emplace(model);

  if (main_rank) {
    fmt::print("ember text classifier: {} training / {} validation examples, vocab {}, {} classes\n", corpus.train->size(),
               corpus.valid->size(), corpus.vocab->size(), corpus.labels.size());
    fmt::print("{}\n{} parameters, {} threads\n", nn::to_string(*model), model->num_parameters(), get_num_threads());
    if (is_distributed)
      fmt::print("distributed: {} processes x {} threads, {} examples per process and step\n", distributed::world_size(),
                 get_num_threads(), batch_size);
  }

  std::ofstream metrics;
  if (cli.given("metrics-out") && main_rank) {
    // Resuming: the file is rewritten from the checkpoint's history, so it holds exactly one line
    // per completed epoch (lines of epochs interrupted after their metrics were written go away).
    if (start_epoch > 0) {
      std::string lines;
      for (const auto& h : history) lines += to_json(h).dump() + "\n";
      try {
        write_file_atomic(cli.str("metrics-out"), lines);
      } catch (const IoError& e) {
        throw IoError(fmt::format("text_classifier: --metrics-out: {}", e.what()));
      }
    }
    metrics.open(cli.str("metrics-out"), start_epoch > 0 ? std::ios::app : std::ios::trunc);
    EMBER_CHECK(metrics.good(), IoError, "text_classifier: cannot open --metrics-out {} for writing: {}",
                cli.str("metrics-out"), std::strerror(errno));
  }
  const bool detect_anomaly = cli.flag("detect-anomaly");
  autograd::set_detect_anomaly(detect_anomaly);

  for (std::int64_t epoch = start_epoch; epoch < epochs; ++epoch) {
    // One loader per epoch, seeded by (seed, epoch): resuming at epoch k replays exactly epoch k's order.
    // Distributed: the same permutation on every rank, each rank taking every world_size-th example.
    auto loader_options = data::DataLoaderOptions().batch_size(batch_size);
    if (is_distributed) {
      auto sampler = std::make_shared<data::DistributedSampler>(
          corpus.train->size(), data::DistributedSamplerOptions().seed(seed * 1000003));
      sampler->set_epoch(epoch);
      loader_options.sampler(sampler);
    } else {
      loader_options.shuffle(true).seed(seed * 1000003 + epoch);
    }
    data::DataLoader<data::TextExample, data::TextBatch> loader(
        corpus.train, loader_options,
        [pad_index](std::vector<data::TextExample> ex) { return data::pad_collate(std::move(ex), pad_index); });
    ProgressBar progress(fmt::format("epoch {}/{}", epoch + 1, epochs), loader.size());
    const auto start = std::chrono::steady_clock::now();
    double loss_sum = 0;
    std::int64_t correct = 0, seen = 0, step = 0;
    auto stats = [&] {
      const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      return fmt::format("loss {:.4f} acc {:.1f}% {:.0f} ex/s", loss_sum / std::max<std::int64_t>(seen, 1),
                         100.0 * correct / std::max<std::int64_t>(seen, 1), seen / std::max(secs, 1e-9));
    };
    for (data::TextBatch& batch : loader) {
      optimizers.zero_grad();
      Tensor logits = model->forward(batch.tokens, batch.lengths);
      Tensor loss = nn::functional::cross_entropy(logits, batch.labels);
      const double loss_value = loss.item<double>();
      // NaN's sign bit depends on how it arose; "-nan" would only confuse, so print it as "nan".
      EMBER_CHECK(std::isfinite(loss_value), Error,
                  "text_classifier: the loss became {} at epoch {} step {}; rerun with --detect-anomaly to find the op, "
                  "or lower --lr",
                  std::isnan(loss_value) ? std::fabs(loss_value) : loss_value, epoch + 1, step + 1);
      loss.backward();
      if (ddp) ddp->synchronize_gradients();  // every rank now holds the mean gradient
      optimizers.step();
      const std::int64_t n = batch.labels.numel();
      loss_sum += loss_value * n;
      seen += n;
      const auto predicted = argmax(logits, 1).to_vector<std::int64_t>();
      const auto target = batch.labels.to_vector<std::int64_t>();
      for (std::size_t i = 0; i < predicted.size(); ++i) correct += predicted[i] == target[i];
      ++step;
      if (main_rank) progress.update(step, stats());
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (is_distributed) {  // the epoch's loss and accuracy over every rank's shard
      Tensor totals = tensor({loss_sum, static_cast<double>(correct), static_cast<double>(seen)}, kFloat64);
      distributed::all_reduce(totals);
      const auto t = totals.to_vector<double>();
      loss_sum = t[0], correct = std::llround(t[1]), seen = std::llround(t[2]);
    }
    if (!main_rank) continue;  // the other ranks go on to the next epoch and wait there for rank 0
    progress.finish(stats());
    const EvalResult valid = evaluate(*model, corpus.valid, batch_size, pad_index);
    EpochMetrics m{epoch + 1, loss_sum / std::max<std::int64_t>(seen, 1), static_cast<double>(correct) / std::max<std::int64_t>(seen, 1),
                   valid.loss, valid.accuracy, seconds, seen / std::max(seconds, 1e-9)};
    history.push_back(m);
    fmt::print("epoch {:>3}: train loss {:.4f} acc {:.2f}% | valid loss {:.4f} acc {:.2f}% | {:.1f}s, {:.0f} ex/s\n", m.epoch,
               m.train_loss, 100 * m.train_acc, m.valid_loss, 100 * m.valid_acc, m.seconds, m.examples_per_second);
    if (metrics.is_open()) {
      errno = 0;
      metrics << to_json(m).dump() << std::endl;
      check_written(metrics, "text_classifier", "--metrics-out " + cli.str("metrics-out"));
    }

    // The checkpoint folder (apps/common/checkpoint.h): model.safetensors (PyTorch's state_dict
    // keys), optimizer_{dense,sparse}.{safetensors,json}, vocab.json and labels.json (index to
    // token / label), config.json (model and training options), state.json (epochs done,
    // generator state, metrics so far), then checksums.json.
    if (claim) {
      write_checkpoint(claim->dir(), [&](const std::string& dir) {
        model->save(dir + "/model.safetensors");
        if (optimizers.dense) optimizers.dense->save(dir + "/optimizer_dense");
        if (optimizers.sparse) optimizers.sparse->save(dir + "/optimizer_sparse");
        write_file_atomic(dir + "/vocab.json", json_strings(corpus.vocab->tokens()));
        write_file_atomic(dir + "/labels.json", json_strings(corpus.labels));
        write_file_atomic(dir + "/config.json", config_to_json(config, &cli));
        nlohmann::ordered_json state = {{"epochs_done", epoch + 1}, {"generator", default_generator().state()}};
        state["history"] = nlohmann::json::array();
        for (const auto& h : history) state["history"].push_back(to_json(h));
        write_file_atomic(dir + "/state.json", state.dump(2));
      });
    }
  }
  if (!main_rank) return 0;
  if (cli.given("plot")) {
    std::vector<CurvePoint> points;
    for (const auto& h : history) points.push_back({static_cast<double>(h.epoch), h.train_loss, h.valid_loss, h.train_acc, h.valid_acc});
    try {
      write_file_atomic(cli.str("plot"), training_curves_svg(points));
    } catch (const IoError& e) {
      throw IoError(fmt::format("text_classifier: --plot: {}", e.what()));
    }
  }
  const double final_valid = history.empty() ? 0.0 : history.back().valid_acc;
  if (corpus.test) {
    const EvalResult test = evaluate(*model, corpus.test, batch_size, pad_index);
    fmt::print("test accuracy: {:.2f}% ({} examples)\n", 100 * test.accuracy, test.targets.size());
    if (metrics.is_open()) {
      errno = 0;
      metrics << nlohmann::json({{"test_acc", test.accuracy}, {"test_loss", test.loss}}).dump() << std::endl;
      check_written(metrics, "text_classifier", "--metrics-out " + cli.str("metrics-out"));
    }
  }
  if (metrics.is_open()) {
    errno = 0;
    metrics.close();
    check_written(metrics, "text_classifier", "--metrics-out " + cli.str("metrics-out"));
  }
  fmt::print("final validation accuracy: {:.2f}%\n", 100 * final_valid);
  return 0;
}

}  // namespace

int run_train(const CommandLine& cli) {
  if (!distributed::launched_by_mpi()) return train(cli);
  distributed::init();  // throws if ember was built without MPI
  try {
    const int status = train(cli);
    distributed::finalize();
    return status;
  } catch (const std::exception& e) {
    // The other ranks would wait forever in their next collective: stop the whole job.
    distributed::abort_job(fmt::format("error: {}", e.what()));
  }
}

}  // namespace ember::apps
