// Word counting and the pair-merge trainer: pair counts indexed by the words that hold them, and a
// max-heap whose stale entries are dropped or refreshed when they surface.
#include "data/merge_trainer.h"

#include "core/error.h"
#include "core/parallel.h"
#include "data/tokenizer.h"
#include "data/utf8.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <optional>

namespace ember::data {

std::vector<std::string> normalize_words(std::string_view text, const NormalizerOptions& options) {
  return split_words(text, options.lowercase(), options.split_punctuation());
}

void WordCounter::add_text(std::string_view text) {
  for (auto& word : normalize_words(text, options_)) ++counts_[std::move(word)];
}

void WordCounter::add_file(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  EMBER_CHECK(file.is_open(), IoError, "WordCounter: cannot open {}: {}", path, std::strerror(errno));
  std::string line;
  while (std::getline(file, line)) add_text(line);
  EMBER_CHECK(!file.bad(), IoError, "WordCounter: reading {} failed: {}", path, std::strerror(errno));
}

WordCounts WordCounter::counts() const {
  WordCounts sorted(counts_.begin(), counts_.end());
  std::sort(sorted.begin(), sorted.end());
  return sorted;
}

std::vector<std::vector<std::int64_t>> encode_lines_cached(const std::vector<std::string>& lines,
                                                           const NormalizerOptions& normalizer,
                                                           const EncodeWord& encode_word) {
  std::vector<std::vector<std::int64_t>> encoded(lines.size());
  parallel_for(0, static_cast<std::int64_t>(lines.size()), 256, [&](std::int64_t begin, std::int64_t end) {
    // Word frequencies are Zipfian: most words of a chunk were already seen in it.
    std::unordered_map<std::string, std::vector<std::int64_t>> cache;
    for (std::int64_t i = begin; i < end; ++i) {
      auto& ids = encoded[i];
      for (auto& word : normalize_words(lines[i], normalizer)) {
        auto it = cache.find(word);
        if (it == cache.end()) {
          std::vector<std::int64_t> pieces;
          encode_word(word, pieces);
          it = cache.emplace(std::move(word), std::move(pieces)).first;
        }
        ids.insert(ids.end(), it->second.begin(), it->second.end());
      }
    }
  });
  return encoded;
}

std::vector<std::string> initial_symbols(std::string_view word, const std::string& continuing_prefix,
                                         const std::string& end_of_word_suffix) {
  std::vector<std::string> symbols;
  std::size_t length = 0;
  for (std::size_t pos = 0; pos < word.size(); pos += length) {
    utf8::decode(word, pos, length);
    std::string symbol = pos == 0 ? std::string() : continuing_prefix;
    symbol.append(word.substr(pos, length));
    if (pos + length == word.size()) symbol += end_of_word_suffix;
    symbols.push_back(std::move(symbol));
  }
  return symbols;
}

std::vector<std::string> initial_alphabet(const WordCounts& words, const std::string& continuing_prefix,
                                          const std::string& end_of_word_suffix) {
  std::unordered_map<std::string, bool> seen;
  std::vector<std::string> alphabet;
  for (const auto& [word, count] : words) {
    for (auto& symbol : initial_symbols(word, continuing_prefix, end_of_word_suffix)) {
      if (seen.emplace(symbol, true).second) alphabet.push_back(std::move(symbol));
    }
  }
  std::sort(alphabet.begin(), alphabet.end());
  return alphabet;
}

std::string merged_symbol(const std::string& left, const std::string& right,
                          const std::string& continuing_prefix) {
  const bool prefixed = right.compare(0, continuing_prefix.size(), continuing_prefix) == 0;
  return left + right.substr(prefixed ? continuing_prefix.size() : 0);
}

namespace {

using SymbolId = std::uint32_t;
using PairKey = std::uint64_t;  // (left << 32) | right

PairKey pair_key(SymbolId left, SymbolId right) { return (PairKey{left} << 32) | right; }
SymbolId left_of(PairKey key) { return static_cast<SymbolId>(key >> 32); }
SymbolId right_of(PairKey key) { return static_cast<SymbolId>(key & 0xFFFFFFFFu); }

struct Word {
  std::vector<SymbolId> symbols;
  std::int64_t count = 0;
};

struct HeapEntry {
  std::int64_t count;
  PairKey key;
};

// Heap order: a ranks below b when it is less frequent, or as frequent with larger strings.
struct RanksBelow {
  const std::vector<std::string>* symbols;
  bool operator()(const HeapEntry& a, const HeapEntry& b) const {
    if (a.count != b.count) return a.count < b.count;
    const int left = (*symbols)[left_of(a.key)].compare((*symbols)[left_of(b.key)]);
    if (left != 0) return left > 0;
    return (*symbols)[right_of(a.key)] > (*symbols)[right_of(b.key)];
  }
};

class Trainer {
 public:
  Trainer(const WordCounts& words, const MergeTrainerOptions& options) : options_(options) {
    for (const auto& [text, count] : words) {
      Word word{{}, count};
      for (auto& symbol : initial_symbols(text, options.continuing_prefix(), options.end_of_word_suffix())) {
        word.symbols.push_back(intern(std::move(symbol)));
      }
      words_.push_back(std::move(word));
    }
    result_.alphabet = symbols_;
    std::sort(result_.alphabet.begin(), result_.alphabet.end());
    for (std::size_t w = 0; w < words_.size(); ++w) add_pairs(static_cast<SymbolId>(w), nullptr);
    for (const auto& [key, count] : pair_counts_) heap_.push_back({count, key});
    std::make_heap(heap_.begin(), heap_.end(), ranks_below());
    stamp_.assign(words_.size(), -1);
  }

