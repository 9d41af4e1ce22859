// The pair-merge trainer against a straightforward reference that recounts every pair after every
// merge: same merges in the same order on several small corpora, in both the BPE ("</w>" suffix)
// and WordPiece ("##" prefix) spellings. Also word counting and the initial symbols.
#include "data/merge_trainer.h"

#include "core/error.h"
#include "temp_dir.h"

#include <catch2/catch.hpp>

#include <map>
#include <random>
#include <set>

using Catch::Contains;
using ember::data::MergeTrainerOptions;
using ember::data::WordCounts;
using Merges = std::vector<std::pair<std::string, std::string>>;
using Symbols = std::vector<std::string>;

namespace {

struct Reference {
  Merges merges;
  std::vector<Symbols> segmentations;  // each word's final symbols, in the order of `words`
};

// The textbook loop: count all pairs, take the most frequent (std::map iterates in (left, right)
// byte order, so the first maximum is the tie winner), rewrite every word, repeat.
Reference reference_merges(const WordCounts& words, const MergeTrainerOptions& options) {
  Reference reference;
  std::set<std::string> known;
  for (const auto& [word, count] : words) {
    reference.segmentations.push_back(
        ember::data::initial_symbols(word, options.continuing_prefix(), options.end_of_word_suffix()));
    known.insert(reference.segmentations.back().begin(), reference.segmentations.back().end());
  }
  for (std::int64_t made = 0; made < options.max_new_symbols();) {
    std::map<std::pair<std::string, std::string>, std::int64_t> counts;
    for (std::size_t w = 0; w < words.size(); ++w) {
      const Symbols& s = reference.segmentations[w];
      for (std::size_t i = 0; i + 1 < s.size(); ++i) counts[{s[i], s[i + 1]}] += words[w].second;
    }
    const std::pair<std::string, std::string>* best = nullptr;
    std::int64_t best_count = 0;
    for (const auto& [pair, count] : counts) {
      if (count > best_count) best = &pair, best_count = count;
    }
    if (best == nullptr || best_count < options.min_frequency()) break;
    const auto [left, right] = *best;
    reference.merges.emplace_back(left, right);
    const std::string& prefix = options.continuing_prefix();
    const bool prefixed = right.compare(0, prefix.size(), prefix) == 0;
    const std::string merged = left + right.substr(prefixed ? prefix.size() : 0);
    if (known.insert(merged).second) ++made;
    for (Symbols& s : reference.segmentations) {
      Symbols rewritten;
      for (std::size_t i = 0; i < s.size(); ++i) {
        if (i + 1 < s.size() && s[i] == left && s[i + 1] == right) {
          rewritten.push_back(merged);
          ++i;
        } else {
          rewritten.push_back(s[i]);
        }
      }
      s = std::move(rewritten);
    }
  }
  return reference;
}

// Random words over a small alphabet (many ties and overlaps such as "aaaa"), Zipf-like counts.
WordCounts random_corpus(unsigned seed, const Symbols& alphabet, int types) {
  std::mt19937 generator(seed);
  std::map<std::string, std::int64_t> counts;
  for (int t = 0; t < types; ++t) {
    std::string word;
    const int length = 1 + static_cast<int>(generator() % 7);
    for (int i = 0; i < length; ++i) word += alphabet[generator() % alphabet.size()];
    counts[word] += 1 + static_cast<std::int64_t>(generator() % 40) / (1 + t % 5);
  }
  return WordCounts(counts.begin(), counts.end());
}

void require_same_as_reference(const WordCounts& words, const MergeTrainerOptions& options) {
  const auto result = ember::data::learn_merges(words, options);
  const auto reference = reference_merges(words, options);
  REQUIRE(result.merges.size() == reference.merges.size());
  for (std::size_t rank = 0; rank < result.merges.size(); ++rank) {
    INFO("merge " << rank);
    REQUIRE(result.merges[rank] == reference.merges[rank]);
  }
}

}  // namespace

