// `train --resume` takes the model configuration and the training options from the checkpoint's
// config.json: a flag that contradicts them is refused before anything is trained, naming the
// flag, the value given and the checkpoint's value; a flag that agrees (even written differently,
// 1e-2 for 0.01) is accepted; and a resume that repeats no flag at all continues the same run.
#include <catch2/catch.hpp>

#include "tests/reliability/app_runner.h"

#include <nlohmann/json.hpp>

using namespace ember::testing;
using Catch::Contains;

namespace {

// The options of the checkpoint's run: every value differs from the app's default, so a resume
// that silently fell back to a default would build another model or train another way.
const std::vector<std::string> kRunOptions{"--synthetic-size", "200", "--batch-size", "50", "--embedding-dim", "8",
                                           "--hidden-dim", "6", "--num-layers", "2", "--dropout", "0.25",
                                           "--lr", "0.01", "--seed", "3", "--threads", "1"};

std::vector<std::string> with(std::vector<std::string> args, const std::vector<std::string>& more) {
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

std::vector<std::string> resume_args(const std::string& ckpt, int epochs) {
  return {"train", "--resume", ckpt, "--checkpoint", ckpt, "--epochs", std::to_string(epochs), "--threads", "1"};
}

}  // namespace

TEST_CASE("resume options: every flag that contradicts the checkpoint is refused naming both values",
          "[reliability]") {
  ScratchFolder dir;
  const std::string ckpt = dir / "ckpt";
  const AppResult first = run_text_classifier(with({"train", "--epochs", "1", "--checkpoint", ckpt}, kRunOptions));
  INFO(first.output);
  REQUIRE(first.exit_code == 0);
  const std::string model_before = read_text(ckpt + "/model.safetensors");
  const std::string glove = dir / "glove.txt";
  std::ofstream(glove) << "w2 0.1 0.2 0.3 0.4 0.5 0.6 0.7 0.8\n";

  struct Row {
    std::vector<std::string> flag;
    std::string given, saved;  // "--lr 0.5" contradicts ... trained with "--lr 0.01"
  };
  const std::vector<Row> rows = {
      {{"--lr", "0.5"}, "--lr 0.5", "--lr 0.01"},
      {{"--last", "position"}, "--last position", "--last valid"},
      {{"--sparse"}, "--sparse true", "--sparse false"},
      {{"--bidirectional"}, "--bidirectional true", "--bidirectional false"},
      {{"--embedding-dim", "16"}, "--embedding-dim 16", "--embedding-dim 8"},
      {{"--hidden-dim", "7"}, "--hidden-dim 7", "--hidden-dim 6"},
      {{"--num-layers", "1"}, "--num-layers 1", "--num-layers 2"},
      {{"--dropout", "0.5"}, "--dropout 0.5", "--dropout 0.25"},
      {{"--seed", "4"}, "--seed 4", "--seed 3"},
      {{"--batch-size", "32"}, "--batch-size 32", "--batch-size 50"},
      {{"--min-freq", "2"}, "--min-freq 2", "--min-freq 1"},
      {{"--max-vocab", "100"}, "--max-vocab 100", "--max-vocab 0"},
      {{"--max-len", "5"}, "--max-len 5", "--max-len 0"},
      {{"--synthetic-size", "300"}, "--synthetic-size 300", "--synthetic-size 200"},
      {{"--pretrained", glove}, "--pretrained " + glove, "no --pretrained"},
      {{"--pretrained", glove, "--freeze"}, "--pretrained " + glove, "no --pretrained"},
  };
  for (const Row& row : rows) {
    const AppResult r = run_text_classifier(with(resume_args(ckpt, 2), row.flag));
    INFO(row.given << "\n" << r.output);
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.output, Contains(row.given + " contradicts checkpoint " + ckpt) &&
                             Contains("which was trained with " + row.saved + ";"));
    CHECK_THAT(r.output, !Contains("epoch 2/2"));  // refused before training
  }
  // --freeze alone: the checkpoint's run had no frozen embedding (and no --pretrained).
  const AppResult freeze = run_text_classifier(with(resume_args(ckpt, 2), {"--freeze"}));
  CHECK(freeze.exit_code == 1);
  CHECK_THAT(freeze.output, Contains("--freeze true contradicts checkpoint " + ckpt) &&
                                Contains("trained with --freeze false"));

  // A --config file that contradicts the checkpoint is named as the value's origin.
  const std::string config = dir / "config.json";
  std::ofstream(config) << R"({"lr": 0.5})";
  const AppResult from_config = run_text_classifier(with(resume_args(ckpt, 2), {"--config", config}));
  CHECK(from_config.exit_code == 1);
  CHECK_THAT(from_config.output, Contains("--lr 0.5 (from config file " + config + ") contradicts checkpoint"));

  // Nothing was trained or rewritten by the refused runs.
  CHECK(read_text(ckpt + "/model.safetensors") == model_before);
  CHECK(nlohmann::json::parse(read_text(ckpt + "/state.json"))["epochs_done"] == 1);
}

TEST_CASE("resume options: agreeing flags are accepted and a bare resume continues the same run", "[reliability]") {
  ScratchFolder dir;
  // Uninterrupted: 2 epochs. Interrupted: 1 epoch, then a resume that names none of the options.
  const AppResult full =
      run_text_classifier(with({"train", "--epochs", "2", "--checkpoint", dir / "full"}, kRunOptions));
  INFO(full.output);
  REQUIRE(full.exit_code == 0);
  REQUIRE(run_text_classifier(with({"train", "--epochs", "1", "--checkpoint", dir / "part"}, kRunOptions)).exit_code ==
          0);
  const AppResult bare = run_text_classifier(resume_args(dir / "part", 2));
  INFO(bare.output);
  REQUIRE(bare.exit_code == 0);
  CHECK_THAT(bare.output, Contains("num_layers=2"));
  CHECK(read_text(dir / "full/model.safetensors") == read_text(dir / "part/model.safetensors"));

  // The same values written another way (1e-2 for 0.01, 2.5e-1 for 0.25) agree with the checkpoint.
  const AppResult agreeing = run_text_classifier(
      with(resume_args(dir / "part", 3), {"--lr", "1e-2", "--dropout", "2.5e-1", "--num-layers", "2", "--seed", "3"}));
  INFO(agreeing.output);
  CHECK(agreeing.exit_code == 0);
  CHECK(nlohmann::json::parse(read_text(dir / "part/state.json"))["epochs_done"] == 3);
}
