// TextDataset: a labelled text file (TSV "label<TAB>text" or CSV "label,text") turned into
// token-index sequences, with its label list and vocabulary, plus the padding collate that makes
// [B, T] batches of them.
//
//   auto train = std::make_shared<data::TextDataset>(
//       data::TextDatasetOptions("train.tsv").max_length(200));
//   data::TextDataset valid(
//       data::TextDatasetOptions("valid.tsv").vocab(train->vocab()).labels(train->labels()));
//   data::DataLoader loader(train, data::DataLoaderOptions().batch_size(32).shuffle(true).seed(0),
//                           train->collate());
//   for (data::TextBatch& batch : loader) { ... }  // batch.tokens: int64 [B, T]
#pragma once

#include "core/arg.h"
#include "core/tensor.h"
#include "data/dataset.h"
#include "data/delimited_file.h"
#include "data/tokenizer.h"
#include "data/vocab.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace ember::data {

enum class LabelOrder {
  kSorted,     // numeric order when every label is an integer ("2" < "10"; equal values
               // such as "01" and "1" by bytes), else byte order
  kFirstSeen,  // the order in which labels first appear in the file
};

enum class PaddingSide { kEnd, kStart };

struct TextDatasetOptions {
  explicit TextDatasetOptions(std::string path) : path_(std::move(path)) {}
  /// The file to read (required).
  EMBER_ARG(std::string, path);
  /// TSV or CSV. Default: kAuto (".csv" files are CSV, others TSV).
  EMBER_ARG(FileFormat, format) = FileFormat::kAuto;
  /// The first record is a header and is skipped. Default: false.
  EMBER_ARG(bool, header) = false;
  /// Text -> tokens. Default: basic_english_tokenize.
  EMBER_ARG(Tokenizer, tokenizer) = basic_english_tokenize;
  /// Keep only the first max_length tokens of each text. Default: none (no truncation).
  EMBER_ARG(std::optional<std::int64_t>, max_length);
  /// A fixed label set, in index order; a label outside it is a bad line. Default: empty (the
  /// labels found in the file, ordered by label_order). Pass train.labels() for valid/test files.
  EMBER_ARG(std::vector<std::string>, labels) = {};
  /// Index order of labels collected from the file. Default: kSorted.
  EMBER_ARG(LabelOrder, label_order) = LabelOrder::kSorted;
  /// The vocabulary to encode tokens with. Default: none (built from this file's tokens with
  /// vocab_options). Pass train.vocab() for valid/test files.
  EMBER_ARG(std::shared_ptr<const Vocab>, vocab);
  /// How the vocabulary is built when none is given. Default: VocabOptions().
  EMBER_ARG(VocabOptions, vocab_options) = {};
  /// Where collate() puts the padding. Default: kEnd.
  EMBER_ARG(PaddingSide, padding_side) = PaddingSide::kEnd;
  /// Skip malformed lines (and count them in bad_lines()) instead of throwing. Default: false.
  EMBER_ARG(bool, skip_bad_lines) = false;
};

// One example: token indices (never empty) and a label index.
struct TextExample {
  std::vector<std::int64_t> tokens;
  std::int64_t label = 0;
};

// A padded batch. tokens: int64 [B, T], T the longest sequence of the batch; lengths and labels:
// int64 [B]. Row b holds its lengths[b] real tokens at the start (kEnd) or the end (kStart).
struct TextBatch {
  Tensor tokens;
  Tensor lengths;
  Tensor labels;
};

// What skip_bad_lines left out.
struct BadLines {
  static constexpr std::size_t kMaxListed = 5;
  std::int64_t count = 0;
  std::vector<std::int64_t> first_lines;  // line numbers of the first kMaxListed bad lines
  std::string first_error;                // the message the first one would have thrown
  // "" when there were none, else e.g. "train.tsv: skipped 2 bad lines (lines 3, 9); first: ..."
  std::string summary(const std::string& path) const;
};

class TextDataset : public Dataset<TextExample> {
 public:
  // Reads, checks, tokenizes and encodes the whole file. Throws IoError for a missing or empty
  // file and, unless skip_bad_lines, for the first malformed line ("path:line: what: "text"");
  // ValueError for invalid options.
  explicit TextDataset(const TextDatasetOptions& options);

  std::int64_t size() const override { return static_cast<std::int64_t>(examples_.size()); }
  TextExample get(std::int64_t index) const override;  // IndexError outside [0, size())

  const std::shared_ptr<const Vocab>& vocab() const { return vocab_; }
  // Label strings in index order.
  const std::vector<std::string>& labels() const { return labels_; }
  // Tokens per example after truncation (for BucketSampler).
  std::vector<std::int64_t> lengths() const;
  // Examples per label, in label index order.
  std::vector<std::int64_t> label_counts() const;
  const BadLines& bad_lines() const { return bad_lines_; }
  const TextDatasetOptions& options() const { return options_; }

  // pad_collate with this dataset's pad index and padding side.
  std::function<TextBatch(std::vector<TextExample>)> collate() const;

 private:
  TextDatasetOptions options_;
  std::vector<TextExample> examples_;
  std::vector<std::string> labels_;
  std::shared_ptr<const Vocab> vocab_;
  BadLines bad_lines_;
};

// Pads every sequence to the longest of the batch with `pad_index`. Throws ValueError for an
// empty batch.
TextBatch pad_collate(std::vector<TextExample> examples, std::int64_t pad_index,
                      PaddingSide side = PaddingSide::kEnd);

}  // namespace ember::data
