// WordPiece: golden encodings from BERT's algorithm (scripts/golden/wordpiece.py), unknown and
// long words, non-ASCII text, decode, training, and vocab.txt reading, writing and bad files.
#include "data/wordpiece.h"

#include "core/error.h"
#include "core/tensor.h"
#include "golden.h"
#include "temp_dir.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>

using Catch::Contains;
using ember::data::WordCounter;
using ember::data::WordPiece;
using ember::data::WordPieceOptions;
using Tokens = std::vector<std::string>;
using Ids = std::vector<std::int64_t>;

namespace {

WordPiece golden_vocab(const nlohmann::json& golden) {
  return WordPiece(golden.at("vocab").get<Tokens>(),
                   WordPieceOptions().max_input_chars_per_word(golden.at("max_input_chars_per_word")));
}

}  // namespace

TEST_CASE("WordPiece matches BERT's greedy longest-match-first on the golden cases", "[data]") {
  const nlohmann::json golden = ember::testing::load_golden("wordpiece");
  const WordPiece wordpiece = golden_vocab(golden);
  REQUIRE(golden.at("cases").size() >= 16);
  for (const auto& c : golden.at("cases")) {
    const std::string text = c.at("text");
    INFO("text: " << text);
    CHECK(wordpiece.tokenize(text) == c.at("tokens").get<Tokens>());
    CHECK(wordpiece.encode(text) == c.at("ids").get<Ids>());
  }
}

TEST_CASE("WordPiece makes a word [UNK] when any position cannot be matched", "[data]") {
  const WordPiece wordpiece = golden_vocab(ember::testing::load_golden("wordpiece"));
  // "un ##aff ##able" matches, but "y" has no "##y": no partial pieces are kept.
  CHECK(wordpiece.tokenize("unaffabley") == Tokens{"[UNK]"});
  CHECK(wordpiece.tokenize("the zzz run") == Tokens{"the", "[UNK]", "run"});
  CHECK(wordpiece.encode("zzz") == Ids{wordpiece.unk_id()});
  CHECK(wordpiece.unk_id() == 1);
  CHECK(wordpiece.token_to_id("nope") == 1);
}

TEST_CASE("WordPiece max_input_chars_per_word counts codepoints, not bytes", "[data]") {
  const WordPiece wordpiece(Tokens{"[PAD]", "[UNK]", "[CLS]", "[SEP]", "é", "##é"},
                            WordPieceOptions().max_input_chars_per_word(3));
  CHECK(wordpiece.tokenize("ééé") == Tokens{"é", "##é", "##é"});  // 6 bytes, 3 codepoints
  CHECK(wordpiece.tokenize("éééé") == Tokens{"[UNK]"});
}

TEST_CASE("WordPiece never splits inside a codepoint", "[data]") {
  // "\xC3" alone would match the first byte of "é" if the search went byte by byte.
  const WordPiece wordpiece(Tokens{"[PAD]", "[UNK]", "[CLS]", "[SEP]", "\xC3", "##\xA9", "c", "##a"});
  CHECK(wordpiece.tokenize("cé") == Tokens{"[UNK]"});
  CHECK(wordpiece.tokenize("ca") == Tokens{"c", "##a"});
}

TEST_CASE("WordPiece decode joins continuation pieces and undoes the normalisation split", "[data]") {
  const WordPiece wordpiece = golden_vocab(ember::testing::load_golden("wordpiece"));
  CHECK(wordpiece.decode(wordpiece.encode("UnAffable, the  runs!")) == "unaffable , the runs !");
  CHECK(wordpiece.decode(wordpiece.encode("καλημέρα ひらがな")) == "καλημέρα ひらがな");
  CHECK(wordpiece.decode({}) == "");
  CHECK(wordpiece.encode("   \t ") == Ids{});
  REQUIRE_THROWS_WITH(wordpiece.decode({5, 1000}), Contains("id 1000 is out of range [0, 50)"));
  REQUIRE_THROWS_AS(wordpiece.decode({-1}), ember::IndexError);
}

