// Vocab construction (count, filter, order), lookups, and the JSON file format.
#include "data/vocab.h"

#include "core/error.h"

#include "core/json_limits.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>
#include <utility>

namespace ember::data {

namespace {

constexpr const char* kFormat = "ember.vocab";
constexpr int kVersion = 1;

}  // namespace

Vocab Vocab::build(const std::vector<std::vector<std::string>>& sequences,
                   const VocabOptions& options) {
  const auto& specials = options.specials();
  const auto num_specials = static_cast<std::int64_t>(specials.size());
  EMBER_CHECK(options.min_freq() >= 1, ValueError,
              "Vocab::build: min_freq={} is invalid; expected >= 1", options.min_freq());
  EMBER_CHECK(!options.max_size() || *options.max_size() >= num_specials, ValueError,
              "Vocab::build: max_size={} cannot hold the {} specials; expected >= {}",
              options.max_size().value_or(0), num_specials, num_specials);

  for (const auto* name : {&options.pad_token(), &options.unk_token()}) {
    EMBER_CHECK(std::find(specials.begin(), specials.end(), *name) != specials.end(), ValueError,
                "Vocab::build: \"{}\" is not among the specials [{}]", *name,
                fmt::join(specials, ", "));
  }

  std::unordered_map<std::string, std::int64_t, Hash, std::equal_to<>> counts;
  for (const auto& sequence : sequences) {
    for (const auto& token : sequence) ++counts[token];
  }
  for (const auto& special : specials) counts.erase(special);

  std::vector<std::pair<std::string, std::int64_t>> ordered;
  for (auto& [token, count] : counts) {
    if (count >= options.min_freq()) ordered.emplace_back(token, count);
  }
  std::sort(ordered.begin(), ordered.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });

  std::vector<std::string> tokens = specials;
  const std::int64_t limit =
      options.max_size().value_or(num_specials + static_cast<std::int64_t>(ordered.size()));
  for (auto& [token, count] : ordered) {
    if (static_cast<std::int64_t>(tokens.size()) >= limit) break;
    tokens.push_back(std::move(token));
  }
  return Vocab(std::move(tokens), options.pad_token(), options.unk_token());
}

Vocab::Vocab(std::vector<std::string> tokens, std::string pad_token, std::string unk_token)
    : itos_(std::move(tokens)) {
  stoi_.reserve(itos_.size());
  for (std::size_t i = 0; i < itos_.size(); ++i) {
    const bool inserted = stoi_.emplace(itos_[i], static_cast<std::int64_t>(i)).second;
    EMBER_CHECK(inserted, ValueError, "Vocab: token \"{}\" appears twice (indices {} and {})",
                itos_[i], stoi_.at(itos_[i]), i);
  }
  const auto find_special = [&](const std::string& token, const char* role) {
    auto it = stoi_.find(token);
    EMBER_CHECK(it != stoi_.end(), ValueError, "Vocab: {} token \"{}\" is not in the vocabulary",
                role, token);
    return it->second;
  };
  pad_index_ = find_special(pad_token, "pad");
  unk_index_ = find_special(unk_token, "unk");
}

std::int64_t Vocab::stoi(std::string_view token) const {
  auto it = stoi_.find(token);
  return it == stoi_.end() ? unk_index_ : it->second;
}

const std::string& Vocab::itos(std::int64_t index) const {
  EMBER_CHECK(index >= 0 && index < size(), IndexError,
              "Vocab::itos: index {} is out of range [0, {})", index, size());
  return itos_[index];
}

std::vector<std::int64_t> Vocab::encode(const std::vector<std::string>& tokens) const {
  std::vector<std::int64_t> indices;
  indices.reserve(tokens.size());
  for (const auto& token : tokens) indices.push_back(stoi(token));
  return indices;
}

std::vector<std::string> Vocab::decode(const std::vector<std::int64_t>& indices) const {
  std::vector<std::string> tokens;
  tokens.reserve(indices.size());
  for (auto index : indices) tokens.push_back(itos(index));
  return tokens;
}

void Vocab::save(const std::string& path) const {
  nlohmann::json json = {{"format", kFormat},
                         {"version", kVersion},
                         {"pad_token", pad_token()},
                         {"unk_token", unk_token()},
                         {"tokens", itos_}};
  std::ofstream file(path);
  EMBER_CHECK(file.good(), IoError, "Vocab::save: cannot open {} for writing", path);
  file << json.dump(1) << '\n';
  EMBER_CHECK(file.good(), IoError, "Vocab::save: writing {} failed", path);
}

Vocab Vocab::load(const std::string& path) {
  std::ifstream file(path);
  EMBER_CHECK(file.good(), IoError, "Vocab::load: cannot open {}", path);
  nlohmann::json json;
  try {
    json = parse_json(file, fmt::format("Vocab::load: {} is not a valid vocabulary file", path));
    if (json.is_array()) return Vocab(json.get<std::vector<std::string>>());
    EMBER_CHECK(json.value("format", "") == kFormat, IoError,
                "Vocab::load: {} is not an ember vocabulary (no \"format\": \"{}\")", path,
                kFormat);
    // Compared as JSON: reading a float such as 1e300 as an int would be undefined behaviour.
    const auto version = json.find("version");
    EMBER_CHECK(version != json.end() && version->is_number_integer() && *version == kVersion, IoError,
                "Vocab::load: {} has version {}; expected {}", path,
                version == json.end() ? "none" : excerpt(version->dump()), kVersion);
    return Vocab(json.at("tokens").get<std::vector<std::string>>(),
                 json.at("pad_token").get<std::string>(), json.at("unk_token").get<std::string>());
  } catch (const nlohmann::json::exception& error) {
    throw IoError(fmt::format("Vocab::load: {} is not a valid vocabulary file: {}", path,
                              error.what()));
  } catch (const ValueError& error) {
    throw IoError(fmt::format("Vocab::load: {}: {}", path, error.what()));
  }
}

}  // namespace ember::data