  MergeResult run() {
    std::int64_t made = 0;
    for (std::int64_t merge = 0; made < options_.max_new_symbols(); ++merge) {
      const auto best = pop_best();
      if (!best || best->count < options_.min_frequency()) break;
      if (apply(best->key, merge)) ++made;
    }
    return std::move(result_);
  }

 private:
  RanksBelow ranks_below() const { return RanksBelow{&symbols_}; }

  SymbolId intern(std::string symbol) {
    auto [it, inserted] = ids_.emplace(symbol, static_cast<SymbolId>(symbols_.size()));
    if (inserted) symbols_.push_back(std::move(symbol));
    return it->second;
  }

  // The most frequent pair. Entries are pushed when a pair gains occurrences; one whose count
  // fell since is pushed back with its current count, one below the current count is a
  // duplicate of a fresher entry and dropped.
  std::optional<HeapEntry> pop_best() {
    while (!heap_.empty()) {
      std::pop_heap(heap_.begin(), heap_.end(), ranks_below());
      const HeapEntry top = heap_.back();
      heap_.pop_back();
      const auto it = pair_counts_.find(top.key);
      const std::int64_t current = it == pair_counts_.end() ? 0 : it->second;
      if (current == top.count) return top;
      if (current > 0 && current < top.count) push({current, top.key});
    }
    return std::nullopt;
  }

  void push(HeapEntry entry) {
    heap_.push_back(entry);
    std::push_heap(heap_.begin(), heap_.end(), ranks_below());
  }

  // Adds word w's adjacent pairs to the counts; pairs containing `fresh` (the symbol just made)
  // also record w in their word list and are collected in `touched`.
  void add_pairs(SymbolId w, const SymbolId* fresh, std::vector<PairKey>* touched = nullptr) {
    const Word& word = words_[w];
    for (std::size_t i = 0; i + 1 < word.symbols.size(); ++i) {
      const PairKey key = pair_key(word.symbols[i], word.symbols[i + 1]);
      pair_counts_[key] += word.count;
      if (fresh == nullptr || word.symbols[i] == *fresh || word.symbols[i + 1] == *fresh) {
        auto& list = pair_words_[key];
        if (list.empty() || list.back() != w) list.push_back(w);
        if (touched != nullptr) touched->push_back(key);
      }
    }
  }

