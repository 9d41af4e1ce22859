// Streaming loaders for GloVe and word2vec vectors: one line (or binary entry) in memory at a
// time, rows written straight into the result, every malformed entry reported with its place.
#include "data/pretrained.h"

#include "core/dispatch.h"
#include "core/kernels.h"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <limits>
#include <fstream>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

namespace ember::data {
namespace {

enum class Format { kGlove, kWord2VecText, kWord2VecBinary };

const char* op_name(Format format) {
  switch (format) {
    case Format::kGlove: return "load_glove";
    case Format::kWord2VecText: return "load_word2vec_text";
    case Format::kWord2VecBinary: return "load_word2vec_binary";
  }
  return "load_vectors";
}

// The offending text for a message, truncated.
std::string quote(std::string_view text) {
  constexpr std::size_t kMax = 60;
  return text.size() <= kMax ? fmt::format("\"{}\"", text) : fmt::format("\"{}...\"", text.substr(0, kMax));
}

// Whitespace-separated fields (a trailing space or '\r', as word2vec and Windows files have, is fine).
void split(std::string_view line, std::vector<std::string_view>& fields) {
  fields.clear();
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) ++i;
    const std::size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t' && line[i] != '\r') ++i;
    if (i > start) fields.push_back(line.substr(start, i - start));
  }
}

bool parse_number(std::string_view field, double& value) {
  const auto [end, error] = std::from_chars(field.data(), field.data() + field.size(), value);
  return error == std::errc() && end == field.data() + field.size() && std::isfinite(value);
}

bool parse_count(std::string_view field, std::int64_t& value) {
  const auto [end, error] = std::from_chars(field.data(), field.data() + field.size(), value);
  return error == std::errc() && end == field.data() + field.size() && value > 0;
}

// Upper bound on the vectors of a text file without header: its line count, read in 1 MiB chunks.
std::int64_t count_lines(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<char> chunk(1 << 20);
  std::int64_t lines = 1;
  while (in.read(chunk.data(), static_cast<std::streamsize>(chunk.size())) || in.gcount() > 0)
    lines += std::count(chunk.begin(), chunk.begin() + in.gcount(), '\n');
  return lines;
}

// The file's size in bytes, to bound what a header may claim before anything is allocated.
std::int64_t file_bytes(const std::string& path) {
  std::error_code error;
  const auto size = std::filesystem::file_size(path, error);
  return error ? 0 : static_cast<std::int64_t>(size);
}

// Opens a vectors file. Its size bounds what the loader allocates, so it must be a regular file:
// a FIFO or a device (`/dev/zero`) has no size and may never end.
std::ifstream open_vectors_file(const char* op, const std::string& path) {
  std::error_code error;
  const auto status = std::filesystem::status(path, error);
  EMBER_CHECK(!error && std::filesystem::exists(status), IoError, "{}: cannot open {}: {}", op, path,
              error ? error.message() : "no such file");
  EMBER_CHECK(std::filesystem::is_regular_file(status), IoError, "{}: {} is {}, not a regular file; expected a "
              "vectors file (save the data to a file first)", op, path,
              std::filesystem::is_directory(status) ? "a folder"
              : std::filesystem::is_fifo(status)    ? "a FIFO (pipe)"
                                                    : "a device or socket");
  std::ifstream in(path, std::ios::binary);
  EMBER_CHECK(in.good(), IoError, "{}: cannot open {}", op, path);
  return in;
}

// How many vectors of `dim` numbers a file of `bytes` bytes can hold at most, each entry taking
// at least `entry_bytes(dim)` bytes. A header or a first line that claims more must not make the
// loader allocate for it: a 20-byte file saying "999999999999 300" would ask for a terabyte.
// Throws when not even one vector of that dimension fits.
std::int64_t rows_that_fit(const char* op, const std::string& path, std::int64_t dim, std::int64_t bytes_per_number,
                           std::int64_t claimed_rows) {
  const std::int64_t bytes = file_bytes(path);
  EMBER_CHECK(dim <= bytes / bytes_per_number, IoError,
              "{}: {}: dimension {} cannot fit in a file of {} bytes; expected at most {} numbers per vector", op,
              path, dim, bytes, bytes / bytes_per_number);
  return std::min(claimed_rows, bytes / (bytes_per_number * dim + 1) + 1);
}

// Decides which words are kept and writes their rows into the result.
class Collector {
 public:
  Collector(const char* op, const std::string& path, const std::vector<std::string>* vocab,
            std::vector<std::string> zero_tokens, const PretrainedOptions& options)
      : op_(op), vocab_(vocab), zero_tokens_(std::move(zero_tokens)), options_(options) {
    report_.path = path;
    EMBER_CHECK(is_floating(options.dtype()), TypeError, "{}: dtype {} is not supported; expected float32 or float64",
                op, dtype_name(options.dtype()));
    for (const std::string& z : options.zero_tokens()) zero_tokens_.push_back(z);
    if (vocab_)
      for (std::size_t i = 0; i < vocab_->size(); ++i) row_of_.emplace((*vocab_)[i], static_cast<std::int64_t>(i));
  }

