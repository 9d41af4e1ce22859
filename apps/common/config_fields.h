// Typed, range-checked fields of the JSON files the apps read back (a checkpoint's config.json
// and state.json). Each range is defined once and shared with the flag that sets the field, so a
// file can hold nothing the command line would refuse: a wrong type, a missing field or a value
// outside the range is an IoError naming the file, the field, the value (an excerpt) and the range.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace ember::apps {

// The valid values of an integer or a number, shared by a flag (CommandLine::integer/number) and
// the file field that records it (JsonFields::integer/number).
struct IntRange {
  std::int64_t min, max;
};
struct NumberRange {
  double min, max;
};

class JsonFields {
 public:
  // `object` must outlive this reader; `file` names it in messages ("ckpt/config.json"). A value
  // that is not a JSON object is refused here.
  JsonFields(const nlohmann::json& object, std::string file);

  // A JSON integer in `range` (a float such as 1e30 or 2.5 is refused: converting it to int64
  // would be undefined or lossy).
  std::int64_t integer(const std::string& field, IntRange range) const;
  // A finite JSON number in `range`.
  double number(const std::string& field, NumberRange range) const;
  bool boolean(const std::string& field) const;
  std::string string(const std::string& field) const;
  // A string among `allowed`.
  std::string choice(const std::string& field, const std::vector<std::string>& allowed) const;
  // A nested object or array, checked by the caller (`JsonFields(fields.object("options"), ...)`).
  const nlohmann::json& object(const std::string& field) const;
  const nlohmann::json& array(const std::string& field) const;
  bool contains(const std::string& field) const;
  const std::string& file() const { return file_; }

 private:
  const nlohmann::json& at(const std::string& field) const;  // refuses a missing field
  [[noreturn]] void refuse(const std::string& field, const std::string& expected) const;
  const nlohmann::json& object_;
  std::string file_;
};

}  // namespace ember::apps
