// Reading JSON from files: every reader in ember parses through parse_json, which refuses nesting
// deeper than a limit while it parses (a value nested 100,000 deep would otherwise overflow the
// stack later, in a serializer or destructor) and shortens parser messages so that a huge bad
// value is never echoed in full. Include this only where JSON is parsed.
#pragma once

#include "core/error.h"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>

namespace ember {

// Deeper than any file ember writes (a few levels) and far from a stack overflow.
inline constexpr int kMaxJsonDepth = 64;

// `text` if at most `max_chars` long, else its first `max_chars` characters followed by
// "... (N bytes in all)": how an error message quotes a value read from a file.
std::string excerpt(std::string_view text, std::size_t max_chars = 80);

namespace detail {
struct JsonTooDeep {};  // thrown by the parser callback; never leaves parse_json
std::string json_too_deep_message(const std::string& context, int max_depth);
std::string json_parse_error_message(const std::string& context, const char* what);
}  // namespace detail

// Parses `input` (a string, string_view or stream) as Json. Nesting deeper than `max_depth` and
// malformed JSON throw ErrorType "<context>: <reason>", the reason at most a short excerpt.
template <typename ErrorType = IoError, typename Json = nlohmann::json, typename Input>
Json parse_json(Input&& input, const std::string& context, int max_depth = kMaxJsonDepth) {
  using Event = typename Json::parse_event_t;
  try {
    return Json::parse(std::forward<Input>(input), [max_depth](int depth, Event event, Json&) {
      if ((event == Event::object_start || event == Event::array_start) && depth >= max_depth)
        throw detail::JsonTooDeep{};
      return true;
    });
  } catch (const detail::JsonTooDeep&) {
    throw ErrorType(detail::json_too_deep_message(context, max_depth));
  } catch (const nlohmann::json::exception& e) {
    throw ErrorType(detail::json_parse_error_message(context, e.what()));
  }
}

}  // namespace ember
