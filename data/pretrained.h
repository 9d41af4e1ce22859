// Pretrained word vectors: GloVe text files and word2vec text and binary files, loaded into a
// [N, D] weight ready for nn::Embedding::from_pretrained, optionally restricted to a vocabulary.
//
//   data::Vocab vocab = data::Vocab::build(sentences);
//   auto vectors = data::load_glove("glove.6B.50d.txt", vocab);
//   std::cout << vectors.report.summary() << "\n";   // found / missing counts
//   auto emb = nn::Embedding::from_pretrained(vectors.weight,
//       nn::EmbeddingFromPretrainedOptions().freeze(false).padding_idx(vocab.pad_index()));
//
// The file is streamed line by line (entry by entry for binary files): memory holds the result
// and one line, never the file. With a vocabulary only its rows are kept. Without one, a GloVe
// file is read twice (a fast line count, then the parse) so the result is allocated only once.
#pragma once

#include "core/arg.h"
#include "core/tensor.h"
#include "data/vocab.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ember::data {

// How rows of vocabulary words absent from the file are initialised.
enum class MissingInit {
  kNormal,  // N(0, s^2), s = the standard deviation of every number in the file
  kZeros,
};

struct PretrainedOptions {
  /// Rows of vocabulary words absent from the file. Default: kNormal (scaled like the file's
  /// vectors, so they neither dominate nor vanish next to the pretrained rows).
  EMBER_ARG(MissingInit, missing_init) = MissingInit::kNormal;
  /// Tokens whose row is always zeros when absent from the file, besides the vocabulary's pad
  /// token (which is zeroed whenever a Vocab is given). Default: none.
  EMBER_ARG(std::vector<std::string>, zero_tokens);
  /// The dimension the file must have; a different one throws. Default: taken from the file.
  EMBER_ARG(std::optional<std::int64_t>, dim);
  /// The largest dimension accepted: a file whose vectors (or header) claim more throws IoError
  /// before anything is allocated, so one long line cannot build a giant model. Default: 65536,
  /// the bound of the apps' --embedding-dim.
  EMBER_ARG(std::int64_t, max_dim) = std::int64_t{1} << 16;
  /// Without a vocabulary: read at most this many vectors (GloVe files are sorted by frequency).
  /// Default: all.
  EMBER_ARG(std::optional<std::int64_t>, max_vectors);
  /// float32 or float64. Default: float32.
  EMBER_ARG(DType, dtype) = kFloat32;
};

// What a load found. summary() is one line for logs.
struct PretrainedReport {
  std::string path;
  std::int64_t dim = 0;
  std::int64_t vectors_read = 0;     // entries of the file read (all of them, or max_vectors)
  std::int64_t found = 0;            // rows of the result filled from the file
  std::int64_t duplicates = 0;       // later occurrences of a word already read (ignored)
  std::vector<std::string> missing;  // vocabulary tokens absent from the file, in vocabulary order
  double missing_std = 0;            // s of MissingInit::kNormal (the file's standard deviation)
  std::string summary() const;
};

struct PretrainedVectors {
  std::vector<std::string> tokens;  // row i of weight is tokens[i] (the vocabulary, or file order)
  Tensor weight;                    // [N, D]
  PretrainedReport report;
};

// GloVe: one "word v1 ... vD" per line, no header; D is taken from the first line.
// word2vec text: a "count dim" header line, then "word v1 ... vD" lines (trailing space allowed).
// word2vec binary: a "count dim" header line, then per word "word " and D little-endian float32.
//
// Without a vocabulary every word of the file is kept, in file order (a word seen twice keeps its
// first vector). With one (a data::Vocab or a plain token list) row i belongs to token i; words of
// the file not in it are skipped, tokens absent from the file are initialised by missing_init.
// Errors (IoError): missing file; a line with a wrong number of fields, a field that is not a
// finite number, or a dimension different from the first line's, each as "path:line: ...";
// a header that does not match the entries; a truncated binary file (the entry and byte offset).
PretrainedVectors load_glove(const std::string& path, const PretrainedOptions& options = {});
PretrainedVectors load_glove(const std::string& path, const Vocab& vocab, const PretrainedOptions& options = {});
PretrainedVectors load_glove(const std::string& path, const std::vector<std::string>& tokens,
                             const PretrainedOptions& options = {});

PretrainedVectors load_word2vec_text(const std::string& path, const PretrainedOptions& options = {});
PretrainedVectors load_word2vec_text(const std::string& path, const Vocab& vocab,
                                     const PretrainedOptions& options = {});
PretrainedVectors load_word2vec_text(const std::string& path, const std::vector<std::string>& tokens,
                                     const PretrainedOptions& options = {});

PretrainedVectors load_word2vec_binary(const std::string& path, const PretrainedOptions& options = {});
PretrainedVectors load_word2vec_binary(const std::string& path, const Vocab& vocab,
                                       const PretrainedOptions& options = {});
PretrainedVectors load_word2vec_binary(const std::string& path, const std::vector<std::string>& tokens,
                                       const PretrainedOptions& options = {});

}  // namespace ember::data
