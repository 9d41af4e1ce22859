// Resume equals uninterrupted, for the configurations whose state is easiest to lose: a sparse
// embedding trained by SparseAdam (its own optimizer state) and a two-layer LSTM with dropout
// (which draws from the generator every step). 3 epochs in one run and 1 + 2 epochs with
// --resume must give the same weights, metrics and generator state, byte for byte.
// (The default configuration is covered in tests/apps/test_text_classifier.cpp.)
#include <catch2/catch.hpp>

#include "tests/reliability/app_runner.h"
#include "tests/reliability/metrics_lines.h"

#include <nlohmann/json.hpp>

using namespace ember::testing;

namespace {

void check_resume_equals_uninterrupted(const std::vector<std::string>& options) {
  ScratchFolder dir;
  auto args = [&](int epochs, const std::string& name, bool resume) {
    std::vector<std::string> a{"train", "--synthetic-size", "400", "--batch-size", "32", "--embedding-dim", "16",
                               "--hidden-dim", "16", "--threads", "1", "--seed", "11", "--epochs",
                               std::to_string(epochs), "--checkpoint", dir / name, "--metrics-out",
                               dir / (name + ".jsonl")};
    a.insert(a.end(), options.begin(), options.end());
    if (resume) a.insert(a.end(), {"--resume", dir / name});
    return a;
  };
  const AppResult full = run_text_classifier(args(3, "full", false));
  INFO(full.output);
  REQUIRE(full.exit_code == 0);
  const AppResult part = run_text_classifier(args(1, "part", false));
  INFO(part.output);
  REQUIRE(part.exit_code == 0);
  const AppResult resumed = run_text_classifier(args(3, "part", true));
  INFO(resumed.output);
  REQUIRE(resumed.exit_code == 0);

  CHECK(read_text(dir / "full/model.safetensors") == read_text(dir / "part/model.safetensors"));
  const auto full_metrics = metrics_without_wall_clock(dir / "full.jsonl");
  CHECK(full_metrics.size() == 3);
  CHECK(full_metrics == metrics_without_wall_clock(dir / "part.jsonl"));
  const auto state = [&](const std::string& name) {
    return nlohmann::json::parse(read_text(dir / (name + "/state.json")));
  };
  CHECK(state("full")["generator"] == state("part")["generator"]);
  CHECK(state("part")["epochs_done"] == 3);
}

}  // namespace

TEST_CASE("resume: a sparse embedding with SparseAdam resumes exactly", "[reliability]") {
  check_resume_equals_uninterrupted({"--sparse"});
}

TEST_CASE("resume: a two-layer LSTM with dropout resumes exactly", "[reliability]") {
  check_resume_equals_uninterrupted({"--num-layers", "2", "--dropout", "0.3"});
}

TEST_CASE("resume: bidirectional, sparse and dropout together resume exactly", "[reliability]") {
  check_resume_equals_uninterrupted({"--sparse", "--bidirectional", "--num-layers", "2", "--dropout", "0.5"});
}

TEST_CASE("resume: a run with a frozen pretrained embedding resumes exactly", "[reliability]") {
  ScratchFolder vectors;
  std::string glove;  // 16-dimensional vectors for a few words of the synthetic vocabulary
  for (int w = 2; w < 40; ++w) {
    glove += "w" + std::to_string(w);
    for (int d = 0; d < 16; ++d) glove += " " + std::to_string(((w * 7 + d * 3) % 11 - 5) / 10.0);
    glove += "\n";
  }
  std::ofstream(vectors / "glove.txt") << glove;
  check_resume_equals_uninterrupted({"--pretrained", vectors / "glove.txt", "--freeze"});
}

TEST_CASE("resume: the metrics file holds one line per completed epoch after an interrupted epoch",
          "[reliability]") {
  ScratchFolder dir;
  auto args = [&](int epochs, const std::string& name, bool resume) {
    std::vector<std::string> a{"train", "--synthetic-size", "200", "--batch-size", "32", "--embedding-dim", "8",
                               "--hidden-dim", "8", "--threads", "1", "--seed", "5", "--epochs",
                               std::to_string(epochs), "--checkpoint", dir / name, "--metrics-out",
                               dir / (name + ".jsonl")};
    if (resume) a.insert(a.end(), {"--resume", dir / name});
    return a;
  };
  REQUIRE(run_text_classifier(args(3, "full", false)).exit_code == 0);
  REQUIRE(run_text_classifier(args(1, "part", false)).exit_code == 0);
  // A kill after epoch 2's metrics line was written but before its checkpoint was complete.
  std::ofstream(dir / "part.jsonl", std::ios::app)
      << R"({"epoch":2,"train_loss":0.5,"train_acc":0.5,"valid_loss":0.5,"valid_acc":0.5,"seconds":1,)"
      << R"("examples_per_second":1})" << "\n";
  const AppResult resumed = run_text_classifier(args(3, "part", true));
  INFO(resumed.output);
  REQUIRE(resumed.exit_code == 0);
  const auto metrics = metrics_without_wall_clock(dir / "part.jsonl");
  CHECK(metrics.size() == 3);
  CHECK(metrics == metrics_without_wall_clock(dir / "full.jsonl"));
}
