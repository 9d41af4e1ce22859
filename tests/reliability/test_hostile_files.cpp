// Hostile files, as unit tests with their messages: headers that claim more than the file holds
// are refused before anything is allocated, and values a C++ type cannot hold are refused rather
// than read. (The fuzz targets in tests/fuzz/ try millions of other inputs.)
#include <catch2/catch.hpp>

#include "core/safetensors.h"
#include "data/pretrained.h"
#include "data/vocab.h"
#include "tests/reliability/app_runner.h"

#include <cstdint>
#include <cstring>
#include <fstream>
#include <string>

using namespace ember;
using Catch::Contains;

namespace {

std::string write(const testing::ScratchFolder& dir, const std::string& name, const std::string& bytes) {
  const std::string path = dir / name;
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

// A safetensors file: 8-byte little-endian header length, the header, then `data`.
std::string safetensors_bytes(const std::string& header, const std::string& data = "", std::uint64_t claimed = 0) {
  const std::uint64_t size = claimed ? claimed : header.size();
  std::string out(8, '\0');
  std::memcpy(out.data(), &size, 8);
  return out + header + data;
}

}  // namespace

TEST_CASE("hostile files: safetensors headers claiming terabytes are refused before allocating", "[reliability]") {
  testing::ScratchFolder dir;
  // The length field claims a 1 TiB header in a 10-byte file.
  std::string path = write(dir, "huge_header.safetensors", safetensors_bytes("{}", "", 1ull << 40));
  REQUIRE_THROWS_AS(load_safetensors(path), IoError);
  REQUIRE_THROWS_WITH(load_safetensors(path), Contains(path) && Contains("header claims 1099511627776 bytes"));

  // A [2^20, 2^20] float32 tensor (4 TiB) backed by 24 bytes.
  path = write(dir, "huge_tensor.safetensors",
               safetensors_bytes(R"({"w":{"dtype":"F32","shape":[1048576,1048576],"data_offsets":[0,4398046511104]}})",
                                 std::string(24, '\0')));
  REQUIRE_THROWS_WITH(load_safetensors(path), Contains(path) && Contains("invalid shape [1048576, 1048576]"));

  // An empty tensor whose other dims would overflow its strides.
  path = write(dir, "zero_dim.safetensors",
               safetensors_bytes(R"({"w":{"dtype":"F32","shape":[0,1099511627776,1099511627776],"data_offsets":[0,0]}})"));
  REQUIRE_THROWS_WITH(load_safetensors(path), Contains("invalid shape"));

  // Float dims (nlohmann would convert 1e22 to int64 with undefined behaviour) and invalid bools.
  path = write(dir, "float_dim.safetensors",
               safetensors_bytes(R"({"w":{"dtype":"F32","shape":[1e22],"data_offsets":[0,0]}})"));
  REQUIRE_THROWS_WITH(load_safetensors(path), Contains("list of integers as shape"));
  path = write(dir, "bool.safetensors",
               safetensors_bytes(R"({"m":{"dtype":"BOOL","shape":[3],"data_offsets":[0,3]}})", std::string("\x01\x00\x21", 3)));
  REQUIRE_THROWS_WITH(load_safetensors(path), Contains("holds the byte 0x21 at element 2; expected 0 or 1"));
}

TEST_CASE("hostile files: word2vec and GloVe headers cannot make the loader allocate without bound",
          "[reliability]") {
  testing::ScratchFolder dir;
  // 10^12 vectors of dimension 300 announced in a 25-byte file: not even one vector fits.
  std::string path = write(dir, "count.txt", "999999999999 300\nthe 1 2\n");
  REQUIRE_THROWS_AS(data::load_word2vec_text(path), IoError);
  REQUIRE_THROWS_WITH(data::load_word2vec_text(path), Contains("dimension 300 cannot fit in a file of 25 bytes"));
  path = write(dir, "count.bin", "999999999999 2\nthe \x01\x02\x03\x04\x05\x06\x07\x08\n");
  REQUIRE_THROWS_WITH(data::load_word2vec_binary(path), Contains("truncated"));  // allocates at most 1 row
  path = write(dir, "dim.bin", "1 4611686018427387904\nthe 12345678\n");
  REQUIRE_THROWS_WITH(data::load_word2vec_binary(path), Contains("dimension 4611686018427387904 cannot fit"));

  // A header announcing more vectors than the file holds still loads what max_vectors asks for.
  path = write(dir, "short.txt", "1000000000 2\nthe 1 2\nof 3 4\n");
  const auto v = data::load_word2vec_text(path, data::PretrainedOptions().max_vectors(2));
  CHECK(v.weight.shape() == Shape({2, 2}));
  CHECK(v.tokens == std::vector<std::string>{"the", "of"});
}

TEST_CASE("hostile files: a vocabulary with a non-integer version is refused", "[reliability]") {
  testing::ScratchFolder dir;
  const std::string path =
      write(dir, "vocab.json", R"({"format": "ember.vocab", "version": 1e300, "pad_token": "<pad>",
                                    "unk_token": "<unk>", "tokens": ["<pad>", "<unk>"]})");
  REQUIRE_THROWS_AS(data::Vocab::load(path), IoError);
  REQUIRE_THROWS_WITH(data::Vocab::load(path), Contains(path) && Contains("has version 1e+300; expected 1"));
}

TEST_CASE("hostile files: vector values beyond float32 are refused, not turned into inf", "[reliability]") {
  testing::ScratchFolder dir;
  // 1e39 is a finite double but no float32: converting it would be undefined behaviour (inf in practice).
  std::string path = write(dir, "overflow.txt", "the 1e39 2\na 3 4\n");
  REQUIRE_THROWS_WITH(data::load_glove(path), Contains("value 1 \"1e39\" is not a finite number (as float32)"));
  CHECK(data::load_glove(path, data::PretrainedOptions().dtype(kFloat64)).weight.dtype() == kFloat64);

  // Values near float32's limit load, but N(0, s^2) rows for missing words would overflow.
  path = write(dir, "huge.txt", "the 3e38 -3e38\nw9 -3e38 3e38\n");
  const std::vector<std::string> tokens{"the", "missing"};
  REQUIRE_THROWS_WITH(data::load_glove(path, tokens), Contains("too large to initialise the 1 missing rows"));
  const auto zeros_init = data::load_glove(path, tokens, data::PretrainedOptions().missing_init(data::MissingInit::kZeros));
  CHECK(zeros_init.weight.to_vector<double>()[2] == 0.0);
}

TEST_CASE("hostile files: a --config nested 100000 deep is refused with a message, not a stack overflow",
          "[reliability]") {
  testing::ScratchFolder dir;
  const std::string config =
      write(dir, "deep.json", "{\"epochs\": " + std::string(100000, '[') + std::string(100000, ']') + "}");
  const testing::AppResult result = testing::run_text_classifier({"train", "--synthetic-size", "50", "--config", config});
  CHECK(result.exit_code != 0);
  CHECK(result.exit_code < 128);  // refused, not killed by a signal
  CHECK_THAT(result.output, Contains("config file " + config + " is not valid JSON: JSON nested deeper than 64 levels"));
}
