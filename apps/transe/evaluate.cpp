// Filtered ranking metrics (see evaluate.h): plain loops over the [E, dim] entity table, one
// query per (triple, side), split across threads by triple.
#include "apps/transe/evaluate.h"

#include "core/parallel.h"

#include <algorithm>
#include <cmath>

namespace ember::apps::transe {

TripleFilter::TripleFilter(std::int64_t num_relations, const std::vector<const std::vector<Triple>*>& sets)
    : num_relations_(num_relations) {
  for (const auto* set : sets)
    for (const Triple& t : *set) {
      tails_[t.head * num_relations_ + t.relation].push_back(t.tail);
      heads_[t.tail * num_relations_ + t.relation].push_back(t.head);
    }
  for (auto* index : {&tails_, &heads_})  // a triple listed twice must be filtered once
    for (auto& [key, entities] : *index) {
      std::sort(entities.begin(), entities.end());
      entities.erase(std::unique(entities.begin(), entities.end()), entities.end());
    }
}

namespace {
const std::vector<std::int64_t> kNone;
}

const std::vector<std::int64_t>& TripleFilter::tails(std::int64_t head, std::int64_t relation) const {
  auto it = tails_.find(head * num_relations_ + relation);
  return it == tails_.end() ? kNone : it->second;
}

const std::vector<std::int64_t>& TripleFilter::heads(std::int64_t relation, std::int64_t tail) const {
  auto it = heads_.find(tail * num_relations_ + relation);
  return it == heads_.end() ? kNone : it->second;
}

namespace {

// ||a - b||_p, or its square for p = 2 (ranking needs only the order).
double distance(const float* a, const float* b, std::int64_t dim, int p) {
  double total = 0;
  for (std::int64_t k = 0; k < dim; ++k) {
    const double d = static_cast<double>(a[k]) - static_cast<double>(b[k]);
    total += p == 1 ? std::abs(d) : d * d;
  }
  return total;
}

// The filtered rank of `target` among all rows of `entities` by distance to `query`; the
// entities in `known` (true triples) other than the target are not competitors.
double filtered_rank(const float* query, const float* entities, std::int64_t num_entities, std::int64_t dim, int p,
                     std::int64_t target, const std::vector<std::int64_t>& known) {
  const double target_distance = distance(query, entities + target * dim, dim, p);
  std::int64_t closer = 0, tied = 0;
  for (std::int64_t e = 0; e < num_entities; ++e) {
    if (e == target) continue;
    const double d = distance(query, entities + e * dim, dim, p);
    closer += d < target_distance;
    tied += d == target_distance;
  }
  for (std::int64_t e : known) {
    if (e == target) continue;
    const double d = distance(query, entities + e * dim, dim, p);
    closer -= d < target_distance;
    tied -= d == target_distance;
  }
  return 1.0 + static_cast<double>(closer) + 0.5 * static_cast<double>(tied);
}

}  // namespace

RankingMetrics evaluate(TransE& model, const std::vector<Triple>& triples, const TripleFilter& filter) {
  RankingMetrics m;
  if (triples.empty()) return m;
  const Tensor entities = model.normalized_entities().contiguous();
  const Tensor relations = model.relation_embedding->weight.detach().contiguous();
  const float* E = entities.data_ptr<float>();
  const float* R = relations.data_ptr<float>();
  const std::int64_t N = model.config().num_entities, dim = model.config().dim;
  const int p = model.config().p;

  std::vector<double> ranks(2 * triples.size());
  parallel_for(0, static_cast<std::int64_t>(triples.size()), 16, [&](std::int64_t begin, std::int64_t end) {
    std::vector<float> query(static_cast<std::size_t>(dim));
    for (std::int64_t i = begin; i < end; ++i) {
      const Triple& t = triples[static_cast<std::size_t>(i)];
      const float *h = E + t.head * dim, *r = R + t.relation * dim, *tail = E + t.tail * dim;
      for (std::int64_t k = 0; k < dim; ++k) query[k] = h[k] + r[k];  // (h, r, ?): closest to h + r
      ranks[2 * i] = filtered_rank(query.data(), E, N, dim, p, t.tail, filter.tails(t.head, t.relation));
      for (std::int64_t k = 0; k < dim; ++k) query[k] = tail[k] - r[k];  // (?, r, t): closest to t - r
      ranks[2 * i + 1] = filtered_rank(query.data(), E, N, dim, p, t.head, filter.heads(t.relation, t.tail));
    }
  });

  for (double rank : ranks) {
    m.mrr += 1.0 / rank;
    m.mean_rank += rank;
    m.hits_at_1 += rank <= 1;
    m.hits_at_3 += rank <= 3;
    m.hits_at_10 += rank <= 10;
  }
  m.ranks = static_cast<std::int64_t>(ranks.size());
  for (double* value : {&m.mrr, &m.mean_rank, &m.hits_at_1, &m.hits_at_3, &m.hits_at_10})
    *value /= static_cast<double>(m.ranks);
  return m;
}

double random_mrr(std::int64_t n) {
  double total = 0;
  for (std::int64_t k = 1; k <= n; ++k) total += 1.0 / static_cast<double>(k);
  return n > 0 ? total / static_cast<double>(n) : 0.0;
}

}  // namespace ember::apps::transe
