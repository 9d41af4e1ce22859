// TextDataset: read -> check each record -> tokenize -> labels -> vocabulary -> encode. Also the
// padding collate.
#include "data/text_dataset.h"

#include "data/utf8.h"

#include <algorithm>
#include <charconv>
#include <unordered_map>
#include <unordered_set>
#include <utility>

namespace ember::data {

namespace {

constexpr std::size_t kMaxLabelsListed = 10;

std::string_view trim(std::string_view text) {
  const auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  return text;
}

// A record that passed every check: its label and its tokens (before truncation).
struct CheckedRecord {
  std::string label;
  std::vector<std::string> tokens;
};

// What is wrong with `record`, or "" when it is a usable example (then `out` is filled).
std::string check_record(const Record& record, FileFormat format, const TextDatasetOptions& options,
                         const std::unordered_set<std::string>& fixed_labels, CheckedRecord& out) {
  if (!record.error.empty()) return record.error;
  if (const std::size_t bad = utf8::find_invalid(record.text); bad != std::string_view::npos) {
    return fmt::format("invalid UTF-8 (byte 0x{:02X} at column {})",
                       static_cast<unsigned char>(record.text[bad]), bad + 1);
  }
  const char separator = format == FileFormat::kCsv ? ',' : '\t';
  if (record.fields.size() < 2) {
    return format == FileFormat::kCsv ? "missing field: expected label,text"
                                      : "missing field: expected label<TAB>text";
  }
  out.label = std::string(trim(record.fields[0]));
  if (out.label.empty()) return "empty label";
  // Text beyond a second separator belongs to the text: "pos,good, really" has text "good, really".
  std::string text = record.fields[1];
  for (std::size_t k = 2; k < record.fields.size(); ++k) (text += separator) += record.fields[k];
  if (trim(text).empty()) return "empty text";
  if (!fixed_labels.empty() && !fixed_labels.count(out.label)) {
    std::vector<std::string> known = options.labels();
    if (known.size() > kMaxLabelsListed) known.resize(kMaxLabelsListed), known.push_back("...");
    return fmt::format("unknown label \"{}\"; expected one of [{}]", utf8::excerpt(out.label),
                       fmt::join(known, ", "));
  }
  out.tokens = options.tokenizer()(text);
  if (out.tokens.empty()) return "no tokens in text";
  return "";
}

bool is_integer(const std::string& text) {
  std::int64_t value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, error] = std::from_chars(text.data(), end, value);
  return error == std::errc() && ptr == end;
}

// Labels in first-seen order -> labels in `order`.
std::vector<std::string> order_labels(std::vector<std::string> labels, LabelOrder order) {
  if (order == LabelOrder::kFirstSeen) return labels;
  if (std::all_of(labels.begin(), labels.end(), is_integer)) {
    // By value; labels of equal value ("1", "01") by bytes, so no order depends on the file's.
    auto value = [](const std::string& text) {
      std::int64_t n = 0;
      std::from_chars(text.data(), text.data() + text.size(), n);
      return n;
    };
    std::sort(labels.begin(), labels.end(), [&](const std::string& a, const std::string& b) {
      const std::int64_t x = value(a), y = value(b);
      return x != y ? x < y : a < b;
    });
  } else {
    std::sort(labels.begin(), labels.end());
  }
  return labels;
}

void check_options(const TextDatasetOptions& options) {
  EMBER_CHECK(!options.max_length() || *options.max_length() >= 1, ValueError,
              "TextDataset: max_length={} is invalid; expected >= 1",
              options.max_length().value_or(0));
  EMBER_CHECK(static_cast<bool>(options.tokenizer()), ValueError,
              "TextDataset: the tokenizer is empty");
  std::unordered_set<std::string> seen;
  for (const auto& label : options.labels()) {
    EMBER_CHECK(seen.insert(label).second, ValueError,
                "TextDataset: label \"{}\" appears twice in the fixed label set", label);
  }
}

}  // namespace

std::string BadLines::summary(const std::string& path) const {
  if (count == 0) return "";
  const bool more = count > static_cast<std::int64_t>(first_lines.size());
  return fmt::format("{}: skipped {} bad line{} (line{} {}{}); first: {}", path, count,
                     count == 1 ? "" : "s", first_lines.size() == 1 ? "" : "s",
                     fmt::join(first_lines, ", "), more ? ", ..." : "", first_error);
}

