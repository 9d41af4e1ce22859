// End-to-end test of the char_classifier example: it prints its model and learns to tell
// English words from random strings well above chance.
#include "app_process.h"

#include <catch2/catch.hpp>

using Catch::Contains;
namespace app = ember::testing::app_process;

TEST_CASE("char_classifier tells English words from random strings", "[apps]") {
  const app::Result r = app::run("char_classifier", {"--epochs", "10"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Contains("CharClassifier(") && Contains("(lstm): LSTM(16, 64, batch_first=True)"));
  CHECK_THAT(r.out, Contains("epoch 10/10"));
  // Measured: 84.5% on the 84 held-out strings (seed 0) after 10 epochs; chance is 50%.
  CHECK(app::number_after(r.out, "test accuracy ") >= 75.0);
}

TEST_CASE("char_classifier rejects an unknown option", "[apps]") {
  const app::Result r = app::run("char_classifier", {"--epoch", "3"});
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Contains("unknown option --epoch"));
}
