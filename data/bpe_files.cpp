// BPE files: vocab.json (a JSON object token -> id, ids 0..n-1 each once) and merges.txt
// ("#version: 0.2", then one "left right" per line in rank order), as GPT-2 and HF tokenizers
// write them. Every malformed entry is reported with its file, and its line for merges.txt.
#include "data/bpe.h"

#include "core/error.h"
#include "core/json_limits.h"
#include "data/utf8.h"

#include <nlohmann/json.hpp>

#include <cerrno>
#include <cstring>
#include <fstream>

namespace ember::data {

namespace {

constexpr const char* kMergesHeader = "#version: 0.2";

std::vector<std::string> read_vocab_json(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  EMBER_CHECK(file.is_open(), IoError, "Bpe::load: cannot open {}: {}", path, std::strerror(errno));
  const auto json = parse_json(file, fmt::format("Bpe::load: {} is not valid JSON", path));
  EMBER_CHECK(json.is_object(), IoError, "Bpe::load: {} must be a JSON object token -> id; got {}", path,
              json.type_name());
  const std::size_t size = json.size();
  std::vector<std::string> tokens(size);
  std::vector<bool> taken(size, false);
  for (const auto& [token, id] : json.items()) {
    // Compared as JSON first: converting 1e300 or -1 to an index would be undefined or wrap.
    EMBER_CHECK(id.is_number_unsigned() && id.get<std::uint64_t>() < size, IoError,
                "Bpe::load: {}: token \"{}\" has id {}; expected an integer in [0, {})", path,
                utf8::excerpt(token), excerpt(id.dump()), size);
    const auto index = id.get<std::uint64_t>();
    EMBER_CHECK(!taken[index], IoError, "Bpe::load: {}: id {} is given to \"{}\" and \"{}\"", path, index,
                utf8::excerpt(tokens[index]), utf8::excerpt(token));
    taken[index] = true;
    tokens[index] = token;
  }
  return tokens;
}

Merges read_merges_txt(const std::string& path, const std::vector<std::string>& tokens,
                       const std::string& vocab_path) {
  std::ifstream file(path, std::ios::binary);
  EMBER_CHECK(file.is_open(), IoError, "Bpe::load: cannot open {}: {}", path, std::strerror(errno));
  std::unordered_map<std::string, bool> known;
  for (const auto& token : tokens) known[token] = true;
  std::unordered_map<std::string, std::int64_t> line_of_merge;
  Merges merges;
  std::string line;
  for (std::int64_t number = 1; std::getline(file, line); ++number) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (number == 1 && line.rfind("#version", 0) == 0) continue;
    const auto space = line.find(' ');
    EMBER_CHECK(space != std::string::npos && space > 0 && space + 1 < line.size() &&
                    line.find(' ', space + 1) == std::string::npos,
                IoError, "Bpe::load: {}:{}: \"{}\"; expected \"left right\" (two tokens, one space)", path,
                number, utf8::excerpt(line));
    std::string left = line.substr(0, space), right = line.substr(space + 1);
    for (const auto* part : {&left, &right}) {
      EMBER_CHECK(known.count(*part) != 0, IoError, "Bpe::load: {}:{}: \"{}\" is not in {}", path, number,
                  utf8::excerpt(*part), vocab_path);
    }
    EMBER_CHECK(known.count(left + right) != 0, IoError, "Bpe::load: {}:{}: the merged token \"{}\" is not in {}",
                path, number, utf8::excerpt(left + right), vocab_path);
    const auto [it, inserted] = line_of_merge.emplace(line, number);
    EMBER_CHECK(inserted, IoError, "Bpe::load: {}:{}: merge \"{}\" already on line {}", path, number,
                utf8::excerpt(line), it->second);
    merges.emplace_back(std::move(left), std::move(right));
  }
  EMBER_CHECK(!file.bad(), IoError, "Bpe::load: reading {} failed: {}", path, std::strerror(errno));
  return merges;
}

}  // namespace

void Bpe::save(const std::string& vocab_path, const std::string& merges_path) const {
  nlohmann::ordered_json vocab = nlohmann::ordered_json::object();
  for (std::size_t id = 0; id < tokens_.size(); ++id) {
    // JSON strings are UTF-8: a token holding an invalid byte cannot be written faithfully.
    EMBER_CHECK(utf8::find_invalid(tokens_[id]) == std::string::npos, IoError,
                "Bpe::save: token {} \"{}\" is not valid UTF-8 and cannot be written to {}", id,
                utf8::excerpt(tokens_[id]), vocab_path);
    vocab[tokens_[id]] = id;
  }
  {
    std::ofstream file(vocab_path, std::ios::binary);
    EMBER_CHECK(file.is_open(), IoError, "Bpe::save: cannot open {} for writing: {}", vocab_path,
                std::strerror(errno));
    file << vocab.dump(1) << '\n';
    file.close();
    EMBER_CHECK(!file.fail(), IoError, "Bpe::save: writing {} failed: {}", vocab_path, std::strerror(errno));
  }
  std::ofstream file(merges_path, std::ios::binary);
  EMBER_CHECK(file.is_open(), IoError, "Bpe::save: cannot open {} for writing: {}", merges_path,
              std::strerror(errno));
  file << kMergesHeader << '\n';
  for (const auto& [left, right] : merges_) file << left << ' ' << right << '\n';
  file.close();
  EMBER_CHECK(!file.fail(), IoError, "Bpe::save: writing {} failed: {}", merges_path, std::strerror(errno));
}

Bpe Bpe::load(const std::string& vocab_path, const std::string& merges_path, BpeOptions options) {
  std::vector<std::string> tokens = read_vocab_json(vocab_path);
  Merges merges = read_merges_txt(merges_path, tokens, vocab_path);
  try {
    return Bpe(std::move(tokens), std::move(merges), options);
  } catch (const ValueError& error) {
    throw IoError(fmt::format("Bpe::load: {} and {}: {}", vocab_path, merges_path, error.what()));
  }
}

}  // namespace ember::data
