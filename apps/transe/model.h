// TransE (Bordes et al., 2013): a relation is a translation in embedding space, and a triple
// (h, r, t) is plausible when h + r is close to t:  d(h, r, t) = ||e_h + w_r - e_t||_p.
#pragma once

#include "nn/embedding.h"
#include "nn/module.h"

#include <cstdint>
#include <memory>

namespace ember::apps::transe {

struct TransEConfig {
  std::int64_t num_entities = 0;
  std::int64_t num_relations = 0;
  std::int64_t dim = 50;
  int p = 1;  // 1 (L1) or 2 (L2) distance
};

// Parameters: entity_embedding.weight [E, dim], relation_embedding.weight [R, dim].
// Entities are looked up with max_norm = 1: rows longer than 1 are rescaled in place before each
// lookup, the paper's "normalise the entities at every step" done by the Embedding itself.
class TransE : public nn::Module {
 public:
  explicit TransE(const TransEConfig& config);

  // heads, relations, tails: int64 [B] -> distances [B]
  Tensor forward(const Tensor& heads, const Tensor& relations, const Tensor& tails);

  // Every entity row with max_norm applied, [E, dim] (renormalises the table in place, as a
  // lookup of every row would). Not recorded on the tape.
  Tensor normalized_entities();

  const TransEConfig& config() const { return config_; }
  std::shared_ptr<nn::Embedding> entity_embedding, relation_embedding;

 private:
  TransEConfig config_;
};

}  // namespace ember::apps::transe
