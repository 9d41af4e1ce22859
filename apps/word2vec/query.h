// Querying trained word vectors: nearest neighbours by cosine, analogies by 3CosAdd (gensim's
// most_similar(positive=[B, C], negative=[A])), and the two standard evaluations: Spearman
// correlation with human similarity scores (WordSim-353 / SimLex-999 layout) and accuracy on
// analogy questions (word2vec's questions-words.txt layout).
#pragma once

#include "core/tensor.h"

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace ember::apps::word2vec {

// Vectors read from a word2vec .bin (by extension) or text file through data/pretrained.h, each
// row scaled to unit length in float64 (an all-zero row stays zero: cosine 0 with everything).
class WordVectors {
 public:
  static WordVectors load(const std::string& path);
  // Built from words and their [V, D] vectors (any float dtype), e.g. for tests.
  WordVectors(std::vector<std::string> words, const Tensor& vectors, std::string source = "vectors");

  std::int64_t size() const { return static_cast<std::int64_t>(words_.size()); }
  std::int64_t dim() const { return unit_.size(1); }
  const std::string& word(std::int64_t i) const { return words_[static_cast<std::size_t>(i)]; }
  const std::string& source() const { return source_; }
  // Row of `word`, or nullopt. A word listed twice keeps its first row (the loader's rule).
  std::optional<std::int64_t> find(const std::string& word) const;
  // Row of `word`; ValueError naming the word and the file when it is absent.
  std::int64_t require(const std::string& word) const;
  const Tensor& unit() const { return unit_; }  // [V, D] float64, rows of unit length

 private:
  std::vector<std::string> words_;
  std::unordered_map<std::string, std::int64_t> index_;
  Tensor unit_;
  std::string source_;
};

struct Neighbour {
  std::string word;
  double cosine = 0;
};

// The `top` words most similar to the mean of +unit(w) for each positive word and -unit(w) for
// each negative one (gensim's most_similar), by cosine with that mean, the query words excluded,
// ties by row. Only the first `restrict_to` rows are
// candidates (0 = all). Throws ValueError naming a word absent from the vectors.
std::vector<Neighbour> most_similar(const WordVectors& vectors, const std::vector<std::string>& positive,
                                    const std::vector<std::string>& negative, std::int64_t top,
                                    std::int64_t restrict_to = 0);

// Spearman's rank correlation: Pearson correlation of the ranks, tied values sharing their mean
// rank (scipy.stats.spearmanr). NaN when fewer than 2 values or one side is constant.
double spearman(const std::vector<double>& x, const std::vector<double>& y);

// Which words the evaluations use (gensim's restrict_vocab and case_insensitive).
struct EvaluateOptions {
  std::int64_t restrict_to = 0;  // only the first (most frequent) N words (0 = all)
  bool ignore_case = false;      // compare upper-cased words; a word's first row wins
};

struct SimilarityResult {
  std::int64_t pairs = 0;      // pairs of the file with both words in the vectors
  std::int64_t oov_pairs = 0;  // pairs with a word absent (skipped, as gensim's evaluate_word_pairs)
  double spearman = 0;         // of the human scores and the cosines of the pairs used
};

// `path`: "word1<TAB>word2<TAB>score" lines (spaces also separate); empty lines and lines
// starting with # are skipped. A line without three fields or with a score that is not a finite
// number throws IoError "path:line: ...".
SimilarityResult evaluate_similarity(const WordVectors& vectors, const std::string& path,
                                     const EvaluateOptions& options = {});

struct AnalogySection {
  std::string name;
  std::int64_t correct = 0, incorrect = 0;
  std::int64_t oov = 0;  // questions with a word outside the candidates (skipped)
  double accuracy() const;  // correct / (correct + incorrect); NaN when none was asked
};

struct AnalogyResult {
  std::vector<AnalogySection> sections;  // in file order
  AnalogySection total;                  // name "total"
};

// `path`: ": section" lines, then "A B C D" questions (A is to B as C is to D). A question is
// correct when the most similar word to B - A + C, the three excluded, is D. Gensim's rule
// when restricting: only the first N words are candidates and a question with another word is
// out of vocabulary. (Gensim looks at the top 5 answers only; here the best one not among the
// question's words always answers.) A question before any section or without four words throws IoError
// "path:line: ...".
AnalogyResult evaluate_analogies(const WordVectors& vectors, const std::string& path,
                                 const EvaluateOptions& options = {});

}  // namespace ember::apps::word2vec
