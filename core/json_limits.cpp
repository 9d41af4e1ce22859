// Messages of parse_json: the depth limit, and parser errors cut to a short excerpt.
#include "core/json_limits.h"

#include <fmt/format.h>

namespace ember {

std::string excerpt(std::string_view text, std::size_t max_chars) {
  if (text.size() <= max_chars) return std::string(text);
  return fmt::format("{}... ({} bytes in all)", text.substr(0, max_chars), text.size());
}

namespace detail {

std::string json_too_deep_message(const std::string& context, int max_depth) {
  return fmt::format("{}: JSON nested deeper than {} levels; expected at most {} levels of arrays and objects",
                     context, max_depth, max_depth);
}

std::string json_parse_error_message(const std::string& context, const char* what) {
  // nlohmann ends a syntax error with the token it read, which may be a whole 100 MB string.
  return fmt::format("{}: {}", context, excerpt(what, 200));
}

}  // namespace detail
}  // namespace ember
