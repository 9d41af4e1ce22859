// data: a vocabulary file nested 100000 deep is refused while parsing, and pretrained vectors
// are bounded in dimension (one 1,000,000-number line must not build a giant model).
#include <catch2/catch.hpp>

#include "temp_dir.h"

#include "data/pretrained.h"
#include "data/vocab.h"

#include <string>

using namespace ember;
using Catch::Contains;

namespace {
std::string vector_line(const std::string& word, std::int64_t dim) {
  std::string line = word;
  for (std::int64_t i = 0; i < dim; ++i) line += " 0.5";
  return line + "\n";
}
}  // namespace

TEST_CASE("hostile sizes: a vocabulary file nested 100000 deep is refused, not a stack overflow", "[data]") {
  testing::TempDir dir;
  const std::string path = dir.write("deep.json", std::string(100000, '[') + std::string(100000, ']'));
  REQUIRE_THROWS_AS(data::Vocab::load(path), IoError);
  REQUIRE_THROWS_WITH(data::Vocab::load(path), Contains(path) && Contains("JSON nested deeper than 64 levels"));
  const std::string tokens = dir.write("deep_tokens.json",
                                       R"({"format": "ember.vocab", "tokens": )" + std::string(100000, '['));
  REQUIRE_THROWS_WITH(data::Vocab::load(tokens), Contains("JSON nested deeper than 64 levels"));
}

TEST_CASE("hostile sizes: pretrained vectors wider than max_dim are refused before allocating", "[data]") {
  testing::TempDir dir;
  // One line of 1,000,000 numbers: a 1-billion-parameter model with a 10,000-word vocabulary.
  const std::string glove = dir.write("wide.txt", vector_line("the", 1'000'000));
  REQUIRE_THROWS_AS(data::load_glove(glove), IoError);
  REQUIRE_THROWS_WITH(data::load_glove(glove),
                      Contains(glove) && Contains("the vectors have dimension 1000000; expected at most 65536 "
                                                  "(options.max_dim)"));
  // A word2vec header claiming a wide dimension is refused the same way, whatever follows.
  const std::string header = dir.write("wide_header.txt", "1 100000\n" + vector_line("the", 100000));
  REQUIRE_THROWS_WITH(data::load_word2vec_text(header), Contains("dimension 100000; expected at most 65536"));
  // The bound is an option: a smaller one refuses smaller files, a larger one admits them.
  const std::string narrow = dir.write("narrow.txt", vector_line("the", 300) + vector_line("cat", 300));
  REQUIRE_THROWS_WITH(data::load_glove(narrow, data::PretrainedOptions().max_dim(100)),
                      Contains("dimension 300; expected at most 100"));
  CHECK(data::load_glove(narrow).weight.shape() == Shape{2, 300});
  CHECK(data::load_glove(glove, data::PretrainedOptions().max_dim(1'000'000)).weight.shape() == Shape{1, 1'000'000});
}
