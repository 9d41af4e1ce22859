// A recommender checkpoint folder: model.safetensors (the MatrixFactorization state_dict),
// ids.json (the user and item ids, index order), seen.safetensors (the training pairs, so
// `recommend` can leave out items a user already rated), config.json (the model's sizes), and
// checksums.json (apps/common/checkpoint.h: written last, verified when loading).
#pragma once

#include "apps/common/config_fields.h"
#include "apps/recommender/model.h"
#include "apps/recommender/ratings.h"

#include <memory>
#include <string>

namespace ember::apps::recommender {

// One definition of each range, for the flag and the config.json field that records it.
inline constexpr IntRange kDimRange{1, 100000};
inline constexpr IntRange kNumIdsRange{1, std::int64_t{1} << 40};

struct Checkpoint {
  std::shared_ptr<MatrixFactorization> model;
  IdMap users, items;
  Ratings seen;  // the training ratings (values unused)
};

// Writes the folder beside `dir` first and renames it into place (apps/common/checkpoint.h), so
// an interrupted save leaves the previous checkpoint (or none), never a mix of two.
void save_checkpoint(const std::string& dir, MatrixFactorization& model, const IdMap& users, const IdMap& items,
                     const Ratings& train);

// Throws IoError naming the folder and the missing, corrupted or inconsistent file.
Checkpoint load_checkpoint(const std::string& dir);

}  // namespace ember::apps::recommender
