// BPE: training (vocabulary layout and size), applying merges by rank against replaying them in
// training order, round trips with and without byte fallback, batch encoding across thread
// counts, and vocab.json / merges.txt reading, writing and bad files.
#include "data/bpe.h"

#include "core/error.h"
#include "core/tensor.h"
#include "temp_dir.h"

#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <random>

using Catch::Contains;
using ember::data::Bpe;
using ember::data::BpeOptions;
using ember::data::WordCounter;
using Tokens = std::vector<std::string>;
using Ids = std::vector<std::int64_t>;

namespace {

const char* kCorpus[] = {
    "The lower the newest, the widest: low, lower, lowest!",
    "A newer widget was wider than the old one; the oldest was lowest.",
    "Café au lait, café noir. Les cafés sont ouverts.",
    "Привет, мир! Мир прекрасен.",
    "the the the then there their other mother brother",
};

WordCounter corpus_counter() {
  WordCounter counter;
  for (const char* line : kCorpus) counter.add_text(line);
  return counter;
}

std::string normalised(const std::string& text) {
  const auto words = ember::data::normalize_words(text, ember::data::NormalizerOptions());
  return fmt::format("{}", fmt::join(words, " "));
}

// Applies the merges one after another in rank order, each to every place in the word: the
// definition that rank-based application must reproduce. (A final "x</w>" the vocabulary lacks
// starts as "x" "</w>".)
Tokens replay_merges(const std::string& word, const Bpe& bpe) {
  const auto& merges = bpe.merges();
  Tokens symbols = ember::data::initial_symbols(word, "", Bpe::kEndOfWord);
  if (bpe.token_to_id(symbols.back()) == bpe.unk_id()) {
    symbols.back().resize(symbols.back().size() - std::string(Bpe::kEndOfWord).size());
    symbols.push_back(Bpe::kEndOfWord);
  }
  for (const auto& [left, right] : merges) {
    Tokens rewritten;
    for (std::size_t i = 0; i < symbols.size(); ++i) {
      if (i + 1 < symbols.size() && symbols[i] == left && symbols[i + 1] == right) {
        rewritten.push_back(left + right);
        ++i;
      } else {
        rewritten.push_back(symbols[i]);
      }
    }
    symbols = std::move(rewritten);
  }
  return symbols;
}

}  // namespace

TEST_CASE("Bpe::train lays out specials, </w>, the alphabet, then merged symbols", "[data]") {
  const ember::data::WordCounts words = {{"low", 5}, {"lower", 2}, {"newest", 6}, {"widest", 3}};
  // 3 specials + 11 character forms + 3 merges.
  const Bpe bpe = Bpe::train(words, 17);
  CHECK(bpe.size() == 17);
  CHECK(bpe.tokens() == Tokens{"<pad>", "<unk>", "</w>", "d", "e", "i", "l", "n", "o", "r</w>", "s",
                               "t</w>", "w", "w</w>", "es", "est</w>", "lo"});
  CHECK(bpe.merges() == ember::data::Merges{{"e", "s"}, {"es", "t</w>"}, {"l", "o"}});
  CHECK(bpe.pad_id() == 0);
  CHECK(bpe.unk_id() == 1);
  CHECK(bpe.tokenize("lowest") == Tokens{"lo", "w", "est</w>"});
  REQUIRE_THROWS_WITH(Bpe::train(words, 13), Contains("vocab_size=13 cannot hold the 3 special and byte "
                                                      "tokens and the 11 character forms of the corpus"));
  const Bpe with_bytes = Bpe::train(words, 256 + 17, BpeOptions().byte_fallback(true));
  CHECK(with_bytes.size() == 256 + 17);
  CHECK(with_bytes.token_to_id("<0x00>") == 2);
  CHECK(with_bytes.token_to_id("<0xFF>") == 257);
  CHECK(with_bytes.token_to_id("</w>") == 258);
}