  bool started() const { return weight_.defined(); }
  DType dtype() const { return options_.dtype(); }
  // The largest magnitude the result's dtype holds: a larger value would become inf in float32.
  double max_value() const {
    return options_.dtype() == kFloat32 ? std::numeric_limits<float>::max() : std::numeric_limits<double>::max();
  }
  std::int64_t dim() const { return report_.dim; }
  // No more vectors wanted (max_vectors reached, without a vocabulary).
  bool full() const { return !vocab_ && options_.max_vectors() && report_.vectors_read >= *options_.max_vectors(); }

  // The dimension is known: allocate the result ([rows_hint, D] without a vocabulary).
  void start(std::int64_t dim, std::int64_t rows_hint, const std::string& where) {
    EMBER_CHECK(!options_.dim() || *options_.dim() == dim, IoError, "{}: {}: the vectors have dimension {}; expected {} "
                "(options.dim)", op_, where, dim, *options_.dim());
    EMBER_CHECK(dim <= options_.max_dim(), IoError, "{}: {}: the vectors have dimension {}; expected at most {} "
                "(options.max_dim)", op_, where, dim, options_.max_dim());
    report_.dim = dim;
    if (options_.max_vectors()) rows_hint = std::min(rows_hint, *options_.max_vectors());
    const std::int64_t rows = vocab_ ? static_cast<std::int64_t>(vocab_->size()) : rows_hint;
    weight_ = zeros({rows, dim}, options_.dtype());
    filled_.assign(rows, false);
  }

  void add(std::string_view word, const std::vector<double>& values) {
    ++report_.vectors_read;
    for (double v : values) sum_ += v, sum_sq_ += v * v;
    std::int64_t row;
    if (vocab_) {
      const auto it = row_of_.find(word);
      if (it == row_of_.end()) return;
      row = it->second;
    } else {
      if (!seen_.emplace(word).second) {
        ++report_.duplicates;
        return;
      }
      row = static_cast<std::int64_t>(tokens_.size());
      EMBER_INTERNAL_ASSERT(row < weight_.size(0));
      tokens_.emplace_back(word);
    }
    if (filled_[row]) {
      ++report_.duplicates;
      return;
    }
    filled_[row] = true;
    ++report_.found;
    detail::dispatch_floating(weight_.dtype(), op_, [&]<typename T>() {
      T* out = weight_.data_ptr<T>() + row * report_.dim;
      for (std::int64_t j = 0; j < report_.dim; ++j) out[j] = static_cast<T>(values[j]);
    });
  }

  PretrainedVectors finish() {
    EMBER_CHECK(started() && report_.vectors_read > 0, IoError, "{}: {}: the file holds no vectors", op_,
                report_.path);
    const double n = static_cast<double>(report_.vectors_read * report_.dim);
    const double mean = sum_ / n;
    report_.missing_std = std::sqrt(std::max(0.0, sum_sq_ / n - mean * mean));
    PretrainedVectors out;
    if (!vocab_) {
      out.tokens = std::move(tokens_);
      out.weight = kernels::narrow(weight_, 0, 0, static_cast<std::int64_t>(out.tokens.size()));
    } else {
      out.tokens = *vocab_;
      out.weight = weight_;
      const std::unordered_set<std::string> zero(zero_tokens_.begin(), zero_tokens_.end());
      for (std::size_t i = 0; i < vocab_->size(); ++i) {
        if (filled_[i]) continue;
        report_.missing.push_back((*vocab_)[i]);
        if (options_.missing_init() == MissingInit::kNormal && !zero.count((*vocab_)[i])) {
          // Draws beyond ~10 s would overflow to inf: the file's values are then too large to imitate.
          EMBER_CHECK(report_.missing_std * 10 <= max_value(), IoError,
                      "{}: {}: the file's values have standard deviation {:g}, too large to initialise the {} "
                      "missing rows in {}; use MissingInit::kZeros or dtype float64",
                      op_, report_.path, report_.missing_std, vocab_->size() - report_.found,
                      dtype_name(options_.dtype()));
          kernels::select(weight_, 0, static_cast<std::int64_t>(i)).normal_(0.0, report_.missing_std);
        }
      }
    }
    out.report = std::move(report_);
    return out;
  }

