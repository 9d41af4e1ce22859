// The bad-input catalogue for modules and losses: wrong ranks, wrong dtypes, out-of-range
// indices, mismatched shapes and bad options each give a typed ember exception with a message
// that names the problem, and leave parameters, gradients and buffers bitwise unchanged.
// Zero-size batches and NaN inputs, which PyTorch accepts, give PyTorch's results instead.
// (Optimizers and gradient clipping: test_bad_input_optim.cpp.)
#include "tests/reliability/state_snapshot.h"

#include "autograd/grad_mode.h"
#include "autograd/ops.h"
#include "core/kernels.h"
#include "nn/embedding.h"
#include "nn/embedding_bag.h"
#include "nn/functional.h"
#include "nn/linear.h"
#include "nn/loss.h"
#include "nn/lstm.h"

#include <cmath>
#include <limits>

using namespace ember;
using testing::require_refused;
using testing::snapshot;
namespace F = ember::nn::functional;

namespace {

const double kNaN = std::numeric_limits<double>::quiet_NaN();

Tensor ids(const std::vector<std::int64_t>& values, const Shape& shape) { return tensor(values, shape); }
Tensor ids(const std::vector<std::int64_t>& values) {
  return tensor(values, Shape{static_cast<std::int64_t>(values.size())});
}

// Gives every parameter a gradient, so the checks also cover "gradients unchanged".
template <typename Forward>
void make_gradients(Forward&& forward) {
  sum(forward()).backward();
}

bool all_nan(const Tensor& t) {
  for (double v : t.to_vector<double>())
    if (!std::isnan(v)) return false;
  return t.numel() > 0;
}

}  // namespace

TEST_CASE("bad input: Linear refuses wrong ranks, shapes and dtypes and changes nothing", "[reliability]") {
  manual_seed(0);
  nn::Linear layer(nn::LinearOptions(4, 3));
  make_gradients([&] { return layer.forward(randn({2, 4})); });
  auto state = [&] { return snapshot(layer); };

  require_refused<ShapeError>([&] { layer.forward(randn({2, 5})); }, {"[2, 5]", "in_features=4"}, state);
  require_refused<ShapeError>([&] { layer.forward(scalar_tensor(1.0)); }, {"shape []", "in_features=4"}, state);
  require_refused<TypeError>([&] { layer.forward(randn({2, 4}, kFloat64)); }, {"float64"}, state);
  require_refused<TypeError>([&] { layer.forward(ids({1, 2, 3, 4}, {1, 4})); }, {"int64"}, state);
  require_refused<ValueError>([&] { nn::Linear(nn::LinearOptions(-1, 3)); }, {"in_features=-1"}, state);
  require_refused<ShapeError>([&] { F::linear(randn({2, 4}), layer.weight, randn({4})); }, {"bias"}, state);

  // PyTorch accepts an empty batch and propagates NaN: so does ember.
  const Tensor empty_out = layer.forward(randn({0, 4}));
  CHECK(empty_out.shape() == Shape({0, 3}));
  CHECK(all_nan(layer.forward(full({1, 4}, kNaN))));
}

TEST_CASE("bad input: LSTM refuses wrong ranks, shapes, dtypes and lengths and changes nothing", "[reliability]") {
  manual_seed(0);
  nn::LSTM lstm(nn::LSTMOptions(4, 5).batch_first(true));
  make_gradients([&] { return lstm.forward(randn({2, 3, 4})).output; });
  auto state = [&] { return snapshot(lstm); };

  require_refused<ShapeError>([&] { lstm.forward(randn({3, 4})); }, {"[3, 4]"}, state);
  require_refused<ShapeError>([&] { lstm.forward(randn({2, 3, 6})); }, {"[2, 3, 6]"}, state);
  require_refused<ShapeError>([&] { lstm.forward(randn({2, 0, 4})); }, {"sequence length", "[2, 0, 4]"}, state);
  require_refused<TypeError>([&] { lstm.forward(randn({2, 3, 4}, kFloat64)); }, {"float64"}, state);
  require_refused<ShapeError>(
      [&] { lstm.forward(randn({2, 3, 4}), std::make_tuple(zeros({1, 3, 5}), zeros({1, 2, 5}))); }, {"[1, 3, 5]"},
      state);
  require_refused<TypeError>(
      [&] { lstm.forward(randn({2, 3, 4}), std::make_tuple(zeros({1, 2, 5}, kFloat64), zeros({1, 2, 5}))); },
      {"float64"}, state);
  require_refused<ValueError>([&] { lstm.forward(randn({2, 3, 4}), std::nullopt, ids({3, 4})); },
                              {"lengths[1] = 4", "<= 3"}, state);
  require_refused<ValueError>([&] { lstm.forward(randn({2, 3, 4}), std::nullopt, ids({0, 2})); },
                              {"lengths[0] = 0"}, state);
  require_refused<ShapeError>([&] { lstm.forward(randn({2, 3, 4}), std::nullopt, ids({1, 2, 3})); },
                              {"lengths", "[2]"}, state);
  require_refused<TypeError>([&] { lstm.forward(randn({2, 3, 4}), std::nullopt, full({2}, 3.0)); },
                             {"lengths", "float32"}, state);
  require_refused<ValueError>([&] { nn::LSTM(nn::LSTMOptions(4, 0)); }, {"hidden_size = 0"}, state);
  require_refused<ValueError>([&] { nn::LSTM(nn::LSTMOptions(4, 5).dropout(kNaN)); }, {"dropout"}, state);

  // A NaN anywhere in the input reaches every later output step of its sequence, as in PyTorch.
  Tensor x = randn({1, 3, 4});
  x.data_ptr<float>()[0] = std::numeric_limits<float>::quiet_NaN();
  CHECK(all_nan(lstm.forward(x).output));
}

