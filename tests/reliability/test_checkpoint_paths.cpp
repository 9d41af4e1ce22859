// Checkpoint paths as careless users type them (apps/common/checkpoint.h): whatever is at the
// path and is not an ember checkpoint (a regular file, a folder of other files, the run's own
// training data) is refused before training, byte for byte untouched; outputs of the run inside
// the checkpoint folder are refused; "ckpt/" works; a second run on one checkpoint is refused
// naming the first one's pid; a manifest that does not list every file is refused.
#include <catch2/catch.hpp>

#include "tests/reliability/app_runner.h"

#include <chrono>
#include <csignal>
#include <filesystem>
#include <map>
#include <thread>

namespace fs = std::filesystem;
namespace app = ember::testing::app_process;
using namespace ember::testing;
using Catch::Contains;

namespace {

// Each app's quickest training run, writing its checkpoint to `checkpoint`.
std::vector<std::string> quick_train(const std::string& name, const std::string& checkpoint) {
  if (name == "text_classifier")
    return {"train", "--synthetic-size", "100", "--batch-size", "50", "--embedding-dim", "8", "--hidden-dim", "8",
            "--threads", "1", "--epochs", "1", "--checkpoint", checkpoint};
  if (name == "recommender")
    return {"train", "--synthetic-ratings", "400", "--epochs", "1", "--dim", "2", "--threads", "1", "--checkpoint",
            checkpoint};
  return {"train", "--synthetic-side", "4", "--epochs", "1", "--dim", "4", "--threads", "1", "--checkpoint", checkpoint};
}

std::map<std::string, std::string> snapshot(const std::string& folder) {
  std::map<std::string, std::string> files;
  for (const auto& entry : fs::recursive_directory_iterator(folder))
    if (entry.is_regular_file()) files[entry.path().string()] = read_text(entry.path());
  return files;
}

}  // namespace

TEST_CASE("checkpoint paths: a folder of other files or a regular file is refused before training, untouched",
          "[reliability]") {
  for (const std::string name : {"text_classifier", "recommender", "transe"}) {
    DYNAMIC_SECTION(name) {
      app::Scratch dir;
      const std::string runs = dir.path("runs");
      fs::create_directories(runs + "/a");
      std::ofstream(runs + "/notes.txt") << "my notes\n";
      std::ofstream(runs + "/a/metrics.jsonl") << "{\"epoch\": 1}\n";
      const auto before = snapshot(runs);
      app::Result r = app::run(name, quick_train(name, runs));
      INFO(r.out << r.err);
      CHECK(r.exit_code == 1);
      CHECK_THAT(r.err, Contains("checkpoint " + runs + " is a folder of 2 entries (\"a\", \"notes.txt\") that is "
                                 "not an ember checkpoint") && Contains("refusing to replace it"));
      CHECK_THAT(r.out, !Contains("epoch 1"));  // refused before training
      CHECK(snapshot(runs) == before);
      CHECK(!fs::exists(runs + ".staging"));

      const std::string paper = dir.write("paper.tex", "\\documentclass{article}\n");
      r = app::run(name, quick_train(name, paper));
      INFO(r.out << r.err);
      CHECK(r.exit_code == 1);
      CHECK_THAT(r.err, Contains("checkpoint " + paper + " is a regular file; refusing to replace it"));
      CHECK(read_text(paper) == "\\documentclass{article}\n");
      CHECK(!fs::exists(paper + ".lock"));  // a refused run leaves nothing behind
    }
  }
}

TEST_CASE("checkpoint paths: the folder holding the training data is refused, its files survive", "[reliability]") {
  app::Scratch dir;
  const std::string data = dir.path("mydata");
  fs::create_directories(data);
  std::ofstream(data + "/train.tsv") << "1\tgood movie\n0\tbad movie\n1\tgreat film\n0\tawful film\n";
  std::ofstream(data + "/valid.tsv") << "1\tgood film\n0\tbad film\n";
  const auto before = snapshot(data);
  const app::Result r = app::run("text_classifier", {"train", "--train", data + "/train.tsv", "--valid",
                                                     data + "/valid.tsv", "--epochs", "1", "--checkpoint", data});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Contains("is not an ember checkpoint"));
  CHECK(snapshot(data) == before);

  // An ember checkpoint with a file added by hand: replacing it would delete that file.
  const std::string ckpt = dir.path("ckpt");
  REQUIRE(app::run("text_classifier", quick_train("text_classifier", ckpt)).exit_code == 0);
  std::ofstream(ckpt + "/README") << "the best run\n";
  const app::Result again = app::run("text_classifier", quick_train("text_classifier", ckpt));
  CHECK(again.exit_code == 1);
  CHECK_THAT(again.err, Contains("checksums.json does not list \"README\""));
  CHECK(read_text(ckpt + "/README") == "the best run\n");
}