TEST_CASE("learn_merges reproduces Sennrich's example, ties to the smaller left symbol", "[data]") {
  // Worked by hand: (e s) and (s t</w>) both occur 9 times, "e" < "s"; later (e w) and (n e) both
  // occur 6 times, "e" < "n"; then (n ew) and (ew est</w>) both 6 times, "ew" < "n".
  const WordCounts words = {{"low", 5}, {"lower", 2}, {"newest", 6}, {"widest", 3}};
  const auto result = ember::data::learn_merges(words, MergeTrainerOptions().end_of_word_suffix("</w>").max_new_symbols(7));
  CHECK(result.merges == Merges{{"e", "s"}, {"es", "t</w>"}, {"l", "o"}, {"e", "w"}, {"ew", "est</w>"},
                                {"n", "ewest</w>"}, {"lo", "w</w>"}});
  CHECK(result.new_symbols == Symbols{"es", "est</w>", "lo", "ew", "ewest</w>", "newest</w>", "low</w>"});
  CHECK(result.alphabet == Symbols{"d", "e", "i", "l", "n", "o", "r</w>", "s", "t</w>", "w", "w</w>"});
}

TEST_CASE("learn_merges equals a full recount per merge on small corpora", "[data]") {
  const auto bpe = MergeTrainerOptions().end_of_word_suffix("</w>");
  const auto wordpiece = MergeTrainerOptions().continuing_prefix("##");
  for (const auto& base : {bpe, wordpiece}) {
    SECTION(base.continuing_prefix().empty() ? "bpe spelling" : "wordpiece spelling") {
      for (unsigned seed = 0; seed < 6; ++seed) {
        INFO("seed " << seed);
        auto options = base;
        require_same_as_reference(random_corpus(seed, {"a", "b", "c"}, 60), options.max_new_symbols(40));
        require_same_as_reference(random_corpus(seed, {"x", "é", "日", "ab"}, 80),
                                  options.max_new_symbols(60).min_frequency(1));
      }
      // Overlapping runs: "aaaa" merges as "aa aa", "aaa" as "aa a".
      auto options = base;
      require_same_as_reference({{"aaaa", 3}, {"aaa", 5}, {"aaaaaaa", 2}, {"ba", 1}}, options.max_new_symbols(10));
      require_same_as_reference({{"the", 30}, {"then", 7}, {"there", 9}, {"other", 4}, {"theme", 2}},
                                options.max_new_symbols(100).min_frequency(1));
    }
  }
}

TEST_CASE("initial_symbols splits by codepoint with the prefix and suffix", "[data]") {
  CHECK(ember::data::initial_symbols("café", "##", "") == Symbols{"c", "##a", "##f", "##é"});
  CHECK(ember::data::initial_symbols("日本", "", "</w>") == Symbols{"日", "本</w>"});
  CHECK(ember::data::initial_symbols("a", "##", "</w>") == Symbols{"a</w>"});
  CHECK(ember::data::initial_symbols("a\xFF", "", "") == Symbols{"a", "\xFF"});  // an invalid byte alone
}

TEST_CASE("WordCounter counts normalised words from text and from a file line by line", "[data]") {
  ember::testing::TempDir dir;
  ember::data::WordCounter counter;
  counter.add_text("The cat, the hat.");
  counter.add_file(dir.write("corpus.txt", "the CAT\n\nhat\r\n"));
  CHECK(counter.counts() == WordCounts{{",", 1}, {".", 1}, {"cat", 2}, {"hat", 2}, {"the", 3}});
  ember::data::WordCounter cased(ember::data::NormalizerOptions().lowercase(false).split_punctuation(false));
  cased.add_text("The cat, the");
  CHECK(cased.counts() == WordCounts{{"The", 1}, {"cat,", 1}, {"the", 1}});
  REQUIRE_THROWS_WITH(counter.add_file(dir.path("missing.txt")), Contains("missing.txt"));
}

TEST_CASE("learn_merges rejects bad options and words", "[data]") {
  REQUIRE_THROWS_WITH(ember::data::learn_merges({{"a", 1}}, MergeTrainerOptions().min_frequency(0)),
                      Contains("min_frequency=0 is invalid"));
  REQUIRE_THROWS_WITH(ember::data::learn_merges({{"a", 1}}, MergeTrainerOptions().max_new_symbols(-1)),
                      Contains("max_new_symbols=-1 is invalid"));
  REQUIRE_THROWS_WITH(ember::data::learn_merges({{"", 1}}, MergeTrainerOptions()), Contains("non-empty word"));
  REQUIRE_THROWS_WITH(ember::data::learn_merges({{"a", 0}}, MergeTrainerOptions()), Contains("count 0"));
}