TEST_CASE("bad input: Embedding refuses bad indices before max_norm rewrites any row", "[reliability]") {
  manual_seed(0);
  nn::Embedding emb(nn::EmbeddingOptions(10, 3).padding_idx(0).max_norm(0.5));
  make_gradients([&] { return emb.forward(ids({1, 2, 3})); });
  auto state = [&] { return snapshot(emb); };

  // Rows 1 and 2 exceed max_norm: a lookup that fails on a later index must not renormalise them.
  require_refused<IndexError>([&] { emb.forward(ids({1, 2, 10})); }, {"index 10", "[0, 10)"}, state);
  require_refused<IndexError>([&] { emb.forward(ids({1, -1}, {1, 2})); }, {"index -1", "[0, 1]"}, state);
  require_refused<TypeError>([&] { emb.forward(tensor({1.0, 2.0})); }, {"float32", "int64"}, state);
  require_refused<ValueError>([&] { nn::Embedding(nn::EmbeddingOptions(10, 3).padding_idx(10)); },
                              {"padding_idx 10"}, state);
  require_refused<ValueError>([&] { nn::Embedding(nn::EmbeddingOptions(10, 3).max_norm(kNaN)); }, {"max_norm"},
                              state);
  require_refused<ShapeError>([&] { nn::Embedding(nn::EmbeddingOptions(10, 3)._weight(zeros({9, 3}))); },
                              {"[9, 3]"}, state);

  nn::Embedding sparse(nn::EmbeddingOptions(10, 3).sparse(true));
  make_gradients([&] { return sparse.forward(ids({4, 4, 9})); });
  require_refused<IndexError>([&] { sparse.forward(ids({4, 11})); }, {"index 11"}, [&] { return snapshot(sparse); });

  CHECK(emb.forward(ids({}, {0, 4})).shape() == Shape({0, 4, 3}));  // an empty batch, as PyTorch
}

TEST_CASE("bad input: EmbeddingBag refuses bad offsets, indices and weights and changes nothing", "[reliability]") {
  manual_seed(0);
  nn::EmbeddingBag bag(nn::EmbeddingBagOptions(10, 3).mode(EmbeddingBagMode::kSum).max_norm(0.5));
  make_gradients([&] { return bag.forward(ids({1, 2, 3, 4}), ids({0, 2})); });
  auto state = [&] { return snapshot(bag); };

  require_refused<IndexError>([&] { bag.forward(ids({1, 2, 3, 12}), ids({0, 2})); }, {"index 12"}, state);
  require_refused<ValueError>([&] { bag.forward(ids({1, 2, 3, 4}), ids({1, 2})); }, {"offsets[0]"}, state);
  require_refused<ValueError>([&] { bag.forward(ids({1, 2, 3, 4}), ids({0, 3, 2})); }, {"non-decreasing"}, state);
  require_refused<ValueError>([&] { bag.forward(ids({1, 2, 3, 4}), ids({0, 5})); }, {"offsets[-1]"}, state);
  require_refused<ValueError>([&] { bag.forward(ids({1, 2, 3, 4}, {2, 2}), ids({0, 1})); }, {"offsets"}, state);
  require_refused<ShapeError>([&] { bag.forward(ids({1, 2, 3, 4, 5, 6, 7, 8}, {2, 2, 2})); }, {"dimension 3"},
                              state);
  require_refused<TypeError>([&] { bag.forward(tensor({1.0, 2.0}), ids({0})); }, {"int64"}, state);
  require_refused<ShapeError>([&] { bag.forward(ids({1, 2, 3, 4}), ids({0, 2}), ones({3})); },
                              {"per_sample_weights"}, state);
  require_refused<TypeError>([&] { bag.forward(ids({1, 2, 3, 4}), ids({0, 2}), ones({4}, kFloat64)); },
                             {"per_sample_weights", "float64"}, state);

  nn::EmbeddingBag mean_bag(nn::EmbeddingBagOptions(10, 3));
  require_refused<ValueError>([&] { mean_bag.forward(ids({1, 2}), ids({0}), ones({2})); },
                              {"per_sample_weights"}, [&] { return snapshot(mean_bag); });
  require_refused<ValueError>(
      [&] { nn::EmbeddingBag(nn::EmbeddingBagOptions(10, 3).mode(EmbeddingBagMode::kMax).sparse(true)); },
      {"sparse"}, state);

  // Zero bags give [0, D]; an empty bag gives a zero row (PyTorch).
  CHECK(bag.forward(ids({}), ids({})).shape() == Shape({0, 3}));
  const Tensor y = bag.forward(ids({1, 2}), ids({0, 2}));
  CHECK(y.shape() == Shape({2, 3}));
  for (double v : kernels::select(y, 0, 1).to_vector<double>()) CHECK(v == 0.0);
}

