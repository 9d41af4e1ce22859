// Data files as people make them: a header line (--header skips it; without it the header is a
// label seen once, which is warned about), a UTF-8 byte order mark at the start, and a training
// file with a single label (warned about: there is nothing to classify).
#include <catch2/catch.hpp>

#include "tests/reliability/app_runner.h"

#include <nlohmann/json.hpp>

using namespace ember::testing;
using Catch::Contains;

namespace {

// `n` examples alternating between the labels, as label<TAB>text lines.
std::string examples(int n, const std::vector<std::string>& labels) {
  std::string out;
  for (int i = 0; i < n; ++i) {
    const std::string& label = labels[i % labels.size()];
    out += label + "\t" + (label == "pos" ? "good fine great" : "bad awful poor") + " word" + std::to_string(i % 7) + "\n";
  }
  return out;
}

AppResult train(const ScratchFolder& dir, const std::string& train_text, const std::vector<std::string>& more = {},
                const std::vector<std::string>& valid_labels = {"neg", "pos"}) {
  std::ofstream(dir / "train.tsv", std::ios::binary) << train_text;
  std::ofstream(dir / "valid.tsv", std::ios::binary) << examples(10, valid_labels);
  std::vector<std::string> args{"train", "--train", dir / "train.tsv", "--valid", dir / "valid.tsv", "--epochs", "1",
                                "--embedding-dim", "4", "--hidden-dim", "4", "--threads", "1", "--checkpoint",
                                dir / "ckpt"};
  args.insert(args.end(), more.begin(), more.end());
  return run_text_classifier(args);
}

std::vector<std::string> saved_labels(const ScratchFolder& dir) {
  return nlohmann::json::parse(read_text(dir / "ckpt/labels.json")).get<std::vector<std::string>>();
}

}  // namespace

TEST_CASE("data files: --header skips a header line, and without it the stray label is warned about",
          "[reliability]") {
  const std::string with_header = "label\ttext\n" + examples(120, {"neg", "pos"});
  {
    ScratchFolder dir;
    const AppResult r = train(dir, with_header);
    INFO(r.output);
    REQUIRE(r.exit_code == 0);
    CHECK_THAT(r.output, Contains("warning: the label \"label\" occurs once among the 121 examples of --train " +
                                  dir / "train.tsv" + " (a header line? then pass --header)"));
    CHECK(saved_labels(dir) == std::vector<std::string>{"label", "neg", "pos"});
  }
  ScratchFolder dir;
  const AppResult r = train(dir, with_header, {"--header"});
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.output, !Contains("warning"));
  CHECK_THAT(r.output, Contains("120 training"));
  CHECK(saved_labels(dir) == std::vector<std::string>{"neg", "pos"});

  // evaluate: with --header the file's header is skipped; without it, it is a bad line.
  std::ofstream(dir / "test.tsv") << "label\ttext\n" + examples(6, {"neg", "pos"});
  const AppResult skipped =
      run_text_classifier({"evaluate", "--checkpoint", dir / "ckpt", "--data", dir / "test.tsv", "--header"});
  INFO(skipped.output);
  CHECK(skipped.exit_code == 0);
  CHECK_THAT(skipped.output, Contains("(6 examples)"));
  const AppResult kept = run_text_classifier({"evaluate", "--checkpoint", dir / "ckpt", "--data", dir / "test.tsv"});
  CHECK(kept.exit_code == 1);
  CHECK_THAT(kept.output, Contains(dir / "test.tsv" + ":1: unknown label \"label\""));
}

TEST_CASE("data files: a training file with a single label is warned about", "[reliability]") {
  ScratchFolder dir;
  const AppResult r = train(dir, examples(20, {"pos"}), {}, {"pos"});
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.output, Contains("warning: every example of --train " + dir / "train.tsv" +
                                " has the label \"pos\"; a classifier needs at least two"));
  // Two labels, many examples, none rare: no warning.
  ScratchFolder other;
  const AppResult fine = train(other, examples(120, {"neg", "pos"}));
  CHECK(fine.exit_code == 0);
  CHECK_THAT(fine.output, !Contains("warning"));
}

TEST_CASE("data files: a UTF-8 byte order mark at the start of the training file is not part of a label",
          "[reliability]") {
  ScratchFolder dir;
  const AppResult r = train(dir, "\xEF\xBB\xBF" + examples(20, {"pos", "neg"}));
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  CHECK(saved_labels(dir) == std::vector<std::string>{"neg", "pos"});
}
