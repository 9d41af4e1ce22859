// Link prediction metrics for TransE in the filtered setting: for each test triple (h, r, t),
// rank t among all entities as the tail of (h, r, ?) and h among all entities as the head of
// (?, r, t), leaving out the other candidates that form a known true triple.
#pragma once

#include "apps/transe/graph.h"
#include "apps/transe/model.h"

#include <cstdint>
#include <unordered_map>
#include <vector>

namespace ember::apps::transe {

// Every known true triple, indexed by (head, relation) and by (relation, tail).
class TripleFilter {
 public:
  TripleFilter(std::int64_t num_relations, const std::vector<const std::vector<Triple>*>& sets);
  const std::vector<std::int64_t>& tails(std::int64_t head, std::int64_t relation) const;
  const std::vector<std::int64_t>& heads(std::int64_t relation, std::int64_t tail) const;

 private:
  std::int64_t num_relations_;
  std::unordered_map<std::int64_t, std::vector<std::int64_t>> tails_, heads_;
};

struct RankingMetrics {
  std::int64_t ranks = 0;  // 2 per triple (head and tail)
  double mrr = 0, mean_rank = 0, hits_at_1 = 0, hits_at_3 = 0, hits_at_10 = 0;
};

// Ranks count ties as half: rank = 1 + (#closer) + (#equally close) / 2, so a model that gives
// every entity the same distance scores like a random one, not like a perfect one.
RankingMetrics evaluate(TransE& model, const std::vector<Triple>& triples, const TripleFilter& filter);

// The expected MRR of a uniformly random ranking of n candidates: (1/n) sum_k 1/k.
double random_mrr(std::int64_t n);

}  // namespace ember::apps::transe