TEST_CASE("bad input: losses refuse bad targets and shapes, and propagate NaN logits", "[reliability]") {
  manual_seed(0);
  Tensor logits = randn({4, 3}).requires_grad_();
  const std::vector<Tensor> inputs{logits};
  auto state = [&] { return snapshot(inputs); };
  make_gradients([&] { return F::cross_entropy(logits, ids({0, 1, 2, 0})); });

  require_refused<IndexError>([&] { F::cross_entropy(logits, ids({0, 3, 1, 2})); }, {"Target 3", "out of bounds"},
                              state);
  require_refused<IndexError>([&] { F::nll_loss(logits, ids({0, 1, -5, 2})); }, {"Target -5"}, state);
  require_refused<ValueError>([&] { F::cross_entropy(logits, ids({0, 1, 2})); }, {"batch_size (4)", "batch_size (3)"}, state);
  require_refused<TypeError>([&] { F::cross_entropy(logits, zeros({4}, kFloat64)); }, {"Long"}, state);
  require_refused<ShapeError>(
      [&] { F::cross_entropy(logits, ids({0, 1, 2, 0}), nn::CrossEntropyLossOptions().weight(ones({2}))); },
      {"weight", "all 3 classes", "[2]"}, state);
  require_refused<ValueError>([&] { nn::CrossEntropyLoss(nn::CrossEntropyLossOptions().label_smoothing(kNaN)); },
                              {"label_smoothing"}, state);
  require_refused<ShapeError>([&] { F::mse_loss(logits, randn({4, 2})); }, {"[4, 2]"}, state);
  require_refused<TypeError>([&] { F::mse_loss(logits, randn({4, 3}, kFloat64)); }, {"float64"}, state);
  require_refused<ValueError>([&] { F::binary_cross_entropy_with_logits(logits, randn({3, 4})); }, {"size"}, state);
  require_refused<ShapeError>([&] { F::margin_ranking_loss(randn({3}), randn({4}), ones({3})); },
                              {"margin_ranking_loss", "[3]", "[4]"}, state);

  // NaN logits give a NaN loss and NaN gradients, as in PyTorch (anomaly mode can then find them).
  Tensor bad = full({2, 3}, kNaN).requires_grad_();
  Tensor loss = F::cross_entropy(bad, ids({0, 1}));
  CHECK(std::isnan(loss.item<double>()));
  loss.backward();
  CHECK(all_nan(bad.grad()));
  // An empty batch: 'mean' is 0/0 = NaN, 'sum' is 0 (PyTorch).
  CHECK(std::isnan(F::cross_entropy(randn({0, 3}), ids({})).item<double>()));
  CHECK(F::cross_entropy(randn({0, 3}), ids({}), nn::CrossEntropyLossOptions().reduction(Reduction::Sum))
            .item<double>() == 0.0);
}

TEST_CASE("bad input: load_state_dict refuses a mismatched checkpoint and changes nothing", "[reliability]") {
  manual_seed(0);
  nn::Linear layer(nn::LinearOptions(4, 3));
  auto state = [&] { return snapshot(layer); };
  nn::Linear other(nn::LinearOptions(5, 3));
  // Every problem of a checkpoint is listed in one ValueError (PyTorch's "Error(s) in loading state_dict").
  require_refused<ValueError>([&] { layer.load_state_dict(other.state_dict()); },
                              {"size mismatch", "weight", "[3, 5]", "[3, 4]"}, state);
  nn::NamedTensors missing{{"weight", zeros({3, 4})}};
  require_refused<ValueError>([&] { layer.load_state_dict(missing); }, {"bias"}, state);
  nn::NamedTensors extra = layer.state_dict();
  extra.emplace_back("scale", ones({1}));
  require_refused<ValueError>([&] { layer.load_state_dict(extra); }, {"scale"}, state);
}
