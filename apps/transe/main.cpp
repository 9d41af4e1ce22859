// transe: TransE knowledge-graph embeddings (the seed's example), trained with a margin ranking
// loss against corrupted triples and evaluated by filtered link prediction.
//   transe train [--train FILE [--valid FILE] --test FILE] [--dim 50] [--norm 1|2] [--margin 1] ...
#include "apps/common/cli.h"
#include "apps/transe/train.h"

#include "core/error.h"

#include <fmt/format.h>

using namespace ember;

namespace {

std::vector<apps::OptionSpec> option_specs() {
  return {
      {"train", "", "training triples: head<TAB>relation<TAB>tail; default: the built-in synthetic graph"},
      {"valid", "", "validation triples (same format), evaluated every --eval-every epochs"},
      {"test", "", "test triples (same format), evaluated after training"},
      {"config", "", "JSON file with any of these options (command-line flags win)"},
      {"epochs", "100", "training epochs"},
      {"batch-size", "128", "positive triples per batch"},
      {"dim", "20", "embedding size of entities and relations"},
      {"norm", "1", "distance: 1 (L1) or 2 (L2)"},
      {"margin", "8", "margin of the ranking loss max(0, d(pos) - d(neg) + margin)"},
      {"negatives", "4", "corrupted triples per positive (head or tail replaced uniformly at random)"},
      {"lr", "0.01", "Adam learning rate"},
      {"eval-every", "25", "epochs between validation evaluations (0 = never)"},
      {"seed", "0", "random seed (synthetic graph, initialisation, batches, negatives)"},
      {"threads", "0", "threads (0 = all cores)"},
      {"synthetic-side", "20", "the built-in graph is a side x side grid of entities"},
      {"checkpoint", "", "save the model (model.safetensors) and the names (names.json) to this folder"},
      {"help", "", "show this help", true},
  };
}

void print_usage(const apps::CommandLine& cli) {
  fmt::print("usage: transe train [--train FILE [--valid FILE] --test FILE] [options]\n\noptions:\n{}", cli.usage());
}

}  // namespace

int run_app(int argc, char** argv) {
  apps::CommandLine cli("transe", option_specs());
  try {
    const std::string command = argc > 1 ? argv[1] : "";
    if (command == "--help" || command == "-h" || command == "help") {
      print_usage(cli);
      return 0;
    }
    EMBER_CHECK(command == "train", ValueError, "transe: unknown command \"{}\"; expected train (see transe --help)",
                command);
    cli.parse(argc, argv, 2);
    if (cli.flag("help")) {
      print_usage(cli);
      return 0;
    }
    if (cli.given("config")) cli.merge_config_file(cli.str("config"));
    return apps::transe::run_train(cli);
  } catch (const std::exception& e) {
    fmt::print(stderr, "error: {}\n", e.what());
    return 1;
  }
}

int main(int argc, char** argv) {
  // Output lost on the way to stdout (a full disk, /dev/full) is an error, not exit 0.
  return apps::checked_exit_status("transe", run_app(argc, argv));
}
