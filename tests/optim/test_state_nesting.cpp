// optim: optimizer and scheduler state JSON nested 100000 deep is refused while parsing (a stack
// overflow before), with the usual error type of each reader.
#include "optim_testing.h"

#include "optim/lr_scheduler.h"

#include <filesystem>
#include <fstream>
#include <unistd.h>

using namespace ember;
using Catch::Contains;

namespace {
std::string deep(const std::string& prefix) { return prefix + std::string(100000, '[') + std::string(100000, ']') + "}"; }
}  // namespace

TEST_CASE("state nesting: optimizer state nested 100000 deep is refused, in memory and on disk", "[optim]") {
  Tensor p = ones({2}).requires_grad_();
  optim::SGD sgd({p}, optim::SGDOptions(0.1));
  REQUIRE_THROWS_AS(sgd.load_state_dict({{}, deep(R"({"optimizer": )")}), ValueError);
  REQUIRE_THROWS_WITH(sgd.load_state_dict({{}, deep(R"({"optimizer": )")}),
                      "SGD: the optimizer state is not valid JSON: JSON nested deeper than 64 levels; expected at "
                      "most 64 levels of arrays and objects");

  const std::string prefix =
      (std::filesystem::temp_directory_path() / ("ember_state_nesting_" + std::to_string(::getpid()))).string();
  sgd.save(prefix);
  std::ofstream(prefix + ".json", std::ios::trunc) << deep(R"({"save_id": )");
  REQUIRE_THROWS_AS(sgd.load(prefix), IoError);
  REQUIRE_THROWS_WITH(sgd.load(prefix), Contains(prefix + ".json is not valid JSON: JSON nested deeper than 64"));
  std::filesystem::remove(prefix + ".json");
  std::filesystem::remove(prefix + ".safetensors");
}

TEST_CASE("state nesting: scheduler state nested 100000 deep is refused", "[optim]") {
  REQUIRE_THROWS_AS(optim::LRSchedulerState::from_json(deep(R"({"last_epoch": )")), IoError);
  REQUIRE_THROWS_WITH(optim::LRSchedulerState::from_json(deep(R"({"last_epoch": )")),
                      Contains("malformed state: JSON nested deeper than 64 levels"));
  REQUIRE_THROWS_AS(optim::ReduceLROnPlateauState::from_json(deep(R"({"best": )")), IoError);
}
