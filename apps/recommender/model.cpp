// Matrix factorisation (see model.h): four lookups, a row-wise dot product and three additions.
#include "apps/recommender/model.h"

#include "autograd/grad_mode.h"
#include "autograd/ops.h"
#include "nn/init.h"

namespace ember::apps::recommender {

MatrixFactorization::MatrixFactorization(const MatrixFactorizationConfig& config, double mu)
    : Module("MatrixFactorization"), config_(config) {
  auto table = [&](std::int64_t rows, std::int64_t dim) {
    return std::make_shared<nn::Embedding>(nn::EmbeddingOptions(rows, dim).sparse(config.sparse));
  };
  user_embedding = register_module("user_embedding", table(config.num_users, config.dim));
  item_embedding = register_module("item_embedding", table(config.num_items, config.dim));
  user_bias = register_module("user_bias", table(config.num_users, 1));
  item_bias = register_module("item_bias", table(config.num_items, 1));
  global_mean = register_buffer("global_mean", scalar_tensor(mu));
  // Embedding's N(0, 1) init makes every initial prediction off by ~dim: start near mu instead.
  nn::init::normal_(user_embedding->weight, 0.0, config.init_std);
  nn::init::normal_(item_embedding->weight, 0.0, config.init_std);
  nn::init::zeros_(user_bias->weight);
  nn::init::zeros_(item_bias->weight);
}

Tensor MatrixFactorization::forward(const Tensor& users, const Tensor& items) {
  Tensor p = user_embedding->forward(users);  // [B, dim]
  Tensor q = item_embedding->forward(items);  // [B, dim]
  Tensor dot = sum(p * q, {1});               // [B]
  Tensor b = squeeze(user_bias->forward(users), 1) + squeeze(item_bias->forward(items), 1);  // [B]
  return dot + b + global_mean;
}

Tensor MatrixFactorization::penalty(const Tensor& users, const Tensor& items) {
  Tensor p = user_embedding->forward(users);
  Tensor q = item_embedding->forward(items);
  return mean(sum(p * p, {1}) + sum(q * q, {1}));
}

Tensor MatrixFactorization::score_all_items(std::int64_t user) {
  NoGradGuard no_grad;
  Tensor p = select(user_embedding->weight, 0, user);         // [dim]
  Tensor dot = matmul(item_embedding->weight, p);             // [I]
  Tensor b = squeeze(item_bias->weight, 1) + select(user_bias->weight, 0, user);  // [I]
  return dot + b + global_mean;
}

}  // namespace ember::apps::recommender
