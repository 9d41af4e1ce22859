// safetensors checkpoints (core/safetensors.h, Module::save/load): files written by PyTorch's
// script load into ember, ember's files follow the format byte for byte, and truncated,
// corrupted or lying files are refused with an IoError naming the file, changing nothing.
#include <catch2/catch.hpp>

#include "golden.h"
#include "testing.h"

#include "autograd/ops.h"
#include "core/kernels.h"
#include "core/safetensors.h"
#include "nn/activation.h"
#include "nn/linear.h"
#include "nn/sequential.h"

#include <nlohmann/json.hpp>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

using namespace ember;
using Catch::Contains;
using testing::require_equal;

namespace {

std::string golden_path(const std::string& name) { return std::string(EMBER_TEST_DATA_DIR) + "/golden/" + name; }

// A scratch file in the temp folder, removed at scope exit.
struct TempFile {
  explicit TempFile(const std::string& tag)
      : path((std::filesystem::temp_directory_path() /
              ("ember_test_" + tag + "_" + std::to_string(::getpid()) + ".safetensors")).string()) {}
  ~TempFile() { std::filesystem::remove(path); }
  std::string path;
};

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// A file made of a little-endian u64 header length, the header text and `data`.
std::string safetensors_bytes(const std::string& header, const std::string& data, std::uint64_t claimed_length = 0) {
  const std::uint64_t n = claimed_length ? claimed_length : header.size();
  std::string bytes(8, '\0');
  for (int i = 0; i < 8; ++i) bytes[i] = static_cast<char>((n >> (8 * i)) & 0xff);
  return bytes + header + data;
}

std::shared_ptr<nn::Sequential> torch_twin() {
  return std::make_shared<nn::Sequential>(std::make_shared<nn::Linear>(3, 4), std::make_shared<nn::ReLU>(),
                                          std::make_shared<nn::Linear>(4, 2));
}

}  // namespace

TEST_CASE("safetensors: files written by the PyTorch script load with equal values and dtypes", "[nn]") {
  const nlohmann::json doc = testing::load_golden("nn_safetensors");
  for (const auto& [file, expected] : doc.at("files").items()) {
    INFO(file);
    const SafetensorsFile loaded = load_safetensors(golden_path(file));
    REQUIRE(loaded.metadata.at("format") == "pt");
    REQUIRE(loaded.tensors.size() == expected.size());
    for (const auto& [name, t] : loaded.tensors) {
      INFO(name);
      require_equal(t, testing::tensor_from_json(expected.at(name)));
    }
  }
  // int64 beyond 2^53 survives exactly (no trip through double in the reader).
  for (const auto& [name, t] : load_safetensors(golden_path("nn_torch_mixed.safetensors")).tensors)
    if (name == "i64") REQUIRE(t.to_vector<std::int64_t>()[2] == (std::int64_t{1} << 53) + 1);
}

TEST_CASE("safetensors: PyTorch's state_dict loads into the same model built in ember", "[nn]") {
  auto model = torch_twin();
  model->load(golden_path("nn_torch_model.safetensors"));
  const nlohmann::json expected = testing::load_golden("nn_safetensors").at("files").at("nn_torch_model.safetensors");
  for (const auto& [name, t] : model->state_dict()) {
    INFO(name);
    require_equal(t, testing::tensor_from_json(expected.at(name)));
  }
}

