// Cosine queries over unit-length rows; batches of analogy questions go to BLAS as one gemm.
#include "apps/word2vec/query.h"

#include "core/error.h"
#include "core/kernels.h"
#include "data/pretrained.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <fstream>
#include <limits>
#include <numeric>
#include <sstream>

namespace ember::apps::word2vec {
namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

// q /= |q| (a zero q stays zero).
void make_unit(double* q, std::int64_t D) {
  double norm = 0;
  for (std::int64_t j = 0; j < D; ++j) norm += q[j] * q[j];
  norm = std::sqrt(norm);
  if (norm > 0)
    for (std::int64_t j = 0; j < D; ++j) q[j] /= norm;
}

// The words an evaluation may use: the first `count` rows, looked up by (upper-cased) key.
struct Candidates {
  Candidates(const WordVectors& vectors, const EvaluateOptions& options) : ignore_case(options.ignore_case) {
    EMBER_CHECK(options.restrict_to >= 0, ValueError, "word2vec: restrict_to is {}; expected >= 0 (0 = all)",
                options.restrict_to);
    count = options.restrict_to == 0 ? vectors.size() : std::min(options.restrict_to, vectors.size());
    keys.reserve(static_cast<std::size_t>(count));
    for (std::int64_t i = 0; i < count; ++i) {
      keys.push_back(key(vectors.word(i)));
      index.emplace(keys.back(), i);  // the first row of a key wins
    }
  }
  std::string key(const std::string& word) const { return ignore_case ? upper(word) : word; }
  std::optional<std::int64_t> find(const std::string& word) const {
    const auto it = index.find(key(word));
    return it == index.end() ? std::nullopt : std::optional<std::int64_t>(it->second);
  }
  bool ignore_case;
  std::int64_t count = 0;
  std::vector<std::string> keys;
  std::unordered_map<std::string, std::int64_t> index;
};

// Whitespace-separated fields of a line.
std::vector<std::string> fields_of(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> fields;
  for (std::string field; in >> field;) fields.push_back(field);
  return fields;
}

std::ifstream open_checked(const std::string& path, const char* what) {
  std::ifstream in(path);
  EMBER_CHECK(in.is_open(), IoError, "word2vec: cannot open {} file {}", what, path);
  return in;
}

// After a getline loop: a read error (not the end of the file) is an IoError.
void check_read(const std::ifstream& in, const std::string& path) {
  EMBER_CHECK(!in.bad(), IoError, "word2vec: error reading {}", path);
}

// Ranks 1..n, tied values sharing their mean rank.
std::vector<double> ranks(const std::vector<double>& x) {
  std::vector<std::size_t> order(x.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&x](std::size_t a, std::size_t b) { return x[a] < x[b]; });
  std::vector<double> rank(x.size());
  for (std::size_t i = 0; i < order.size();) {
    std::size_t j = i;
    while (j + 1 < order.size() && x[order[j + 1]] == x[order[i]]) ++j;
    const double mean_rank = (static_cast<double>(i) + static_cast<double>(j)) / 2 + 1;
    for (std::size_t k = i; k <= j; ++k) rank[order[k]] = mean_rank;
    i = j + 1;
  }
  return rank;
}

}  // namespace

WordVectors::WordVectors(std::vector<std::string> words, const Tensor& vectors, std::string source)
    : words_(std::move(words)), source_(std::move(source)) {
  EMBER_CHECK(vectors.dim() == 2 && vectors.size(0) == static_cast<std::int64_t>(words_.size()), ShapeError,
              "word2vec: {} vectors of shape {} for {} words; expected [words, dim]", source_,
              shape_str(vectors.shape()), words_.size());
  unit_ = kernels::clone(kernels::to(vectors, kFloat64));  // a fresh copy: scaled in place below
  const std::int64_t D = unit_.size(1);
  double* u = unit_.data_ptr<double>();
  for (std::int64_t i = 0; i < size(); ++i) {
    make_unit(u + i * D, D);
    index_.emplace(words_[static_cast<std::size_t>(i)], i);
  }
}

WordVectors WordVectors::load(const std::string& path) {
  const auto options = data::PretrainedOptions().dtype(kFloat64);
  data::PretrainedVectors loaded = ends_with(path, ".bin") ? data::load_word2vec_binary(path, options)
                                                            : data::load_word2vec_text(path, options);
  return WordVectors(std::move(loaded.tokens), loaded.weight, path);
}

std::optional<std::int64_t> WordVectors::find(const std::string& word) const {
  const auto it = index_.find(word);
  return it == index_.end() ? std::nullopt : std::optional<std::int64_t>(it->second);
}

