// Saving and loading recommender checkpoints (see checkpoint.h).
#include "apps/recommender/checkpoint.h"

#include "apps/common/checkpoint.h"
#include "apps/common/config_fields.h"
#include "core/error.h"
#include "core/json_limits.h"
#include "core/safetensors.h"
#include "data/delimited_file.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace ember::apps::recommender {
namespace {

json read_json(const fs::path& path) {
  const std::string text = data::read_file(path.string());
  try {
    return parse_json(text, fmt::format("recommender: {} is not valid JSON", path.string()));
  } catch (const json::exception& e) {
    throw IoError(fmt::format("recommender: {} is not valid JSON: {}", path.string(), e.what()));
  }
}

Tensor int64_tensor(const std::vector<std::int64_t>& values) {
  return tensor(values, {static_cast<std::int64_t>(values.size())});
}

}  // namespace

void save_checkpoint(const std::string& dir, MatrixFactorization& model, const IdMap& users, const IdMap& items,
                     const Ratings& train) {
  write_checkpoint(dir, [&](const std::string& staging_dir) {
    const fs::path staging(staging_dir);
    model.save((staging / "model.safetensors").string());
    save_safetensors((staging / "seen.safetensors").string(),
                     {{"users", int64_tensor(train.users)}, {"items", int64_tensor(train.items)}});
    write_file_atomic((staging / "ids.json").string(), json{{"format", "ember.recommender.ids"},
                                                             {"version", 1},
                                                             {"users", users.names()},
                                                             {"items", items.names()}}
                                                            .dump());
    const auto& c = model.config();
    write_file_atomic((staging / "config.json").string(), json{{"format", "ember.recommender.config"},
                                                                {"version", 1},
                                                                {"num_users", c.num_users},
                                                                {"num_items", c.num_items},
                                                                {"dim", c.dim},
                                                                {"sparse", c.sparse}}
                                                                   .dump(2) +
                                                               "\n");
  });
}

Checkpoint load_checkpoint(const std::string& dir) {
  EMBER_CHECK(fs::is_directory(dir) || fs::is_directory(dir + ".old"), IoError,
              "recommender: checkpoint folder {} does not exist", dir);
  const fs::path folder(checkpoint_to_read(dir));  // DIR, or DIR.old after an interrupted save; verified
  Checkpoint c;
  MatrixFactorizationConfig config;
  try {
    const json cfg = read_json(folder / "config.json");
    const JsonFields fields(cfg, (folder / "config.json").string());
    config.num_users = fields.integer("num_users", kNumIdsRange);
    config.num_items = fields.integer("num_items", kNumIdsRange);
    config.dim = fields.integer("dim", kDimRange);  // the range of --dim
    config.sparse = fields.boolean("sparse");
    const json ids = read_json(folder / "ids.json");
    c.users = IdMap(ids.at("users").get<std::vector<std::string>>());
    c.items = IdMap(ids.at("items").get<std::vector<std::string>>());
  } catch (const json::exception& e) {
    throw IoError(fmt::format("recommender: checkpoint {} has a malformed config.json or ids.json: {}", dir, e.what()));
  }
  EMBER_CHECK(c.users.size() == config.num_users && c.items.size() == config.num_items, IoError,
              "recommender: checkpoint {}: ids.json holds {} users and {} items; config.json says {} and {}", dir,
              c.users.size(), c.items.size(), config.num_users, config.num_items);
  // The tables' size is bounded by what model.safetensors holds before anything is allocated (the
  // counts are bounded by ids.json, but dim x count is not).
  const std::uint64_t floats = static_cast<std::uint64_t>(config.num_users + config.num_items) * (config.dim + 1);
  const auto file_bytes = fs::file_size(folder / "model.safetensors");
  EMBER_CHECK(floats * sizeof(float) <= file_bytes, IoError,
              "recommender: checkpoint {}: config.json describes {} parameters ({} bytes), but model.safetensors holds "
              "only {} bytes",
              dir, floats, floats * sizeof(float), file_bytes);
  c.model = std::make_shared<MatrixFactorization>(config, 0.0);
  c.model->load((folder / "model.safetensors").string());
  const SafetensorsFile seen = load_safetensors((folder / "seen.safetensors").string());
  for (const auto& [name, values] : seen.tensors) {
    EMBER_CHECK(values.dtype() == kInt64 && values.dim() == 1, IoError,
                "recommender: checkpoint {}: seen.safetensors entry \"{}\" must be a 1-D int64 tensor", dir, name);
    if (name == "users") c.seen.users = values.to_vector<std::int64_t>();
    if (name == "items") c.seen.items = values.to_vector<std::int64_t>();
  }
  EMBER_CHECK(c.seen.users.size() == c.seen.items.size(), IoError,
              "recommender: checkpoint {}: seen.safetensors has {} users but {} items", dir, c.seen.users.size(),
              c.seen.items.size());
  for (std::size_t k = 0; k < c.seen.users.size(); ++k)
    EMBER_CHECK(c.seen.users[k] >= 0 && c.seen.users[k] < config.num_users && c.seen.items[k] >= 0 &&
                    c.seen.items[k] < config.num_items,
                IoError, "recommender: checkpoint {}: seen.safetensors pair {} ({}, {}) is out of range [0, {}) x [0, {})",
                dir, k, c.seen.users[k], c.seen.items[k], config.num_users, config.num_items);
  c.seen.values.assign(c.seen.users.size(), 0.0f);
  return c;
}

}  // namespace ember::apps::recommender