TEST_CASE("safetensors: Module::save writes the format byte by byte and loads back", "[nn]") {
  manual_seed(100);
  auto model = torch_twin();
  TempFile file("layout");
  model->save(file.path);
  const std::string bytes = read_bytes(file.path);
  REQUIRE(bytes.size() >= 8);
  std::uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<unsigned char>(bytes[i]);  // little-endian u64
  REQUIRE(n % 8 == 0);  // padded with spaces so the data starts 8-byte aligned
  REQUIRE(8 + n <= bytes.size());
  const nlohmann::ordered_json header = nlohmann::ordered_json::parse(bytes.substr(8, n));
  const std::string data = bytes.substr(8 + n);
  std::uint64_t expected_begin = 0;
  const nn::NamedTensors state = model->state_dict();
  std::size_t index = 0;
  for (const auto& [name, entry] : header.items()) {
    INFO(name);
    REQUIRE(index < state.size());
    const auto& [state_name, t] = state[index++];
    REQUIRE(name == state_name);  // state_dict order
    REQUIRE(entry.at("dtype") == "F32");
    REQUIRE(entry.at("shape").get<Shape>() == t.shape());
    const auto offsets = entry.at("data_offsets").get<std::vector<std::uint64_t>>();
    REQUIRE(offsets[0] == expected_begin);  // no gaps, no overlaps
    REQUIRE(offsets[1] - offsets[0] == static_cast<std::uint64_t>(t.numel()) * 4);
    const Tensor c = kernels::contiguous(t);
    REQUIRE(std::memcmp(data.data() + offsets[0], c.raw_data(), offsets[1] - offsets[0]) == 0);
    expected_begin = offsets[1];
  }
  REQUIRE(index == state.size());
  REQUIRE(expected_begin == data.size());  // the data section holds exactly the tensors

  auto copy = torch_twin();
  copy->load(file.path);
  const nn::NamedTensors back = copy->state_dict();
  for (std::size_t i = 0; i < state.size(); ++i) require_equal(back[i].second, state[i].second);
  const Tensor x = randn({5, 3});
  require_equal(copy->forward(x), model->forward(x));
}

TEST_CASE("safetensors: every dtype, 0-d and empty tensors round trip", "[nn]") {
  TempFile file("dtypes");
  const NamedTensorList tensors{{"f64", randn({2, 3}, kFloat64)},
                                {"i64", tensor(std::vector<std::int64_t>{-3, 0, (std::int64_t{1} << 62)}, {3})},
                                {"flags", kernels::gt(randn({4}), zeros({4}))},
                                {"i32", kernels::to(tensor(std::vector<std::int64_t>{-2147483648LL, 0, 2147483647LL}, {3}), kInt32)},
                                {"scalar", scalar_tensor(2.5)},
                                {"transposed", kernels::transpose(randn({2, 3}), 0, 1)},
                                {"empty", zeros({5, 0})}};
  save_safetensors(file.path, tensors, {{"step", "7"}});
  const SafetensorsFile back = load_safetensors(file.path);
  REQUIRE(back.metadata.at("step") == "7");
  REQUIRE(back.tensors.size() == tensors.size());
  for (std::size_t i = 0; i < tensors.size(); ++i) {
    INFO(tensors[i].first);
    REQUIRE(back.tensors[i].first == tensors[i].first);
    require_equal(back.tensors[i].second, kernels::contiguous(tensors[i].second));
  }
  SECTION("a file holding only an empty tensor") {
    TempFile only_empty("only_empty");
    save_safetensors(only_empty.path, {{"empty", zeros({5, 0})}});
    REQUIRE(load_safetensors(only_empty.path).tensors.at(0).second.shape() == Shape{5, 0});
  }
}

TEST_CASE("safetensors: truncated, corrupted and lying files are refused naming the file", "[nn]") {
  manual_seed(101);
  auto model = torch_twin();
  const std::vector<Tensor> before = [&] {
    std::vector<Tensor> copies;
    for (const auto& [name, t] : model->state_dict()) copies.push_back(kernels::clone(t));
    return copies;
  }();
  TempFile file("bad");
  const std::string good = read_bytes(golden_path("nn_torch_model.safetensors"));
  const auto refuses = [&](const std::string& bytes, const std::string& why) {
    write_bytes(file.path, bytes);
    REQUIRE_THROWS_AS(load_safetensors(file.path), IoError);
    REQUIRE_THROWS_WITH(load_safetensors(file.path), Contains(file.path) && Contains(why));
    REQUIRE_THROWS_AS(model->load(file.path), IoError);
  };
  SECTION("data cut short") { refuses(good.substr(0, good.size() - 10), "truncated"); }
  SECTION("header cut short") { refuses(good.substr(0, 40), "truncated"); }
  SECTION("shorter than the length field") { refuses(good.substr(0, 5), "too short"); }
  SECTION("a header length of 2^40 (would allocate a terabyte)") {
    refuses(safetensors_bytes("{}", "", std::uint64_t{1} << 40), "header claims 1099511627776 bytes");
  }
  SECTION("a header that is not JSON") { refuses(safetensors_bytes("{\"a\": [1, 2", ""), "malformed JSON header"); }
  SECTION("offsets that do not match the shape") {
    refuses(safetensors_bytes(R"({"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,12]}})", std::string(16, '\0')),
            "claims bytes [0, 12)");
  }
  SECTION("offsets past the end of the data") {
    refuses(safetensors_bytes(R"({"w":{"dtype":"F32","shape":[4],"data_offsets":[8,24]}})", std::string(16, '\0')),
            "truncated or corrupted");
  }
  SECTION("an unsupported dtype") {
    refuses(safetensors_bytes(R"({"w":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}})", std::string(4, '\0')),
            "unsupported dtype F16");
  }
  SECTION("a missing file") {
    REQUIRE_THROWS_WITH(load_safetensors(file.path + ".missing"), Contains(file.path + ".missing"));
  }
  const nn::NamedTensors after = model->state_dict();
  for (std::size_t i = 0; i < after.size(); ++i) require_equal(after[i].second, before[i]);
}

