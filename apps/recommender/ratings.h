// The recommender's data: string ids mapped to table rows (IdMap), rating triples read from
// MovieLens-style files (user<TAB>item<TAB>rating[<TAB>timestamp]), the built-in synthetic
// low-rank dataset, and the train/test split.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace ember::apps::recommender {

// Arbitrary string ids ("196", "alice", "tt0111161") <-> dense indices 0..size()-1, in order of
// first appearance: the rows of the embedding tables.
class IdMap {
 public:
  IdMap() = default;
  explicit IdMap(std::vector<std::string> names);  // index i is names[i]; names must be unique
  std::int64_t add(const std::string& id);         // the id's index, adding it when new
  std::optional<std::int64_t> find(const std::string& id) const;
  const std::string& name(std::int64_t index) const { return names_.at(static_cast<std::size_t>(index)); }
  std::int64_t size() const { return static_cast<std::int64_t>(names_.size()); }
  const std::vector<std::string>& names() const { return names_; }

 private:
  std::unordered_map<std::string, std::int64_t> index_;
  std::vector<std::string> names_;
};

// Ratings as three parallel columns of indices and values.
struct Ratings {
  std::vector<std::int64_t> users;
  std::vector<std::int64_t> items;
  std::vector<float> values;
  std::int64_t size() const { return static_cast<std::int64_t>(values.size()); }
  void add(std::int64_t user, std::int64_t item, float value) {
    users.push_back(user);
    items.push_back(item);
    values.push_back(value);
  }
  double mean() const;
};

struct RatingData {
  IdMap users, items;
  Ratings train, test;
  std::int64_t skipped_test = 0;  // test ratings whose user or item never occurs in train
  std::string description;        // one line for the log, e.g. "synthetic rank-5 ratings (seed 0)"
};

// Reads `path`: one rating per line, tab-separated (comma-separated when the name ends in .csv),
// fields user, item, rating and an optional integer timestamp, which is ignored. A first line
// whose rating field is the word "rating" is a header and skipped (ml-latest's ratings.csv).
// Ids are added to `users` and `items` unless `known_ids_only`, in which case ratings with an
// unknown id are left out and counted in `*skipped`. Throws IoError "path:line: ..." quoting the
// offending line for a malformed one, and for a file without ratings.
Ratings read_ratings(const std::string& path, IdMap& users, IdMap& items, bool known_ids_only = false,
                     std::int64_t* skipped = nullptr);

// Moves a random `test_fraction` of `all` (at least one rating) to the test set, deterministic
// for `seed`.
void split_ratings(const Ratings& all, double test_fraction, std::uint64_t seed, Ratings& train, Ratings& test);

// A learnable synthetic dataset: rating = 3.5 + b_u + b_i + <p_u, q_i> + noise with hidden
// factors p_u, q_i of length `rank` drawn from N(0, rank^(-1/4)) (so <p_u, q_i> has variance 1),
// biases b_u, b_i ~ N(0, 0.3) and Gaussian noise of std `noise`, for `num_ratings` distinct random (user, item) pairs. Ids are "u0", "u1", ...
// and "i0", "i1", .... The best possible test RMSE is about `noise`.
struct SyntheticOptions {
  std::int64_t num_users = 500;
  std::int64_t num_items = 400;
  std::int64_t rank = 5;
  std::int64_t num_ratings = 20000;
  double noise = 0.1;
};
Ratings synthetic_ratings(const SyntheticOptions& options, std::uint64_t seed, IdMap& users, IdMap& items);

}  // namespace ember::apps::recommender
