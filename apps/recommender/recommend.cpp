// `recommender recommend --checkpoint DIR --user U --top K`: the K best-scored items the user
// has not rated in the training data.
#include "apps/recommender/checkpoint.h"
#include "apps/recommender/commands.h"

#include <fmt/format.h>

#include <algorithm>
#include <numeric>

namespace ember::apps::recommender {

int run_recommend(const CommandLine& cli) {
  EMBER_CHECK(cli.given("checkpoint") && cli.given("user"), ValueError,
              "recommender: recommend needs --checkpoint DIR and --user ID");
  const std::int64_t top = cli.integer("top", 1, 1'000'000);
  const Checkpoint c = load_checkpoint(cli.str("checkpoint"));
  const std::string user_id = cli.str("user");
  const auto user = c.users.find(user_id);
  EMBER_CHECK(user.has_value(), ValueError, "recommender: user \"{}\" is not in the checkpoint; expected one of its {} "
              "training users (e.g. \"{}\")", user_id, c.users.size(), c.users.name(0));

  std::vector<bool> seen(static_cast<std::size_t>(c.items.size()), false);
  std::int64_t num_seen = 0;
  for (std::size_t k = 0; k < c.seen.users.size(); ++k)
    if (c.seen.users[k] == *user && !seen[static_cast<std::size_t>(c.seen.items[k])]) {
      seen[static_cast<std::size_t>(c.seen.items[k])] = true;
      ++num_seen;
    }

  const std::vector<float> scores = c.model->score_all_items(*user).to_vector<float>();
  std::vector<std::int64_t> candidates;
  for (std::int64_t i = 0; i < c.items.size(); ++i)
    if (!seen[static_cast<std::size_t>(i)]) candidates.push_back(i);
  const auto k = std::min<std::int64_t>(top, static_cast<std::int64_t>(candidates.size()));
  // Best score first; ties by index, so the output is deterministic.
  std::partial_sort(candidates.begin(), candidates.begin() + k, candidates.end(), [&](std::int64_t a, std::int64_t b) {
    const float sa = scores[static_cast<std::size_t>(a)], sb = scores[static_cast<std::size_t>(b)];
    return sa != sb ? sa > sb : a < b;
  });
  fmt::print("top {} items for user {} ({} rated items left out):\n", k, user_id, num_seen);
  for (std::int64_t r = 0; r < k; ++r) {
    const std::int64_t item = candidates[static_cast<std::size_t>(r)];
    fmt::print("{:>4}  {}\t{:.4f}\n", r + 1, c.items.name(item), scores[static_cast<std::size_t>(item)]);
  }
  return 0;
}

}  // namespace ember::apps::recommender
