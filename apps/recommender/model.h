// Matrix factorisation for collaborative filtering: a user table and an item table of factors,
// one bias per user and per item, and the global mean rating.
//   rating(u, i) = <P[u], Q[i]> + b_user[u] + b_item[i] + mu
#pragma once

#include "nn/embedding.h"
#include "nn/module.h"

#include <cstdint>
#include <memory>

namespace ember::apps::recommender {

struct MatrixFactorizationConfig {
  std::int64_t num_users = 0;
  std::int64_t num_items = 0;
  std::int64_t dim = 16;     // factors per user and per item
  bool sparse = false;       // row-sparse table gradients, for SparseAdam
  double init_std = 0.1;     // factors start at N(0, init_std); biases at 0
};

// Parameters (state_dict keys): user_embedding.weight [U, dim], item_embedding.weight [I, dim],
// user_bias.weight [U, 1], item_bias.weight [I, 1]; buffer global_mean (0-d).
class MatrixFactorization : public nn::Module {
 public:
  MatrixFactorization(const MatrixFactorizationConfig& config, double global_mean);

  // users, items: int64 [B] -> predicted ratings [B]
  Tensor forward(const Tensor& users, const Tensor& items);
  // L2 penalty of the rows a batch uses: mean over the batch of |P[u]|^2 + |Q[i]|^2. Penalising
  // only the rows looked up keeps the gradient row-sparse.
  Tensor penalty(const Tensor& users, const Tensor& items);
  // Predicted ratings of every item for one user: [I]. Not recorded on the tape.
  Tensor score_all_items(std::int64_t user);

  const MatrixFactorizationConfig& config() const { return config_; }

  std::shared_ptr<nn::Embedding> user_embedding, item_embedding;  // P, Q
  std::shared_ptr<nn::Embedding> user_bias, item_bias;            // b_user, b_item (dim 1)
  Tensor global_mean;                                             // mu

 private:
  MatrixFactorizationConfig config_;
};

}  // namespace ember::apps::recommender
