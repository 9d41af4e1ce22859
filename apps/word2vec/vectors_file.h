// Writing word vectors in word2vec's text and binary formats (read back by data/pretrained.h,
// gensim's KeyedVectors.load_word2vec_format and the C tool).
#pragma once

#include "core/tensor.h"

#include <string>
#include <vector>

namespace ember::apps::word2vec {

// Text: "V D\n", then per word "word v1 ... vD\n", each float as the shortest decimal that reads
// back to the same float32. Binary: "V D\n", then per word "word ", D little-endian float32 and
// "\n" (the C tool's layout; gensim reads it with or without the newline).
// `vectors` is [V, D] float32, row i for words[i]. Every write is checked: IoError naming the path.
void write_word2vec_text(const std::string& path, const std::vector<std::string>& words, const Tensor& vectors);
void write_word2vec_binary(const std::string& path, const std::vector<std::string>& words, const Tensor& vectors);

}  // namespace ember::apps::word2vec
