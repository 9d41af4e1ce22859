// SubwordTokenizer: training either model, the folder round trip with its settings, bad configs.
#include "data/subword_tokenizer.h"

#include "core/error.h"
#include "temp_dir.h"

#include <catch2/catch.hpp>

#include <filesystem>

using Catch::Contains;
using ember::data::SubwordTokenizer;
using ember::data::SubwordTrainOptions;

namespace {

ember::data::WordCounts counts(bool lowercase) {
  ember::data::WordCounter counter(ember::data::NormalizerOptions().lowercase(lowercase));
  counter.add_text("The newest widget, the lowest price. Newer widgets are wider!");
  counter.add_text("Widgets widen; prices lower. The end.");
  return counter.counts();
}

}  // namespace

TEST_CASE("SubwordTokenizer saves and loads both models with their options", "[data]") {
  ember::testing::TempDir dir;
  for (const std::string model : {"bpe", "wordpiece"}) {
    INFO(model);
    const auto options = SubwordTrainOptions(model).vocab_size(model == "bpe" ? 320 : 60).lowercase(false)
                             .byte_fallback(model == "bpe").min_frequency(1);
    const SubwordTokenizer trained = SubwordTokenizer::train(counts(false), options);
    CHECK(trained.model() == model);
    const std::string folder = dir.path(model);
    std::filesystem::create_directory(folder);
    trained.save(folder);
    for (const auto& name : SubwordTokenizer::file_names(model)) CHECK(std::filesystem::exists(folder + "/" + name));
    const SubwordTokenizer loaded = SubwordTokenizer::load(folder);
    CHECK(loaded.model() == model);
    CHECK(loaded.size() == trained.size());
    const std::string text = "The Newest widgets, lower!";
    CHECK(loaded.encode(text) == trained.encode(text));
    CHECK(loaded.decode(loaded.encode(text)) == "The Newest widgets , lower !");  // case kept
    CHECK(loaded.pad_id() == 0);
    CHECK(loaded.unk_id() == 1);
  }
}

TEST_CASE("SubwordTokenizer rejects unknown models and malformed tokenizer.json", "[data]") {
  REQUIRE_THROWS_WITH(SubwordTokenizer::train(counts(true), SubwordTrainOptions("unigram")),
                      Contains("model \"unigram\" is unknown; expected bpe or wordpiece"));
  REQUIRE_THROWS_WITH(SubwordTokenizer::train(counts(true), SubwordTrainOptions("wordpiece").byte_fallback(true)),
                      Contains("byte_fallback is a BPE option"));
  ember::testing::TempDir dir;
  const SubwordTokenizer bpe = SubwordTokenizer::train(counts(true), SubwordTrainOptions("bpe").vocab_size(80));
  bpe.save(dir.path(""));
  dir.write("tokenizer.json", R"({"format": "ember.tokenizer", "version": 1, "model": "bpe", "lowercase": true,
    "split_punctuation": "yes", "byte_fallback": false, "end_of_word_suffix": "</w>"})");
  REQUIRE_THROWS_WITH(SubwordTokenizer::load(dir.path("")), Contains("\"split_punctuation\" is \"yes\"; expected true or false"));
  dir.write("tokenizer.json", R"({"format": "ember.tokenizer", "version": 2})");
  REQUIRE_THROWS_WITH(SubwordTokenizer::load(dir.path("")), Contains("has version 2; expected 1"));
  dir.write("tokenizer.json", R"({"format": "other"})");
  REQUIRE_THROWS_WITH(SubwordTokenizer::load(dir.path("")), Contains("is not an ember tokenizer"));
  dir.write("tokenizer.json", R"({"format": "ember.tokenizer", "version": 1, "model": "unigram"})");
  REQUIRE_THROWS_WITH(SubwordTokenizer::load(dir.path("")), Contains("model \"unigram\"; expected bpe or wordpiece"));
  REQUIRE_THROWS_WITH(SubwordTokenizer::load(dir.path("nowhere")), Contains("cannot open"));
}
