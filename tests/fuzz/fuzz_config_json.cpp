// Fuzz target: the apps' JSON config files (apps::CommandLine::merge_config_file), then every
// typed getter on what the file set.
#include "apps/common/cli.h"
#include "tests/fuzz/fuzz_input.h"

using namespace ember;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = fuzz::write_input(data, size, "config.json");
  apps::CommandLine cli("fuzz", {{"epochs", "8", "epochs"},
                                 {"lr", "0.001", "learning rate"},
                                 {"last", "valid", "valid or position"},
                                 {"train", "", "training file"},
                                 {"sparse", "", "sparse embedding", true}});
  char program[] = "fuzz";
  char epochs_flag[] = "--epochs";
  char epochs_value[] = "3";
  char* argv[] = {program, epochs_flag, epochs_value};
  cli.parse(3, argv, 1);  // the command line wins over the file
  fuzz::result_or_error([&] {
    cli.merge_config_file(path);
    FUZZ_CHECK(cli.str("epochs") == "3");
    fuzz::result_or_error([&] { cli.integer("epochs", 1, 100); });
    fuzz::result_or_error([&] { cli.number("lr", 0.0, 10.0); });
    fuzz::result_or_error([&] { cli.choice("last", {"valid", "position"}); });
    fuzz::result_or_error([&] { cli.flag("sparse"); });
    fuzz::result_or_error([&] { (void)cli.given("train"); (void)cli.str("train"); });
  });
  return 0;
}
