// Every field of a checkpoint's config.json and state.json is type- and range-checked by
// `evaluate`, `predict` and `train --resume`, with the ranges the command-line flags use: a
// crafted value (num_layers 1e6, hidden_dim 1e30, epochs_done 1e30, a negative size, a string for
// a number, a missing field) is refused with exit status 1 and a message naming the file, the
// field, the value and the valid range; nothing hangs, crashes or allocates what the file does not
// hold. The checksums are resealed after each edit, so these are values the reader must judge.
#include <catch2/catch.hpp>

#include "tests/reliability/app_runner.h"

#include "apps/common/checkpoint.h"

#include <nlohmann/json.hpp>

#include <functional>

using namespace ember::testing;
using Catch::Contains;
using Json = nlohmann::ordered_json;

namespace {

struct Crafted {
  std::string file;                  // "config.json" or "state.json"
  std::function<void(Json&)> edit;   // applied to the file's JSON
  std::string message;               // what the refusal must say after "<ckpt>/<file>: "
  bool read_by_evaluate = true;      // false: only train --resume reads the field (not evaluate, predict)
};

// Runs `args` on a checkpoint whose `row.file` was edited by `row.edit`, then restores it.
AppResult run_crafted(const std::string& ckpt, const Crafted& row, const std::vector<std::string>& args) {
  const std::string path = ckpt + "/" + row.file;
  const std::string original = read_text(path), sums = read_text(ckpt + "/checksums.json");
  Json j = Json::parse(original);
  row.edit(j);
  std::ofstream(path, std::ios::trunc) << j.dump();
  ember::apps::seal_checkpoint(ckpt);
  AppResult r = run_text_classifier(args);
  std::ofstream(path, std::ios::trunc) << original;
  std::ofstream(ckpt + "/checksums.json", std::ios::trunc) << sums;
  return r;
}

std::function<void(Json&)> set(const std::string& field, Json value) {
  return [field, value](Json& j) { j[field] = value; };
}

}  // namespace

TEST_CASE("checkpoint fields: crafted config.json and state.json values are refused naming file, field and range",
          "[reliability]") {
  ScratchFolder dir;
  const std::string ckpt = dir / "ckpt";
  const AppResult first = run_text_classifier({"train", "--synthetic-size", "200", "--batch-size", "50",
                                               "--embedding-dim", "8", "--hidden-dim", "8", "--threads", "1",
                                               "--epochs", "1", "--checkpoint", ckpt});
  INFO(first.output);
  REQUIRE(first.exit_code == 0);
  const std::string data = dir / "data.tsv";
  std::ofstream(data) << "1\tw3 w6 w9\n0\tw4 w7 w10\n";

  const std::vector<Crafted> rows = {
      {"config.json", set("num_layers", 1000000), R"("num_layers" is 1000000; expected an integer in [1, 16])"},
      {"config.json", set("hidden_dim", 1e30), R"("hidden_dim" is 1e+30; expected an integer in [1, 65536])"},
      {"config.json", set("hidden_dim", 2.5), R"("hidden_dim" is 2.5; expected an integer in [1, 65536])"},
      {"config.json", set("embedding_dim", -5), R"("embedding_dim" is -5; expected an integer in [1, 65536])"},
      {"config.json", set("embedding_dim", "8"), R"("embedding_dim" is "8"; expected an integer in [1, 65536])"},
      {"config.json", set("vocab_size", 18446744073709551615ull),
       R"("vocab_size" is 18446744073709551615; expected an integer in [1, 1073741824])"},
      {"config.json", set("num_classes", 0), R"("num_classes" is 0; expected an integer in [1, 1073741824])"},
      {"config.json", set("padding_idx", 1000), R"("padding_idx" is 1000; expected an integer in [0, 999])"},
      {"config.json", set("dropout", 2), R"("dropout" is 2; expected a number in [0, 1])"},
      {"config.json", set("bidirectional", 1), R"("bidirectional" is 1; expected true or false)"},
      {"config.json", set("last", "middle"), R"("last" is "middle"; expected one of "valid", "position")"},
      {"config.json", [](Json& j) { j.erase("num_layers"); }, R"(the field "num_layers" is missing)"},
      {"config.json", [](Json& j) { j = Json::array({1}); }, "expected a JSON object, got [1]"},
      {"config.json", [](Json& j) { j.erase("options"); }, R"(the field "options" is missing)"},
      {"config.json", [](Json& j) { j["options"]["max-len"] = "1e30"; },
       R"("options"."max-len" is "1e30"; expected an integer in [0, 1048576])"},
      {"config.json", [](Json& j) { j["options"]["freeze"] = 7; }, R"("freeze" is 7; expected a string)"},
      // In range, but a model of 2^36 parameters: refused against the size of model.safetensors.
      {"config.json", [](Json& j) { j["hidden_dim"] = 65536; j["num_layers"] = 16; }, "describes a model of "},
      {"state.json", set("epochs_done", 1e30), R"("epochs_done" is 1e+30; expected an integer in [0, 100000])", false},
      {"state.json", set("epochs_done", -1), R"("epochs_done" is -1; expected an integer in [0, 100000])", false},
      {"state.json", set("epochs_done", 5), R"("history" has 1 entries; expected one per epoch done (5))", false},
      {"state.json", [](Json& j) { j["history"][0]["train_loss"] = "low"; },
       R"("history"[0]: "train_loss" is "low"; expected a number in [0, )", false},
      {"state.json", [](Json& j) { j["history"][0]["epoch"] = 4; },
       R"("history"[0]: "epoch" is 4; expected an integer in [1, 1])", false},
      {"state.json", set("generator", 42), R"("generator" is 42; expected a string)", false},
      {"state.json", set("generator", "not a state"), R"("generator": Generator::set_state: malformed)", false},
      {"state.json", set("history", "none"), R"("history" is "none"; expected a JSON list)", false},
  };
  const std::vector<std::string> resume{"train", "--resume", ckpt, "--checkpoint", ckpt, "--epochs", "3", "--threads", "1"};
  const std::vector<std::string> evaluate{"evaluate", "--checkpoint", ckpt, "--data", data};
  const std::vector<std::string> predict{"predict", "--checkpoint", ckpt};
  for (const Crafted& row : rows) {
    for (const auto* args : {&resume, &evaluate, &predict}) {
      if (args != &resume && !row.read_by_evaluate) continue;
      const AppResult r = run_crafted(ckpt, row, *args);
      INFO((*args)[0] << ": " << row.message << "\n" << r.output);
      CHECK(r.exit_code == 1);  // not a crash (128 + signal), not a hang (the test's timeout)
      CHECK_THAT(r.output, Contains(ckpt + "/" + row.file) && Contains(row.message));
    }
  }
  // The saved option values are checked by the flags' own parsers, naming the file they came from.
  const AppResult lr = run_crafted(ckpt, {"config.json", [](Json& j) { j["options"]["lr"] = "50"; }, "", false}, resume);
  CHECK(lr.exit_code == 1);
  CHECK_THAT(lr.output, Contains("--lr is 50; expected [1e-12, 10] (from " + ckpt + "/config.json)"));
  // One definition of each range: the flag refuses what the file field refuses.
  const AppResult flag = run_text_classifier({"train", "--num-layers", "1000000", "--epochs", "1"});
  CHECK_THAT(flag.output, Contains("--num-layers is 1000000; expected [1, 16]"));

  // Unedited, the checkpoint still evaluates and resumes.
  CHECK(run_text_classifier(evaluate).exit_code == 0);
  CHECK(run_text_classifier(resume).exit_code == 0);
}
