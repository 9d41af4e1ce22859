// The lines of a text_classifier metrics file (--metrics-out) without their wall-clock fields.
#pragma once

#include "tests/reliability/app_runner.h"

#include <nlohmann/json.hpp>

#include <sstream>
#include <string>
#include <vector>

namespace ember::testing {

// Each line without "seconds" and "examples_per_second", re-serialised: nlohmann writes the
// shortest text that reads back to the same double, so equal strings mean bitwise-equal numbers.
inline std::vector<std::string> metrics_without_wall_clock(const std::string& path) {
  std::vector<std::string> lines;
  std::istringstream in(read_text(path));
  for (std::string line; std::getline(in, line);) {
    nlohmann::ordered_json j = nlohmann::ordered_json::parse(line);
    j.erase("seconds");
    j.erase("examples_per_second");
    lines.push_back(j.dump());
  }
  return lines;
}

}  // namespace ember::testing
