// End-to-end tests of the tokenize app: train both models, encode stdin line by line (pieces and
// ids, any thread count) the same as the library does, decode back, refuse a folder that is not
// ours, and fail loudly when standard output is lost.
#include "app_process.h"

#include "data/subword_tokenizer.h"

#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <filesystem>
#include <sstream>

using Catch::Contains;
namespace app = ember::testing::app_process;

namespace {

const char* kCorpus =
    "The quick brown fox jumps over the lazy dog.\n"
    "The lazy dog sleeps; the quick fox runs!\n"
    "\n"
    "Café au lait, s'il vous plaît. Über alles.\n"
    "Jumping foxes and sleeping dogs, running over lazy hills.\n";

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

}  // namespace

TEST_CASE("tokenize train and encode agree with the library, line for line", "[apps]") {
  app::Scratch scratch;
  const std::string corpus = scratch.write("corpus.txt", kCorpus);
  const std::string input = scratch.write("input.txt", "the lazy foxes\n\nunseen words: zebra!\ncafé\n");
  for (const std::string model : {"bpe", "wordpiece"}) {
    INFO(model);
    const std::string dir = scratch.path(model);
    const app::Result trained = app::run("tokenize", {"train", "--model", model, "--corpus", corpus, "--vocab-size",
                                                      model == "bpe" ? "120" : "90", "--output", dir, "--min-frequency", "1"});
    INFO(trained.out << trained.err);
    REQUIRE(trained.exit_code == 0);
    CHECK_THAT(trained.out, Contains(model + ": "));
    const auto tokenizer = ember::data::SubwordTokenizer::load(dir);
    CHECK(tokenizer.model() == model);

    const app::Result pieces = app::run("tokenize", {"encode", "--model", dir}, input);
    const app::Result ids = app::run("tokenize", {"encode", "--model", dir, "--ids", "--threads", "2"}, input);
    REQUIRE(pieces.exit_code == 0);
    REQUIRE(ids.exit_code == 0);
    const auto input_lines = lines_of(app::read_text(input));
    const auto piece_lines = lines_of(pieces.out), id_lines = lines_of(ids.out);
    REQUIRE(piece_lines.size() == input_lines.size());
    REQUIRE(id_lines.size() == input_lines.size());
    for (std::size_t l = 0; l < input_lines.size(); ++l) {
      CHECK(piece_lines[l] == fmt::format("{}", fmt::join(tokenizer.tokenize(input_lines[l]), " ")));
      CHECK(id_lines[l] == fmt::format("{}", fmt::join(tokenizer.encode(input_lines[l]), " ")));
    }
    CHECK(piece_lines[1].empty());  // an empty line stays an empty line

    const std::string id_file = scratch.write("ids.txt", ids.out);
    const app::Result decoded = app::run("tokenize", {"decode", "--model", dir}, id_file);
    REQUIRE(decoded.exit_code == 0);
    CHECK(lines_of(decoded.out)[0] == "the lazy foxes");
  }
}

TEST_CASE("tokenize refuses to overwrite a folder it did not write", "[apps]") {
  app::Scratch scratch;
  const std::string corpus = scratch.write("corpus.txt", kCorpus);
  const std::string dir = scratch.path("out");
  std::filesystem::create_directory(dir);
  scratch.write("out/notes.txt", "keep me");
  const std::vector<std::string> args = {"train", "--model", "bpe", "--corpus", corpus, "--vocab-size", "100", "--output", dir};
  const app::Result refused = app::run("tokenize", args);
  CHECK(refused.exit_code == 1);
  CHECK_THAT(refused.err, Contains("is a non-empty folder that tokenize did not write") && Contains("notes.txt"));
  CHECK(app::read_text(scratch.path("out/notes.txt")) == "keep me");
  CHECK_FALSE(std::filesystem::exists(scratch.path("out/vocab.json")));

  // A plain file is refused too; a folder tokenize wrote may be retrained, even as the other model.
  scratch.write("file", "data");
  CHECK(app::run("tokenize", {"train", "--model", "bpe", "--corpus", corpus, "--output", scratch.path("file")}).exit_code == 1);
  CHECK(app::read_text(scratch.path("file")) == "data");
  const std::string ours = scratch.path("ours");
  REQUIRE(app::run("tokenize", {"train", "--model", "bpe", "--corpus", corpus, "--vocab-size", "100", "--output", ours}).exit_code == 0);
  REQUIRE(app::run("tokenize", {"train", "--model", "wordpiece", "--corpus", corpus, "--vocab-size", "80", "--output", ours}).exit_code == 0);
  CHECK(ember::data::SubwordTokenizer::load(ours).model() == "wordpiece");
  CHECK_FALSE(std::filesystem::exists(ours + "/merges.txt"));
}

TEST_CASE("tokenize encode fails with a message when standard output is lost", "[apps]") {
  app::Scratch scratch;
  const std::string dir = scratch.path("bpe");
  REQUIRE(app::run("tokenize", {"train", "--model", "bpe", "--corpus", scratch.write("c.txt", kCorpus), "--vocab-size",
                                "100", "--output", dir}).exit_code == 0);
  const app::Result r = app::run("tokenize", {"encode", "--model", dir}, scratch.write("in.txt", kCorpus), "/dev/full");
  CHECK(r.exit_code != 0);
  CHECK_THAT(r.err, Contains("cannot write standard output"));
}

TEST_CASE("tokenize rejects bad arguments and inputs with clear messages", "[apps]") {
  app::Scratch scratch;
  const std::string corpus = scratch.write("corpus.txt", kCorpus);
  CHECK_THAT(app::run("tokenize", {}).err, Contains("no command; expected train, encode or decode"));
  CHECK_THAT(app::run("tokenize", {"split"}).err, Contains("unknown command \"split\""));
  CHECK_THAT(app::run("tokenize", {"train", "--model", "unigram", "--corpus", corpus, "--output", scratch.path("o")}).err,
             Contains("unigram"));
  CHECK_THAT(app::run("tokenize", {"train", "--model", "bpe", "--output", scratch.path("o")}).err,
             Contains("--corpus FILE is required"));
  CHECK_THAT(app::run("tokenize", {"train", "--model", "bpe", "--corpus", scratch.path("missing.txt"), "--output",
                                   scratch.path("o")}).err, Contains("cannot open") && Contains("missing.txt"));
  CHECK_THAT(app::run("tokenize", {"train", "--model", "bpe", "--corpus", corpus, "--vocab-size", "5", "--output",
                                   scratch.path("o")}).err, Contains("vocab_size=5 cannot hold"));
  CHECK_THAT(app::run("tokenize", {"encode", "--model", scratch.path("nothing")}).err, Contains("cannot open"));
  const std::string dir = scratch.path("bpe");
  REQUIRE(app::run("tokenize", {"train", "--model", "bpe", "--corpus", corpus, "--output", dir}).exit_code == 0);
  const app::Result bad_ids = app::run("tokenize", {"decode", "--model", dir}, scratch.write("ids.txt", "3 4\n5 x7\n"));
  CHECK(bad_ids.exit_code == 1);
  CHECK_THAT(bad_ids.err, Contains("stdin:2: \"x7\" is not an id"));
  const app::Result out_of_range = app::run("tokenize", {"decode", "--model", dir}, scratch.write("big.txt", "99999\n"));
  CHECK_THAT(out_of_range.err, Contains("id 99999 is out of range"));
}
