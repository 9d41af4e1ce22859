// Vocab: the token <-> index mapping of a text pipeline, built from token counts the way
// torchtext's build_vocab_from_iterator does, and saved/loaded as JSON.
#pragma once

#include "core/arg.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace ember::data {

struct VocabOptions {
  /// Tokens seen fewer times than this are left out (they map to <unk>). Default: 1.
  EMBER_ARG(std::int64_t, min_freq) = 1;
  /// At most this many entries in total, specials included. Default: no limit.
  EMBER_ARG(std::optional<std::int64_t>, max_size);
  /// Special tokens, given indices 0..k-1 in this order. Default: {"<pad>", "<unk>"}.
  EMBER_ARG(std::vector<std::string>, specials) = {"<pad>", "<unk>"};
  /// Which special pads sequences (pad_index()). Must be one of `specials`. Default: "<pad>".
  EMBER_ARG(std::string, pad_token) = "<pad>";
  /// The special unknown tokens map to (unk_index()). Must be one of `specials`.
  /// Default: "<unk>".
  EMBER_ARG(std::string, unk_token) = "<unk>";
};

class Vocab {
 public:
  // Counts every token of every sequence, then orders: specials first (in the given order), then
  // tokens by frequency, descending, ties by token, ascending (byte order), as torchtext does.
  // A counted token equal to a special is not added twice. Throws ValueError on bad options.
  static Vocab build(const std::vector<std::vector<std::string>>& sequences,
                     const VocabOptions& options = {});

  // From tokens already in index order. `pad_token` and `unk_token` must be among them.
  explicit Vocab(std::vector<std::string> tokens, std::string pad_token = "<pad>",
                 std::string unk_token = "<unk>");

  std::int64_t size() const { return static_cast<std::int64_t>(itos_.size()); }
  bool contains(std::string_view token) const { return stoi_.find(token) != stoi_.end(); }
  // Index of `token`; unk_index() when it is not in the vocabulary.
  std::int64_t stoi(std::string_view token) const;
  // Token at `index`; throws IndexError outside [0, size()).
  const std::string& itos(std::int64_t index) const;
  // All tokens in index order.
  const std::vector<std::string>& tokens() const { return itos_; }
  std::vector<std::int64_t> encode(const std::vector<std::string>& tokens) const;
  std::vector<std::string> decode(const std::vector<std::int64_t>& indices) const;

  std::int64_t pad_index() const { return pad_index_; }
  std::int64_t unk_index() const { return unk_index_; }
  const std::string& pad_token() const { return itos_[pad_index_]; }
  const std::string& unk_token() const { return itos_[unk_index_]; }

  // JSON: {"format": "ember.vocab", "version": 1, "pad_token": ..., "unk_token": ...,
  //        "tokens": [token at index 0, token at index 1, ...]}.
  void save(const std::string& path) const;
  // Reads what save() writes. Also accepts a bare JSON list of tokens in index order (e.g. a
  // dumped torchtext vocab.get_itos()), with "<pad>" and "<unk>" as the pad and unk tokens.
  // Throws IoError naming the path when the file is missing or malformed.
  static Vocab load(const std::string& path);

  friend bool operator==(const Vocab& a, const Vocab& b) {
    return a.itos_ == b.itos_ && a.pad_index_ == b.pad_index_ && a.unk_index_ == b.unk_index_;
  }

 private:
  // Transparent hashing: lookups by string_view without building a std::string.
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };

  std::vector<std::string> itos_;
  std::unordered_map<std::string, std::int64_t, Hash, std::equal_to<>> stoi_;
  std::int64_t pad_index_ = 0;
  std::int64_t unk_index_ = 1;
};

}  // namespace ember::data
