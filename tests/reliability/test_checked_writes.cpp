// Every write is checked: metrics, plot and stdout going to a full disk (/dev/full, whose every
// write fails with ENOSPC) make the app exit non-zero with one message naming the file and the
// errno text. Reads never truncate silently: a folder or an empty device is named as such.
#include <catch2/catch.hpp>

#include "data/delimited_file.h"
#include "core/error.h"
#include "tests/reliability/app_runner.h"

#include <filesystem>

#include <sys/stat.h>

namespace fs = std::filesystem;
namespace app = ember::testing::app_process;
using Catch::Contains;

namespace {

const std::vector<std::string> kQuickTrain = {"train", "--synthetic-size", "100", "--batch-size", "50",
                                              "--embedding-dim", "8", "--hidden-dim", "8", "--threads", "1",
                                              "--epochs", "1"};

std::vector<std::string> with(std::vector<std::string> args, const std::vector<std::string>& more) {
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

// `app args > /dev/full` (stdout to a device whose writes all fail with ENOSPC).
app::Result run_to_full_disk(const std::string& name, const std::vector<std::string>& args,
                             const std::string& stdin_text = "") {
  app::Scratch scratch;
  std::string command = std::string(EMBER_APPS_DIR) + "/" + name;
  for (const std::string& arg : args) command += " '" + arg + "'";
  const std::string input = scratch.write("stdin", stdin_text);
  command += " < '" + input + "' > /dev/full 2> '" + scratch.path("stderr") + "'";
  app::Result result;
  const int status = std::system(command.c_str());
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  result.err = app::read_text(scratch.path("stderr"));
  return result;
}

}  // namespace

TEST_CASE("checked writes: --metrics-out and --plot on a full disk exit non-zero naming the file", "[reliability]") {
  REQUIRE(fs::exists("/dev/full"));
  app::Result r = app::run("text_classifier", with(kQuickTrain, {"--metrics-out", "/dev/full"}));
  INFO(r.out << r.err);
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Contains("text_classifier: cannot write --metrics-out /dev/full: No space left on device"));

  r = app::run("text_classifier", with(kQuickTrain, {"--plot", "/dev/full"}));
  INFO(r.out << r.err);
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Contains("text_classifier: --plot: cannot write /dev/full") &&
                        Contains("No space left on device"));
  // The device is written in place, never replaced by a rename (as root that would swap the node).
  struct stat st {};
  REQUIRE(::stat("/dev/full", &st) == 0);
  CHECK(S_ISCHR(st.st_mode));
  CHECK(!fs::exists("/dev/full.tmp"));
}

TEST_CASE("checked writes: stdout of every app on a full disk exits non-zero with one message", "[reliability]") {
  app::Scratch dir;
  const std::string ckpt = dir.path("ckpt");
  REQUIRE(app::run("text_classifier", with(kQuickTrain, {"--checkpoint", ckpt})).exit_code == 0);
  const std::string data = dir.write("eval.tsv", "1\tw3 w6\n0\tw4 w7\n");
  struct Case {
    std::string app;
    std::vector<std::string> args;
    std::string input;
  };
  const std::vector<Case> cases = {
      {"text_classifier", kQuickTrain, ""},
      {"text_classifier", {"evaluate", "--checkpoint", ckpt, "--data", data}, ""},
      {"text_classifier", {"predict", "--checkpoint", ckpt}, "w3 w6\nw4 w7\n"},
      {"text_classifier", {"--help"}, ""},
      {"recommender", {"train", "--synthetic-ratings", "400", "--epochs", "1", "--dim", "2", "--threads", "1"}, ""},
      {"transe", {"train", "--synthetic-side", "4", "--epochs", "1", "--dim", "4", "--threads", "1"}, ""},
      {"char_classifier", {"--epochs", "1"}, ""},
  };
  for (const Case& c : cases) {
    const app::Result r = run_to_full_disk(c.app, c.args, c.input);
    INFO(c.app << " " << c.args.front() << ": " << r.err);
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.err, Contains(c.app) && Contains("cannot write standard output") &&
                          Contains("No space left on device"));
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);  // one message
  }
}

TEST_CASE("checked reads: a folder or an empty device is named as such, not as an empty file", "[reliability]") {
  app::Scratch dir;
  fs::create_directories(dir.path("folder"));
  REQUIRE_THROWS_AS(ember::data::read_file(dir.path("folder")), ember::IoError);
  REQUIRE_THROWS_WITH(ember::data::read_file(dir.path("folder")),
                      Contains(dir.path("folder")) && Contains("it is a folder, not a file"));
  REQUIRE_THROWS_WITH(ember::data::read_file("/dev/null"), Contains("/dev/null is a device and gave no data"));
  REQUIRE_THROWS_WITH(ember::data::read_file(dir.path("missing.tsv")),
                      Contains("cannot open " + dir.path("missing.tsv") + ": No such file or directory"));
  CHECK(ember::data::read_file(dir.write("a.tsv", "1\tx\n")) == "1\tx\n");

  const app::Result r = app::run("text_classifier", {"train", "--train", dir.path("folder"), "--valid", "/dev/null"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Contains("it is a folder, not a file") && !Contains("is empty"));
}