TEST_CASE("checkpoint paths: outputs of the run inside the checkpoint folder are refused up front", "[reliability]") {
  app::Scratch dir;
  const std::string ckpt = dir.path("ckpt");
  for (const std::string flag : {"--metrics-out", "--plot"}) {
    auto args = quick_train("text_classifier", ckpt);
    args.insert(args.end(), {flag, ckpt + "/out.file"});
    const app::Result r = app::run("text_classifier", args);
    INFO(r.out << r.err);
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.err, Contains(flag + " " + ckpt + "/out.file is inside the checkpoint folder " + ckpt));
    CHECK(!fs::exists(ckpt));
  }
}

TEST_CASE("checkpoint paths: a trailing slash and relative paths save the checkpoint", "[reliability]") {
  app::Scratch dir;
  for (const std::string name : {"text_classifier", "recommender", "transe"}) {
    const std::string ckpt = dir.path(name + "_ckpt");
    const app::Result r = app::run(name, quick_train(name, ckpt + "/"));
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(fs::exists(ckpt + "/checksums.json"));
    CHECK(!fs::exists(ckpt + "/.staging"));
    // Saved again over its own checkpoint, through "./" and "//".
    const std::string twisted = dir.path(".") + "/./" + name + "_ckpt//";
    CHECK(app::run(name, quick_train(name, twisted)).exit_code == 0);
    CHECK(fs::exists(ckpt + "/checksums.json"));
  }
  const app::Result eval = app::run("text_classifier", {"evaluate", "--checkpoint", dir.path("text_classifier_ckpt/"),
                                                        "--data", dir.write("eval.tsv", "1\tw3 w6\n0\tw4 w7\n")});
  INFO(eval.out << eval.err);
  CHECK(eval.exit_code == 0);
}

TEST_CASE("checkpoint paths: a second run on the same checkpoint is refused, naming the first", "[reliability]") {
  ScratchFolder dir;
  const std::string ckpt = dir / "ckpt";
  std::vector<std::string> long_run = {"train", "--synthetic-size", "2000", "--batch-size", "50", "--embedding-dim",
                                       "8", "--hidden-dim", "8", "--threads", "1", "--epochs", "100000",
                                       "--checkpoint", ckpt};
  const pid_t first = start_text_classifier(long_run, dir / "first.log");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!fs::exists(ckpt + "/checksums.json") && !has_exited(first) && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  REQUIRE(fs::exists(ckpt + "/checksums.json"));  // the first run is training and saving

  const AppResult second = run_text_classifier({"train", "--synthetic-size", "100", "--epochs", "1", "--checkpoint", ckpt + "/"});
  INFO(second.output);
  CHECK(second.exit_code == 1);
  CHECK_THAT(second.output, Contains("checkpoint " + ckpt + " is in use by another run (pid " +
                                     std::to_string(first) + ", lock file " + ckpt + ".lock)"));
  CHECK(!has_exited(first));

  // A lock left by a killed run blocks nothing: the kernel released it.
  ::kill(first, SIGKILL);
  CHECK(wait_exit_code(first) == 128 + SIGKILL);
  const AppResult third = run_text_classifier({"train", "--synthetic-size", "100", "--batch-size", "50",
                                               "--embedding-dim", "8", "--hidden-dim", "8", "--epochs", "1",
                                               "--threads", "1", "--checkpoint", ckpt});
  INFO(third.output);
  CHECK(third.exit_code == 0);
  CHECK(!fs::exists(ckpt + ".lock"));  // removed by the run that held it
}

TEST_CASE("checkpoint paths: a manifest that does not list every file is refused", "[reliability]") {
  app::Scratch dir;
  const std::string ckpt = dir.path("ckpt");
  REQUIRE(app::run("text_classifier", quick_train("text_classifier", ckpt)).exit_code == 0);
  const std::string data = dir.write("eval.tsv", "1\tw3 w6\n0\tw4 w7\n");
  std::ofstream(ckpt + "/checksums.json", std::ios::trunc) << "{}";
  const app::Result r = app::run("text_classifier", {"evaluate", "--checkpoint", ckpt, "--data", data});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Contains(ckpt + "/checksums.json does not list " + ckpt + "/") &&
                        Contains("the manifest does not cover the folder"));
  // Nor may training replace that folder: its manifest no longer proves it is an ember checkpoint.
  const app::Result train = app::run("text_classifier", quick_train("text_classifier", ckpt));
  CHECK(train.exit_code == 1);
  CHECK_THAT(train.err, Contains("is not an ember checkpoint"));
  CHECK(fs::exists(ckpt + "/model.safetensors"));
}
