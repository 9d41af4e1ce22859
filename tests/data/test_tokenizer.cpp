// Word and character tokenizers: punctuation, digits, Unicode letters, empty input.
#include "data/tokenizer.h"
#include "data/utf8.h"

#include <catch2/catch.hpp>

using ember::data::basic_english_tokenize;
using ember::data::char_tokenize;
using Tokens = std::vector<std::string>;

TEST_CASE("basic_english_tokenize lowercases and splits off punctuation", "[data]") {
  CHECK(basic_english_tokenize("Hello, World!") == Tokens{"hello", ",", "world", "!"});
  CHECK(basic_english_tokenize("Don't stop") == Tokens{"don", "'", "t", "stop"});
  CHECK(basic_english_tokenize("(a)b...") == Tokens{"(", "a", ")", "b", ".", ".", "."});
  CHECK(basic_english_tokenize("  spaced\tout\r\nwords  ") == Tokens{"spaced", "out", "words"});
}

TEST_CASE("basic_english_tokenize keeps digits inside words", "[data]") {
  CHECK(basic_english_tokenize("COVID19 in 2024: 3.5%") ==
        Tokens{"covid19", "in", "2024", ":", "3", ".", "5", "%"});
}

TEST_CASE("basic_english_tokenize of empty or blank text gives no tokens", "[data]") {
  CHECK(basic_english_tokenize("").empty());
  CHECK(basic_english_tokenize(" \t\n\r ").empty());
  CHECK(basic_english_tokenize("\xC2\xA0\xE2\x80\x83").empty());  // NBSP, em space
}

TEST_CASE("basic_english_tokenize keeps Unicode letters whole and lowercases Latin", "[data]") {
  CHECK(basic_english_tokenize("Café CRÈME brûlée") == Tokens{"café", "crème", "brûlée"});
  CHECK(basic_english_tokenize("日本 語") == Tokens{"日本", "語"});
  CHECK(basic_english_tokenize("東京は日本") == Tokens{"東京は日本"});
  CHECK(basic_english_tokenize("ΑΘΗΝΑ Москва ŁÓDŹ İ") == Tokens{"αθηνα", "москва", "łódź", "i"});
  CHECK(basic_english_tokenize("naïve😀ok") == Tokens{"naïve😀ok"});
}

TEST_CASE("basic_english_tokenize splits on Unicode quotes, dashes and spaces", "[data]") {
  CHECK(basic_english_tokenize("“Great”—really…") ==
        Tokens{"“", "great", "”", "—", "really", "…"});
  CHECK(basic_english_tokenize("a\xC2\xA0" "b") == Tokens{"a", "b"});
  CHECK(basic_english_tokenize("¿Qué?") == Tokens{"¿", "qué", "?"});
}

TEST_CASE("basic_english_tokenize passes invalid UTF-8 bytes through as letters", "[data]") {
  CHECK(basic_english_tokenize("AB\xFF" "cd e") == Tokens{"ab\xFF" "cd", "e"});
  CHECK(basic_english_tokenize("x\xC3") == Tokens{"x\xC3"});  // truncated sequence at the end
}

TEST_CASE("to_lower maps the documented ranges and leaves the rest", "[data]") {
  using ember::data::to_lower;
  CHECK(to_lower(U'A') == U'a');
  CHECK(to_lower(U'Ä') == U'ä');
  CHECK(to_lower(U'Þ') == U'þ');
  CHECK(to_lower(U'×') == U'×');
  CHECK(to_lower(U'ß') == U'ß');
  CHECK(to_lower(U'Ÿ') == U'ÿ');
  CHECK(to_lower(U'Ł') == U'ł');
  CHECK(to_lower(U'Ž') == U'ž');
  CHECK(to_lower(U'Ω') == U'ω');
  CHECK(to_lower(U'Я') == U'я');
  CHECK(to_lower(U'Ё') == U'ё');
  CHECK(to_lower(U'日') == U'日');
  CHECK(to_lower(U'7') == U'7');
}

TEST_CASE("char_tokenize gives one token per codepoint", "[data]") {
  CHECK(char_tokenize("Hé 日!") == Tokens{"H", "é", " ", "日", "!"});
  CHECK(char_tokenize("😀a") == Tokens{"😀", "a"});
  CHECK(char_tokenize("").empty());
  CHECK(char_tokenize("a\xFF" "b") == Tokens{"a", "\xFF", "b"});
}

TEST_CASE("utf8 decode rejects overlong forms, surrogates and truncation", "[data]") {
  using namespace ember::data;
  std::size_t length = 0;
  CHECK(utf8::decode("é", 0, length) == U'é');
  CHECK(length == 2);
  CHECK(utf8::decode("\xC0\xAF", 0, length) == utf8::kInvalid);      // overlong '/'
  CHECK(utf8::decode("\xED\xA0\x80", 0, length) == utf8::kInvalid);  // surrogate D800
  CHECK(utf8::decode("\xF4\x90\x80\x80", 0, length) == utf8::kInvalid);  // > U+10FFFF
  CHECK(utf8::decode("\xE6\x97", 0, length) == utf8::kInvalid);      // truncated
  CHECK(length == 1);
  CHECK(utf8::find_invalid("ok 日本") == std::string_view::npos);
  CHECK(utf8::find_invalid("ok\xFFno") == 2);
}

TEST_CASE("utf8 excerpt escapes and truncates by codepoints", "[data]") {
  using namespace ember::data;
  CHECK(utf8::excerpt("a\tb\"c\xFF") == "a\\tb\\\"c\\xFF");
  CHECK(utf8::excerpt("日本語です", 3) == "日本語...");
  CHECK(utf8::excerpt("abc", 3) == "abc");
}