TEST_CASE("WordPiece lowercase and split_punctuation options change the words", "[data]") {
  const Tokens vocab = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "A", "a", "b", "##b", "##!", "!"};
  CHECK(WordPiece(vocab).tokenize("Ab!") == Tokens{"a", "##b", "!"});
  CHECK(WordPiece(vocab, WordPieceOptions().lowercase(false)).tokenize("Ab!") == Tokens{"A", "##b", "!"});
  CHECK(WordPiece(vocab, WordPieceOptions().split_punctuation(false)).tokenize("ab!") ==
        Tokens{"a", "##b", "##!"});
}

TEST_CASE("WordPiece::train puts the specials first, then the alphabet, then merged pieces", "[data]") {
  // Initial symbols: "a" "##b" (x5), "a" (x1), "b" "##a" (x1). Pair (a, ##b) occurs 5 times, the
  // others once, below min_frequency 2: one merge, "ab".
  const ember::data::WordCounts counts = {{"a", 1}, {"ab", 5}, {"ba", 1}};
  const WordPiece wordpiece = WordPiece::train(counts, 100);
  CHECK(wordpiece.tokens() == Tokens{"[PAD]", "[UNK]", "[CLS]", "[SEP]", "##a", "##b", "a", "b", "ab"});
  CHECK(wordpiece.pad_id() == 0);
  CHECK(wordpiece.cls_id() == 2);
  CHECK(wordpiece.sep_id() == 3);
  CHECK(wordpiece.tokenize("ab ba abab") == Tokens{"ab", "b", "##a", "ab", "##a", "##b"});
  // vocab_size leaves no room for merges: the alphabet only.
  CHECK(WordPiece::train(counts, 8).size() == 8);
  REQUIRE_THROWS_WITH(WordPiece::train(counts, 7),
                      Contains("vocab_size=7 cannot hold the 4 special tokens and the 4 character forms"));
}

TEST_CASE("WordPiece trained on a corpus covers every training word without [UNK]", "[data]") {
  WordCounter counter;
  counter.add_text("the cat sat on the mat. The cats sat; a rat ran at the café!");
  counter.add_text("ратаны и коты");
  const auto counts = counter.counts();
  // min_frequency 1: merges continue until vocab_size is reached.
  const WordPiece wordpiece = WordPiece::train(counts, 45, WordPieceOptions(), 1);
  CHECK(wordpiece.size() == 45);
  // With room to spare, merging goes on until every word is one piece.
  const WordPiece whole_words = WordPiece::train(counts, 1000, WordPieceOptions(), 1);
  for (const auto& [word, count] : counts) CHECK(whole_words.encode(word).size() == 1);
  // The default min_frequency 2 stops earlier, once every pair is unique.
  const auto alphabet_size = static_cast<std::int64_t>(
      ember::data::learn_merges(counts, ember::data::MergeTrainerOptions().continuing_prefix("##").max_new_symbols(0))
          .alphabet.size());
  const WordPiece frequent = WordPiece::train(counts, 60);
  CHECK(frequent.size() > 4 + alphabet_size);
  CHECK(frequent.size() < whole_words.size());
  CHECK(wordpiece.token_to_id("the") != wordpiece.unk_id());
  for (const auto& [word, count] : counts) {
    INFO(word);
    const auto ids = wordpiece.encode(word);
    CHECK(std::find(ids.begin(), ids.end(), wordpiece.unk_id()) == ids.end());
    CHECK(wordpiece.decode(ids) == word);
  }
}

TEST_CASE("WordPiece vocab.txt round trip keeps ids, and a BERT layout keeps its special ids", "[data]") {
  ember::testing::TempDir dir;
  const WordPiece wordpiece = golden_vocab(ember::testing::load_golden("wordpiece"));
  wordpiece.save(dir.path("vocab.txt"));
  const WordPiece loaded = WordPiece::load(dir.path("vocab.txt"));
  CHECK(loaded.tokens() == wordpiece.tokens());
  CHECK(loaded.encode("the runs") == wordpiece.encode("the runs"));

  std::string bert = "[PAD]\n";
  for (int i = 0; i < 99; ++i) bert += "[unused" + std::to_string(i) + "]\n";
  bert += "[UNK]\r\n[CLS]\n[SEP]\n[MASK]\n  hello \nworld\n";
  const WordPiece bert_like = WordPiece::load(dir.write("bert.txt", bert));
  CHECK(bert_like.unk_id() == 100);
  CHECK(bert_like.cls_id() == 101);
  CHECK(bert_like.sep_id() == 102);
  CHECK(bert_like.encode("hello there world") == Ids{104, 100, 105});
}

