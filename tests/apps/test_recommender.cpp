// End-to-end tests of the recommender app: learning on the built-in low-rank data (Adam and
// --sparse), written train/test files, checkpoint contents, `recommend`, and bad input.
#include "app_process.h"

#include "apps/common/checkpoint.h"

#include "core/safetensors.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <fmt/format.h>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

using Catch::Contains;
namespace app = ember::testing::app_process;

namespace {

// Lines of `text` that start with `prefix`.
std::vector<std::string> lines_starting(const std::string& text, const std::string& prefix) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (line.rfind(prefix, 0) == 0) lines.push_back(line);
  return lines;
}

// Ratings of a hidden rank-2 model with string ids: user "user_<u>", item "movie_<i>", rating
// 3 + <p_u, q_i>, with p, q from a fixed integer recipe, each (u, i) once; a fifth of the pairs
// go to the test file (every user and item still occurs in train). Timestamps as in MovieLens.
void write_rating_files(const app::Scratch& dir, std::string& train, std::string& test) {
  std::string train_text, test_text;
  int n = 0;
  for (int u = 0; u < 60; ++u)
    for (int i = 0; i < 50; ++i) {
      if ((u * 7 + i * 3) % 4 != 0) continue;  // a quarter of the pairs are rated
      const double p0 = (u % 5 - 2) * 0.5, p1 = (u % 3 - 1) * 0.8, q0 = (i % 4 - 1.5) * 0.6, q1 = (i % 7 - 3) * 0.3;
      const std::string line = fmt::format("user_{}\tmovie_{}\t{:.3f}\t{}\n", u, i, 3 + p0 * q0 + p1 * q1, 880000000 + n);
      ++n;
      ((u * 13 + i * 11) % 10 == 0 || (u * 13 + i * 11) % 10 == 7 ? test_text : train_text) += line;
    }
  train = dir.write("train.tsv", train_text);
  test = dir.write("test.tsv", test_text + "stranger\tmovie_1\t4\t1\n");  // unknown user: skipped
}

}  // namespace