std::int64_t WordVectors::require(const std::string& word) const {
  const std::optional<std::int64_t> row = find(word);
  EMBER_CHECK(row.has_value(), ValueError, "word2vec: \"{}\" is not in {} ({} words)", word, source_, size());
  return *row;
}

std::vector<Neighbour> most_similar(const WordVectors& vectors, const std::vector<std::string>& positive,
                                    const std::vector<std::string>& negative, std::int64_t top,
                                    std::int64_t restrict_to) {
  EMBER_CHECK(!positive.empty() || !negative.empty(), ValueError, "word2vec: most_similar needs a query word");
  EMBER_CHECK(top >= 1, ValueError, "word2vec: top is {}; expected >= 1", top);
  EMBER_CHECK(restrict_to >= 0, ValueError, "word2vec: restrict_to is {}; expected >= 0 (0 = all)", restrict_to);
  const std::int64_t D = vectors.dim();
  const std::int64_t count = restrict_to == 0 ? vectors.size() : std::min(restrict_to, vectors.size());
  const double* u = vectors.unit().data_ptr<double>();
  std::vector<double> query(static_cast<std::size_t>(D), 0.0);
  std::vector<std::int64_t> excluded;
  for (const auto* words : {&positive, &negative}) {
    const double sign = words == &positive ? 1.0 : -1.0;
    for (const std::string& word : *words) {
      const std::int64_t row = vectors.require(word);
      excluded.push_back(row);
      for (std::int64_t j = 0; j < D; ++j) query[static_cast<std::size_t>(j)] += sign * u[row * D + j];
    }
  }
  make_unit(query.data(), D);  // (the mean's scale does not change the ranking)
  std::vector<std::pair<double, std::int64_t>> scored;
  scored.reserve(static_cast<std::size_t>(count));
  for (std::int64_t i = 0; i < count; ++i) {
    if (std::find(excluded.begin(), excluded.end(), i) != excluded.end()) continue;
    double dot = 0;
    for (std::int64_t j = 0; j < D; ++j) dot += u[i * D + j] * query[static_cast<std::size_t>(j)];
    scored.emplace_back(dot, i);
  }
  const std::size_t k = std::min(scored.size(), static_cast<std::size_t>(top));
  std::partial_sort(scored.begin(), scored.begin() + static_cast<std::ptrdiff_t>(k), scored.end(),
                    [](const auto& a, const auto& b) { return a.first > b.first || (a.first == b.first && a.second < b.second); });
  std::vector<Neighbour> result;
  for (std::size_t i = 0; i < k; ++i) result.push_back({vectors.word(scored[i].second), scored[i].first});
  return result;
}

double spearman(const std::vector<double>& x, const std::vector<double>& y) {
  EMBER_CHECK(x.size() == y.size(), ValueError, "word2vec: spearman of {} and {} values; expected equal sizes",
              x.size(), y.size());
  if (x.size() < 2) return std::numeric_limits<double>::quiet_NaN();
  const std::vector<double> rx = ranks(x), ry = ranks(y);
  const double mean = (static_cast<double>(x.size()) + 1) / 2;  // the mean of any ranking of n values
  double sxy = 0, sxx = 0, syy = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    sxy += (rx[i] - mean) * (ry[i] - mean);
    sxx += (rx[i] - mean) * (rx[i] - mean);
    syy += (ry[i] - mean) * (ry[i] - mean);
  }
  if (sxx == 0 || syy == 0) return std::numeric_limits<double>::quiet_NaN();
  return sxy / std::sqrt(sxx * syy);
}

SimilarityResult evaluate_similarity(const WordVectors& vectors, const std::string& path,
                                     const EvaluateOptions& options) {
  const Candidates candidates(vectors, options);
  std::ifstream in = open_checked(path, "similarity");
  const std::int64_t D = vectors.dim();
  const double* u = vectors.unit().data_ptr<double>();
  SimilarityResult result;
  std::vector<double> human, model;
  std::int64_t line_number = 0;
  for (std::string line; std::getline(in, line);) {
    ++line_number;
    const std::vector<std::string> fields = fields_of(line);
    if (fields.empty() || fields[0][0] == '#') continue;
    EMBER_CHECK(fields.size() == 3, IoError, "{}:{}: {} fields; expected word1<TAB>word2<TAB>score", path,
                line_number, fields.size());
    char* end = nullptr;
    const double score = std::strtod(fields[2].c_str(), &end);
    EMBER_CHECK(end == fields[2].c_str() + fields[2].size() && std::isfinite(score), IoError,
                "{}:{}: score \"{}\" is not a finite number", path, line_number, fields[2]);
    const std::optional<std::int64_t> a = candidates.find(fields[0]), b = candidates.find(fields[1]);
    if (!a || !b) {
      ++result.oov_pairs;
      continue;
    }
    double dot = 0;
    for (std::int64_t j = 0; j < D; ++j) dot += u[*a * D + j] * u[*b * D + j];
    human.push_back(score);
    model.push_back(dot);
  }
  check_read(in, path);
  result.pairs = static_cast<std::int64_t>(human.size());
  result.spearman = spearman(human, model);
  return result;
}

