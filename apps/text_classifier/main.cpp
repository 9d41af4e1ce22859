// text_classifier: train, evaluate and use the seed's LSTM text classifier.
//   text_classifier train [--train FILE --valid FILE [--test FILE]] [options]
//   text_classifier evaluate --checkpoint DIR --data FILE
//   text_classifier predict --checkpoint DIR < lines.txt
#include "apps/common/cli.h"
#include "apps/text_classifier/trainer.h"

#include "core/error.h"

#include <fmt/format.h>

#include <cstring>
#include <iostream>

using namespace ember;

namespace {

std::vector<apps::OptionSpec> option_specs() {
  return {
      {"train", "", "training file, label<TAB>text (or CSV); default: the built-in synthetic dataset"},
      {"valid", "", "validation file (same format)"},
      {"test", "", "test file, evaluated once after training"},
      {"data", "", "evaluate: the labelled file to evaluate on"},
      {"header", "", "the data files start with a header line, which is skipped", true},
      {"config", "", "JSON file with any of these options (command-line flags win)"},
      {"epochs", "8", "training epochs"},
      {"batch-size", "32", "examples per batch"},
      {"embedding-dim", "64", "embedding size"},
      {"hidden-dim", "128", "LSTM hidden size"},
      {"num-layers", "1", "LSTM layers"},
      {"bidirectional", "", "bidirectional LSTM", true},
      {"dropout", "0", "dropout between LSTM layers"},
      {"lr", "0.001", "Adam learning rate"},
      {"seed", "0", "random seed (data order, initialisation, synthetic data)"},
      {"threads", "0", "threads (0 = all cores)"},
      {"last", "valid", "sequence summary: valid (last real token) or position (the seed's rnn_out[:, -1, :])"},
      {"sparse", "", "Embedding(sparse=true) trained by SparseAdam, the rest by Adam", true},
      {"pretrained", "", "GloVe/word2vec text file to initialise the embedding"},
      {"freeze", "", "keep the pretrained embedding fixed", true},
      {"min-freq", "1", "drop words seen fewer times in the training file"},
      {"max-vocab", "0", "keep at most this many words (0 = no limit)"},
      {"max-len", "0", "truncate sequences to this many tokens (0 = no limit)"},
      {"synthetic-size", "10000", "examples in the built-in dataset (80% train, 20% valid)"},
      {"metrics-out", "", "write one JSON object per epoch to this file"},
      {"plot", "", "write loss and accuracy curves to this SVG file"},
      {"checkpoint", "", "save model, optimizer, vocab and config to this folder after every epoch"},
      {"resume", "", "continue training from this checkpoint folder"},
      {"detect-anomaly", "", "stop with the name of the op that produced a NaN/Inf gradient", true},
      {"help", "", "show this help", true},
  };
}

void print_usage(const apps::CommandLine& cli) {
  fmt::print(
      "usage: text_classifier train [options]\n"
      "       text_classifier evaluate --checkpoint DIR --data FILE\n"
      "       text_classifier predict --checkpoint DIR < lines\n\noptions:\n{}",
      cli.usage());
}

}  // namespace

int run_app(int argc, char** argv) {
  apps::CommandLine cli("text_classifier", option_specs());
  try {
    const std::string command = argc > 1 ? argv[1] : "";
    if (command == "--help" || command == "-h" || command == "help") {
      print_usage(cli);
      return 0;
    }
    EMBER_CHECK(command == "train" || command == "evaluate" || command == "predict", ValueError,
                "text_classifier: unknown command \"{}\"; expected train, evaluate or predict", command);
    cli.parse(argc, argv, 2);
    if (cli.flag("help")) {
      print_usage(cli);
      return 0;
    }
    if (cli.given("config")) cli.merge_config_file(cli.str("config"));
    if (command == "train") return apps::run_train(cli);
    if (command == "evaluate") return apps::run_evaluate(cli);
    return apps::run_predict(cli, std::cin);
  } catch (const std::exception& e) {
    fmt::print(stderr, "error: {}\n", e.what());
    return 1;
  }
}

int main(int argc, char** argv) {
  // Output lost on the way to stdout (a full disk, /dev/full) is an error, not exit 0.
  return apps::checked_exit_status("text_classifier", run_app(argc, argv));
}