TEST_CASE("Bpe applies merges by rank exactly as replaying them in training order", "[data]") {
  const auto counts = corpus_counter().counts();
  const Bpe bpe = Bpe::train(counts, 120, BpeOptions(), 1);
  REQUIRE(bpe.merges().size() > 30);
  // Training words and new words built from the same characters.
  Tokens words;
  for (const auto& [word, count] : counts) words.push_back(word);
  for (const char* extra : {"lowerest", "thewidest", "cafénoir", "мирпривет", "oo", "e", "ttt"}) words.push_back(extra);
  for (const auto& word : words) {
    INFO(word);
    CHECK(bpe.tokenize(word) == replay_merges(word, bpe));
  }
}

TEST_CASE("Bpe decode(encode(x)) gives the normalised text", "[data]") {
  const auto counts = corpus_counter().counts();
  const Bpe bpe = Bpe::train(counts, 150);
  const Bpe bytes = Bpe::train(counts, 150 + 256, BpeOptions().byte_fallback(true));
  for (const char* line : kCorpus) {
    INFO(line);
    CHECK(bpe.decode(bpe.encode(line)) == normalised(line));
    CHECK(bytes.decode(bytes.encode(line)) == normalised(line));
  }
  CHECK(bpe.encode("") == Ids{});
  CHECK(bpe.decode({}) == "");
  // Unseen characters: <unk> without byte fallback, their UTF-8 bytes with it.
  const std::string unseen = "the 日本 zebra Ünïcode q";
  CHECK(bytes.decode(bytes.encode(unseen)) == normalised(unseen));
  CHECK(bpe.tokenize("zxe") == Tokens{"<unk>", "<unk>", "e</w>"});
  CHECK(bytes.tokenize("日") == Tokens{"<0xE6>", "<0x97>", "<0xA5>", "</w>"});
  // A character seen only inside words ("h") ending a word: its plain form, then a lone </w>.
  CHECK(bpe.tokenize("h") == Tokens{"h", "</w>"});
  CHECK(bpe.decode(bpe.encode("hh h")) == "hh h");
  REQUIRE_THROWS_WITH(bpe.decode({3, 1000}), Contains(fmt::format("id 1000 is out of range [0, {})", bpe.size())));
}

TEST_CASE("Bpe encode_lines equals encode line by line for every thread count", "[data]") {
  const Bpe bpe = Bpe::train(corpus_counter().counts(), 200 + 256, BpeOptions().byte_fallback(true));
  std::mt19937 generator(7);
  std::vector<std::string> lines;
  for (int i = 0; i < 2000; ++i) {
    std::string line = kCorpus[generator() % 5];
    line.resize(generator() % (line.size() + 1));  // may cut a codepoint: bytes still round-trip
    lines.push_back(line);
  }
  std::vector<Ids> expected;
  for (const auto& line : lines) expected.push_back(bpe.encode(line));
  const int threads_before = ember::get_num_threads();
  for (int threads : {1, 2, 3, 4}) {
    ember::set_num_threads(threads);
    INFO("threads " << threads);
    CHECK(bpe.encode_lines(lines) == expected);
  }
  ember::set_num_threads(threads_before);
}

TEST_CASE("Bpe save and load round trip", "[data]") {
  ember::testing::TempDir dir;
  const Bpe bpe = Bpe::train(corpus_counter().counts(), 150 + 256, BpeOptions().byte_fallback(true));
  bpe.save(dir.path("vocab.json"), dir.path("merges.txt"));
  const Bpe loaded = Bpe::load(dir.path("vocab.json"), dir.path("merges.txt"), BpeOptions().byte_fallback(true));
  CHECK(loaded.tokens() == bpe.tokens());
  CHECK(loaded.merges() == bpe.merges());
  for (const char* line : kCorpus) CHECK(loaded.encode(line) == bpe.encode(line));
  REQUIRE_THROWS_WITH(bpe.save(dir.path("vocab2.json"), "/dev/full"), Contains("writing /dev/full failed"));
  REQUIRE_THROWS_WITH(bpe.save("/dev/full", dir.path("merges2.txt")), Contains("writing /dev/full failed"));
}

