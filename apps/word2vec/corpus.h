// The word2vec corpus: a text file read as whitespace-separated words, one sentence per line,
// streamed through a fixed buffer (a file, or a line, larger than memory works), and the
// vocabulary counted from it in one pass.
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace ember::apps::word2vec {

// Reads the words of the lines that start in [begin, end) bytes of a file: the first partial line
// belongs to the range before (as the C tool and fastText split a file between threads).
class TokenStream {
 public:
  enum class Next { kWord, kEndOfLine, kEndOfRange };
  TokenStream(const std::string& path, std::int64_t begin, std::int64_t end);
  // The next word (into `word`), or the end of a line (a line that ends the file too), or of the range.
  Next next(std::string& word);
  std::int64_t line() const { return line_; }  // 1-based within the range, for messages

 private:
  int get();  // the next byte, or EOF
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file_;
  std::string path_;
  std::vector<char> buffer_;
  std::size_t pos_ = 0, filled_ = 0;
  std::int64_t offset_ = 0;  // file offset of buffer_[pos_]
  std::int64_t end_;
  bool at_line_start_ = true, pending_line_end_ = false;
  std::int64_t line_ = 1;
};

std::int64_t file_size(const std::string& path);  // throws IoError naming the path

struct Vocabulary {
  std::vector<std::string> words;     // count descending, ties in byte order of the word
  std::vector<std::int64_t> counts;
  std::unordered_map<std::string, std::int32_t> index;
  std::int64_t train_words = 0;       // occurrences of kept words
  std::int64_t corpus_words = 0;      // every word of the file
  std::int64_t lines = 0;
  std::int64_t size() const { return static_cast<std::int64_t>(words.size()); }
  // -1 for a word not in the vocabulary.
  std::int32_t find(const std::string& word) const {
    auto it = index.find(word);
    return it == index.end() ? -1 : it->second;
  }
};

// Counts every word of `path` and keeps those seen at least min_count times. Throws IoError for
// a missing file, ValueError when no word reaches min_count (naming the most frequent count).
Vocabulary count_vocabulary(const std::string& path, std::int64_t min_count);

}  // namespace ember::apps::word2vec
