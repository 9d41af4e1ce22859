// Fuzz target: GloVe text files (data::load_glove).
#include "tests/fuzz/fuzz_pretrained.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return ember::fuzz::fuzz_pretrained(data, size, [](const std::string& path, const std::vector<std::string>* tokens,
                                                     const ember::data::PretrainedOptions& options) {
    return tokens ? ember::data::load_glove(path, *tokens, options) : ember::data::load_glove(path, options);
  });
}
