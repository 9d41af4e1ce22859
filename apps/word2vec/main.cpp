// word2vec: train word vectors with skip-gram or CBOW and negative sampling, and query them.
//   word2vec train --corpus FILE --output FILE.vec|FILE.bin [options]
//   word2vec similar WORD --vectors FILE [--top K]
//   word2vec analogy A B C --vectors FILE [--top K]      (A is to B as C is to ?)
//   word2vec evaluate --vectors FILE [--similarity FILE] [--analogies FILE]
#include "apps/common/cli.h"
#include "apps/word2vec/corpus.h"
#include "apps/word2vec/query.h"
#include "apps/word2vec/train.h"
#include "apps/word2vec/vectors_file.h"

#include "core/error.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

using namespace ember;
namespace w2v = ember::apps::word2vec;

namespace {

std::vector<apps::OptionSpec> train_specs() {
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

std::vector<apps::OptionSpec> query_specs(bool evaluate) {
  std::vector<apps::OptionSpec> specs = {
      {"vectors", "", "word vectors: FILE.bin in word2vec's binary format, anything else in its text format"}};
  if (evaluate) {
    specs.push_back({"similarity", "", "word1<TAB>word2<TAB>score lines (WordSim-353, SimLex-999); # starts a comment"});
    specs.push_back({"analogies", "", "questions-words.txt layout: \": section\" lines, then \"A B C D\" lines"});
    specs.push_back({"restrict", "0", "use only the first (most frequent) N words of the vectors (0 = all)"});
    specs.push_back({"ignore-case", "", "compare words upper-cased (gensim's default)", true});
  } else {
    specs.push_back({"top", "10", "how many words to list"});
  }
  specs.push_back({"help", "", "show this help", true});
  return specs;
}

struct Command {
  const char* name;
  int positional;  // words before the options
  const char* usage;
};

constexpr Command kCommands[] = {
    {"train", 0, "train --corpus FILE --output FILE.vec|FILE.bin [options]"},
    {"similar", 1, "similar WORD --vectors FILE [--top K]"},
    {"analogy", 3, "analogy A B C --vectors FILE [--top K]   (A is to B as C is to ?)"},
    {"evaluate", 0, "evaluate --vectors FILE [--similarity FILE] [--analogies FILE] [options]"},
};

void print_usage(const Command* command, const apps::CommandLine* cli) {
  if (command == nullptr) {
    fmt::print("usage:\n");
    for (const Command& c : kCommands) fmt::print("  word2vec {}\n", c.usage);
    fmt::print("\n`word2vec COMMAND --help` lists the options of a command.\n");
    return;
  }
  fmt::print("usage: word2vec {}\n\noptions:\n{}", command->usage, cli->usage());
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

void print_neighbours(const std::vector<w2v::Neighbour>& neighbours) {
  for (const w2v::Neighbour& n : neighbours) fmt::print("{}\t{:.6f}\n", n.word, n.cosine);
}

w2v::WordVectors load_vectors(const apps::CommandLine& cli) {
  EMBER_CHECK(cli.given("vectors"), ValueError, "word2vec: this command needs --vectors FILE");
  return w2v::WordVectors::load(cli.str("vectors"));
}

int run_similar(const apps::CommandLine& cli, const std::vector<std::string>& words) {
  const w2v::WordVectors vectors = load_vectors(cli);
  print_neighbours(w2v::most_similar(vectors, {words[0]}, {}, cli.integer("top", 1, 1'000'000)));
  return 0;
}

int run_analogy(const apps::CommandLine& cli, const std::vector<std::string>& words) {
  const w2v::WordVectors vectors = load_vectors(cli);
  // A is to B as C is to ?: closest to B - A + C (3CosAdd).
  print_neighbours(w2v::most_similar(vectors, {words[1], words[2]}, {words[0]}, cli.integer("top", 1, 1'000'000)));
  return 0;
}

std::string percent(double share) { return std::isnan(share) ? "n/a" : fmt::format("{:.2f}%", 100 * share); }

int run_evaluate(const apps::CommandLine& cli) {
  EMBER_CHECK(cli.given("similarity") || cli.given("analogies"), ValueError,
              "word2vec: evaluate needs --similarity FILE, --analogies FILE or both");
  const w2v::WordVectors vectors = load_vectors(cli);
  w2v::EvaluateOptions options;
  options.restrict_to = cli.integer("restrict", 0, std::int64_t{1} << 62);
  options.ignore_case = cli.flag("ignore-case");
  fmt::print("{}: {} words of dim {}{}\n", vectors.source(), vectors.size(), vectors.dim(),
             options.restrict_to > 0 ? fmt::format(", the first {} used", std::min(options.restrict_to, vectors.size()))
                                     : "");
  if (cli.given("similarity")) {
    const w2v::SimilarityResult r = w2v::evaluate_similarity(vectors, cli.str("similarity"), options);
    fmt::print("similarity {}: spearman {:.4f} over {} pairs, {} pairs out of vocabulary\n", cli.str("similarity"),
               r.spearman, r.pairs, r.oov_pairs);
  }
  if (cli.given("analogies")) {
    const w2v::AnalogyResult r = w2v::evaluate_analogies(vectors, cli.str("analogies"), options);
    for (const w2v::AnalogySection& s : r.sections)
      fmt::print("analogies {}: {} ({}/{}), {} out of vocabulary\n", s.name, percent(s.accuracy()), s.correct,
                 s.correct + s.incorrect, s.oov);
    fmt::print("analogies total: {} ({}/{}), {} out of vocabulary\n", percent(r.total.accuracy()), r.total.correct,
               r.total.correct + r.total.incorrect, r.total.oov);
  }
  return 0;
}

}  // namespace

int run_app(int argc, char** argv) {
  try {
    const std::string name = argc > 1 ? argv[1] : "";
    if (name == "--help" || name == "-h" || name == "help") {
      print_usage(nullptr, nullptr);
      return 0;
    }
    const Command* command = nullptr;
    for (const Command& c : kCommands)
      if (name == c.name) command = &c;
    EMBER_CHECK(command != nullptr, ValueError,
                "word2vec: unknown command \"{}\"; expected train, similar, analogy or evaluate", name);
    const std::string which = command->name;
    apps::CommandLine cli("word2vec", which == "train" ? train_specs() : query_specs(which == "evaluate"));
    std::vector<std::string> words;
    int first_option = 2;
    for (; first_option < argc && std::string(argv[first_option]).rfind("--", 0) != 0; ++first_option)
      words.emplace_back(argv[first_option]);
    cli.parse(argc, argv, first_option);
    if (cli.flag("help")) {
      print_usage(command, &cli);
      return 0;
    }
    EMBER_CHECK(static_cast<int>(words.size()) == command->positional, ValueError,
                "word2vec: {} takes {} word(s) before its options, got {}; usage: word2vec {}", which,
                command->positional, words.size(), command->usage);
    if (which == "similar") return run_similar(cli, words);
    if (which == "analogy") return run_analogy(cli, words);
    if (which == "evaluate") return run_evaluate(cli);
    return run_train(cli);
  } catch (const std::exception& e) {
    fmt::print(stderr, "error: {}\n", e.what());
    return 1;
  }
}

int main(int argc, char** argv) { return apps::checked_exit_status("word2vec", run_app(argc, argv)); }
