// Crash-safe checkpoints: `text_classifier train --checkpoint DIR` is SIGKILLed again and again at
// moments drawn from a fixed seed, half of them while a checkpoint is being written (DIR.staging
// exists); after every kill the last checkpoint loads (`evaluate`) and training resumes from it
// without losing a finished epoch. Truncated and corrupted files are refused, naming the file.
#include <catch2/catch.hpp>

#include "tests/reliability/app_runner.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <random>
#include <thread>

namespace fs = std::filesystem;
using namespace ember::testing;
using Catch::Contains;

namespace {

// A tiny model on a small synthetic set: an epoch takes milliseconds, so checkpoints are written
// back to back and a kill often lands inside one.
std::vector<std::string> train_args(const std::string& checkpoint, bool resume, int epochs) {
  std::vector<std::string> args{"train",           "--synthetic-size", "100", "--batch-size", "50",
                                "--embedding-dim", "8",                "--hidden-dim", "8", "--threads", "1",
                                "--seed",          "3",                "--epochs", std::to_string(epochs),
                                "--checkpoint",    checkpoint};
  if (resume) args.insert(args.end(), {"--resume", checkpoint});
  return args;
}

// Labelled lines in the synthetic vocabulary ("w2" ... "w999"), for `evaluate --data`.
std::string write_eval_file(const ScratchFolder& dir) {
  const std::string path = dir / "eval.tsv";
  std::ofstream(path) << "1\tw3 w6 w9 w12\n0\tw4 w7 w10\n1\tw21 w5 w30\n0\tw100 w200 w301 w13\n";
  return path;
}

std::int64_t epochs_done(const std::string& folder) {
  return nlohmann::json::parse(read_text(folder + "/state.json")).at("epochs_done").get<std::int64_t>();
}

// Where a complete checkpoint is: DIR, or DIR.old after a kill between the two renames of a swap.
std::string complete_checkpoint(const std::string& dir) {
  return fs::exists(dir + "/state.json") ? dir : dir + ".old";
}

// Waits (up to `limit`) until `path` exists; false on timeout or when the process exited.
bool wait_for(const std::string& path, pid_t pid, std::chrono::milliseconds limit) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (fs::exists(path)) return true;
    if (has_exited(pid)) return false;
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  return false;
}

}  // namespace

TEST_CASE("checkpoints: SIGKILL at random moments never loses the last checkpoint", "[reliability]") {
  ScratchFolder dir;
  const std::string ckpt = dir / "ckpt", eval_file = write_eval_file(dir);
  AppResult first = run_text_classifier(train_args(ckpt, false, 1));
  INFO(first.output);
  REQUIRE(first.exit_code == 0);

  std::mt19937 rng(20240607);  // fixed: the same kill moments on every run
  std::int64_t done = epochs_done(ckpt);
  int killed_mid_write = 0, killed = 0;
  constexpr int kRounds = 16;
  for (int round = 0; round < kRounds; ++round) {
    const pid_t pid = start_text_classifier(train_args(ckpt, true, 100000), dir / "train.log");
    if (round % 2 == 0) {
      // Inside a checkpoint write: as soon as the staging folder appears, plus 0-2 ms.
      wait_for(ckpt + ".staging", pid, std::chrono::seconds(60));
      std::this_thread::sleep_for(std::chrono::microseconds(rng() % 2000));
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(100 + rng() % 400));  // anywhere
    }
    killed_mid_write += fs::exists(ckpt + ".staging") || !fs::exists(ckpt + "/state.json");
    ::kill(pid, SIGKILL);
    const int code = wait_exit_code(pid);
    INFO("round " << round << ", training log:\n" << read_text(dir / "train.log"));
    REQUIRE(code == 128 + SIGKILL);  // still training when killed
    ++killed;

    // The last checkpoint loads, and no finished epoch was lost.
    const AppResult eval = run_text_classifier({"evaluate", "--checkpoint", ckpt, "--data", eval_file});
    INFO(eval.output);
    REQUIRE(eval.exit_code == 0);
    CHECK_THAT(eval.output, Contains("accuracy:"));
    const std::int64_t now = epochs_done(complete_checkpoint(ckpt));
    CHECK(now >= done);
    done = now;
  }
  CHECK(killed == kRounds);
  CHECK(killed_mid_write > 0);  // some kills really hit a write in progress
  WARN(killed_mid_write << " of " << kRounds << " kills landed inside a checkpoint write; " << done
                        << " epochs done");

  // Training resumes from whatever the last kill left and finishes normally.
  const AppResult resumed = run_text_classifier(train_args(ckpt, true, static_cast<int>(done) + 2));
  INFO(resumed.output);
  REQUIRE(resumed.exit_code == 0);
  CHECK(epochs_done(ckpt) == done + 2);
  CHECK(!fs::exists(ckpt + ".staging"));
  CHECK(!fs::exists(ckpt + ".old"));
}

TEST_CASE("checkpoints: a truncated or corrupted file is refused with a message naming it", "[reliability]") {
  ScratchFolder dir;
  const std::string ckpt = dir / "ckpt", eval_file = write_eval_file(dir);
  REQUIRE(run_text_classifier(train_args(ckpt, false, 1)).exit_code == 0);
  const std::string model = ckpt + "/model.safetensors";
  const std::string good = read_text(model);

  SECTION("truncated model.safetensors") {
    fs::resize_file(model, good.size() / 2);
    for (const auto& args : {std::vector<std::string>{"evaluate", "--checkpoint", ckpt, "--data", eval_file},
                             train_args(ckpt, true, 3)}) {
      const AppResult r = run_text_classifier(args);
      INFO(r.output);
      CHECK(r.exit_code == 1);
      CHECK_THAT(r.output, Contains(model) && Contains("truncated"));
    }
  }
  SECTION("one flipped byte in the tensor data of model.safetensors") {
    std::string bad = good;
    bad[bad.size() - 3] ^= 0x40;
    std::ofstream(model, std::ios::binary | std::ios::trunc) << bad;
    const AppResult r = run_text_classifier({"evaluate", "--checkpoint", ckpt, "--data", eval_file});
    INFO(r.output);
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.output, Contains(model) && Contains("corrupted"));
  }
  SECTION("a damaged optimizer state or state.json") {
    for (const std::string name : {"optimizer_dense.json", "state.json"}) {
      const std::string path = ckpt + "/" + name, original = read_text(path);
      std::ofstream(path, std::ios::trunc) << original.substr(0, original.size() - 10);
      const AppResult r = run_text_classifier(train_args(ckpt, true, 3));
      INFO(r.output);
      CHECK(r.exit_code == 1);
      CHECK_THAT(r.output, Contains(path));
      std::ofstream(path, std::ios::trunc) << original;
    }
  }
}
