// End-to-end tests of the text_classifier app: learning on the built-in and on written data,
// metrics fields, checkpoint/resume equality, evaluate, predict, and bad input.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <unistd.h>

namespace fs = std::filesystem;
using Catch::Contains;

namespace {

struct Run {
  int status;
  std::string output;  // stdout and stderr together
};

Run run(const std::string& args, const std::string& stdin_file = "") {
  std::string cmd = std::string(EMBER_APPS_DIR) + "/text_classifier " + args;
  if (!stdin_file.empty()) cmd += " < " + stdin_file;
  cmd += " 2>&1";
  FILE* pipe = popen(cmd.c_str(), "r");
  REQUIRE(pipe != nullptr);
  std::string out;
  char buffer[4096];
  while (std::fgets(buffer, sizeof buffer, pipe)) out += buffer;
  const int status = pclose(pipe);
  return {WEXITSTATUS(status), out};
}

fs::path temp_dir(const std::string& name) {
  fs::path dir = fs::temp_directory_path() / ("ember_tc_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

std::vector<nlohmann::json> read_jsonl(const fs::path& path) {
  std::ifstream in(path);
  std::vector<nlohmann::json> out;
  for (std::string line; std::getline(in, line);) out.push_back(nlohmann::json::parse(line));
  return out;
}

std::string read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Three topics told apart by their words, plus shared filler words.
void write_topic_file(const fs::path& path, int lines, unsigned seed) {
  const char* topics[3][4] = {{"goal", "match", "team", "score"},
                              {"stock", "market", "price", "bank"},
                              {"rain", "storm", "cloud", "wind"}};
  const char* filler[5] = {"the", "a", "today", "news", "report"};
  std::ofstream out(path);
  unsigned state = seed;
  auto next = [&] { return state = state * 1103515245u + 12345u, (state >> 16) & 0x7fff; };
  for (int i = 0; i < lines; ++i) {
    const int label = static_cast<int>(next() % 3);
    out << (label == 0 ? "sports" : label == 1 ? "finance" : "weather") << '\t';
    const int words = 3 + static_cast<int>(next() % 6);
    for (int w = 0; w < words; ++w) out << (w ? " " : "") << (next() % 2 ? topics[label][next() % 4] : filler[next() % 5]);
    out << '\n';
  }
}

}  // namespace

TEST_CASE("text_classifier learns the built-in dataset and writes its metrics", "[apps]") {
  const fs::path dir = temp_dir("synthetic");
  const Run r = run("train --epochs 4 --synthetic-size 8000 --threads 1 --metrics-out " + (dir / "m.jsonl").string() +
                    " --plot " + (dir / "curves.svg").string());
  INFO(r.output);
  REQUIRE(r.status == 0);
  CHECK_THAT(r.output, Contains("final validation accuracy"));
  const auto epochs = read_jsonl(dir / "m.jsonl");
  REQUIRE(epochs.size() == 4);
  for (const char* key : {"epoch", "train_loss", "train_acc", "valid_loss", "valid_acc", "seconds", "examples_per_second"})
    CHECK(epochs[0].contains(key));
  CHECK(epochs[3]["train_loss"].get<double>() < epochs[0]["train_loss"].get<double>());
  CHECK(epochs[3]["valid_acc"].get<double>() > 0.75);  // chance is about 0.5
  CHECK_THAT(read_bytes(dir / "curves.svg"), Contains("<svg") && Contains("polyline"));
}

TEST_CASE("text_classifier trains on files, evaluates and predicts from a checkpoint", "[apps]") {
  const fs::path dir = temp_dir("files");
  write_topic_file(dir / "train.tsv", 900, 1);
  write_topic_file(dir / "valid.tsv", 200, 2);
  write_topic_file(dir / "test.tsv", 200, 3);
  const Run r = run("train --train " + (dir / "train.tsv").string() + " --valid " + (dir / "valid.tsv").string() +
                    " --test " + (dir / "test.tsv").string() + " --epochs 4 --threads 1 --checkpoint " +
                    (dir / "ckpt").string() + " --metrics-out " + (dir / "m.jsonl").string());
  INFO(r.output);
  REQUIRE(r.status == 0);
  const auto lines = read_jsonl(dir / "m.jsonl");
  REQUIRE(lines.size() == 5);
  CHECK(lines.back()["test_acc"].get<double>() > 0.8);  // chance is 1/3
  for (const char* file : {"model.safetensors", "vocab.json", "labels.json", "config.json", "state.json"})
    CHECK(fs::exists(dir / "ckpt" / file));
  CHECK(nlohmann::json::parse(read_bytes(dir / "ckpt" / "labels.json")) ==
        nlohmann::json({"finance", "sports", "weather"}));

  const Run eval = run("evaluate --checkpoint " + (dir / "ckpt").string() + " --data " + (dir / "test.tsv").string());
  INFO(eval.output);
  REQUIRE(eval.status == 0);
  CHECK_THAT(eval.output, Contains("accuracy:") && Contains("precision") && Contains("confusion matrix"));

  std::ofstream(dir / "lines.txt") << "the team scored a goal in the match\nstorm and rain with strong wind\n";
  const Run pred = run("predict --checkpoint " + (dir / "ckpt").string(), (dir / "lines.txt").string());
  INFO(pred.output);
  REQUIRE(pred.status == 0);
  CHECK_THAT(pred.output, Contains("sports\t") && Contains("weather\t"));
}

TEST_CASE("text_classifier: resuming from a checkpoint equals an uninterrupted run", "[apps]") {
  const fs::path dir = temp_dir("resume");
  const std::string common = " --synthetic-size 1200 --threads 1 --seed 7";
  REQUIRE(run("train --epochs 3" + common + " --checkpoint " + (dir / "full").string() + " --metrics-out " +
              (dir / "full.jsonl").string()).status == 0);
  REQUIRE(run("train --epochs 1" + common + " --checkpoint " + (dir / "part").string() + " --metrics-out " +
              (dir / "part.jsonl").string()).status == 0);
  const Run resumed = run("train --epochs 3" + common + " --resume " + (dir / "part").string() + " --checkpoint " +
                          (dir / "part").string() + " --metrics-out " + (dir / "part.jsonl").string());
  INFO(resumed.output);
  REQUIRE(resumed.status == 0);
  CHECK(read_bytes(dir / "full" / "model.safetensors") == read_bytes(dir / "part" / "model.safetensors"));
  const auto full = read_jsonl(dir / "full.jsonl"), part = read_jsonl(dir / "part.jsonl");
  REQUIRE(full.size() == 3);
  REQUIRE(part.size() == 3);
  for (int e = 0; e < 3; ++e)
    for (const char* key : {"train_loss", "train_acc", "valid_loss", "valid_acc"}) CHECK(full[e][key] == part[e][key]);
}

TEST_CASE("text_classifier reports bad input with one clear message", "[apps]") {
  const fs::path dir = temp_dir("errors");
  Run r = run("train --train " + (dir / "missing.tsv").string() + " --valid " + (dir / "missing.tsv").string());
  CHECK(r.status != 0);
  CHECK_THAT(r.output, Contains("missing.tsv"));

  std::ofstream(dir / "bad.tsv") << "sports\tthe match\nno tab on this line\n";
  r = run("train --train " + (dir / "bad.tsv").string() + " --valid " + (dir / "bad.tsv").string());
  CHECK(r.status != 0);
  CHECK_THAT(r.output, Contains("bad.tsv:2"));

  r = run("train --epochz 3");
  CHECK(r.status != 0);
  CHECK_THAT(r.output, Contains("unknown option --epochz"));

  r = run("train --epochs zero");
  CHECK(r.status != 0);
  CHECK_THAT(r.output, Contains("--epochs expects an integer, got \"zero\""));

  r = run("train --lr -1");
  CHECK(r.status != 0);
  CHECK_THAT(r.output, Contains("--lr is -1"));

  r = run("evaluate --checkpoint " + (dir / "nothing").string() + " --data " + (dir / "bad.tsv").string());
  CHECK(r.status != 0);
  CHECK_THAT(r.output, Contains("no complete checkpoint"));
  CHECK_THAT(r.output, !Contains("Segmentation") && !Contains("terminate called"));
}
