// core/json_limits: parse_json refuses deep nesting while parsing and never echoes a huge value.
#include "core/json_limits.h"

#include <catch2/catch.hpp>

#include <sstream>
#include <string>

using namespace ember;
using Catch::Matchers::Contains;

namespace {
std::string nested(std::size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); }
}  // namespace

TEST_CASE("json limits: a value nested 100000 deep is refused while parsing", "[core]") {
  REQUIRE_THROWS_AS(parse_json(nested(100000), "test.json"), IoError);
  REQUIRE_THROWS_WITH(parse_json(nested(100000), "test.json"),
                      "test.json: JSON nested deeper than 64 levels; expected at most 64 levels of arrays and objects");
  std::istringstream stream(std::string(100000, '['));  // truncated too: the depth is seen first
  REQUIRE_THROWS_WITH(parse_json(stream, "stream"), Contains("stream: JSON nested deeper than 64 levels"));
  REQUIRE_THROWS_AS(parse_json<ValueError>(nested(100000), "state"), ValueError);
  REQUIRE_THROWS_AS((parse_json<IoError, nlohmann::ordered_json>(nested(100000), "header")), IoError);
}

TEST_CASE("json limits: nesting up to the limit parses; one more level does not", "[core]") {
  CHECK(parse_json(nested(kMaxJsonDepth), "ok").is_array());
  REQUIRE_THROWS_AS(parse_json(nested(kMaxJsonDepth + 1), "deep"), IoError);
  CHECK(parse_json(R"({"a": [1, {"b": 2}], "c": "d"})", "ok")["a"][1]["b"] == 2);
  CHECK(parse_json(nested(3), "custom", 3).is_array());
  REQUIRE_THROWS_AS(parse_json(nested(4), "custom", 3), IoError);
}

TEST_CASE("json limits: syntax errors name the context and quote a short excerpt", "[core]") {
  // A 10 MB string with a control character at its end: nlohmann's message would hold all of it.
  const std::string huge = "[\"" + std::string(10'000'000, 'x') + "\x01\"]";
  try {
    parse_json(huge, "big.json");
    FAIL("no exception");
  } catch (const IoError& e) {
    const std::string message = e.what();
    CHECK_THAT(message, Contains("big.json: [json.exception.parse_error"));
    CHECK(message.size() < 400);
  }
  CHECK(excerpt("short") == "short");
  CHECK(excerpt(std::string(1000, 'a'), 10) == "aaaaaaaaaa... (1000 bytes in all)");
}
