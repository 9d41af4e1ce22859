// The word and character tokenizers. Both walk the text one UTF-8 codepoint at a time.
#include "data/tokenizer.h"

#include "data/utf8.h"

namespace ember::data {

namespace {

enum class CharClass { kLetter, kSpace, kPunctuation };

bool is_unicode_space(char32_t c) {
  return c == 0x85 || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200B) ||
         c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000 || c == 0xFEFF;
}

bool is_unicode_punctuation(char32_t c) {
  switch (c) {
    case 0xA1: case 0xAB: case 0xBB: case 0xBF:  // ¡ « » ¿
    case 0x2026: case 0x2039: case 0x203A:        // … ‹ ›
    case 0x3001: case 0x3002:                     // 、 。
    case 0xFF01: case 0xFF0C: case 0xFF1F:        // ！ ， ？
      return true;
    default:
      return (c >= 0x2010 && c <= 0x2015) ||  // hyphens and dashes
             (c >= 0x2018 && c <= 0x201F);    // curly quotes
  }
}

CharClass classify(char32_t c) {
  if (c == utf8::kInvalid) return CharClass::kLetter;
  if (c < 0x80) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
      return CharClass::kLetter;
    }
    if (c <= 0x20 || c == 0x7F) return CharClass::kSpace;  // whitespace and control bytes
    return CharClass::kPunctuation;
  }
  if (is_unicode_space(c)) return CharClass::kSpace;
  if (is_unicode_punctuation(c)) return CharClass::kPunctuation;
  return CharClass::kLetter;
}

}  // namespace

char32_t to_lower(char32_t c) {
  if (c >= 'A' && c <= 'Z') return c + 0x20;
  if (c < 0xC0) return c;
  if (c <= 0xDE) return c == 0xD7 ? c : c + 0x20;  // Latin-1 capitals; U+00D7 is the × sign
  // Latin Extended-A pairs capital/small as (even, odd), except in 0139-0148 and 0179-017E.
  if (c == 0x130) return 'i';  // İ -> i (its even/odd partner is the dotless ı)
  if ((c >= 0x100 && c <= 0x137) || (c >= 0x14A && c <= 0x177)) return (c % 2 == 0) ? c + 1 : c;
  if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E)) return (c % 2 == 1) ? c + 1 : c;
  if (c == 0x178) return 0xFF;                                // Ÿ -> ÿ
  if (c >= 0x391 && c <= 0x3AB && c != 0x3A2) return c + 0x20;  // Greek capitals
  if (c >= 0x410 && c <= 0x42F) return c + 0x20;              // Cyrillic А..Я
  if (c >= 0x400 && c <= 0x40F) return c + 0x50;              // Cyrillic Ѐ..Џ
  return c;
}

std::vector<std::string> basic_english_tokenize(std::string_view text) {
  return split_words(text, true, true);
}

std::vector<std::string> split_words(std::string_view text, bool lowercase, bool split_punctuation) {
  std::vector<std::string> tokens;
  std::string word;
  const auto end_word = [&] {
    if (!word.empty()) tokens.push_back(std::move(word));
    word.clear();
  };
  std::size_t length = 0;
  for (std::size_t pos = 0; pos < text.size(); pos += length) {
    const char32_t c = utf8::decode(text, pos, length);
    CharClass kind = classify(c);
    if (kind == CharClass::kPunctuation && !split_punctuation) kind = CharClass::kLetter;
    switch (kind) {
      case CharClass::kLetter:
        if (c == utf8::kInvalid) {
          word += text[pos];
        } else {
          utf8::append(word, lowercase ? to_lower(c) : c);
        }
        break;
      case CharClass::kSpace:
        end_word();
        break;
      case CharClass::kPunctuation:
        end_word();
        tokens.emplace_back(text.substr(pos, length));
        break;
    }
  }
  end_word();
  return tokens;
}

std::vector<std::string> char_tokenize(std::string_view text) {
  std::vector<std::string> tokens;
  std::size_t length = 0;
  for (std::size_t pos = 0; pos < text.size(); pos += length) {
    utf8::decode(text, pos, length);
    tokens.emplace_back(text.substr(pos, length));
  }
  return tokens;
}

}  // namespace ember::data
