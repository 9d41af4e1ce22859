// Fuzz target: the safetensors reader (ember::load_safetensors). Every tensor it returns must
// be fully readable; a header claiming more bytes than the file holds must be refused before
// anything is allocated (the fuzzer's malloc limit turns a huge allocation into a crash).
#include "core/safetensors.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = ember::fuzz::write_input(data, size, "model.safetensors");
  ember::fuzz::result_or_error([&] {
    const ember::SafetensorsFile file = ember::load_safetensors(path);
    std::uint64_t bytes = 0;
    for (const auto& [name, t] : file.tensors) {
      bytes += static_cast<std::uint64_t>(t.numel()) * t.element_size();
      FUZZ_CHECK(static_cast<std::int64_t>(t.to_vector<double>().size()) == t.numel());  // reads every byte
    }
    FUZZ_CHECK(bytes <= size);
  });
  return 0;
}
