// UTF-8 helpers for the text pipeline: decode one codepoint, find invalid bytes, and quote a
// piece of untrusted text safely inside an error message.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace ember::data::utf8 {

// Returned by decode() for a byte that does not start a valid sequence.
inline constexpr char32_t kInvalid = 0xFFFFFFFF;

// Decodes the codepoint that starts at text[pos] and stores its byte count in `length`.
// Overlong forms, surrogates, values above U+10FFFF and truncated sequences are invalid: they
// decode as kInvalid with length 1, so a caller can always make progress byte by byte.
char32_t decode(std::string_view text, std::size_t pos, std::size_t& length);

// Byte offset of the first invalid sequence, or std::string_view::npos when the text is valid.
std::size_t find_invalid(std::string_view text);

// Appends the UTF-8 encoding of `codepoint` (which must be a valid scalar value).
void append(std::string& out, char32_t codepoint);

// The text as it should appear between quotes in an error message: at most `max_codepoints`
// codepoints (then "..."), tabs/newlines/control bytes escaped, invalid bytes shown as \xNN.
std::string excerpt(std::string_view text, std::size_t max_codepoints = 60);

}  // namespace ember::data::utf8