TEST_CASE("WordPiece::load names the file and line of a bad vocab.txt", "[data]") {
  ember::testing::TempDir dir;
  const std::string specials = "[PAD]\n[UNK]\n[CLS]\n[SEP]\n";
  REQUIRE_THROWS_WITH(WordPiece::load(dir.write("empty_line.txt", specials + "a\n\nb\n")),
                      Contains("empty_line.txt:6: empty line"));
  REQUIRE_THROWS_WITH(WordPiece::load(dir.write("duplicate.txt", specials + "a\nb\na\n")),
                      Contains("duplicate.txt:7: token \"a\" already on line 5"));
  REQUIRE_THROWS_WITH(WordPiece::load(dir.write("no_unk.txt", "[PAD]\n[CLS]\n[SEP]\na\n")),
                      Contains("special token [UNK] is not in the vocabulary"));
  REQUIRE_THROWS_WITH(WordPiece::load(dir.write("bad_utf8.txt", specials + "ok\nb\xFF\n")),
                      Contains("bad_utf8.txt:6: invalid UTF-8 in \"b\\xFF\""));
  REQUIRE_THROWS_AS(WordPiece::load(dir.write("empty_file.txt", "")), ember::IoError);
  REQUIRE_THROWS_WITH(WordPiece::load(dir.path("missing.txt")), Contains("cannot open"));
  REQUIRE_THROWS_AS(WordPiece::load(dir.path("missing.txt")), ember::IoError);
}

TEST_CASE("WordPiece rejects bad constructor arguments", "[data]") {
  REQUIRE_THROWS_WITH(WordPiece(Tokens{"[PAD]", "[UNK]", "[CLS]", "[SEP]", "a", "a"}),
                      Contains("token \"a\" appears twice (ids 4 and 5)"));
  REQUIRE_THROWS_WITH(WordPiece(Tokens{"[PAD]", "[UNK]", "[CLS]", "[SEP]", ""}), Contains("token 4 is empty"));
  REQUIRE_THROWS_WITH(WordPiece(Tokens{"[PAD]", "[UNK]", "[CLS]", "[SEP]"},
                                WordPieceOptions().max_input_chars_per_word(0)),
                      Contains("max_input_chars_per_word=0 is invalid"));
}

TEST_CASE("WordPiece save reports a failed write", "[data]") {
  const WordPiece wordpiece(Tokens{"[PAD]", "[UNK]", "[CLS]", "[SEP]"});
  REQUIRE_THROWS_WITH(wordpiece.save("/dev/full"), Contains("writing /dev/full failed"));
  ember::testing::TempDir dir;
  REQUIRE_THROWS_WITH(wordpiece.save(dir.path("no/such/dir/vocab.txt")), Contains("cannot open"));
}

TEST_CASE("WordPiece encode_lines equals encode line by line for every thread count", "[data]") {
  const WordPiece wordpiece = golden_vocab(ember::testing::load_golden("wordpiece"));
  std::vector<std::string> lines;
  const nlohmann::json golden = ember::testing::load_golden("wordpiece");
  for (int repeat = 0; repeat < 60; ++repeat) {
    for (const auto& c : golden.at("cases")) lines.push_back(c.at("text").get<std::string>().substr(0, repeat));
  }
  std::vector<Ids> expected;
  for (const auto& line : lines) expected.push_back(wordpiece.encode(line));
  const int threads_before = ember::get_num_threads();
  for (int threads : {1, 2, 3, 4}) {
    ember::set_num_threads(threads);
    INFO("threads " << threads);
    CHECK(wordpiece.encode_lines(lines) == expected);
  }
  ember::set_num_threads(threads_before);
}