 private:
  const char* op_;
  const std::vector<std::string>* vocab_;
  std::vector<std::string> zero_tokens_;
  PretrainedOptions options_;
  std::unordered_map<std::string_view, std::int64_t> row_of_;  // vocabulary token -> row
  std::unordered_set<std::string> seen_;                         // without a vocabulary
  std::vector<std::string> tokens_;
  std::vector<bool> filled_;
  Tensor weight_;
  PretrainedReport report_;
  double sum_ = 0, sum_sq_ = 0;
};

PretrainedVectors read_text(Format format, const std::string& path, Collector& collector) {
  const char* op = op_name(format);
  std::ifstream in = open_vectors_file(op, path);
  const bool has_header = format == Format::kWord2VecText;
  std::string line;
  std::vector<std::string_view> fields;
  std::vector<double> values;
  std::int64_t line_no = 0, announced = 0, entries = 0, first_vector_line = 0;
  while (!collector.full() && std::getline(in, line)) {
    ++line_no;
    if (line_no == 1 && line.starts_with("\xEF\xBB\xBF")) line.erase(0, 3);  // a UTF-8 byte order mark
    split(line, fields);
    if (fields.empty()) continue;  // blank lines carry nothing
    if (has_header && announced == 0) {
      std::int64_t dim = 0;
      EMBER_CHECK(fields.size() == 2 && parse_count(fields[0], announced) && parse_count(fields[1], dim), IoError,
                  "{}: {}:{}: expected a header \"<count> <dim>\" of two positive integers; line: {}", op, path, line_no,
                  quote(line));
      // Each number takes at least 2 bytes ("1 ").
      collector.start(dim, rows_that_fit(op, path, dim, 2, announced), path);
      continue;
    }
    const std::int64_t numbers = static_cast<std::int64_t>(fields.size()) - 1;
    if (!collector.started()) {
      EMBER_CHECK(numbers >= 1, IoError, "{}: {}:{}: expected a word followed by its vector; line: {}", op, path,
                  line_no, quote(line));
      collector.start(numbers, rows_that_fit(op, path, numbers, 2, count_lines(path)), path);
      first_vector_line = line_no;
    }
    EMBER_CHECK(numbers == collector.dim(), IoError, "{}: {}:{}: wrong number of fields: {} numbers after the word; "
                "expected {} (the dimension of {}); line: {}", op, path, line_no, numbers, collector.dim(),
                has_header ? "the header" : fmt::format("line {}", first_vector_line), quote(line));
    values.resize(numbers);
    for (std::int64_t j = 0; j < numbers; ++j)
      EMBER_CHECK(parse_number(fields[j + 1], values[j]) && std::abs(values[j]) <= collector.max_value(), IoError,
                  "{}: {}:{}: value {} {} is not a finite number (as {}); line: {}", op, path, line_no, j + 1,
                  quote(fields[j + 1]), dtype_name(collector.dtype()), quote(line));
    ++entries;
    EMBER_CHECK(!has_header || entries <= announced, IoError, "{}: {}:{}: more vectors than the {} the header "
                "announces; line: {}", op, path, line_no, announced, quote(line));
    collector.add(fields[0], values);
  }
  EMBER_CHECK(!has_header || collector.full() || (announced > 0 && entries == announced), IoError,
              "{}: {}:{}: the file ends after {} vectors; the header announces {}", op, path, line_no, entries,
              announced);
  return collector.finish();
}

