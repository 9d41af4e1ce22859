// WordPiece: vocabulary checks, vocab.txt reading and writing, training through the merge loop,
// and BERT's greedy longest-match-first encoding.
#include "data/wordpiece.h"

#include "core/error.h"
#include "data/utf8.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>

namespace ember::data {

WordPiece::WordPiece(std::vector<std::string> tokens, WordPieceOptions options)
    : options_(std::move(options)), tokens_(std::move(tokens)) {
  EMBER_CHECK(options_.max_input_chars_per_word() >= 1, ValueError,
              "WordPiece: max_input_chars_per_word={} is invalid; expected >= 1",
              options_.max_input_chars_per_word());
  const std::string_view prefix = kPrefix;
  for (std::size_t id = 0; id < tokens_.size(); ++id) {
    const std::string& token = tokens_[id];
    EMBER_CHECK(!token.empty(), ValueError, "WordPiece: token {} is empty", id);
    const auto [it, inserted] = whole_.emplace(token, static_cast<std::int64_t>(id));
    EMBER_CHECK(inserted, ValueError, "WordPiece: token \"{}\" appears twice (ids {} and {})",
                utf8::excerpt(token), it->second, id);
    longest_whole_ = std::max(longest_whole_, token.size());
    if (token.size() > prefix.size() && std::string_view(token).substr(0, prefix.size()) == prefix) {
      continuing_.emplace(token.substr(prefix.size()), static_cast<std::int64_t>(id));
      longest_continuing_ = std::max(longest_continuing_, token.size() - prefix.size());
    }
  }
  const auto special = [&](const char* name) {
    const auto it = whole_.find(std::string_view(name));
    EMBER_CHECK(it != whole_.end(), ValueError,
                "WordPiece: special token {} is not in the vocabulary; expected all of {} {} {} {}",
                name, kPad, kUnk, kCls, kSep);
    return it->second;
  };
  pad_id_ = special(kPad);
  unk_id_ = special(kUnk);
  cls_id_ = special(kCls);
  sep_id_ = special(kSep);
}

WordPiece WordPiece::train(const WordCounts& words, std::int64_t vocab_size, WordPieceOptions options,
                           std::int64_t min_frequency) {
  std::vector<std::string> tokens = {kPad, kUnk, kCls, kSep};
  const auto specials = static_cast<std::int64_t>(tokens.size());
  // The alphabet is known only after the words are split; the merge budget is what remains.
  const auto characters = static_cast<std::int64_t>(initial_alphabet(words, kPrefix, "").size());
  EMBER_CHECK(vocab_size >= specials + characters, ValueError,
              "WordPiece::train: vocab_size={} cannot hold the {} special tokens and the {} "
              "character forms of the corpus; expected >= {}",
              vocab_size, specials, characters, specials + characters);
  const MergeResult result = learn_merges(words, MergeTrainerOptions()
                                                     .continuing_prefix(kPrefix)
                                                     .max_new_symbols(vocab_size - specials - characters)
                                                     .min_frequency(min_frequency));
  // A corpus that spells a special token ("[PAD]" without punctuation splitting) must not add it twice.
  std::unordered_map<std::string, bool> present;
  for (const auto& token : tokens) present[token] = true;
  for (const auto* pieces : {&result.alphabet, &result.new_symbols}) {
    for (const auto& piece : *pieces) {
      if (present.emplace(piece, true).second) tokens.push_back(piece);
    }
  }
  return WordPiece(std::move(tokens), std::move(options));
}

WordPiece WordPiece::load(const std::string& path, WordPieceOptions options) {
  std::ifstream file(path, std::ios::binary);
  EMBER_CHECK(file.is_open(), IoError, "WordPiece::load: cannot open {}: {}", path, std::strerror(errno));
  std::vector<std::string> tokens;
  std::unordered_map<std::string, std::int64_t> seen;
  std::string line;
  for (std::int64_t number = 1; std::getline(file, line); ++number) {
    const auto first = line.find_first_not_of(" \t\r");
    const auto last = line.find_last_not_of(" \t\r");
    EMBER_CHECK(first != std::string::npos, IoError,
                "WordPiece::load: {}:{}: empty line; expected one token per line", path, number);
    std::string token = line.substr(first, last - first + 1);
    EMBER_CHECK(utf8::find_invalid(token) == std::string::npos, IoError,
                "WordPiece::load: {}:{}: invalid UTF-8 in \"{}\"", path, number, utf8::excerpt(token));
    const auto [it, inserted] = seen.emplace(token, number);
    EMBER_CHECK(inserted, IoError, "WordPiece::load: {}:{}: token \"{}\" already on line {}", path,
                number, utf8::excerpt(token), it->second);
    tokens.push_back(std::move(token));
  }
  EMBER_CHECK(!file.bad(), IoError, "WordPiece::load: reading {} failed: {}", path, std::strerror(errno));
  try {
    return WordPiece(std::move(tokens), std::move(options));
  } catch (const ValueError& error) {
    throw IoError(fmt::format("WordPiece::load: {}: {}", path, error.what()));
  }
}

void WordPiece::save(const std::string& path) const {
  std::ofstream file(path, std::ios::binary);
  EMBER_CHECK(file.is_open(), IoError, "WordPiece::save: cannot open {} for writing: {}", path,
              std::strerror(errno));
  for (const auto& token : tokens_) file << token << '\n';
  file.close();
  EMBER_CHECK(!file.fail(), IoError, "WordPiece::save: writing {} failed: {}", path, std::strerror(errno));
}

void WordPiece::encode_word(std::string_view word, std::vector<std::int64_t>& ids) const {
  // Codepoint boundaries, so that no piece ever ends inside a codepoint.
  std::vector<std::size_t> bounds;
  std::size_t length = 0;
  for (std::size_t pos = 0; pos < word.size(); pos += length) {
    bounds.push_back(pos);
    utf8::decode(word, pos, length);
  }
  bounds.push_back(word.size());
  if (static_cast<std::int64_t>(bounds.size()) - 1 > options_.max_input_chars_per_word()) {
    ids.push_back(unk_id_);
    return;
  }
  const std::size_t first_id = ids.size();
  for (std::size_t start = 0; start + 1 < bounds.size();) {
    const Index& index = start == 0 ? whole_ : continuing_;
    const std::size_t longest = start == 0 ? longest_whole_ : longest_continuing_;
    std::size_t end = bounds.size() - 1;
    while (end > start && bounds[end] - bounds[start] > longest) --end;
    for (; end > start; --end) {
      const auto it = index.find(word.substr(bounds[start], bounds[end] - bounds[start]));
      if (it != index.end()) {
        ids.push_back(it->second);
        break;
      }
    }
    if (end == start) {  // nothing matches here: the whole word is unknown, as in BERT
      ids.resize(first_id);
      ids.push_back(unk_id_);
      return;
    }
    start = end;
  }
}

std::vector<std::int64_t> WordPiece::encode(std::string_view text) const {
  std::vector<std::int64_t> ids;
  for (const auto& word : normalize_words(text, options_.normalizer())) encode_word(word, ids);
  return ids;
}

std::vector<std::vector<std::int64_t>> WordPiece::encode_lines(const std::vector<std::string>& lines) const {
  return encode_lines_cached(lines, options_.normalizer(),
                             [this](std::string_view word, std::vector<std::int64_t>& ids) { encode_word(word, ids); });
}

std::vector<std::string> WordPiece::tokenize(std::string_view text) const {
  std::vector<std::string> pieces;
  for (const auto id : encode(text)) pieces.push_back(tokens_[id]);
  return pieces;
}

std::string WordPiece::decode(const std::vector<std::int64_t>& ids) const {
  const std::string_view prefix = kPrefix;
  std::string text;
  for (const auto id : ids) {
    const std::string_view token = id_to_token(id);
    if (token.size() > prefix.size() && token.substr(0, prefix.size()) == prefix) {
      text.append(token.substr(prefix.size()));
    } else {
      if (!text.empty()) text += ' ';
      text.append(token);
    }
  }
  return text;
}

const std::string& WordPiece::id_to_token(std::int64_t id) const {
  EMBER_CHECK(id >= 0 && id < size(), IndexError, "WordPiece: id {} is out of range [0, {})", id, size());
  return tokens_[id];
}

std::int64_t WordPiece::token_to_id(std::string_view token) const {
  const auto it = whole_.find(token);
  return it == whole_.end() ? unk_id_ : it->second;
}

}  // namespace ember::data
