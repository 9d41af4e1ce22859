// Shared by the BPE and WordPiece trainers: word counts read from text (streamed line by line),
// and the pair-merge loop of Sennrich et al. (2016) over word types.
#pragma once

#include "core/arg.h"

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace ember::data {

// How text becomes words before subword splitting: the word tokenizer's steps (split_words).
struct NormalizerOptions {
  /// Lowercase letters (the word tokenizer's to_lower). Default: true.
  EMBER_ARG(bool, lowercase) = true;
  /// Make every punctuation mark a word of its own. Default: true.
  EMBER_ARG(bool, split_punctuation) = true;
};

std::vector<std::string> normalize_words(std::string_view text, const NormalizerOptions& options);

// Counts words; only the distinct words are kept, so memory follows the vocabulary, not the text.
class WordCounter {
 public:
  explicit WordCounter(NormalizerOptions options = {}) : options_(options) {}
  void add_text(std::string_view text);
  // Reads `path` line by line (never the whole file at once). Throws IoError naming the path
  // when it cannot be opened or a read fails.
  void add_file(const std::string& path);
  // (word, count) sorted by word in byte order: the same for any order of the input.
  std::vector<std::pair<std::string, std::int64_t>> counts() const;

 private:
  NormalizerOptions options_;
  std::unordered_map<std::string, std::int64_t> counts_;
};

using WordCounts = std::vector<std::pair<std::string, std::int64_t>>;

// Batch encoding shared by both tokenizers: the lines are split among ember's threads
// (set_num_threads), and each thread caches the ids of the words it has encoded, so
// `encode_word(word, ids)` (which appends) runs once per distinct word per thread. The result is
// the same for any thread count.
using EncodeWord = std::function<void(std::string_view, std::vector<std::int64_t>&)>;
std::vector<std::vector<std::int64_t>> encode_lines_cached(const std::vector<std::string>& lines,
                                                           const NormalizerOptions& normalizer,
                                                           const EncodeWord& encode_word);

struct MergeTrainerOptions {
  /// Spelling of every symbol that does not start its word (WordPiece: "##"). Default: "".
  EMBER_ARG(std::string, continuing_prefix);
  /// Glued to the last symbol of every word (Sennrich's BPE: "</w>"). Default: "".
  EMBER_ARG(std::string, end_of_word_suffix);
  /// Stop once this many new symbols were made. Default: 1000.
  EMBER_ARG(std::int64_t, max_new_symbols) = 1000;
  /// Stop when the most frequent pair occurs fewer times than this. Default: 2.
  EMBER_ARG(std::int64_t, min_frequency) = 2;
};

struct MergeResult {
  // Every initial symbol (characters in their word-initial, continuing and final spellings), in
  // byte order.
  std::vector<std::string> alphabet;
  // The merges in the order they were made (rank = position). Two merges can make the same symbol
  // ("a" "##bc" and "ab" "##c" both make "abc"); `new_symbols` lists each symbol once.
  std::vector<std::pair<std::string, std::string>> merges;
  std::vector<std::string> new_symbols;
};

// The symbols a word starts as: one per codepoint (an invalid UTF-8 byte is a symbol of its own),
// with `continuing_prefix` on all but the first and `end_of_word_suffix` on the last.
std::vector<std::string> initial_symbols(std::string_view word, const std::string& continuing_prefix,
                                         const std::string& end_of_word_suffix);

// Every distinct initial symbol of `words`, in byte order (MergeResult::alphabet without merging).
std::vector<std::string> initial_alphabet(const WordCounts& words, const std::string& continuing_prefix,
                                          const std::string& end_of_word_suffix);

// What merging `left` and `right` makes: left + right without its continuing prefix.
std::string merged_symbol(const std::string& left, const std::string& right,
                          const std::string& continuing_prefix);

// Repeatedly merges the most frequent adjacent pair (occurrences weighted by word count).
// Ties go to the pair whose left symbol is smaller in byte order, then whose right symbol is.
// Within a word a merge joins non-overlapping occurrences left to right ("x x x" -> "xx x").
// Cost: one count of all pairs, then per merge only the words holding the pair are rewritten; a
// max-heap with lazy invalidation finds the best pair. Throws ValueError on bad options.
MergeResult learn_merges(const WordCounts& words, const MergeTrainerOptions& options);

}  // namespace ember::data
