// Fuzz target: vocabulary JSON files (data::Vocab::load), both the ember format and a bare list.
#include "data/vocab.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = ember::fuzz::write_input(data, size, "vocab.json");
  ember::fuzz::result_or_error([&] {
    const ember::data::Vocab vocab = ember::data::Vocab::load(path);
    FUZZ_CHECK(vocab.size() >= 1);
    for (std::int64_t i = 0; i < vocab.size(); ++i) FUZZ_CHECK(vocab.stoi(vocab.itos(i)) == i);
    FUZZ_CHECK(vocab.itos(vocab.pad_index()) == vocab.pad_token());
    FUZZ_CHECK(vocab.itos(vocab.unk_index()) == vocab.unk_token());
  });
  return 0;
}