TextDataset::TextDataset(const TextDatasetOptions& options) : options_(options) {
  check_options(options_);
  const std::string& path = options_.path();
  const FileFormat format = resolve_format(options_.format(), path);
  const std::string content = read_file(path);
  std::vector<Record> records = parse_records(content, format);
  if (options_.header() && !records.empty()) records.erase(records.begin());
  EMBER_CHECK(!records.empty(), IoError, "TextDataset: {} is empty{}", path,
              options_.header() ? " (nothing after the header)" : "");

  // 1. Check and tokenize every record; a bad one throws or is counted.
  const std::unordered_set<std::string> fixed_labels(options_.labels().begin(),
                                                     options_.labels().end());
  std::vector<CheckedRecord> checked;
  checked.reserve(records.size());
  for (const Record& record : records) {
    CheckedRecord out;
    const std::string problem = check_record(record, format, options_, fixed_labels, out);
    if (problem.empty()) {
      checked.push_back(std::move(out));
      continue;
    }
    std::string message = fmt::format("TextDataset: {}:{}: {}: \"{}\"", path, record.line, problem,
                                      utf8::excerpt(record.text));
    if (!options_.skip_bad_lines()) throw IoError(message);
    if (bad_lines_.count++ == 0) bad_lines_.first_error = std::move(message);
    if (bad_lines_.first_lines.size() < BadLines::kMaxListed) {
      bad_lines_.first_lines.push_back(record.line);
    }
  }
  EMBER_CHECK(!checked.empty(), IoError, "TextDataset: {} has no valid line; {}", path,
              bad_lines_.summary(path));

  // 2. Labels: the fixed set, or those found, in label_order.
  labels_ = options_.labels();
  if (labels_.empty()) {
    std::unordered_set<std::string> seen;
    for (const auto& record : checked) {
      if (seen.insert(record.label).second) labels_.push_back(record.label);
    }
    labels_ = order_labels(std::move(labels_), options_.label_order());
  }
  std::unordered_map<std::string, std::int64_t> label_index;
  for (std::size_t i = 0; i < labels_.size(); ++i) label_index[labels_[i]] = i;

  // 3. Truncate, then build the vocabulary from what the model will see (unless given one).
  if (options_.max_length()) {
    for (auto& record : checked) {
      if (static_cast<std::int64_t>(record.tokens.size()) > *options_.max_length()) {
        record.tokens.resize(*options_.max_length());
      }
    }
  }
  vocab_ = options_.vocab();
  if (!vocab_) {
    std::vector<std::vector<std::string>> token_lists;
    token_lists.reserve(checked.size());
    for (auto& record : checked) token_lists.push_back(std::move(record.tokens));
    vocab_ = std::make_shared<const Vocab>(Vocab::build(token_lists, options_.vocab_options()));
    for (std::size_t i = 0; i < checked.size(); ++i) checked[i].tokens = std::move(token_lists[i]);
  }

  // 4. Encode.
  examples_.reserve(checked.size());
  for (const auto& record : checked) {
    examples_.push_back({vocab_->encode(record.tokens), label_index.at(record.label)});
  }
}

TextExample TextDataset::get(std::int64_t index) const {
  EMBER_CHECK(index >= 0 && index < size(), IndexError,
              "TextDataset: index {} is out of range [0, {})", index, size());
  return examples_[index];
}

std::vector<std::int64_t> TextDataset::label_counts() const {
  std::vector<std::int64_t> counts(labels_.size(), 0);
  for (const TextExample& example : examples_) ++counts[example.label];
  return counts;
}

std::vector<std::int64_t> TextDataset::lengths() const {
  std::vector<std::int64_t> lengths;
  lengths.reserve(examples_.size());
  for (const auto& example : examples_) {
    lengths.push_back(static_cast<std::int64_t>(example.tokens.size()));
  }
  return lengths;
}

std::function<TextBatch(std::vector<TextExample>)> TextDataset::collate() const {
  return [pad_index = vocab_->pad_index(), side = options_.padding_side()](
             std::vector<TextExample> examples) {
    return pad_collate(std::move(examples), pad_index, side);
  };
}

TextBatch pad_collate(std::vector<TextExample> examples, std::int64_t pad_index,
                      PaddingSide side) {
  EMBER_CHECK(!examples.empty(), ValueError, "pad_collate: the batch is empty");
  const auto batch_size = static_cast<std::int64_t>(examples.size());
  std::int64_t max_length = 0;
  for (const auto& example : examples) {
    max_length = std::max(max_length, static_cast<std::int64_t>(example.tokens.size()));
  }
  TextBatch batch{full({batch_size, max_length}, static_cast<double>(pad_index), kInt64),
                  empty({batch_size}, kInt64), empty({batch_size}, kInt64)};
  std::int64_t* tokens = batch.tokens.data_ptr<std::int64_t>();    // [B, T]
  std::int64_t* lengths = batch.lengths.data_ptr<std::int64_t>();  // [B]
  std::int64_t* labels = batch.labels.data_ptr<std::int64_t>();    // [B]
  for (std::int64_t b = 0; b < batch_size; ++b) {
    const auto& sequence = examples[b].tokens;
    const auto length = static_cast<std::int64_t>(sequence.size());
    const std::int64_t start = side == PaddingSide::kEnd ? 0 : max_length - length;
    std::copy(sequence.begin(), sequence.end(), tokens + b * max_length + start);
    lengths[b] = length;
    labels[b] = examples[b].label;
  }
  return batch;
}

}  // namespace ember::data