PretrainedVectors read_binary(const std::string& path, Collector& collector) {
  static_assert(std::endian::native == std::endian::little, "word2vec binary files hold little-endian float32");
  const char* op = op_name(Format::kWord2VecBinary);
  std::ifstream in = open_vectors_file(op, path);
  std::string line;
  std::vector<std::string_view> fields;
  std::getline(in, line);
  if (line.starts_with("\xEF\xBB\xBF")) line.erase(0, 3);  // a UTF-8 byte order mark before the header
  split(line, fields);
  std::int64_t count = 0, dim = 0;
  EMBER_CHECK(fields.size() == 2 && parse_count(fields[0], count) && parse_count(fields[1], dim), IoError,
              "{}: {}:1: expected a header \"<count> <dim>\" of two positive integers; line: {}", op, path, quote(line));
  collector.start(dim, rows_that_fit(op, path, dim, 4, count), path);  // 4 bytes per float32
  std::vector<float> raw(dim);
  std::vector<double> values(dim);
  std::string word;
  for (std::int64_t k = 0; k < count && !collector.full(); ++k) {
    int ch = in.get();
    while (ch == '\n' || ch == '\r' || ch == ' ') ch = in.get();  // the separator after the previous vector
    const auto offset = static_cast<std::int64_t>(in.tellg()) - 1;
    EMBER_CHECK(ch != EOF, IoError, "{}: {}: truncated: the file ends after {} vectors; the header announces {}", op,
                path, k, count);
    word.clear();
    for (; ch != EOF && ch != ' '; ch = in.get()) {
      word.push_back(static_cast<char>(ch));
      EMBER_CHECK(word.size() <= 1000, IoError, "{}: {}: entry {} (byte {}) has a word longer than 1000 bytes {}; "
                  "expected \"word \" then {} float32 (is this a word2vec binary file?)", op, path, k + 1, offset,
                  quote(word), dim);
    }
    EMBER_CHECK(ch == ' ', IoError, "{}: {}: entry {} of {} (byte {}) is truncated inside its word {}", op, path, k + 1,
                count, offset, quote(word));
    in.read(reinterpret_cast<char*>(raw.data()), static_cast<std::streamsize>(dim * sizeof(float)));
    EMBER_CHECK(in.gcount() == static_cast<std::streamsize>(dim * sizeof(float)), IoError,
                "{}: {}: entry {} of {} ({}, byte {}) is truncated: {} of {} vector bytes", op, path, k + 1, count,
                quote(word), offset, in.gcount(), dim * sizeof(float));
    for (std::int64_t j = 0; j < dim; ++j) {
      values[j] = raw[j];
      EMBER_CHECK(std::isfinite(values[j]), IoError, "{}: {}: entry {} ({}, byte {}) has a non-finite value {} at "
                  "position {}", op, path, k + 1, quote(word), offset, values[j], j + 1);
    }
    collector.add(word, values);
  }
  if (!collector.full()) {
    int ch = in.get();
    while (ch == '\n' || ch == '\r' || ch == ' ') ch = in.get();
    EMBER_CHECK(ch == EOF, IoError, "{}: {}: data after the {} vectors the header announces (byte {})", op, path, count,
                static_cast<std::int64_t>(in.tellg()) - 1);
  }
  return collector.finish();
}

PretrainedVectors load(Format format, const std::string& path, const std::vector<std::string>* vocab,
                       std::vector<std::string> zero_tokens, const PretrainedOptions& options) {
  Collector collector(op_name(format), path, vocab, std::move(zero_tokens), options);
  return format == Format::kWord2VecBinary ? read_binary(path, collector) : read_text(format, path, collector);
}

}  // namespace

std::string PretrainedReport::summary() const {
  std::string s = fmt::format("{}: {} vectors of dim {} read, {} rows filled", path, vectors_read, dim, found);
  if (duplicates > 0) s += fmt::format(", {} duplicate words ignored", duplicates);
  if (!missing.empty()) {
    s += fmt::format(", {} missing (N(0, {:.3g}^2) unless zeroed):", missing.size(), missing_std);
    for (std::size_t i = 0; i < missing.size() && i < 5; ++i) s += " " + missing[i];
    if (missing.size() > 5) s += " ...";
  }
  return s;
}

// Each format three ways: every word of the file, a Vocab (its pad token zeroed when absent), or tokens.
PretrainedVectors load_glove(const std::string& path, const PretrainedOptions& options) {
  return load(Format::kGlove, path, nullptr, {}, options);
}
PretrainedVectors load_glove(const std::string& path, const Vocab& vocab, const PretrainedOptions& options) {
  return load(Format::kGlove, path, &vocab.tokens(), {vocab.pad_token()}, options);
}
PretrainedVectors load_glove(const std::string& path, const std::vector<std::string>& tokens,
                             const PretrainedOptions& options) {
  return load(Format::kGlove, path, &tokens, {}, options);
}

PretrainedVectors load_word2vec_text(const std::string& path, const PretrainedOptions& options) {
  return load(Format::kWord2VecText, path, nullptr, {}, options);
}
PretrainedVectors load_word2vec_text(const std::string& path, const Vocab& vocab, const PretrainedOptions& options) {
  return load(Format::kWord2VecText, path, &vocab.tokens(), {vocab.pad_token()}, options);
}
PretrainedVectors load_word2vec_text(const std::string& path, const std::vector<std::string>& tokens,
                                     const PretrainedOptions& options) {
  return load(Format::kWord2VecText, path, &tokens, {}, options);
}

PretrainedVectors load_word2vec_binary(const std::string& path, const PretrainedOptions& options) {
  return load(Format::kWord2VecBinary, path, nullptr, {}, options);
}
PretrainedVectors load_word2vec_binary(const std::string& path, const Vocab& vocab, const PretrainedOptions& options) {
  return load(Format::kWord2VecBinary, path, &vocab.tokens(), {vocab.pad_token()}, options);
}
PretrainedVectors load_word2vec_binary(const std::string& path, const std::vector<std::string>& tokens,
                                       const PretrainedOptions& options) {
  return load(Format::kWord2VecBinary, path, &tokens, {}, options);
}

}  // namespace ember::data