TEST_CASE("recommender beats the global-mean baseline on the built-in low-rank data", "[apps]") {
  const app::Result r = app::run("recommender", {"train", "--epochs", "12"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.err.empty());
  CHECK_THAT(r.out, Contains("ratings: 18000 train, 2000 test; 500 users, 400 items"));
  const auto epochs = lines_starting(r.out, "epoch ");
  REQUIRE(epochs.size() == 12);
  for (const auto& line : epochs) CHECK_THAT(line, Contains("train_rmse ") && Contains("test_rmse "));
  const double first = app::number_after(epochs.front(), "test_rmse ");
  const double rmse = app::number_after(r.out, "test RMSE ");
  const double baseline = app::number_after(r.out, "global-mean baseline ");
  CHECK(rmse < first);
  // The hidden ratings have std ~1.1 around the mean and noise 0.1: a fitted model must remove
  // most of the error (measured: 0.27 after 12 epochs against 1.11; 0.31 with --sparse).
  CHECK(baseline > 1.0);
  CHECK(rmse < 0.5 * baseline);

  SECTION("the same seed gives the same numbers") {
    const app::Result again = app::run("recommender", {"train", "--epochs", "12"});
    CHECK(app::number_after(again.out, "test RMSE ") == rmse);
  }
}

TEST_CASE("recommender --sparse trains the tables with SparseAdam and also learns", "[apps]") {
  const app::Result r = app::run("recommender", {"train", "--sparse", "--epochs", "12"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Contains("SparseAdam"));
  CHECK(app::number_after(r.out, "test RMSE ") < 0.5 * app::number_after(r.out, "global-mean baseline "));
}

TEST_CASE("recommender trains on written files, saves a checkpoint and recommends unseen items", "[apps]") {
  app::Scratch dir;
  std::string train, test;
  write_rating_files(dir, train, test);
  const std::string checkpoint = dir.path("model");
  const app::Result r = app::run("recommender", {"train", "--train", train, "--test", test, "--epochs", "40", "--dim",
                                                 "4", "--batch-size", "64", "--checkpoint", checkpoint});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Contains("60 users, 50 items"));
  CHECK_THAT(r.out, Contains("note: 1 test rating(s) skipped"));
  CHECK(app::number_after(r.out, "test RMSE ") < 0.7 * app::number_after(r.out, "global-mean baseline "));

  // The checkpoint holds the state_dict under PyTorch-style names, plus the id maps.
  const ember::SafetensorsFile model = ember::load_safetensors(checkpoint + "/model.safetensors");
  std::map<std::string, ember::Shape> shapes;
  for (const auto& [name, t] : model.tensors) shapes[name] = t.shape();
  CHECK(shapes == std::map<std::string, ember::Shape>{{"user_embedding.weight", {60, 4}},
                                                      {"item_embedding.weight", {50, 4}},
                                                      {"user_bias.weight", {60, 1}},
                                                      {"item_bias.weight", {50, 1}},
                                                      {"global_mean", {}}});
  CHECK_THAT(app::read_text(checkpoint + "/ids.json"), Contains("\"user_0\"") && Contains("\"movie_49\""));

  const app::Result rec = app::run("recommender", {"recommend", "--checkpoint", checkpoint, "--user", "user_3", "--top", "5"});
  INFO(rec.out << rec.err);
  REQUIRE(rec.exit_code == 0);
  std::set<std::string> rated;
  std::istringstream train_lines(app::read_text(train));
  for (std::string u, i, rating, time; train_lines >> u >> i >> rating >> time;)
    if (u == "user_3") rated.insert(i);
  CHECK_THAT(rec.out, Contains(fmt::format("top 5 items for user user_3 ({} rated items left out)", rated.size())));
  const auto rows = lines_starting(rec.out, "   ");
  REQUIRE(rows.size() == 5);
  double previous = 1e9;
  for (std::size_t k = 0; k < rows.size(); ++k) {
    std::istringstream row(rows[k]);
    int rank = 0;
    std::string item;
    double score = 0;
    row >> rank >> item >> score;
    CHECK(rank == static_cast<int>(k) + 1);
    CHECK(item.rfind("movie_", 0) == 0);
    CHECK(rated.count(item) == 0);  // only items the user has not rated
    CHECK(score <= previous);       // best first
    previous = score;
  }
}

TEST_CASE("recommender holds out a random share of a single ratings file", "[apps]") {
  app::Scratch dir;
  std::string train, test;
  write_rating_files(dir, train, test);
  const app::Result r = app::run("recommender", {"train", "--train", train, "--test-fraction", "0.25", "--epochs", "2"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Contains("random 25% held out"));
  CHECK_THAT(r.out, Contains("ratings: 450 train, 150 test"));
}

TEST_CASE("recommender reads ml-latest style CSV with a header line", "[apps]") {
  app::Scratch dir;
  std::string csv = "userId,movieId,rating,timestamp\n";
  for (int u = 0; u < 10; ++u)
    for (int i = 0; i < 8; ++i) csv += fmt::format("{},{},{}.5,964982703\n", u, 100 + i, (u + i) % 5);
  const app::Result r = app::run("recommender", {"train", "--train", dir.write("ratings.csv", csv), "--epochs", "1"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Contains("ratings: 72 train, 8 test; 10 users, 8 items"));
}

TEST_CASE("recommender reports bad input with one clear message and a non-zero exit", "[apps]") {
  app::Scratch dir;
  auto fails_with = [](const std::vector<std::string>& args, const std::string& message) {
    const app::Result r = app::run("recommender", args);
    INFO(r.out << r.err);
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.err, Contains(message));
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);  // one line
    CHECK_THAT(r.err, !Contains("terminate called"));
  };
  fails_with({"train", "--train", dir.path("missing.tsv")}, "cannot open " + dir.path("missing.tsv"));
  const std::string fields = dir.write("fields.tsv", "a\tx\t4\nb\ty\t3\nc\tz\n");
  fails_with({"train", "--train", fields},
             fields + ":3: expected user<TAB>item<TAB>rating[<TAB>timestamp], got 2 fields in \"c\\tz\"");
  const std::string rating = dir.write("rating.tsv", "a\tx\t4\nb\ty\tfive\t881250949\n");
  fails_with({"train", "--train", rating}, rating + ":2: rating \"five\" is not a finite number");
  const std::string stamp = dir.write("stamp.tsv", "a\tx\t4\t12:30\n");
  fails_with({"train", "--train", stamp}, stamp + ":1: timestamp \"12:30\" is not an integer");
  fails_with({"train", "--train", dir.write("empty.tsv", "\n\n")}, "no ratings found");
  fails_with({"train", "--bogus", "1"}, "unknown option --bogus");
  fails_with({"train", "--dim", "0"}, "--dim is 0; expected [1, 100000]");
  fails_with({"train", "--test", fields}, "--test needs --train");
  fails_with({"fit"}, "unknown command \"fit\"; expected train or recommend");
  fails_with({"recommend", "--user", "u1"}, "recommend needs --checkpoint DIR and --user ID");
  fails_with({"recommend", "--checkpoint", dir.path("nowhere"), "--user", "u1"}, "checkpoint folder");

  const std::string checkpoint = dir.path("ck");
  REQUIRE(app::run("recommender", {"train", "--epochs", "1", "--synthetic-users", "20", "--synthetic-items", "10",
                                   "--synthetic-ratings", "100", "--checkpoint", checkpoint})
              .exit_code == 0);
  fails_with({"recommend", "--checkpoint", checkpoint, "--user", "nobody"},
             "user \"nobody\" is not in the checkpoint; expected one of its 20 training users");

  // A save killed between its two renames leaves the only complete checkpoint in DIR.old: it is used.
  std::filesystem::rename(checkpoint, checkpoint + ".old");
  {
    const app::Result r = app::run("recommender", {"recommend", "--checkpoint", checkpoint, "--user", "u2", "--top", "3"});
    INFO(r.out << r.err);
    CHECK(r.exit_code == 0);
    CHECK_THAT(r.out, Contains("top 3 items for user u2"));
  }
  std::filesystem::rename(checkpoint + ".old", checkpoint);

  // An edited config.json is refused as corrupted (checksums.json no longer matches); re-sealed
  // on purpose, numbers that are not integers, or out of range, are refused by name.
  const std::string config = app::read_text(checkpoint + "/config.json");
  const auto with_dim = [&](const std::string& dim, bool seal = true) {
    const std::size_t at = config.find("\"dim\": ");
    REQUIRE(at != std::string::npos);
    const std::size_t end = config.find_first_of(",\n}", at);
    std::ofstream(checkpoint + "/config.json", std::ios::binary) << config.substr(0, at) << "\"dim\": " << dim
                                                                 << config.substr(end);
    if (seal) ember::apps::seal_checkpoint(checkpoint);
  };
  const std::size_t dim_at = config.find("\"dim\": ") + 7;
  std::string same_length = config.substr(dim_at, config.find_first_of(",\n}", dim_at) - dim_at);
  same_length[0] = same_length[0] == '9' ? '8' : static_cast<char>(same_length[0] + 1);
  with_dim(same_length, false);
  fails_with({"recommend", "--checkpoint", checkpoint, "--user", "u1"},
             checkpoint + "/config.json is corrupted (checksum");
  with_dim("1e30");
  fails_with({"recommend", "--checkpoint", checkpoint, "--user", "u1"}, "config.json: \"dim\" is 1e+30; expected an integer in [1, 100000]");
  with_dim("-4");
  fails_with({"recommend", "--checkpoint", checkpoint, "--user", "u1"}, "config.json: \"dim\" is -4; expected an integer in [1, 100000]");
  with_dim("18446744073709551615");
  fails_with({"recommend", "--checkpoint", checkpoint, "--user", "u1"},
             "config.json: \"dim\" is 18446744073709551615; expected an integer in [1, 100000]");
  // In range, but more factors than model.safetensors holds: refused before the tables are allocated.
  with_dim("100000");
  fails_with({"recommend", "--checkpoint", checkpoint, "--user", "u1"}, "but model.safetensors holds only");
}
