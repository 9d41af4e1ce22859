// BPE: vocabulary and merge checks, training through the merge loop, rank-based application of the
// merges to a word, batch encoding with per-thread word caches, and the vocab.json/merges.txt files.
#include "data/bpe.h"

#include "core/error.h"
#include "data/utf8.h"


#include <cerrno>
#include <cstring>
#include <fstream>
#include <limits>

namespace ember::data {

namespace {

std::uint64_t pair_key(std::int64_t left, std::int64_t right) {
  return (static_cast<std::uint64_t>(left) << 32) | static_cast<std::uint64_t>(right);
}

std::string byte_token(int byte) { return fmt::format("<0x{:02X}>", byte); }

bool ends_with(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

}  // namespace

Bpe::Bpe(std::vector<std::string> tokens, Merges merges, BpeOptions options)
    : options_(options), tokens_(std::move(tokens)), merges_(std::move(merges)) {
  EMBER_CHECK(tokens_.size() < (std::size_t{1} << 31), ValueError, "Bpe: {} tokens; expected < 2^31",
              tokens_.size());
  for (std::size_t id = 0; id < tokens_.size(); ++id) {
    EMBER_CHECK(!tokens_[id].empty(), ValueError, "Bpe: token {} is empty", id);
    const auto [it, inserted] = ids_.emplace(tokens_[id], static_cast<std::int64_t>(id));
    EMBER_CHECK(inserted, ValueError, "Bpe: token \"{}\" appears twice (ids {} and {})",
                utf8::excerpt(tokens_[id]), it->second, id);
  }
  const auto required = [&](const std::string& token) {
    const auto it = ids_.find(token);
    EMBER_CHECK(it != ids_.end(), ValueError, "Bpe: token {} is not in the vocabulary{}", token,
                options_.byte_fallback() ? "; byte_fallback needs <0x00>..<0xFF>" : "");
    return it->second;
  };
  pad_id_ = required(kPad);
  unk_id_ = required(kUnk);
  end_of_word_id_ = required(kEndOfWord);
  byte_of_id_.assign(tokens_.size(), -1);
  if (options_.byte_fallback()) {
    for (int byte = 0; byte < 256; ++byte) {
      byte_ids_[byte] = required(byte_token(byte));
      byte_of_id_[byte_ids_[byte]] = byte;
    }
  }
  for (std::size_t rank = 0; rank < merges_.size(); ++rank) {
    // Named references, not a structured binding: lambdas may not capture those before clang 16.
    const std::string& left = merges_[rank].first;
    const std::string& right = merges_[rank].second;
    const auto part = [&](const std::string& text) {
      const auto it = ids_.find(text);
      EMBER_CHECK(it != ids_.end(), ValueError, "Bpe: merge {} \"{} {}\": \"{}\" is not in the vocabulary",
                  rank, utf8::excerpt(left), utf8::excerpt(right), utf8::excerpt(text));
      return it->second;
    };
    const std::int64_t left_id = part(left), right_id = part(right), merged_id = part(left + right);
    EMBER_CHECK(left.find_first_of(" \n") == std::string::npos && right.find_first_of(" \n") == std::string::npos,
                ValueError, "Bpe: merge {} \"{} {}\" has a space or newline in a part", rank,
                utf8::excerpt(left), utf8::excerpt(right));
    const auto [it, inserted] =
        merge_of_pair_.emplace(pair_key(left_id, right_id), Merge{static_cast<std::int64_t>(rank), merged_id});
    EMBER_CHECK(inserted, ValueError, "Bpe: merge {} \"{} {}\" repeats merge {}", rank, utf8::excerpt(left),
                utf8::excerpt(right), it->second.rank);
  }
}

Bpe Bpe::train(const WordCounts& words, std::int64_t vocab_size, BpeOptions options,
               std::int64_t min_frequency) {
  std::vector<std::string> tokens = {kPad, kUnk};
  if (options.byte_fallback()) {
    for (int byte = 0; byte < 256; ++byte) tokens.push_back(byte_token(byte));
  }
  tokens.emplace_back(kEndOfWord);
  const auto base = static_cast<std::int64_t>(tokens.size());
  const auto characters = static_cast<std::int64_t>(initial_alphabet(words, "", kEndOfWord).size());
  EMBER_CHECK(vocab_size >= base + characters, ValueError,
              "Bpe::train: vocab_size={} cannot hold the {} special and byte tokens and the {} "
              "character forms of the corpus; expected >= {}",
              vocab_size, base, characters, base + characters);
  MergeResult result = learn_merges(words, MergeTrainerOptions()
                                               .end_of_word_suffix(kEndOfWord)
                                               .max_new_symbols(vocab_size - base - characters)
                                               .min_frequency(min_frequency));
  // A corpus can spell a special ("<pad>" without punctuation splitting): never add it twice.
  std::unordered_map<std::string, bool> present;
  for (const auto& token : tokens) present[token] = true;
  for (const auto* symbols : {&result.alphabet, &result.new_symbols}) {
    for (const auto& symbol : *symbols) {
      if (present.emplace(symbol, true).second) tokens.push_back(symbol);
    }
  }
  return Bpe(std::move(tokens), std::move(result.merges), options);
}

void Bpe::encode_word(std::string_view word, std::vector<std::int64_t>& ids) const {
  // Initial symbols: characters, the last one in its "x</w>" form.
  std::vector<std::int64_t> symbols;
  const auto fallback = [&](std::string_view character) {
    if (!options_.byte_fallback()) return symbols.push_back(unk_id_);
    for (const char byte : character) symbols.push_back(byte_ids_[static_cast<unsigned char>(byte)]);
  };
  std::string final_form;
  std::size_t length = 0;
  for (std::size_t pos = 0; pos < word.size(); pos += length) {
    utf8::decode(word, pos, length);
    const std::string_view character = word.substr(pos, length);
    if (pos + length == word.size()) {
      final_form.assign(character).append(kEndOfWord);
      if (const auto it = ids_.find(final_form); it != ids_.end()) {
        symbols.push_back(it->second);
        break;
      }
    }
    if (const auto it = ids_.find(character); it != ids_.end()) {
      symbols.push_back(it->second);
    } else {
      fallback(character);
    }
    if (pos + length == word.size()) symbols.push_back(end_of_word_id_);
  }
  // Apply the lowest-ranked merge present, at every non-overlapping place, until none applies.
  while (symbols.size() >= 2) {
    const Merge* best = nullptr;
    std::uint64_t best_key = 0;
    for (std::size_t i = 0; i + 1 < symbols.size(); ++i) {
      const auto it = merge_of_pair_.find(pair_key(symbols[i], symbols[i + 1]));
      if (it != merge_of_pair_.end() && (best == nullptr || it->second.rank < best->rank)) {
        best = &it->second;
        best_key = it->first;
      }
    }
    if (best == nullptr) break;
    std::size_t out = 0;
    for (std::size_t i = 0; i < symbols.size(); ++i, ++out) {
      if (i + 1 < symbols.size() && pair_key(symbols[i], symbols[i + 1]) == best_key) {
        symbols[out] = best->merged;
        ++i;
      } else {
        symbols[out] = symbols[i];
      }
    }
    symbols.resize(out);
  }
  ids.insert(ids.end(), symbols.begin(), symbols.end());
}

std::vector<std::int64_t> Bpe::encode(std::string_view text) const {
  std::vector<std::int64_t> ids;
  for (const auto& word : normalize_words(text, options_.normalizer())) encode_word(word, ids);
  return ids;
}

std::vector<std::string> Bpe::tokenize(std::string_view text) const {
  std::vector<std::string> pieces;
  for (const auto id : encode(text)) pieces.push_back(tokens_[id]);
  return pieces;
}

std::vector<std::vector<std::int64_t>> Bpe::encode_lines(const std::vector<std::string>& lines) const {
  return encode_lines_cached(lines, options_.normalizer(),
                             [this](std::string_view word, std::vector<std::int64_t>& ids) { encode_word(word, ids); });
}

std::string Bpe::decode(const std::vector<std::int64_t>& ids) const {
  std::string text;
  for (const auto id : ids) {
    const std::string& token = id_to_token(id);
    if (byte_of_id_[id] >= 0) {
      text += static_cast<char>(byte_of_id_[id]);
    } else if (ends_with(token, kEndOfWord)) {
      text.append(token, 0, token.size() - std::strlen(kEndOfWord));
      text += ' ';
    } else {
      text += token;
    }
  }
  if (!text.empty() && text.back() == ' ') text.pop_back();
  return text;
}

const std::string& Bpe::id_to_token(std::int64_t id) const {
  EMBER_CHECK(id >= 0 && id < size(), IndexError, "Bpe: id {} is out of range [0, {})", id, size());
  return tokens_[id];
}

std::int64_t Bpe::token_to_id(std::string_view token) const {
  const auto it = ids_.find(token);
  return it == ids_.end() ? unk_id_ : it->second;
}

}  // namespace ember::data
