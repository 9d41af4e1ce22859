// mpirun jobs seen from outside: the text classifier trained on 2 processes (rank 0 alone prints
// and writes files), and jobs in which one rank fails, which must stop with that rank's message
// well within their timeout instead of hanging.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

using Catch::Contains;

namespace {

struct Job {
  int exit_code = -1;  // 124: killed by the timeout
  std::string out, err;
  double seconds = 0;
};

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// A private temporary folder, removed at scope exit.
struct Scratch {
  Scratch() {
    std::string pattern = (std::filesystem::temp_directory_path() / "ember_mpi_XXXXXX").string();
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    path = pattern;
  }
  ~Scratch() {
    std::error_code ignored;
    std::filesystem::remove_all(path, ignored);
  }
  std::string operator/(const std::string& name) const { return (path / name).string(); }
  std::filesystem::path path;
};

// `timeout SECONDS [mpirun -np 2 ...] program args`, with its exit code, output and duration.
Job run_job(const std::string& program, const std::vector<std::string>& args, int timeout_seconds,
            bool with_mpirun = true) {
  Scratch scratch;
  std::string command = "timeout --kill-after=5 " + std::to_string(timeout_seconds) + " ";
  if (with_mpirun) command += std::string(EMBER_MPIEXEC) + " -np 2 --oversubscribe --allow-run-as-root --mca mpi_yield_when_idle 1 ";
  command += program;
  for (const std::string& arg : args) command += " '" + arg + "'";  // test arguments hold no quote
  command += " 2>'" + (scratch / "stderr") + "' </dev/null";
  const auto start = std::chrono::steady_clock::now();
  FILE* pipe = ::popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  Job job;
  char buffer[4096];
  for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;) job.out.append(buffer, n);
  const int status = ::pclose(pipe);
  job.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  job.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  job.err = read_text(scratch / "stderr");
  return job;
}

// The job failed on its own: a non-zero exit that is not run_job's timeout (124), well before it.
void require_stopped_by_error(const Job& job, double max_seconds) {
  REQUIRE(job.exit_code != 0);
  REQUIRE(job.exit_code != 124);
  REQUIRE(job.seconds < max_seconds);
}

}  // namespace

TEST_CASE("a rank that throws stops the whole job with its message", "[distributed]") {
  // Rank 0 is left waiting in an all_reduce: without abort_job the job would hang until killed.
  const Job job = run_job(EMBER_FAILING_RANK, {}, 60);
  INFO("stdout:\n" << job.out << "\nstderr:\n" << job.err);
  require_stopped_by_error(job, 50);
  REQUIRE_THAT(job.err, Contains("rank 1/2: error: failing_rank: rank 1 failed on purpose after one all_reduce"));
}

#ifdef EMBER_TEXT_CLASSIFIER

TEST_CASE("text_classifier trains on 2 processes and rank 0 alone prints and writes files", "[distributed]") {
  Scratch scratch;
  auto args = [&](const std::string& batch_size, const std::string& metrics) {
    return std::vector<std::string>{"train",        "--epochs",      "2",  "--synthetic-size", "600",
                                    "--batch-size", batch_size,      "--hidden-dim", "16", "--embedding-dim",
                                    "8",            "--seed",        "3",  "--sparse", "--metrics-out", scratch / metrics};
  };
  std::vector<std::string> distributed_args = args("16", "metrics.jsonl");
  distributed_args.insert(distributed_args.end(), {"--checkpoint", scratch / "checkpoint"});
  const Job job = run_job(EMBER_TEXT_CLASSIFIER, distributed_args, 240);
  INFO("stdout:\n" << job.out << "\nstderr:\n" << job.err);
  REQUIRE(job.exit_code == 0);
  REQUIRE(count(job.out, "ember text classifier: 480 training / 120 validation examples") == 1);
  REQUIRE(count(job.out, "distributed: 2 processes x ") == 1);
  REQUIRE(count(job.out, "epoch   1: train loss") == 1);
  REQUIRE(count(job.out, "epoch   2: train loss") == 1);
  REQUIRE(count(job.out, "final validation accuracy") == 1);
  // 480 examples, each trained on by exactly one rank (no padding: 480 is even).
  REQUIRE(count(read_text(scratch / "metrics.jsonl"), "\"epoch\":") == 2);

  // The same flags on one process with batch 32 = 2 x 16 see the same batches (the shards
  // interleave the same permutation), so every epoch's losses agree.
  const Job single = run_job(EMBER_TEXT_CLASSIFIER, args("32", "single.jsonl"), 240, false);
  REQUIRE(single.exit_code == 0);
  std::istringstream two(read_text(scratch / "metrics.jsonl")), one(read_text(scratch / "single.jsonl"));
  for (std::string line_two, line_one; std::getline(two, line_two) && std::getline(one, line_one);) {
    const auto m2 = nlohmann::json::parse(line_two), m1 = nlohmann::json::parse(line_one);
    INFO(line_two << "\n" << line_one);
    for (const char* key : {"train_loss", "train_acc", "valid_loss", "valid_acc"})
      REQUIRE(m2.at(key).get<double>() == Approx(m1.at(key).get<double>()).epsilon(1e-5));
  }
  REQUIRE(std::filesystem::exists(scratch / "checkpoint"));
  bool has_model = false;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(scratch.path / "checkpoint"))
    has_model = has_model || entry.path().filename() == "model.safetensors";
  REQUIRE(has_model);
}

TEST_CASE("text_classifier stops every rank when rank 0 cannot write its output", "[distributed]") {
  Scratch scratch;
  const std::vector<std::string> train = {"train", "--epochs", "3", "--synthetic-size", "200", "--batch-size",
                                          "16", "--hidden-dim", "8", "--embedding-dim", "8"};
  auto with = [&](std::vector<std::string> extra) {
    std::vector<std::string> all = train;
    all.insert(all.end(), extra.begin(), extra.end());
    return all;
  };

  SECTION("a metrics write fails after epoch 1, while rank 1 is already waiting in epoch 2") {
    // /dev/full takes the open and fails every write (ENOSPC): rank 0 fails at its first metrics line.
    REQUIRE(std::filesystem::exists("/dev/full"));
    const Job job = run_job(EMBER_TEXT_CLASSIFIER, with({"--metrics-out", "/dev/full"}), 120);
    INFO("stdout:\n" << job.out << "\nstderr:\n" << job.err);
    require_stopped_by_error(job, 100);
    REQUIRE_THAT(job.err, Contains("rank 0/2: error:") && Contains("--metrics-out /dev/full"));
    REQUIRE(count(job.out, "epoch   1: train loss") == 1);
    REQUIRE(count(job.out, "epoch   2: train loss") == 0);
  }

  SECTION("a checkpoint folder that cannot be created is refused before any training") {
    std::ofstream(scratch / "file") << "a file, not a folder";
    const Job job = run_job(EMBER_TEXT_CLASSIFIER, with({"--checkpoint", scratch / "file/checkpoint"}), 120);
    INFO("stdout:\n" << job.out << "\nstderr:\n" << job.err);
    require_stopped_by_error(job, 100);
    REQUIRE_THAT(job.err, Contains("rank 0/2: error:") && Contains("cannot create the folder"));
    REQUIRE(count(job.out, "epoch   1: train loss") == 0);
    REQUIRE(read_text(scratch / "file") == "a file, not a folder");  // what was there is untouched
  }
}

#endif
