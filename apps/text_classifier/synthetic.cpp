// The built-in synthetic sentiment task (see synthetic.h).
#include "apps/text_classifier/synthetic.h"

#include "core/tensor.h"

namespace ember::apps {

SyntheticTextDataset::SyntheticTextDataset(std::int64_t size, std::int64_t vocab_size, std::int64_t max_length,
                                           std::uint64_t seed) {
  Generator gen(seed);  // its own generator: the data does not depend on model initialisation
  const std::int64_t min_length = std::min<std::int64_t>(4, max_length);
  for (std::int64_t n = 0; n < size; ++n) {
    data::TextExample ex;
    const auto length = min_length + static_cast<std::int64_t>(gen.next_u64() % (max_length - min_length + 1));
    std::int64_t polarity = 0;
    for (std::int64_t t = 0; t < length; ++t) {
      const auto word = 2 + static_cast<std::int64_t>(gen.next_u64() % static_cast<std::uint64_t>(vocab_size - 2));
      polarity += word % 3 == 0 ? 1 : (word % 3 == 1 ? -1 : 0);
      ex.tokens.push_back(word);
    }
    ex.label = polarity > 0 ? 1 : 0;
    examples_.push_back(std::move(ex));
  }
}

std::vector<std::int64_t> SyntheticTextDataset::lengths() const {
  std::vector<std::int64_t> out;
  for (const auto& ex : examples_) out.push_back(static_cast<std::int64_t>(ex.tokens.size()));
  return out;
}

}  // namespace ember::apps
