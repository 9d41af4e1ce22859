// Vocab: frequency order and ties, min_freq/max_size, specials, lookups, JSON round trip.
#include "data/vocab.h"

#include "core/error.h"
#include "temp_dir.h"

#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

using Catch::Contains;
using ember::data::Vocab;
using ember::data::VocabOptions;
using Tokens = std::vector<std::string>;

namespace {

// a: 3, c: 2, b: 1, d: 1 (b before d on the tie), e: 1.
const std::vector<Tokens> kSequences = {{"b", "a", "c", "a"}, {"c", "a", "d"}, {"e"}};

std::string read_text(const std::string& path) {
  std::ifstream file(path);
  std::stringstream content;
  content << file.rdbuf();
  return content.str();
}

}  // namespace

TEST_CASE("Vocab orders by frequency, then token, after the specials", "[data]") {
  const Vocab vocab = Vocab::build(kSequences);
  CHECK(vocab.tokens() == Tokens{"<pad>", "<unk>", "a", "c", "b", "d", "e"});
  CHECK(vocab.size() == 7);
  CHECK(vocab.pad_index() == 0);
  CHECK(vocab.unk_index() == 1);
  CHECK(vocab.stoi("a") == 2);
  CHECK(vocab.stoi("d") == 5);
  CHECK(vocab.stoi("zebra") == 1);
  CHECK_FALSE(vocab.contains("zebra"));
  CHECK(vocab.itos(3) == "c");
  CHECK(vocab.encode({"c", "?", "a"}) == std::vector<std::int64_t>{3, 1, 2});
  CHECK(vocab.decode({4, 0}) == Tokens{"b", "<pad>"});
}

TEST_CASE("Vocab min_freq and max_size cut the rarest tokens", "[data]") {
  CHECK(Vocab::build(kSequences, VocabOptions().min_freq(2)).tokens() ==
        Tokens{"<pad>", "<unk>", "a", "c"});
  CHECK(Vocab::build(kSequences, VocabOptions().max_size(4)).tokens() ==
        Tokens{"<pad>", "<unk>", "a", "c"});
  CHECK(Vocab::build(kSequences, VocabOptions().max_size(2)).tokens() == Tokens{"<pad>", "<unk>"});
  CHECK(Vocab::build({}, VocabOptions()).tokens() == Tokens{"<pad>", "<unk>"});
}

TEST_CASE("Vocab specials are configurable and never duplicated", "[data]") {
  const std::vector<Tokens> sequences = {{"<bos>", "x", "<bos>", "x", "x"}};
  const Vocab vocab = Vocab::build(
      sequences, VocabOptions().specials({"<unk>", "<pad>", "<bos>"}).pad_token("<pad>"));
  CHECK(vocab.tokens() == Tokens{"<unk>", "<pad>", "<bos>", "x"});
  CHECK(vocab.unk_index() == 0);
  CHECK(vocab.pad_index() == 1);
  CHECK(vocab.stoi("<bos>") == 2);
}

TEST_CASE("Vocab rejects invalid options with the value in the message", "[data]") {
  REQUIRE_THROWS_AS(Vocab::build(kSequences, VocabOptions().min_freq(0)), ember::ValueError);
  REQUIRE_THROWS_WITH(Vocab::build(kSequences, VocabOptions().max_size(1)),
                      Contains("max_size=1 cannot hold the 2 specials"));
  REQUIRE_THROWS_WITH(Vocab::build(kSequences, VocabOptions().specials({"<unk>"})),
                      Contains("\"<pad>\" is not among the specials [<unk>]"));
  REQUIRE_THROWS_WITH(Vocab(Tokens{"<pad>", "<unk>", "a", "a"}),
                      Contains("token \"a\" appears twice (indices 2 and 3)"));
  REQUIRE_THROWS_AS(Vocab::build(kSequences).itos(7), ember::IndexError);
  REQUIRE_THROWS_WITH(Vocab::build(kSequences).itos(-1),
                      Contains("index -1 is out of range [0, 7)"));
}

TEST_CASE("Vocab JSON round trip keeps tokens, order and specials", "[data]") {
  ember::testing::TempDir dir;
  const Vocab vocab = Vocab::build(
      {{"é", "日本", "\"quoted\"", "é"}}, VocabOptions().specials({"<unk>", "<pad>"}));
  const std::string path = dir.path("vocab.json");
  vocab.save(path);
  const Vocab loaded = Vocab::load(path);
  CHECK(loaded == vocab);
  CHECK(loaded.tokens() == Tokens{"<unk>", "<pad>", "é", "\"quoted\"", "日本"});
  CHECK(loaded.unk_index() == 0);
  CHECK(loaded.pad_index() == 1);
  CHECK_THAT(read_text(path), Contains("\"format\": \"ember.vocab\""));
}

TEST_CASE("Vocab loads a bare JSON list of tokens", "[data]") {
  ember::testing::TempDir dir;
  const Vocab vocab = Vocab::load(dir.write("itos.json", R"(["<unk>", "<pad>", "the", "a"])"));
  CHECK(vocab.tokens() == Tokens{"<unk>", "<pad>", "the", "a"});
  CHECK(vocab.pad_index() == 1);
  CHECK(vocab.unk_index() == 0);
}

TEST_CASE("Vocab load errors name the file", "[data]") {
  ember::testing::TempDir dir;
  REQUIRE_THROWS_AS(Vocab::load(dir.path("missing.json")), ember::IoError);
  REQUIRE_THROWS_WITH(Vocab::load(dir.path("missing.json")),
                      Contains("cannot open") && Contains("missing.json"));
  REQUIRE_THROWS_WITH(Vocab::load(dir.write("broken.json", "[\"a\", ")),
                      Contains("broken.json is not a valid vocabulary file"));
  REQUIRE_THROWS_WITH(Vocab::load(dir.write("nopad.json", R"(["<unk>", "a"])")),
                      Contains("nopad.json") && Contains("pad token \"<pad>\" is not in"));
  REQUIRE_THROWS_WITH(Vocab::load(dir.write("dup.json", R"(["<pad>", "<unk>", "a", "a"])")),
                      Contains("dup.json") && Contains("appears twice"));
  REQUIRE_THROWS_WITH(Vocab::load(dir.write("other.json", R"({"tokens": []})")),
                      Contains("other.json is not an ember vocabulary"));
  REQUIRE_THROWS_AS(Vocab::load(dir.write("other.json", R"({"tokens": []})")), ember::IoError);
}

TEST_CASE("Vocab::load: a UTF-8 byte order mark before the JSON is skipped", "[data]") {
  ember::testing::TempDir dir;
  const Vocab vocab = Vocab::load(dir.write("bom.json", "\xEF\xBB\xBF[\"<pad>\", \"<unk>\", \"the\"]"));
  CHECK(vocab.tokens() == Tokens{"<pad>", "<unk>", "the"});
}