TEST_CASE("safetensors: a checkpoint with a wrong shape is refused by name, the model unchanged", "[nn]") {
  manual_seed(102);
  TempFile file("wrong_shape");
  nn::Sequential wider(std::make_shared<nn::Linear>(3, 5), std::make_shared<nn::ReLU>(), std::make_shared<nn::Linear>(5, 2));
  wider.save(file.path);
  auto model = torch_twin();
  const Tensor weight_before = kernels::clone(model->state_dict()[0].second);
  REQUIRE_THROWS_WITH(model->load(file.path), Contains("0.weight: checkpoint has [5, 3] float32, model has [4, 3] float32"));
  require_equal(model->state_dict()[0].second, weight_before);
}

TEST_CASE("safetensors: a header nested 100000 deep is refused, not a stack overflow", "[nn]") {
  TempFile file("deep");
  const std::string deep = "{\"w\":" + std::string(100000, '[') + std::string(100000, ']') + "}";
  write_bytes(file.path, safetensors_bytes(deep, ""));
  REQUIRE_THROWS_AS(load_safetensors(file.path), IoError);
  REQUIRE_THROWS_WITH(load_safetensors(file.path),
                      Contains(file.path) && Contains("JSON nested deeper than 64 levels"));
}

TEST_CASE("safetensors: overlapping, gapped or trailing data offsets are refused on load", "[nn]") {
  TempFile file("offsets");
  const auto refuses = [&](const std::string& header, std::size_t data_bytes, const std::string& why) {
    write_bytes(file.path, safetensors_bytes(header, std::string(data_bytes, '\0')));
    REQUIRE_THROWS_AS(load_safetensors(file.path), IoError);
    REQUIRE_THROWS_WITH(load_safetensors(file.path), Contains(file.path) && Contains(why));
  };
  SECTION("two tensors sharing bytes") {
    refuses(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
            12, "tensor \"b\" claims bytes [4, 12), which overlap tensor \"a\" [0, 8)");
  }
  SECTION("the same bytes twice") {
    refuses(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})",
            8, "claims bytes [0, 8), which overlap");
  }
  SECTION("a gap between tensors") {
    refuses(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}})",
            12, "tensor \"b\" claims bytes [8, 12), which leave a gap after tensor \"a\" [0, 4)");
  }
  SECTION("a first tensor not at the start") {
    refuses(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", 8, "leave a gap after the start of the data");
  }
  SECTION("bytes after the last tensor") {
    refuses(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})", 8,
            "the tensors cover bytes [0, 4) of a data section of 8 bytes");
  }
  SECTION("tensors listed out of offset order still load") {
    write_bytes(file.path, safetensors_bytes(
        R"({"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})",
        std::string(8, '\0')));
    CHECK(load_safetensors(file.path).tensors.size() == 2);
  }
}

TEST_CASE("safetensors: duplicate names and a tensor called __metadata__ are refused on save", "[nn]") {
  TempFile file("names");
  REQUIRE_THROWS_AS(save_safetensors(file.path, {{"w", zeros({2})}, {"w", ones({3})}}), ValueError);
  REQUIRE_THROWS_WITH(save_safetensors(file.path, {{"w", zeros({2})}, {"w", ones({3})}}),
                      "save_safetensors: two tensors are named \"w\"; expected unique names");
  REQUIRE_THROWS_AS(save_safetensors(file.path, {{"__metadata__", zeros({2})}}), ValueError);
  REQUIRE_THROWS_WITH(save_safetensors(file.path, {{"__metadata__", zeros({2})}}), Contains("\"__metadata__\""));
  CHECK_FALSE(std::filesystem::exists(file.path));
  CHECK_FALSE(std::filesystem::exists(file.path + ".tmp"));
}
