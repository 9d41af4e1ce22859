// The body of the three pretrained-vector fuzz targets (GloVe, word2vec text, word2vec binary):
// the same loader without a vocabulary, with one, and with max_vectors in float64.
#pragma once

#include "data/pretrained.h"
#include "tests/fuzz/fuzz_input.h"

#include <cmath>

namespace ember::fuzz {

inline void check_vectors(const data::PretrainedVectors& v) {
  FUZZ_CHECK(v.weight.dim() == 2);
  FUZZ_CHECK(v.weight.size(0) == static_cast<std::int64_t>(v.tokens.size()));
  FUZZ_CHECK(v.weight.size(1) == v.report.dim && v.report.dim > 0);
  for (double x : v.weight.to_vector<double>()) FUZZ_CHECK(std::isfinite(x));
}

// loader(path, tokens_or_null, options): one of data::load_glove / load_word2vec_text / _binary.
template <typename Loader>
int fuzz_pretrained(const std::uint8_t* data, std::size_t size, Loader loader) {
  const std::string path = write_input(data, size, "vectors");
  const std::vector<std::string> tokens{"<pad>", "the", "a", "of", "w1", "\xc3\xa9t\xc3\xa9"};
  result_or_error([&] { check_vectors(loader(path, nullptr, data::PretrainedOptions())); });
  result_or_error([&] {
    const auto v = loader(path, &tokens, data::PretrainedOptions().zero_tokens({"<pad>"}));
    FUZZ_CHECK(v.tokens == tokens);
    check_vectors(v);
  });
  result_or_error([&] { check_vectors(loader(path, nullptr, data::PretrainedOptions().max_vectors(2).dtype(kFloat64))); });
  return 0;
}

}  // namespace ember::fuzz
