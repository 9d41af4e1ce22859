// Tokenizers: text in, string tokens out. A word tokenizer for English-like text and a
// character tokenizer (one token per Unicode codepoint), both plain functions.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace ember::data {

// Any callable text -> tokens can serve as a tokenizer (TextDatasetOptions::tokenizer).
using Tokenizer = std::function<std::vector<std::string>(std::string_view)>;

// Lowercases and splits, in the spirit of torchtext's "basic_english":
// - ASCII letters are lowercased; so are Latin-1, Latin Extended-A, Greek and Cyrillic capitals
//   ("ÉCOLE" -> "école", "ΑΘΗΝΑ" -> "αθηνα"). Digits are kept ("covid19", "2024").
// - Whitespace (ASCII and the common Unicode spaces such as U+00A0) separates tokens and is
//   dropped; ASCII control bytes are dropped too.
// - Every punctuation mark is a token of its own: ASCII punctuation and the common Unicode marks
//   (curly quotes, dashes, ellipsis, guillemets, inverted ! and ?, CJK full stop and comma).
//   "Don't stop!" -> ["don", "'", "t", "stop", "!"].
// - Every other non-ASCII codepoint counts as a letter, so words are never cut mid-codepoint:
//   "café" and "日本" are one token each (no word segmentation for scripts without spaces).
// - Invalid UTF-8 bytes are kept as letters, unchanged (TextDataset rejects them earlier).
std::vector<std::string> basic_english_tokenize(std::string_view text);

// basic_english_tokenize with its two steps as options (the subword tokenizers' pre-tokenizer):
// split_words(text, true, true) == basic_english_tokenize(text). Without `lowercase` the case is
// kept; without `split_punctuation` punctuation marks are letters (only whitespace separates).
std::vector<std::string> split_words(std::string_view text, bool lowercase, bool split_punctuation);

// One token per codepoint, unchanged (no lowercasing; spaces are tokens too):
// "Hé!" -> ["H", "é", "!"]. An invalid UTF-8 byte becomes a one-byte token.
std::vector<std::string> char_tokenize(std::string_view text);

// Simple lowercase mapping for the ranges listed above; other codepoints are returned unchanged.
char32_t to_lower(char32_t codepoint);

}  // namespace ember::data