  void remove_pairs(SymbolId w) {
    const Word& word = words_[w];
    for (std::size_t i = 0; i + 1 < word.symbols.size(); ++i) {
      auto it = pair_counts_.find(pair_key(word.symbols[i], word.symbols[i + 1]));
      if ((it->second -= word.count) == 0) pair_counts_.erase(it);
    }
  }

  // Rewrites every word holding the pair; returns whether the merge made a new symbol.
  bool apply(PairKey key, std::int64_t merge) {
    const SymbolId left = left_of(key), right = right_of(key);
    std::string text = merged_symbol(symbols_[left], symbols_[right], options_.continuing_prefix());
    const std::size_t before = symbols_.size();
    const SymbolId merged = intern(text);
    const bool is_new = symbols_.size() > before;
    result_.merges.emplace_back(symbols_[left], symbols_[right]);
    if (is_new) result_.new_symbols.push_back(symbols_[merged]);

    std::vector<SymbolId> holders;
    if (auto it = pair_words_.find(key); it != pair_words_.end()) {
      holders = std::move(it->second);
      pair_words_.erase(it);
    }
    std::vector<PairKey> touched;
    for (const SymbolId w : holders) {
      if (stamp_[w] == merge) continue;  // listed twice
      stamp_[w] = merge;
      auto& symbols = words_[w].symbols;
      bool found = false;
      for (std::size_t i = 0; i + 1 < symbols.size() && !found; ++i) {
        found = symbols[i] == left && symbols[i + 1] == right;
      }
      if (!found) continue;  // an earlier merge took the pair out of this word
      remove_pairs(w);
      std::vector<SymbolId> rewritten;
      rewritten.reserve(symbols.size());
      for (std::size_t i = 0; i < symbols.size(); ++i) {
        if (i + 1 < symbols.size() && symbols[i] == left && symbols[i + 1] == right) {
          rewritten.push_back(merged);
          ++i;
        } else {
          rewritten.push_back(symbols[i]);
        }
      }
      symbols = std::move(rewritten);
      add_pairs(w, &merged, &touched);
    }
    std::sort(touched.begin(), touched.end());
    touched.erase(std::unique(touched.begin(), touched.end()), touched.end());
    for (const PairKey t : touched) {
      if (auto it = pair_counts_.find(t); it != pair_counts_.end()) push({it->second, t});
    }
    return is_new;
  }

  MergeTrainerOptions options_;
  std::vector<Word> words_;
  std::vector<std::string> symbols_;
  std::unordered_map<std::string, SymbolId> ids_;
  std::unordered_map<PairKey, std::int64_t> pair_counts_;
  std::unordered_map<PairKey, std::vector<SymbolId>> pair_words_;
  std::vector<HeapEntry> heap_;
  std::vector<std::int64_t> stamp_;  // merge index that last rewrote each word
  MergeResult result_;
};

}  // namespace

MergeResult learn_merges(const WordCounts& words, const MergeTrainerOptions& options) {
  EMBER_CHECK(options.max_new_symbols() >= 0, ValueError,
              "learn_merges: max_new_symbols={} is invalid; expected >= 0", options.max_new_symbols());
  EMBER_CHECK(options.min_frequency() >= 1, ValueError,
              "learn_merges: min_frequency={} is invalid; expected >= 1", options.min_frequency());
  EMBER_CHECK(words.size() < 0xFFFFFFFFu, ValueError, "learn_merges: {} words; expected < 2^32",
              words.size());
  for (const auto& [word, count] : words) {
    EMBER_CHECK(count >= 1 && !word.empty(), ValueError,
                "learn_merges: word \"{}\" with count {}; expected a non-empty word, count >= 1",
                utf8::excerpt(word), count);
  }
  return Trainer(words, options).run();
}

}  // namespace ember::data