double AnalogySection::accuracy() const {
  const std::int64_t asked = correct + incorrect;
  return asked == 0 ? std::numeric_limits<double>::quiet_NaN() : static_cast<double>(correct) / asked;
}

AnalogyResult evaluate_analogies(const WordVectors& vectors, const std::string& path,
                                 const EvaluateOptions& options) {
  const Candidates candidates(vectors, options);
  std::ifstream in = open_checked(path, "analogy");
  struct Question {
    std::size_t section;
    std::int64_t a, b, c, expected;
  };
  AnalogyResult result;
  std::vector<Question> questions;
  std::int64_t line_number = 0;
  for (std::string line; std::getline(in, line);) {
    ++line_number;
    const std::vector<std::string> fields = fields_of(line);
    if (fields.empty()) continue;
    if (fields[0][0] == ':') {
      std::string name = line.substr(line.find(':') + 1);
      name.erase(0, name.find_first_not_of(" \t"));
      name.erase(name.find_last_not_of(" \t\r") + 1);
      result.sections.push_back({name});
      continue;
    }
    EMBER_CHECK(!result.sections.empty(), IoError, "{}:{}: a question before the first \": section\" line", path,
                line_number);
    EMBER_CHECK(fields.size() == 4, IoError, "{}:{}: {} words; expected 4 (A B C D: A is to B as C is to D)", path,
                line_number, fields.size());
    std::optional<std::int64_t> rows[4];
    bool known = true;
    for (int i = 0; i < 4; ++i) known = (rows[i] = candidates.find(fields[static_cast<std::size_t>(i)])) && known;
    if (!known) {
      ++result.sections.back().oov;
      continue;
    }
    questions.push_back({result.sections.size() - 1, *rows[0], *rows[1], *rows[2], *rows[3]});
  }
  check_read(in, path);

  // Scores of a batch of questions against every candidate row: [batch, D] x [count, D]^T.
  constexpr std::int64_t kBatch = 256;
  const std::int64_t D = vectors.dim();
  const double* u = vectors.unit().data_ptr<double>();
  const Tensor rows = from_blob(const_cast<double*>(u), {candidates.count, D}, kFloat64);
  for (std::size_t first = 0; first < questions.size(); first += kBatch) {
    const std::int64_t n = std::min<std::int64_t>(kBatch, static_cast<std::int64_t>(questions.size() - first));
    Tensor query = zeros({n, D}, kFloat64), scores = empty({n, candidates.count}, kFloat64);
    double* q = query.data_ptr<double>();
    for (std::int64_t i = 0; i < n; ++i) {
      const Question& question = questions[first + static_cast<std::size_t>(i)];
      for (std::int64_t j = 0; j < D; ++j)
        q[i * D + j] = u[question.b * D + j] - u[question.a * D + j] + u[question.c * D + j];
    }
    kernels::gemm(query, false, rows, true, scores);
    const double* s = scores.data_ptr<double>();
    for (std::int64_t i = 0; i < n; ++i) {
      const Question& question = questions[first + static_cast<std::size_t>(i)];
      const std::string* asked[3] = {&candidates.keys[static_cast<std::size_t>(question.a)],
                                     &candidates.keys[static_cast<std::size_t>(question.b)],
                                     &candidates.keys[static_cast<std::size_t>(question.c)]};
      std::int64_t best = -1;
      for (std::int64_t r = 0; r < candidates.count; ++r) {
        const std::string& key = candidates.keys[static_cast<std::size_t>(r)];
        if (key == *asked[0] || key == *asked[1] || key == *asked[2]) continue;  // also their other-case rows
        if (best < 0 || s[i * candidates.count + r] > s[i * candidates.count + best]) best = r;
      }
      AnalogySection& section = result.sections[question.section];
      ++(best >= 0 && candidates.keys[static_cast<std::size_t>(best)] ==
                          candidates.keys[static_cast<std::size_t>(question.expected)]
             ? section.correct
             : section.incorrect);
    }
  }
  result.total.name = "total";
  for (const AnalogySection& section : result.sections) {
    result.total.correct += section.correct;
    result.total.incorrect += section.incorrect;
    result.total.oov += section.oov;
  }
  return result;
}

}  // namespace ember::apps::word2vec
