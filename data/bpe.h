// Byte-pair encoding (Sennrich et al. 2016, as subword-nmt): merges learned from word counts, then
// applied to new words by rank; optional byte fallback so that no input is ever unknown. Saved as
// vocab.json (token -> id) plus merges.txt ("#version: 0.2", then one "left right" per rank).
#pragma once

#include "core/arg.h"
#include "data/merge_trainer.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace ember::data {

struct BpeOptions {
  /// Lowercase before splitting into words. Default: true.
  EMBER_ARG(bool, lowercase) = true;
  /// Every punctuation mark is a word of its own. Default: true.
  EMBER_ARG(bool, split_punctuation) = true;
  /// A character outside the vocabulary becomes its UTF-8 bytes, tokens <0x00>..<0xFF>, instead of
  /// <unk> (as sentencepiece's --byte_fallback). Default: false.
  EMBER_ARG(bool, byte_fallback) = false;

 public:
  NormalizerOptions normalizer() const {
    return NormalizerOptions().lowercase(lowercase_).split_punctuation(split_punctuation_);
  }
};

using Merges = std::vector<std::pair<std::string, std::string>>;

class Bpe {
 public:
  static constexpr const char* kPad = "<pad>";
  static constexpr const char* kUnk = "<unk>";
  // Glued to the last symbol of a word ("low" starts as "l o w</w>"); alone, it ends a word whose
  // last character is not in the vocabulary in its final form.
  static constexpr const char* kEndOfWord = "</w>";

  // `tokens` in id order (must hold <pad>, <unk> and </w>, and <0x00>..<0xFF> with byte_fallback);
  // `merges` in rank order, each part and each result a token. Throws ValueError otherwise.
  Bpe(std::vector<std::string> tokens, Merges merges, BpeOptions options = {});

  // Learns merges until the vocabulary has `vocab_size` tokens, counted as sentencepiece does:
  // <pad> 0, <unk> 1, the 256 byte tokens (with byte_fallback), </w>, every character form of
  // the corpus in byte order, then one token per new merged symbol. Stops earlier when the most
  // frequent pair occurs fewer than `min_frequency` times. Ties: see learn_merges.
  static Bpe train(const WordCounts& words, std::int64_t vocab_size, BpeOptions options = {},
                   std::int64_t min_frequency = 2);

  // Writes `vocab_path` (vocab.json) and `merges_path` (merges.txt); throws IoError on a failed write.
  void save(const std::string& vocab_path, const std::string& merges_path) const;
  // Reads what save() writes (and HF tokenizers' files of this layout). Throws IoError naming the
  // file, and the line for merges.txt, when either is malformed.
  static Bpe load(const std::string& vocab_path, const std::string& merges_path, BpeOptions options = {});

  std::vector<std::int64_t> encode(std::string_view text) const;
  std::vector<std::string> tokenize(std::string_view text) const;
  // Tokens joined, </w> turned into a space and byte tokens back into bytes: decode(encode(x)) is
  // the normalised words of x joined by single spaces (always with byte_fallback). Throws
  // IndexError for an id outside [0, size()).
  std::string decode(const std::vector<std::int64_t>& ids) const;
  // One id sequence per line, encoded on ember's threads (encode_lines_cached); the result does
  // not depend on the thread count.
  std::vector<std::vector<std::int64_t>> encode_lines(const std::vector<std::string>& lines) const;

  std::int64_t size() const { return static_cast<std::int64_t>(tokens_.size()); }
  const std::vector<std::string>& tokens() const { return tokens_; }
  const Merges& merges() const { return merges_; }
  const std::string& id_to_token(std::int64_t id) const;
  std::int64_t token_to_id(std::string_view token) const;  // unk_id() when absent
  std::int64_t pad_id() const { return pad_id_; }
  std::int64_t unk_id() const { return unk_id_; }
  const BpeOptions& options() const { return options_; }

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  struct Merge {
    std::int64_t rank;
    std::int64_t merged;
  };

  void encode_word(std::string_view word, std::vector<std::int64_t>& ids) const;

  BpeOptions options_;
  std::vector<std::string> tokens_;
  Merges merges_;
  std::unordered_map<std::string, std::int64_t, Hash, std::equal_to<>> ids_;
  std::unordered_map<std::uint64_t, Merge> merge_of_pair_;  // (left id << 32 | right id)
  std::vector<int> byte_of_id_;  // the byte a <0xNN> token stands for, or -1
  std::int64_t byte_ids_[256] = {};
  std::int64_t pad_id_ = 0, unk_id_ = 1, end_of_word_id_ = 2;
};

}  // namespace ember::data
