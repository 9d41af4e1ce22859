// data::load_glove / load_word2vec_text / load_word2vec_binary on small files the tests write:
// values, vocabulary restriction with the missing-word init and report, duplicates, max_vectors,
// and every malformed-file error with its file:line (or entry and byte for binary files).
#include <catch2/catch.hpp>

#include "temp_dir.h"
#include "testing.h"

#include "core/kernels.h"
#include "data/pretrained.h"
#include "nn/embedding.h"

#include <cmath>
#include <cstring>

using namespace ember;
using Catch::Contains;

namespace {

const char* kGlove =
    "the 0.1 0.2 0.3\n"
    "cat 1 2 3\n"
    "dog -1 -2 -3.5\n";

Tensor rows(std::vector<double> values, std::int64_t n, std::int64_t d) { return tensor(values, {n, d}, kFloat32); }

// A word2vec binary file: "count dim\n", then "word " + dim little-endian float32 + "\n" per entry.
std::string word2vec_binary(const std::string& header, const std::vector<std::pair<std::string, std::vector<float>>>& entries) {
  std::string out = header + "\n";
  for (const auto& [word, vector] : entries) {
    out += word + " ";
    out.append(reinterpret_cast<const char*>(vector.data()), vector.size() * sizeof(float));
    out += "\n";
  }
  return out;
}

}  // namespace

TEST_CASE("pretrained: GloVe without a vocabulary keeps every word in file order", "[data]") {
  testing::TempDir dir;
  const auto vectors = data::load_glove(dir.write("glove.txt", kGlove));
  CHECK(vectors.tokens == std::vector<std::string>{"the", "cat", "dog"});
  testing::require_equal(vectors.weight, rows({0.1, 0.2, 0.3, 1, 2, 3, -1, -2, -3.5}, 3, 3));
  CHECK(vectors.report.dim == 3);
  CHECK(vectors.report.vectors_read == 3);
  CHECK(vectors.report.found == 3);
  CHECK(vectors.report.missing.empty());

  // Ready for from_pretrained: the module looks up the file's rows, storage shared.
  auto emb = nn::Embedding::from_pretrained(vectors.weight);
  testing::require_equal(emb->forward(tensor(std::vector<std::int64_t>{2}, Shape{1})), rows({-1, -2, -3.5}, 1, 3));

  const auto first_two = data::load_glove(dir.path("glove.txt"), data::PretrainedOptions().max_vectors(2));
  CHECK(first_two.tokens == std::vector<std::string>{"the", "cat"});
  CHECK(first_two.weight.shape() == Shape({2, 3}));

  const auto doubles = data::load_glove(dir.path("glove.txt"), data::PretrainedOptions().dtype(kFloat64));
  CHECK(doubles.weight.dtype() == kFloat64);
  CHECK(doubles.weight.to_vector<double>()[0] == 0.1);  // parsed as double, not via float

  // Blank lines, tabs and Windows line ends are tolerated; a repeated word keeps its first vector.
  const auto messy = data::load_glove(dir.write("messy.txt", "a 1 2\r\n\nb\t3 4 \na 9 9\n"));
  CHECK(messy.tokens == std::vector<std::string>{"a", "b"});
  testing::require_equal(messy.weight, rows({1, 2, 3, 4}, 2, 2));
  CHECK(messy.report.duplicates == 1);
}