TEST_CASE("Bpe::load names the file and line of malformed files", "[data]") {
  ember::testing::TempDir dir;
  const std::string vocab = dir.write("vocab.json", R"({"<pad>": 0, "<unk>": 1, "</w>": 2, "a": 3, "b": 4, "ab": 5})");
  const auto load_merges = [&](const std::string& merges) {
    return Bpe::load(vocab, dir.write("merges.txt", merges));
  };
  CHECK(load_merges("#version: 0.2\na b\n").merges() == ember::data::Merges{{"a", "b"}});
  REQUIRE_THROWS_WITH(load_merges("#version: 0.2\na b\nab\n"),
                      Contains("merges.txt:3: \"ab\"; expected \"left right\""));
  REQUIRE_THROWS_WITH(load_merges("a  b\n"), Contains("merges.txt:1: \"a  b\"; expected"));
  REQUIRE_THROWS_WITH(load_merges("#version: 0.2\n\n"), Contains("merges.txt:2: \"\"; expected"));
  REQUIRE_THROWS_WITH(load_merges("a c\n"), Contains("merges.txt:1: \"c\" is not in"));
  REQUIRE_THROWS_WITH(load_merges("a b\nb a\n"), Contains("merges.txt:2: the merged token \"ba\" is not in"));
  REQUIRE_THROWS_WITH(load_merges("a b\na b\n"), Contains("merges.txt:2: merge \"a b\" already on line 1"));
  const std::string merges = dir.write("ok.txt", "a b\n");
  const auto load_vocab = [&](const std::string& json) { return Bpe::load(dir.write("v.json", json), merges); };
  REQUIRE_THROWS_WITH(load_vocab("[1, 2]"), Contains("v.json must be a JSON object token -> id; got array"));
  REQUIRE_THROWS_WITH(load_vocab(R"({"<pad>": 0, "<unk>": 7})"),
                      Contains("token \"<unk>\" has id 7; expected an integer in [0, 2)"));
  REQUIRE_THROWS_WITH(load_vocab(R"({"<pad>": 0, "<unk>": -1})"), Contains("has id -1"));
  REQUIRE_THROWS_WITH(load_vocab(R"({"<pad>": 0, "<unk>": 1e300})"), Contains("has id 1e+300"));
  REQUIRE_THROWS_WITH(load_vocab(R"({"<pad>": 0, "<unk>": 0})"), Contains("id 0 is given to"));
  REQUIRE_THROWS_WITH(load_vocab(R"({"<pad>": 0, "<unk>": 1, "a": 2, "b": 3, "ab": 4})"), Contains("token </w> is not in the vocabulary"));
  REQUIRE_THROWS_WITH(load_vocab("{\"a\": "), Contains("v.json is not valid JSON"));
  REQUIRE_THROWS_WITH(Bpe::load(vocab, merges, BpeOptions().byte_fallback(true)),
                      Contains("token <0x00> is not in the vocabulary; byte_fallback needs <0x00>..<0xFF>"));
  REQUIRE_THROWS_AS(Bpe::load(dir.path("missing.json"), merges), ember::IoError);
}

TEST_CASE("Bpe constructor rejects inconsistent tokens and merges", "[data]") {
  const Tokens tokens = {"<pad>", "<unk>", "</w>", "a", "b", "ab"};
  REQUIRE_THROWS_WITH(Bpe(tokens, {{"a", "c"}}), Contains("merge 0 \"a c\": \"c\" is not in the vocabulary"));
  REQUIRE_THROWS_WITH(Bpe(tokens, {{"a", "b"}, {"a", "b"}}), Contains("merge 1 \"a b\" repeats merge 0"));
  REQUIRE_THROWS_WITH(Bpe(Tokens{"<pad>", "<unk>", "</w>", "a", "a"}, {}), Contains("\"a\" appears twice"));
}
