// recommender: matrix factorisation on (user, item, rating) data, the seed's collaborative
// filtering example.
//   recommender train [--train FILE [--test FILE | --test-fraction F]] [--sparse] [--checkpoint DIR] ...
//   recommender recommend --checkpoint DIR --user ID [--top K]
#include "apps/common/cli.h"
#include "apps/recommender/commands.h"

#include "core/error.h"

#include <fmt/format.h>

using namespace ember;

namespace {

std::vector<apps::OptionSpec> option_specs() {
  return {
      {"train", "", "ratings file: user<TAB>item<TAB>rating[<TAB>timestamp] (MovieLens u.data); default: synthetic"},
      {"test", "", "held-out ratings file (same format); default: a random split of --train"},
      {"test-fraction", "0.1", "share of the ratings held out for testing when there is no --test file"},
      {"config", "", "JSON file with any of these options (command-line flags win)"},
      {"epochs", "30", "training epochs"},
      {"batch-size", "256", "ratings per batch"},
      {"dim", "16", "factors per user and per item"},
      {"lr", "0.01", "learning rate (Adam, and SparseAdam with --sparse)"},
      {"l2", "0.02", "L2 penalty on the factors of the users and items in each batch"},
      {"sparse", "", "Embedding(sparse=true) tables trained by SparseAdam", true},
      {"seed", "0", "random seed (data, split, initialisation, batch order)"},
      {"threads", "0", "threads (0 = all cores)"},
      {"synthetic-users", "500", "users in the built-in dataset"},
      {"synthetic-items", "400", "items in the built-in dataset"},
      {"synthetic-rank", "5", "rank of the hidden rating matrix"},
      {"synthetic-ratings", "20000", "ratings in the built-in dataset"},
      {"synthetic-noise", "0.1", "standard deviation of the rating noise"},
      {"checkpoint", "", "train: save model and ids to this folder; recommend: read them from it"},
      {"user", "", "recommend: the user id"},
      {"top", "10", "recommend: how many items"},
      {"help", "", "show this help", true},
  };
}

void print_usage(const apps::CommandLine& cli) {
  fmt::print(
      "usage: recommender train [options]\n"
      "       recommender recommend --checkpoint DIR --user ID [--top K]\n\noptions:\n{}",
      cli.usage());
}

}  // namespace

int run_app(int argc, char** argv) {
  apps::CommandLine cli("recommender", option_specs());
  try {
    const std::string command = argc > 1 ? argv[1] : "";
    if (command == "--help" || command == "-h" || command == "help") {
      print_usage(cli);
      return 0;
    }
    EMBER_CHECK(command == "train" || command == "recommend", ValueError,
                "recommender: unknown command \"{}\"; expected train or recommend (see recommender --help)", command);
    cli.parse(argc, argv, 2);
    if (cli.flag("help")) {
      print_usage(cli);
      return 0;
    }
    if (cli.given("config")) cli.merge_config_file(cli.str("config"));
    return command == "train" ? apps::recommender::run_train(cli) : apps::recommender::run_recommend(cli);
  } catch (const std::exception& e) {
    fmt::print(stderr, "error: {}\n", e.what());
    return 1;
  }
}

int main(int argc, char** argv) {
  // Output lost on the way to stdout (a full disk, /dev/full) is an error, not exit 0.
  return apps::checked_exit_status("recommender", run_app(argc, argv));
}