TEST_CASE("pretrained: with a vocabulary, only its rows are kept and missing words are initialised", "[data]") {
  testing::TempDir dir;
  const std::string path = dir.write("glove.txt", kGlove);
  const data::Vocab vocab({"<pad>", "<unk>", "cat", "bird", "the"});
  manual_seed(11);
  const auto vectors = data::load_glove(path, vocab);
  CHECK(vectors.tokens == vocab.tokens());
  REQUIRE(vectors.weight.shape() == Shape({5, 3}));
  testing::require_equal(kernels::select(vectors.weight, 0, 2), tensor({1.0, 2.0, 3.0}));
  testing::require_equal(kernels::select(vectors.weight, 0, 4), tensor({0.1, 0.2, 0.3}));
  testing::require_equal(kernels::select(vectors.weight, 0, 0), zeros({3}));  // <pad>: zeros
  CHECK(vectors.report.found == 2);
  CHECK(vectors.report.vectors_read == 3);
  CHECK(vectors.report.missing == std::vector<std::string>{"<pad>", "<unk>", "bird"});
  // Missing rows ~ N(0, s^2) with s the standard deviation of all 9 numbers of the file.
  const std::vector<double> all = {0.1, 0.2, 0.3, 1, 2, 3, -1, -2, -3.5};
  double mean = 0, sq = 0;
  for (double v : all) mean += v / 9, sq += v * v / 9;
  CHECK(vectors.report.missing_std == Approx(std::sqrt(sq - mean * mean)).epsilon(1e-9));
  CHECK(kernels::norm(kernels::select(vectors.weight, 0, 1)).item<double>() > 0);
  CHECK(kernels::norm(kernels::select(vectors.weight, 0, 3)).item<double>() > 0);
  manual_seed(11);  // the init draws from the default generator: reproducible
  testing::require_equal(data::load_glove(path, vocab).weight, vectors.weight);
  CHECK_THAT(vectors.report.summary(), Contains("3 vectors of dim 3 read, 2 rows filled, 3 missing") &&
                                           Contains("<pad> <unk> bird"));

  const auto zeroed = data::load_glove(path, vocab, data::PretrainedOptions().missing_init(data::MissingInit::kZeros));
  testing::require_equal(kernels::select(zeroed.weight, 0, 3), zeros({3}));
  const auto plain = data::load_glove(path, std::vector<std::string>{"bird", "dog"},
                                      data::PretrainedOptions().zero_tokens({"bird"}));
  testing::require_equal(plain.weight, rows({0, 0, 0, -1, -2, -3.5}, 2, 3));
}

TEST_CASE("pretrained: malformed GloVe lines raise IoError with file:line and the line", "[data]") {
  testing::TempDir dir;
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"the 0.1 0.2 0.3\ncat 1 2\n", "bad.txt:2: wrong number of fields: 2 numbers after the word; expected 3 (the "
                                     "dimension of line 1); line: \"cat 1 2\""},
      {"the 0.1 0.2 0.3\n\ncat 1 2 3 4\n", "bad.txt:3: wrong number of fields: 4 numbers"},
      {"the 0.1 0.2 0.3\ncat 1 x2 3\n", "bad.txt:2: value 2 \"x2\" is not a finite number"},
      {"the 0.1 nan 0.3\n", "bad.txt:1: value 2 \"nan\" is not a finite number"},
      {"lonely\n", "bad.txt:1: expected a word followed by its vector"},
      {"", "bad.txt: the file holds no vectors"},
      {"the 0.1 0.2 0.3\nw " + std::string(100, 'x') + " 1 2\n", "value 1 \"" + std::string(60, 'x') + "...\""},
  };
  for (const auto& [content, message] : bad) {
    INFO(message);
    const std::string path = dir.write("bad.txt", content);
    REQUIRE_THROWS_AS(data::load_glove(path), IoError);
    REQUIRE_THROWS_WITH(data::load_glove(path), Contains("load_glove: ") && Contains(message));
  }
  REQUIRE_THROWS_WITH(data::load_glove(dir.path("absent.txt")), Contains("load_glove: cannot open") &&
                                                                   Contains("absent.txt"));
  REQUIRE_THROWS_WITH(data::load_glove(dir.write("g.txt", kGlove), data::PretrainedOptions().dim(50)),
                      Contains("the vectors have dimension 3; expected 50"));
}

TEST_CASE("pretrained: word2vec text files: header, trailing spaces, and header mismatches", "[data]") {
  testing::TempDir dir;
  const auto vectors = data::load_word2vec_text(dir.write("w2v.txt", "3 2\nthe 0.5 -0.5 \nof 1 2 \nand 3 4 \n"));
  CHECK(vectors.tokens == std::vector<std::string>{"the", "of", "and"});
  testing::require_equal(vectors.weight, rows({0.5, -0.5, 1, 2, 3, 4}, 3, 2));
  const auto some = data::load_word2vec_text(dir.path("w2v.txt"), std::vector<std::string>{"and", "zzz"},
                                             data::PretrainedOptions().missing_init(data::MissingInit::kZeros));
  testing::require_equal(some.weight, rows({3, 4, 0, 0}, 2, 2));
  CHECK(some.report.missing == std::vector<std::string>{"zzz"});

  const std::vector<std::pair<std::string, std::string>> bad = {
      {"3 2\nthe 0.5 -0.5\nof 1 2\n", "w2v.txt:3: the file ends after 2 vectors; the header announces 3"},
      {"1 2\nthe 0.5 -0.5\nof 1 2\n", "w2v.txt:3: more vectors than the 1 the header announces"},
      {"x 2\nthe 0.5 -0.5\n", "w2v.txt:1: expected a header \"<count> <dim>\" of two positive integers; line: \"x 2\""},
      {"2 3\nthe 0.5 -0.5\n", "w2v.txt:2: wrong number of fields: 2 numbers after the word; expected 3 (the "
                              "dimension of the header)"},
  };
  for (const auto& [content, message] : bad) {
    INFO(message);
    REQUIRE_THROWS_WITH(data::load_word2vec_text(dir.write("w2v.txt", content)),
                        Contains("load_word2vec_text: ") && Contains(message));
  }
}

