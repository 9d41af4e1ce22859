// SubwordTokenizer: dispatch to the BPE or WordPiece model, and the tokenizer.json settings file.
#include "data/subword_tokenizer.h"

#include "core/error.h"
#include "core/json_limits.h"

#include <nlohmann/json.hpp>

#include <cerrno>
#include <cstring>
#include <fstream>

namespace ember::data {

namespace {

constexpr const char* kFormat = "ember.tokenizer";
constexpr int kVersion = 1;
constexpr const char* kConfig = "tokenizer.json";

std::string join(const std::string& dir, const std::string& name) { return dir + "/" + name; }

}  // namespace

SubwordTokenizer SubwordTokenizer::train(const WordCounts& words, const SubwordTrainOptions& options) {
  if (options.model() == "bpe") {
    return SubwordTokenizer(Bpe::train(words, options.vocab_size(),
                                       BpeOptions()
                                           .lowercase(options.lowercase())
                                           .split_punctuation(options.split_punctuation())
                                           .byte_fallback(options.byte_fallback()),
                                       options.min_frequency()));
  }
  EMBER_CHECK(options.model() == "wordpiece", ValueError,
              "SubwordTokenizer::train: model \"{}\" is unknown; expected bpe or wordpiece", options.model());
  EMBER_CHECK(!options.byte_fallback(), ValueError,
              "SubwordTokenizer::train: byte_fallback is a BPE option; WordPiece maps uncovered words to [UNK]");
  return SubwordTokenizer(WordPiece::train(
      words, options.vocab_size(),
      WordPieceOptions().lowercase(options.lowercase()).split_punctuation(options.split_punctuation()),
      options.min_frequency()));
}

std::vector<std::string> SubwordTokenizer::file_names(const std::string& model) {
  if (model == "bpe") return {kConfig, "vocab.json", "merges.txt"};
  return {kConfig, "vocab.txt"};
}

void SubwordTokenizer::save(const std::string& dir) const {
  nlohmann::ordered_json config = {{"format", kFormat}, {"version", kVersion}, {"model", model()}};
  if (const Bpe* model = bpe()) {
    config["lowercase"] = model->options().lowercase();
    config["split_punctuation"] = model->options().split_punctuation();
    config["byte_fallback"] = model->options().byte_fallback();
    config["end_of_word_suffix"] = Bpe::kEndOfWord;
    model->save(join(dir, "vocab.json"), join(dir, "merges.txt"));
  } else {
    const WordPieceOptions& options = wordpiece()->options();
    config["lowercase"] = options.lowercase();
    config["split_punctuation"] = options.split_punctuation();
    config["max_input_chars_per_word"] = options.max_input_chars_per_word();
    config["continuing_prefix"] = WordPiece::kPrefix;
    wordpiece()->save(join(dir, "vocab.txt"));
  }
  // Written last: a folder with tokenizer.json holds a complete tokenizer.
  const std::string path = join(dir, kConfig);
  std::ofstream file(path, std::ios::binary);
  EMBER_CHECK(file.is_open(), IoError, "SubwordTokenizer::save: cannot open {} for writing: {}", path,
              std::strerror(errno));
  file << config.dump(1) << '\n';
  file.close();
  EMBER_CHECK(!file.fail(), IoError, "SubwordTokenizer::save: writing {} failed: {}", path, std::strerror(errno));
}

SubwordTokenizer SubwordTokenizer::load(const std::string& dir) {
  const std::string path = join(dir, kConfig);
  std::ifstream file(path, std::ios::binary);
  EMBER_CHECK(file.is_open(), IoError, "SubwordTokenizer::load: cannot open {}: {}", path, std::strerror(errno));
  const auto config = parse_json(file, fmt::format("SubwordTokenizer::load: {} is not valid JSON", path));
  EMBER_CHECK(config.is_object() && config.value("format", "") == kFormat, IoError,
              "SubwordTokenizer::load: {} is not an ember tokenizer (no \"format\": \"{}\")", path, kFormat);
  const auto field = [&](const char* name, auto is_type, const char* expected) -> const nlohmann::json& {
    const auto it = config.find(name);
    EMBER_CHECK(it != config.end() && ((*it).*is_type)(), IoError,
                "SubwordTokenizer::load: {}: \"{}\" is {}; expected {}", path, name,
                it == config.end() ? "missing" : excerpt(it->dump()), expected);
    return *it;
  };
  const auto flag = [&](const char* name) { return field(name, &nlohmann::json::is_boolean, "true or false").get<bool>(); };
  EMBER_CHECK(field("version", &nlohmann::json::is_number_integer, "1") == kVersion, IoError,
              "SubwordTokenizer::load: {} has version {}; expected {}", path, config["version"].dump(), kVersion);
  const std::string model = field("model", &nlohmann::json::is_string, "\"bpe\" or \"wordpiece\"");
  if (model == "bpe") {
    EMBER_CHECK(field("end_of_word_suffix", &nlohmann::json::is_string, "\"</w>\"") == Bpe::kEndOfWord, IoError,
                "SubwordTokenizer::load: {}: end_of_word_suffix {}; expected \"{}\" (the only marker ember uses)",
                path, config["end_of_word_suffix"].dump(), Bpe::kEndOfWord);
    const auto options = BpeOptions()
                             .lowercase(flag("lowercase"))
                             .split_punctuation(flag("split_punctuation"))
                             .byte_fallback(flag("byte_fallback"));
    return SubwordTokenizer(Bpe::load(join(dir, "vocab.json"), join(dir, "merges.txt"), options));
  }
  EMBER_CHECK(model == "wordpiece", IoError, "SubwordTokenizer::load: {}: model \"{}\"; expected bpe or wordpiece",
              path, excerpt(model));
  const auto& limit = field("max_input_chars_per_word", &nlohmann::json::is_number_unsigned, "an integer >= 1");
  EMBER_CHECK(limit >= 1 && limit <= INT64_MAX, IoError,
              "SubwordTokenizer::load: {}: max_input_chars_per_word {}; expected an integer >= 1", path, limit.dump());
  const auto options = WordPieceOptions()
                           .lowercase(flag("lowercase"))
                           .split_punctuation(flag("split_punctuation"))
                           .max_input_chars_per_word(limit.get<std::int64_t>());
  return SubwordTokenizer(WordPiece::load(join(dir, "vocab.txt"), options));
}

std::vector<std::int64_t> SubwordTokenizer::encode(std::string_view text) const {
  return std::visit([&](const auto& model) { return model.encode(text); }, model_);
}

std::vector<std::vector<std::int64_t>> SubwordTokenizer::encode_lines(const std::vector<std::string>& lines) const {
  return std::visit([&](const auto& model) { return model.encode_lines(lines); }, model_);
}

std::vector<std::string> SubwordTokenizer::tokenize(std::string_view text) const {
  return std::visit([&](const auto& model) { return model.tokenize(text); }, model_);
}

std::string SubwordTokenizer::decode(const std::vector<std::int64_t>& ids) const {
  return std::visit([&](const auto& model) { return model.decode(ids); }, model_);
}

const std::string& SubwordTokenizer::id_to_token(std::int64_t id) const {
  return std::visit([&](const auto& model) -> const std::string& { return model.id_to_token(id); }, model_);
}

std::int64_t SubwordTokenizer::size() const {
  return std::visit([](const auto& model) { return model.size(); }, model_);
}

std::int64_t SubwordTokenizer::pad_id() const {
  return std::visit([](const auto& model) { return model.pad_id(); }, model_);
}

std::int64_t SubwordTokenizer::unk_id() const {
  return std::visit([](const auto& model) { return model.unk_id(); }, model_);
}

}  // namespace ember::data
