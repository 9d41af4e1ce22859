// A trained subword tokenizer (BPE or WordPiece) as one value, saved in a folder with its
// settings: tokenizer.json names the model and its options, beside vocab.txt (WordPiece) or
// vocab.json + merges.txt (BPE). The tokenize app and text_classifier use it.
#pragma once

#include "core/arg.h"
#include "data/bpe.h"
#include "data/wordpiece.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace ember::data {

struct SubwordTrainOptions {
  /// "bpe" or "wordpiece" (required).
  explicit SubwordTrainOptions(std::string model) : model_(std::move(model)) {}
  EMBER_ARG(std::string, model);
  /// Total vocabulary size, special (and byte) tokens included. Default: 8000.
  EMBER_ARG(std::int64_t, vocab_size) = 8000;
  /// Pairs seen fewer times are not merged. Default: 2.
  EMBER_ARG(std::int64_t, min_frequency) = 2;
  /// Lowercase before splitting into words. Default: true.
  EMBER_ARG(bool, lowercase) = true;
  /// Every punctuation mark is a word of its own. Default: true.
  EMBER_ARG(bool, split_punctuation) = true;
  /// BPE only: unknown characters become byte tokens. Default: false.
  EMBER_ARG(bool, byte_fallback) = false;
};

class SubwordTokenizer {
 public:
  explicit SubwordTokenizer(Bpe bpe) : model_(std::move(bpe)) {}
  explicit SubwordTokenizer(WordPiece wordpiece) : model_(std::move(wordpiece)) {}

  // Throws ValueError for an unknown model name or bad sizes.
  static SubwordTokenizer train(const WordCounts& words, const SubwordTrainOptions& options);
  // The names of the files save() writes into a folder, tokenizer.json first.
  static std::vector<std::string> file_names(const std::string& model);
  // Writes the files into the existing folder `dir`; throws IoError when a write fails.
  void save(const std::string& dir) const;
  // Reads what save() writes; IoError naming the file for anything missing or malformed.
  static SubwordTokenizer load(const std::string& dir);

  std::string model() const { return std::holds_alternative<Bpe>(model_) ? "bpe" : "wordpiece"; }
  std::vector<std::int64_t> encode(std::string_view text) const;
  std::vector<std::vector<std::int64_t>> encode_lines(const std::vector<std::string>& lines) const;
  std::vector<std::string> tokenize(std::string_view text) const;
  std::string decode(const std::vector<std::int64_t>& ids) const;
  const std::string& id_to_token(std::int64_t id) const;
  std::int64_t size() const;
  std::int64_t pad_id() const;
  std::int64_t unk_id() const;

  const Bpe* bpe() const { return std::get_if<Bpe>(&model_); }
  const WordPiece* wordpiece() const { return std::get_if<WordPiece>(&model_); }

 private:
  std::variant<Bpe, WordPiece> model_;
};

}  // namespace ember::data
