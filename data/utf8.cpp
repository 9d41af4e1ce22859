// UTF-8 decoding by the table of RFC 3629 section 4 (the byte ranges below are that table).
#include "data/utf8.h"

#include <fmt/format.h>

namespace ember::data::utf8 {

namespace {

bool is_continuation(unsigned char byte) { return (byte & 0xC0) == 0x80; }

}  // namespace

char32_t decode(std::string_view text, std::size_t pos, std::size_t& length) {
  length = 1;
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[pos + i]); };
  const unsigned char lead = byte(0);
  if (lead < 0x80) return lead;

  // Sequence length and the allowed range of the second byte (this is what rules out overlong
  // forms, UTF-16 surrogates and values above U+10FFFF).
  std::size_t n = 0;
  unsigned char second_min = 0x80, second_max = 0xBF;
  char32_t value = 0;
  if (lead >= 0xC2 && lead <= 0xDF) {
    n = 2, value = lead & 0x1F;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    n = 3, value = lead & 0x0F;
    if (lead == 0xE0) second_min = 0xA0;
    if (lead == 0xED) second_max = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    n = 4, value = lead & 0x07;
    if (lead == 0xF0) second_min = 0x90;
    if (lead == 0xF4) second_max = 0x8F;
  } else {
    return kInvalid;
  }
  if (pos + n > text.size()) return kInvalid;
  if (byte(1) < second_min || byte(1) > second_max) return kInvalid;
  for (std::size_t i = 1; i < n; ++i) {
    if (!is_continuation(byte(i))) return kInvalid;
    value = (value << 6) | (byte(i) & 0x3F);
  }
  length = n;
  return value;
}

std::size_t find_invalid(std::string_view text) {
  std::size_t length = 0;
  for (std::size_t pos = 0; pos < text.size(); pos += length) {
    if (decode(text, pos, length) == kInvalid) return pos;
  }
  return std::string_view::npos;
}

void append(std::string& out, char32_t codepoint) {
  if (codepoint < 0x80) {
    out += static_cast<char>(codepoint);
  } else if (codepoint < 0x800) {
    out += static_cast<char>(0xC0 | (codepoint >> 6));
    out += static_cast<char>(0x80 | (codepoint & 0x3F));
  } else if (codepoint < 0x10000) {
    out += static_cast<char>(0xE0 | (codepoint >> 12));
    out += static_cast<char>(0x80 | ((codepoint >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (codepoint & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (codepoint >> 18));
    out += static_cast<char>(0x80 | ((codepoint >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((codepoint >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (codepoint & 0x3F));
  }
}

std::string excerpt(std::string_view text, std::size_t max_codepoints) {
  std::string out;
  std::size_t length = 0, count = 0, pos = 0;
  for (; pos < text.size() && count < max_codepoints; pos += length, ++count) {
    const char32_t c = decode(text, pos, length);
    if (c == kInvalid) {
      out += fmt::format("\\x{:02X}", static_cast<unsigned char>(text[pos]));
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c == 0x7F) {
      out += fmt::format("\\x{:02X}", static_cast<unsigned>(c));
    } else {
      out.append(text.substr(pos, length));
    }
  }
  if (pos < text.size()) out += "...";
  return out;
}

}  // namespace ember::data::utf8
