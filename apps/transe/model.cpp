// TransE (see model.h).
#include "apps/transe/model.h"

#include "autograd/grad_mode.h"
#include "autograd/ops.h"
#include "nn/init.h"

#include <cmath>

namespace ember::apps::transe {

TransE::TransE(const TransEConfig& config) : Module("TransE"), config_(config) {
  entity_embedding = register_module("entity_embedding", std::make_shared<nn::Embedding>(
      nn::EmbeddingOptions(config.num_entities, config.dim).max_norm(1.0)));
  relation_embedding = register_module("relation_embedding", std::make_shared<nn::Embedding>(
      nn::EmbeddingOptions(config.num_relations, config.dim)));
  // The paper's init: U(-6/sqrt(dim), 6/sqrt(dim)) for both tables, relations then scaled to
  // unit L2 norm once (entities are kept within norm 1 by max_norm at every lookup).
  const double bound = 6.0 / std::sqrt(static_cast<double>(config.dim));
  nn::init::uniform_(entity_embedding->weight, -bound, bound);
  Tensor w = nn::init::uniform_(relation_embedding->weight, -bound, bound);
  NoGradGuard no_grad;
  w.copy_(w / norm(w, 2.0, {1}, /*keepdim=*/true));
}

Tensor TransE::forward(const Tensor& heads, const Tensor& relations, const Tensor& tails) {
  Tensor e = entity_embedding->forward(stack({heads, tails}));  // [2, B, dim]: one lookup, one renorm
  Tensor r = relation_embedding->forward(relations);            // [B, dim]
  return norm(select(e, 0, 0) + r - select(e, 0, 1), static_cast<double>(config_.p), {1});  // [B]
}

Tensor TransE::normalized_entities() {
  NoGradGuard no_grad;
  return entity_embedding->forward(arange(static_cast<double>(config_.num_entities)));
}

}  // namespace ember::apps::transe
