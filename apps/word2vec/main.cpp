// word2vec: train word vectors with skip-gram or CBOW and negative sampling.
//   word2vec train --corpus FILE --output FILE.vec|FILE.bin [options]
#include "apps/common/cli.h"
#include "apps/word2vec/corpus.h"
#include "apps/word2vec/train.h"
#include "apps/word2vec/vectors_file.h"

#include "core/error.h"

#include <fmt/format.h>

#include <string>

using namespace ember;
namespace w2v = ember::apps::word2vec;

namespace {

std::vector<apps::OptionSpec> option_specs() {
  return {
      {"corpus", "", "training text: whitespace-separated words, one sentence per line"},
      {"output", "", "vectors file: FILE.bin for word2vec's binary format, anything else for its text format"},
      {"model", "skipgram", "skipgram or cbow"},
      {"dim", "100", "vector size"},
      {"window", "5", "largest distance between a word and its context (each centre draws one in [1, window])"},
      {"negative", "5", "noise words per example"},
      {"epochs", "5", "passes over the corpus"},
      {"min-count", "5", "drop words seen fewer times"},
      {"lr", "0.025", "starting learning rate, decayed linearly to 0.0001 of it"},
      {"sample", "0.001", "subsampling threshold for frequent words (0 = off)"},
      {"threads", "1", "training threads; more than 1 is Hogwild and not reproducible"},
      {"seed", "1", "random seed (with --threads 1 the output is the same for the same seed)"},
      {"quiet", "", "no progress bar", true},
      {"help", "", "show this help", true},
  };
}

void print_usage(const apps::CommandLine& cli) {
  fmt::print("usage: word2vec train --corpus FILE --output FILE.vec|FILE.bin [options]\n\noptions:\n{}", cli.usage());
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

int run_train(const apps::CommandLine& cli) {
  EMBER_CHECK(cli.given("corpus") && cli.given("output"), ValueError,
              "word2vec: train needs --corpus FILE and --output FILE");
  w2v::TrainOptions options;
  options.model = cli.choice("model", {"skipgram", "cbow"}) == "cbow" ? w2v::Model::kCbow : w2v::Model::kSkipGram;
  options.dim = cli.integer("dim", 1, 1 << 16);
  options.window = cli.integer("window", 1, 1000);
  options.negative = cli.integer("negative", 1, 1000);
  options.epochs = cli.integer("epochs", 1, 1'000'000);
  options.lr = cli.number("lr", 1e-12, 10);
  options.sample = cli.number("sample", 0, 1);
  options.threads = cli.integer("threads", 1, 1024);
  options.seed = static_cast<std::uint64_t>(cli.integer("seed", 0, std::int64_t{1} << 62));
  options.progress = !cli.flag("quiet");
  const std::int64_t min_count = cli.integer("min-count", 1, std::int64_t{1} << 62);
  const std::string corpus = cli.str("corpus"), output = cli.str("output");

  const w2v::Vocabulary vocab = w2v::count_vocabulary(corpus, min_count);
  fmt::print("corpus {}: {} lines, {} words, vocabulary {} (min-count {}), {} training words\n", corpus, vocab.lines,
             vocab.corpus_words, vocab.size(), min_count, vocab.train_words);
  const w2v::TrainResult result = w2v::train(corpus, vocab, options);
  fmt::print("trained {} words ({} after subsampling) in {:.2f} s: {:.0f} words/s, {:.0f} effective words/s, "
             "final loss {:.4f}\n", result.words, result.effective_words, result.seconds,
             static_cast<double>(result.words) / std::max(result.seconds, 1e-9),
             static_cast<double>(result.effective_words) / std::max(result.seconds, 1e-9), result.final_loss);
  if (ends_with(output, ".bin")) w2v::write_word2vec_binary(output, vocab.words, result.input_vectors);
  else w2v::write_word2vec_text(output, vocab.words, result.input_vectors);
  fmt::print("wrote {} vectors of dim {} to {}\n", vocab.size(), options.dim, output);
  return 0;
}

}  // namespace

int run_app(int argc, char** argv) {
  apps::CommandLine cli("word2vec", option_specs());
  try {
    const std::string command = argc > 1 ? argv[1] : "";
    if (command == "--help" || command == "-h" || command == "help") {
      print_usage(cli);
      return 0;
    }
    EMBER_CHECK(command == "train", ValueError, "word2vec: unknown command \"{}\"; expected train", command);
    cli.parse(argc, argv, 2);
    if (cli.flag("help")) {
      print_usage(cli);
      return 0;
    }
    return run_train(cli);
  } catch (const std::exception& e) {
    fmt::print(stderr, "error: {}\n", e.what());
    return 1;
  }
}

int main(int argc, char** argv) { return apps::checked_exit_status("word2vec", run_app(argc, argv)); }
