// The built-in dataset of `text_classifier train` with no files: the seed's sizes (vocab 1000,
// sequences of up to 10 tokens, 2 classes), generated in-process and deterministic for a seed.
#pragma once

#include "data/text_dataset.h"

#include <cstdint>
#include <memory>

namespace ember::apps {

// Every word has a hidden polarity: ids divisible by 3 are positive, ids = 1 mod 3 negative, the
// rest neutral. A sentence (4 to 10 tokens from [2, vocab), padded at the end with 0) is labelled
// 1 when it holds more positive than negative words, else 0. The model must learn each word's
// polarity (the embedding) and count along the sequence (the LSTM).
class SyntheticTextDataset : public data::Dataset<data::TextExample> {
 public:
  SyntheticTextDataset(std::int64_t size, std::int64_t vocab_size, std::int64_t max_length, std::uint64_t seed);
  std::int64_t size() const override { return static_cast<std::int64_t>(examples_.size()); }
  data::TextExample get(std::int64_t index) const override { return examples_.at(index); }
  std::vector<std::int64_t> lengths() const;

 private:
  std::vector<data::TextExample> examples_;
};

}  // namespace ember::apps
