// Streaming the corpus and counting its vocabulary.
#include "apps/word2vec/corpus.h"

#include "core/error.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <numeric>
#include <sys/stat.h>

namespace ember::apps::word2vec {
namespace {
constexpr std::size_t kBufferBytes = 1 << 16;
// A word longer than this is cut (the C tool cuts at 99 bytes): one crafted line cannot grow a
// word without bound, and the vectors file keeps one word per line.
constexpr std::size_t kMaxWordBytes = 1000;

bool is_space(int c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f' || c == '\n'; }
}  // namespace

std::int64_t file_size(const std::string& path) {
  struct stat info {};
  EMBER_CHECK(::stat(path.c_str(), &info) == 0, IoError, "word2vec: cannot open corpus {}: {}", path,
              std::strerror(errno));
  EMBER_CHECK(S_ISREG(info.st_mode), IoError, "word2vec: corpus {} is not a regular file", path);
  return static_cast<std::int64_t>(info.st_size);
}

TokenStream::TokenStream(const std::string& path, std::int64_t begin, std::int64_t end)
    : file_(std::fopen(path.c_str(), "rb"), &std::fclose), path_(path), buffer_(kBufferBytes), end_(end) {
  EMBER_CHECK(file_ != nullptr, IoError, "word2vec: cannot open corpus {}: {}", path, std::strerror(errno));
  if (begin > 0) {
    // Start one byte early: if that byte is a newline, `begin` is already a line start.
    EMBER_CHECK(std::fseek(file_.get(), static_cast<long>(begin - 1), SEEK_SET) == 0, IoError,
                "word2vec: cannot seek in corpus {} to byte {}: {}", path, begin - 1, std::strerror(errno));
    offset_ = begin - 1;
    for (int c; (c = get()) != EOF && c != '\n';) {
    }
  }
}

int TokenStream::get() {
  if (pos_ == filled_) {
    filled_ = std::fread(buffer_.data(), 1, buffer_.size(), file_.get());
    pos_ = 0;
    EMBER_CHECK(!std::ferror(file_.get()), IoError, "word2vec: cannot read corpus {}: {}", path_,
                std::strerror(errno));
    if (filled_ == 0) return EOF;
  }
  ++offset_;
  return static_cast<unsigned char>(buffer_[pos_++]);
}

TokenStream::Next TokenStream::next(std::string& word) {
  if (pending_line_end_) {
    pending_line_end_ = false;
    ++line_;
    at_line_start_ = true;
    return Next::kEndOfLine;
  }
  word.clear();
  for (;;) {
    if (at_line_start_ && offset_ >= end_) return Next::kEndOfRange;  // the next line belongs to another range
    const int c = get();
    if (c == EOF) {
      if (!word.empty()) {
        pending_line_end_ = true;  // a last line without '\n'
        return Next::kWord;
      }
      if (!at_line_start_) {
        at_line_start_ = true;
        return Next::kEndOfLine;
      }
      return Next::kEndOfRange;
    }
    at_line_start_ = false;
    if (c == '\n') {
      if (!word.empty()) {
        pending_line_end_ = true;
        return Next::kWord;
      }
      ++line_;
      at_line_start_ = true;
      return Next::kEndOfLine;
    }
    if (is_space(c)) {
      if (!word.empty()) return Next::kWord;
      continue;
    }
    if (word.size() < kMaxWordBytes) word.push_back(static_cast<char>(c));
  }
}

Vocabulary count_vocabulary(const std::string& path, std::int64_t min_count) {
  const std::int64_t size = file_size(path);
  TokenStream stream(path, 0, size);
  std::unordered_map<std::string, std::int64_t> counts;
  Vocabulary vocab;
  std::string word;
  for (TokenStream::Next n; (n = stream.next(word)) != TokenStream::Next::kEndOfRange;) {
    if (n == TokenStream::Next::kEndOfLine) {
      ++vocab.lines;
      continue;
    }
    ++counts[word];
    ++vocab.corpus_words;
  }
  std::vector<std::pair<std::string, std::int64_t>> kept;
  std::int64_t most = 0;
  for (auto& [w, c] : counts) {
    most = std::max(most, c);
    if (c >= min_count) kept.emplace_back(w, c);
  }
  EMBER_CHECK(!kept.empty(), ValueError,
              "word2vec: no word of {} occurs at least --min-count {} times ({} words, the most frequent {} times)",
              path, min_count, vocab.corpus_words, most);
  // Count descending; ties by the word's bytes, so the order (and the output file) is defined.
  std::sort(kept.begin(), kept.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  for (auto& [w, c] : kept) {
    vocab.index.emplace(w, static_cast<std::int32_t>(vocab.words.size()));
    vocab.words.push_back(w);
    vocab.counts.push_back(c);
    vocab.train_words += c;
  }
  return vocab;
}

}  // namespace ember::apps::word2vec