TEST_CASE("pretrained: word2vec binary files, and truncated or oversized ones", "[data]") {
  testing::TempDir dir;
  const std::string good = word2vec_binary("2 3", {{"king", {0.25f, -1.5f, 3.0f}}, {"queen", {1.0f, 2.0f, -0.125f}}});
  const auto vectors = data::load_word2vec_binary(dir.write("w2v.bin", good));
  CHECK(vectors.tokens == std::vector<std::string>{"king", "queen"});
  testing::require_equal(vectors.weight, rows({0.25, -1.5, 3.0, 1.0, 2.0, -0.125}, 2, 3));
  const data::Vocab vocab({"<pad>", "<unk>", "queen"});
  const auto restricted = data::load_word2vec_binary(dir.path("w2v.bin"), vocab);
  testing::require_equal(kernels::select(restricted.weight, 0, 2), tensor({1.0, 2.0, -0.125}));
  testing::require_equal(kernels::select(restricted.weight, 0, 0), zeros({3}));

  const std::vector<std::pair<std::string, std::string>> bad = {
      {good.substr(0, good.size() - 6), "entry 2 of 2 (\"queen\", byte 22) is truncated: 7 of 12 vector bytes"},
      {good.substr(0, 23), "entry 2 of 2 (byte 22) is truncated inside its word \"q\""},
      {word2vec_binary("3 3", {{"king", {0.25f, -1.5f, 3.0f}}}), "truncated: the file ends after 1 vectors; the "
                                                                  "header announces 3"},
      {good + "extra", "data after the 2 vectors the header announces"},
      {"2 three\n", "w2v.bin:1: expected a header \"<count> <dim>\""},
      {word2vec_binary("1 2", {{"bad", {1.0f, std::nanf("")}}}), "entry 1 (\"bad\", byte 4) has a non-finite value"},
  };
  for (const auto& [content, message] : bad) {
    INFO(message);
    REQUIRE_THROWS_AS(data::load_word2vec_binary(dir.write("w2v.bin", content)), IoError);
    REQUIRE_THROWS_WITH(data::load_word2vec_binary(dir.path("w2v.bin")),
                        Contains("load_word2vec_binary: ") && Contains(message));
  }
}

TEST_CASE("pretrained: a UTF-8 byte order mark at the start of a file is not part of the first word", "[data]") {
  testing::TempDir dir;
  const std::string bom = "\xEF\xBB\xBF";
  const auto glove = data::load_glove(dir.write("bom_glove.txt", bom + "the 1 2\ncat 3 4\n"));
  CHECK(glove.tokens == std::vector<std::string>{"the", "cat"});
  testing::require_equal(glove.weight, rows({1, 2, 3, 4}, 2, 2));
  const auto text = data::load_word2vec_text(dir.write("bom_w2v.txt", bom + "2 2\nthe 1 2\ncat 3 4\n"));
  CHECK(text.tokens == std::vector<std::string>{"the", "cat"});
  testing::require_equal(text.weight, rows({1, 2, 3, 4}, 2, 2));
  std::string binary = bom + "1 2\nthe ";
  const float values[2] = {1.5f, -2.0f};
  binary.append(reinterpret_cast<const char*>(values), sizeof values);
  binary += "\n";
  const auto bin = data::load_word2vec_binary(dir.write("bom.bin", binary));
  CHECK(bin.tokens == std::vector<std::string>{"the"});
  testing::require_equal(bin.weight, rows({1.5, -2.0}, 1, 2));
}
