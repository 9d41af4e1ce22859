// Inputs that never end: a device such as /dev/zero, a FIFO, a line without a newline. Each reader
// stops at a stated bound with a message naming the input, instead of filling memory or hanging.
#include <catch2/catch.hpp>

#include "data/delimited_file.h"
#include "data/pretrained.h"
#include "tests/reliability/app_runner.h"

#include <sys/stat.h>

#include <sstream>
#include <string>
#include <vector>

using namespace ember;
using Catch::Contains;

TEST_CASE("endless inputs: read_file stops a device at its bound and names it", "[reliability]") {
  REQUIRE_THROWS_WITH(data::read_file("/dev/zero"),
                      Contains("cannot read /dev/zero: it is a device that gave more than 256 MiB"));
  REQUIRE_THROWS_WITH(data::read_file("/dev/null"), Contains("/dev/null is a device and gave no data"));
}

TEST_CASE("endless inputs: getline_bounded reads lines as getline does and refuses an overlong one",
          "[reliability]") {
  std::istringstream text("first\n\nthird\r\nlast");
  std::vector<std::string> lines;
  std::string line;
  for (std::int64_t n = 1; data::getline_bounded(text, line, "text", n); ++n) lines.push_back(line);
  CHECK(lines == std::vector<std::string>{"first", "", "third\r", "last"});
  CHECK(text.eof());

  std::istringstream empty("");
  CHECK_FALSE(data::getline_bounded(empty, line, "empty", 1));
  std::istringstream newline_only("\n");
  CHECK(data::getline_bounded(newline_only, line, "one empty line", 1));
  CHECK(line.empty());
  CHECK_FALSE(data::getline_bounded(newline_only, line, "one empty line", 2));

  std::istringstream long_line(std::string(11, 'x') + "\nshort\n");
  REQUIRE_THROWS_WITH(data::getline_bounded(long_line, line, "a source", 7, 10),
                      Contains("a source: line 7 is longer than 10 bytes"));
  std::istringstream at_bound(std::string(10, 'x') + "\n");
  CHECK(data::getline_bounded(at_bound, line, "at the bound", 1, 10));
  CHECK(line.size() == 10);
}

TEST_CASE("endless inputs: pretrained vectors must be a regular file, so a FIFO never blocks the loader",
          "[reliability]") {
  testing::ScratchFolder dir;
  const std::string fifo = dir / "vectors.fifo";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  const std::vector<std::string> tokens{"the"};
  // Opening a FIFO without a writer would block forever: the loader refuses it before opening.
  REQUIRE_THROWS_WITH(data::load_glove(fifo, tokens), Contains(fifo + " is a FIFO (pipe), not a regular file"));
  REQUIRE_THROWS_WITH(data::load_word2vec_binary(fifo, tokens), Contains("a FIFO (pipe), not a regular file"));
  REQUIRE_THROWS_WITH(data::load_glove("/dev/zero", tokens), Contains("/dev/zero is a device or socket"));
  REQUIRE_THROWS_WITH(data::load_word2vec_text(dir.path(""), tokens), Contains("is a folder, not a regular file"));
}

TEST_CASE("endless inputs: the app refuses /dev/zero as training data, config and pretrained vectors",
          "[reliability]") {
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"train", "--train", "/dev/zero", "--valid", "/dev/zero"},
        std::vector<std::string>{"train", "--synthetic-size", "50", "--config", "/dev/zero"},
        std::vector<std::string>{"train", "--synthetic-size", "50", "--pretrained", "/dev/zero"}}) {
    INFO(args[1] + " " + args[2] + " " + args.back());
    const testing::AppResult result = testing::run_text_classifier(args);
    CHECK(result.exit_code != 0);
    CHECK(result.exit_code < 128);  // refused, not killed by a signal or the memory limit
    CHECK_THAT(result.output, Contains("/dev/zero"));
    // A config is refused at its first byte (NUL is not JSON); the others stop at their bound.
    if (args[3] != "--config") CHECK_THAT(result.output, Contains("256 MiB") || Contains("16 MiB"));
  }
}
