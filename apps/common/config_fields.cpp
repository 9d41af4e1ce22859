// Typed, range-checked JSON fields (see config_fields.h).
#include "apps/common/config_fields.h"

#include "core/error.h"
#include "core/json_limits.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cmath>

namespace ember::apps {

JsonFields::JsonFields(const nlohmann::json& object, std::string file) : object_(object), file_(std::move(file)) {
  EMBER_CHECK(object_.is_object(), IoError, "{}: expected a JSON object, got {}", file_, excerpt(object_.dump()));
}

bool JsonFields::contains(const std::string& field) const { return object_.contains(field); }

const nlohmann::json& JsonFields::at(const std::string& field) const {
  const auto it = object_.find(field);
  EMBER_CHECK(it != object_.end(), IoError, "{}: the field \"{}\" is missing", file_, field);
  return *it;
}

void JsonFields::refuse(const std::string& field, const std::string& expected) const {
  throw IoError(fmt::format("{}: \"{}\" is {}; expected {}", file_, field, excerpt(at(field).dump()), expected));
}

std::int64_t JsonFields::integer(const std::string& field, IntRange range) const {
  const nlohmann::json& value = at(field);
  const std::string expected = fmt::format("an integer in [{}, {}]", range.min, range.max);
  if (!value.is_number_integer()) refuse(field, expected);
  // An unsigned value above INT64_MAX is out of any range; reading it as int64 would wrap.
  if (value.is_number_unsigned() && value.get<std::uint64_t>() > static_cast<std::uint64_t>(range.max))
    refuse(field, expected);
  const auto n = value.get<std::int64_t>();
  if (n < range.min || n > range.max) refuse(field, expected);
  return n;
}

double JsonFields::number(const std::string& field, NumberRange range) const {
  const nlohmann::json& value = at(field);
  const std::string expected = fmt::format("a number in [{}, {}]", range.min, range.max);
  if (!value.is_number()) refuse(field, expected);
  const auto x = value.get<double>();
  if (!std::isfinite(x) || x < range.min || x > range.max) refuse(field, expected);
  return x;
}

bool JsonFields::boolean(const std::string& field) const {
  if (!at(field).is_boolean()) refuse(field, "true or false");
  return at(field).get<bool>();
}

std::string JsonFields::string(const std::string& field) const {
  if (!at(field).is_string()) refuse(field, "a string");
  return at(field).get<std::string>();
}

std::string JsonFields::choice(const std::string& field, const std::vector<std::string>& allowed) const {
  const std::string expected = fmt::format("one of \"{}\"", fmt::join(allowed, "\", \""));
  if (!at(field).is_string()) refuse(field, expected);
  const auto& v = at(field).get_ref<const std::string&>();
  for (const auto& a : allowed)
    if (a == v) return v;
  refuse(field, expected);
}

const nlohmann::json& JsonFields::object(const std::string& field) const {
  if (!at(field).is_object()) refuse(field, "a JSON object");
  return at(field);
}

const nlohmann::json& JsonFields::array(const std::string& field) const {
  if (!at(field).is_array()) refuse(field, "a JSON list");
  return at(field);
}

}  // namespace ember::apps
