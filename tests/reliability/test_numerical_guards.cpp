// Numerical guards of `text_classifier train`: a NaN loss stops training with a message naming
// the epoch and step, and --detect-anomaly names the backward op that first produced a non-finite
// gradient. Within its option ranges the app does not diverge on its own (Adam's steps are bounded
// by --lr <= 10 and the LSTM saturates), so the tests resume from a checkpoint whose weights were
// damaged on purpose, as a run that diverged earlier would have left them.
#include <catch2/catch.hpp>

#include "tests/reliability/app_runner.h"

#include "apps/common/checkpoint.h"

#include "core/safetensors.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <limits>

using namespace ember::testing;
using Catch::Contains;

namespace {

// Trains a tiny model for `epochs` epochs in total, resuming from `checkpoint` when it exists.
std::vector<std::string> train_args(const std::string& checkpoint, int epochs, bool detect_anomaly) {
  std::vector<std::string> args{"train", "--synthetic-size", "200", "--batch-size", "50", "--embedding-dim", "8",
                                "--hidden-dim", "8", "--threads", "1", "--epochs", std::to_string(epochs),
                                "--checkpoint", checkpoint};
  if (std::ifstream(checkpoint + "/state.json").good()) args.insert(args.end(), {"--resume", checkpoint});
  if (detect_anomaly) args.push_back("--detect-anomaly");
  return args;
}

// Sets `tensor_name`[row, col] (or every row's `col` when row < 0, skipping row 0) of the
// checkpoint's model to `value`, then re-seals checksums.json so that the damage is not refused
// as corruption: these tests are about what training does with the values.
void damage_weight(const std::string& dir, const std::string& tensor_name, std::int64_t row, std::int64_t col,
                   float value) {
  const std::string path = dir + "/model.safetensors";
  ember::SafetensorsFile file = ember::load_safetensors(path);
  bool found = false;
  for (auto& [name, t] : file.tensors) {
    if (name != tensor_name) continue;
    found = true;
    float* data = t.data_ptr<float>();
    const std::int64_t cols = t.dim() == 2 ? t.size(1) : 1;
    if (row >= 0) data[row * cols + col] = value;
    else
      for (std::int64_t r = 1; r < t.size(0); ++r) data[r * cols + col] = value;
  }
  REQUIRE(found);
  ember::save_safetensors(path, file.tensors, file.metadata);
  ember::apps::seal_checkpoint(dir);
}

}  // namespace

TEST_CASE("numerical guards: a NaN loss stops training with a clear message", "[reliability]") {
  ScratchFolder dir;
  const std::string ckpt = dir / "ckpt";
  REQUIRE(run_text_classifier(train_args(ckpt, 1, false)).exit_code == 0);
  damage_weight(ckpt, "fc.bias", 0, 0, std::numeric_limits<float>::quiet_NaN());

  for (bool detect_anomaly : {false, true}) {
    const AppResult r = run_text_classifier(train_args(ckpt, 3, detect_anomaly));
    INFO(r.output);
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.output, Contains("the loss became nan at epoch 2 step 1"));
    CHECK_THAT(r.output, !Contains("epoch   2:"));  // no epoch finished with a NaN loss
  }
}

TEST_CASE("numerical guards: --detect-anomaly names the backward op that produced a non-finite gradient",
          "[reliability]") {
  // An infinite embedding feature keeps the forward pass finite (the LSTM gates saturate), but its
  // backward multiplies the infinity by the zero gate gradient: dW_ih becomes NaN.
  ScratchFolder dir;
  const std::string ckpt = dir / "ckpt";
  REQUIRE(run_text_classifier(train_args(ckpt, 1, false)).exit_code == 0);
  damage_weight(ckpt, "embedding.weight", -1, 0, std::numeric_limits<float>::infinity());

  const AppResult anomaly = run_text_classifier(train_args(ckpt, 3, true));
  INFO(anomaly.output);
  CHECK(anomaly.exit_code == 1);
  CHECK_THAT(anomaly.output, Contains("anomaly detected: backward of lstm") && Contains("non-finite"));

  // Without anomaly mode the NaN gradient reaches the weights through Adam, and the loss guard
  // stops training one step later, pointing at --detect-anomaly.
  const AppResult plain = run_text_classifier(train_args(ckpt, 3, false));
  INFO(plain.output);
  CHECK(plain.exit_code == 1);
  CHECK_THAT(plain.output, Contains("the loss became nan at epoch 2 step 2") && Contains("--detect-anomaly"));
}
