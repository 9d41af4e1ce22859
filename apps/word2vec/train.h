// Training word vectors: skip-gram or CBOW with negative sampling, as word2vec does it (noise
// table of count^0.75, subsampling of frequent words, dynamic window, linear learning-rate decay),
// on the fused kernels of core/kernels_negative_sampling.h, with Hogwild threads.
#pragma once

#include "apps/word2vec/corpus.h"
#include "core/tensor.h"

#include <cstdint>
#include <string>

namespace ember::apps::word2vec {

enum class Model { kSkipGram, kCbow };

struct TrainOptions {
  Model model = Model::kSkipGram;
  std::int64_t dim = 100, window = 5, negative = 5, epochs = 5, threads = 1;
  double lr = 0.025, sample = 1e-3;
  std::uint64_t seed = 1;
  bool progress = true;
};

struct TrainResult {
  Tensor input_vectors;   // [V, D] the word vectors (word2vec's syn0)
  Tensor output_vectors;  // [V, D] the noise-contrastive output vectors (syn1neg)
  std::int64_t words = 0;            // in-vocabulary words read, over all epochs (before subsampling)
  std::int64_t effective_words = 0;  // of those, kept by subsampling
  double seconds = 0;
  double final_loss = 0;  // mean loss per target scored in the last epoch (by thread 0)
};

// Streams `corpus` epochs times. With threads > 1 each thread reads its own byte range of the
// file and all update the shared tables without locks (Hogwild): results then vary from run to
// run. With one thread, the same seed gives bitwise the same vectors.
TrainResult train(const std::string& corpus, const Vocabulary& vocab, const TrainOptions& options);

}  // namespace ember::apps::word2vec
