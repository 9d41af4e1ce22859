// WordPiece as in BERT: greedy longest-match-first splitting of each word into vocabulary pieces,
// "##" marking a piece that continues a word, [UNK] for a word that cannot be covered. Reads and
// writes BERT's vocab.txt and trains a vocabulary from word counts.
#pragma once

#include "core/arg.h"
#include "data/merge_trainer.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace ember::data {

struct WordPieceOptions {
  /// Lowercase before splitting (BERT's uncased models). Default: true.
  EMBER_ARG(bool, lowercase) = true;
  /// Every punctuation mark is a word of its own (as BERT's BasicTokenizer). Default: true.
  EMBER_ARG(bool, split_punctuation) = true;
  /// A word longer than this many codepoints becomes [UNK] (HF's value; BERT's code uses 200).
  /// Default: 100.
  EMBER_ARG(std::int64_t, max_input_chars_per_word) = 100;

 public:
  NormalizerOptions normalizer() const {
    return NormalizerOptions().lowercase(lowercase_).split_punctuation(split_punctuation_);
  }
};

class WordPiece {
 public:
  // The special tokens every vocabulary must hold. A trained vocabulary gives them ids 0-3 in
  // this order; a loaded one keeps the ids of its file (bert-base-uncased: [UNK] is 100).
  static constexpr const char* kPad = "[PAD]";
  static constexpr const char* kUnk = "[UNK]";
  static constexpr const char* kCls = "[CLS]";
  static constexpr const char* kSep = "[SEP]";
  static constexpr const char* kPrefix = "##";

  // From tokens in id order. Throws ValueError for an empty or duplicate token or a missing special.
  explicit WordPiece(std::vector<std::string> tokens, WordPieceOptions options = {});

  // Trains a vocabulary of at most `vocab_size` tokens: the specials, every character of the
  // corpus in its word-initial and "##" forms, then pieces made by BPE merges over "##"-prefixed
  // characters (HF tokenizers' WordPieceTrainer), in the order they were made.
  static WordPiece train(const WordCounts& words, std::int64_t vocab_size, WordPieceOptions options = {},
                         std::int64_t min_frequency = 2);

  // BERT's vocab.txt: one token per line, id = 0-based line number; spaces, tabs and a CR at the
  // ends of a line are stripped. Throws IoError "path:line: ..." for an empty line or a
  // duplicate token, and naming the path for a missing special token or an unreadable file.
  static WordPiece load(const std::string& path, WordPieceOptions options = {});
  // Writes vocab.txt; throws IoError when a write fails.
  void save(const std::string& path) const;

  // The pieces of `text`: normalised words, each split greedily, longest piece first.
  std::vector<std::string> tokenize(std::string_view text) const;
  std::vector<std::int64_t> encode(std::string_view text) const;
  // Pieces joined by spaces, with "##" and the space before it removed: decode(encode(x)) is the
  // normalised words of x joined by single spaces when every word is covered. Throws IndexError
  // for an id outside [0, size()).
  std::string decode(const std::vector<std::int64_t>& ids) const;
  // One id sequence per line, encoded on ember's threads (encode_lines_cached); the result does
  // not depend on the thread count.
  std::vector<std::vector<std::int64_t>> encode_lines(const std::vector<std::string>& lines) const;

  std::int64_t size() const { return static_cast<std::int64_t>(tokens_.size()); }
  const std::vector<std::string>& tokens() const { return tokens_; }
  const std::string& id_to_token(std::int64_t id) const;
  // The id of `token`, or unk_id() when it is not in the vocabulary.
  std::int64_t token_to_id(std::string_view token) const;
  std::int64_t pad_id() const { return pad_id_; }
  std::int64_t unk_id() const { return unk_id_; }
  std::int64_t cls_id() const { return cls_id_; }
  std::int64_t sep_id() const { return sep_id_; }
  const WordPieceOptions& options() const { return options_; }

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  using Index = std::unordered_map<std::string, std::int64_t, Hash, std::equal_to<>>;

  // Appends the ids of one word's pieces (or unk_id()) to `ids`.
  void encode_word(std::string_view word, std::vector<std::int64_t>& ids) const;

  WordPieceOptions options_;
  std::vector<std::string> tokens_;
  Index whole_;       // every token as spelled, for the piece that starts a word
  Index continuing_;  // "##x" tokens under "x", for the pieces after it
  std::size_t longest_whole_ = 0, longest_continuing_ = 0;  // in bytes: bounds the search
  std::int64_t pad_id_ = 0, unk_id_ = 1, cls_id_ = 2, sep_id_ = 3;
};

}  // namespace ember::data
