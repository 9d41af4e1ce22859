// negative_sampling_loss (autograd/ops_word2vec.h): loss and gradients against a reference built
// from small ops (embedding, mul, sum, sigmoid, log), float64 gradchecks for skip-gram and CBOW,
// sparse gradients equal to the dense ones, the in-place SGD kernel against the op's gradient,
// and the errors.
#include "testing.h"

#include "autograd/engine.h"
#include "autograd/ops.h"
#include "autograd/ops_embedding.h"
#include "autograd/ops_word2vec.h"
#include "core/kernels.h"
#include "core/kernels_negative_sampling.h"
#include "core/sparse.h"

#include <catch2/catch.hpp>

using namespace ember;
using Catch::Matchers::Contains;

namespace {

// The same loss written the long way: mask the empty slots, average, score every target, and
// take -log sigma(+s) for the positive column and -log sigma(-s) for the noise columns.
Tensor reference_loss(const Tensor& u, const Tensor& v, const std::vector<std::int64_t>& contexts,
                      const Shape& context_shape, const std::vector<std::int64_t>& targets, const Shape& target_shape) {
  const std::int64_t B = context_shape[0], C = context_shape[1], T1 = target_shape[1];
  std::vector<std::int64_t> ids(contexts);
  std::vector<double> mask(contexts.size()), count(static_cast<std::size_t>(B), 0.0), sign;
  for (std::size_t i = 0; i < contexts.size(); ++i) {
    mask[i] = contexts[i] >= 0 ? 1.0 : 0.0;
    count[i / C] += mask[i];
    if (contexts[i] < 0) ids[i] = 0;
  }
  for (double& n : count) n = std::max(n, 1.0);
  for (std::int64_t b = 0; b < B; ++b)
    for (std::int64_t t = 0; t < T1; ++t) sign.push_back(t == 0 ? 1.0 : -1.0);
  Tensor rows = embedding(u, tensor(ids, context_shape)) * tensor(mask, {B, C, 1}, kFloat64);
  Tensor h = sum(rows, {1}) / tensor(count, {B, 1}, kFloat64);                   // [B, D]
  Tensor scores = sum(embedding(v, tensor(targets, target_shape)) * unsqueeze(h, 1), {2});  // [B, T1]
  return sum(neg(log(sigmoid(scores * tensor(sign, {B, T1}, kFloat64)))));
}

struct Case {
  std::vector<std::int64_t> contexts;
  Shape context_shape;
  std::vector<std::int64_t> targets;
  Shape target_shape;
};

// Skip-gram (one context), and CBOW with empty slots, an example with no context and repeats.
std::vector<Case> cases() {
  return {{{3, 0, 3}, {3, 1}, {1, 4, 2, 0, 1, 1, 2, 3, 4}, {3, 3}},
          {{0, 2, -1, 3, 3, 1, -1, -1, -1}, {3, 3}, {4, 0, 1, 2, 2, 3, 0, 1, 2}, {3, 3}}};
}

}  // namespace

TEST_CASE("negative_sampling_loss: loss and gradients match a reference made of small ops", "[autograd]") {
  manual_seed(7);
  for (const Case& c : cases()) {
    Tensor u = (randn({4, 5}, kFloat64) * 0.5).requires_grad_();
    Tensor v = (randn({5, 5}, kFloat64) * 0.5).requires_grad_();
    Tensor u_ref = kernels::clone(u).requires_grad_(), v_ref = kernels::clone(v).requires_grad_();
    Tensor loss = negative_sampling_loss(u, v, tensor(c.contexts, c.context_shape), tensor(c.targets, c.target_shape));
    Tensor expected = reference_loss(u_ref, v_ref, c.contexts, c.context_shape, c.targets, c.target_shape);
    testing::require_close(loss, expected, 1e-12, 1e-12);
    (loss * 1.5).backward();
    (expected * 1.5).backward();
    testing::require_close(u.grad(), u_ref.grad(), 1e-12, 1e-12);
    testing::require_close(v.grad(), v_ref.grad(), 1e-12, 1e-12);
  }
}

TEST_CASE("negative_sampling_loss: float64 gradcheck for skip-gram and CBOW", "[autograd]") {
  manual_seed(11);
  for (const Case& c : cases()) {
    Tensor u = (randn({4, 3}, kFloat64) * 0.7).requires_grad_();
    Tensor v = (randn({5, 3}, kFloat64) * 0.7).requires_grad_();
    auto f = [](const std::vector<Tensor>& in) { return negative_sampling_loss(in[0], in[1], in[2], in[3]); };
    CHECK(testing::gradcheck(f, {u, v, tensor(c.contexts, c.context_shape), tensor(c.targets, c.target_shape)}));
  }
}

TEST_CASE("negative_sampling_loss: sparse gradients hold one row per use and densify to the dense ones",
          "[autograd]") {
  manual_seed(3);
  const Case c = cases()[1];
  Tensor u = randn({4, 5}, kFloat64).requires_grad_(), v = randn({5, 5}, kFloat64).requires_grad_();
  Tensor us = kernels::clone(u).requires_grad_(), vs = kernels::clone(v).requires_grad_();
  const Tensor ctx = tensor(c.contexts, c.context_shape), tgt = tensor(c.targets, c.target_shape);
  negative_sampling_loss(u, v, ctx, tgt).backward();
  negative_sampling_loss(us, vs, ctx, tgt, /*sparse=*/true).backward();
  REQUIRE(us.has_sparse_grad());
  REQUIRE(vs.has_sparse_grad());
  CHECK(us.sparse_grad().nnz() == 5);  // the non-empty context slots
  CHECK(vs.sparse_grad().nnz() == 9);  // every target
  testing::require_close(us.sparse_grad().to_dense(), u.grad(), 1e-12, 1e-12);
  testing::require_close(vs.sparse_grad().to_dense(), v.grad(), 1e-12, 1e-12);
}

TEST_CASE("negative_sampling_sgd_: a skip-gram step is weight - lr * gradient, and returns the loss",
          "[autograd]") {
  manual_seed(5);
  const double lr = 0.1;
  Tensor u = randn({4, 6}, kFloat64).requires_grad_(), v = randn({5, 6}, kFloat64).requires_grad_();
  const Tensor ctx = tensor(std::vector<std::int64_t>{2}, {1, 1});
  const Tensor tgt = tensor(std::vector<std::int64_t>{1, 4, 0}, {1, 3});  // distinct targets
  Tensor loss = negative_sampling_loss(u, v, ctx, tgt);
  loss.backward();
  Tensor u_step = kernels::clone(u), v_step = kernels::clone(v);
  const double step_loss = kernels::negative_sampling_sgd_(u_step, v_step, ctx, tgt, 1, lr);
  CHECK(step_loss == Approx(loss.item<double>()).epsilon(1e-12));
  // The output rows are updated target by target, but each from the unchanged input row, and
  // the input row once from the output rows before their updates: exactly one gradient step.
  testing::require_close(v_step, kernels::sub(v, kernels::mul(v.grad(), scalar_tensor(lr, kFloat64))), 1e-12, 1e-12);
  testing::require_close(u_step, kernels::sub(u, kernels::mul(u.grad(), scalar_tensor(lr, kFloat64))), 1e-12, 1e-12);
}

TEST_CASE("negative_sampling_sgd_: a CBOW step adds the same update to every context row, undivided",
          "[autograd]") {
  manual_seed(6);
  const double lr = 0.05;
  Tensor u = randn({4, 6}, kFloat64).requires_grad_(), v = randn({5, 6}, kFloat64).requires_grad_();
  const Tensor ctx = tensor(std::vector<std::int64_t>{0, 3, -1}, {1, 3});
  const Tensor tgt = tensor(std::vector<std::int64_t>{2, 1}, {1, 2});
  negative_sampling_loss(u, v, ctx, tgt).backward();
  Tensor u_step = kernels::clone(u), v_step = kernels::clone(v);
  kernels::negative_sampling_sgd_(u_step, v_step, ctx, tgt, 1, lr);
  // word2vec's rule: each context row gets -lr * n * (its exact gradient), here n = 2.
  testing::require_close(u_step, kernels::sub(u, kernels::mul(u.grad(), scalar_tensor(2 * lr, kFloat64))), 1e-12,
                         1e-12);
  testing::require_close(v_step, kernels::sub(v, kernels::mul(v.grad(), scalar_tensor(lr, kFloat64))), 1e-12, 1e-12);
}

TEST_CASE("negative_sampling_loss: bad shapes, dtypes and indices are refused by name", "[autograd]") {
  Tensor u = zeros({4, 3}, kFloat64), v = zeros({5, 3}, kFloat64);
  const Tensor ctx = tensor(std::vector<std::int64_t>{0, 1}, {2, 1});
  const Tensor tgt = tensor(std::vector<std::int64_t>{0, 1, 2, 3}, {2, 2});
  CHECK_THROWS_WITH(negative_sampling_loss(u, zeros({5, 4}, kFloat64), ctx, tgt), Contains("[5, 4]"));
  CHECK_THROWS_WITH(negative_sampling_loss(u, zeros({5, 3}), ctx, tgt), Contains("float32"));
  CHECK_THROWS_AS(negative_sampling_loss(u, v, tensor(std::vector<std::int64_t>{0, 4}, {2, 1}), tgt), IndexError);
  CHECK_THROWS_WITH(negative_sampling_loss(u, v, tensor(std::vector<std::int64_t>{0, 4}, {2, 1}), tgt),
                    Contains("contexts index 4 at position [1, 0] is out of range [-1, 4)"));
  CHECK_THROWS_WITH(negative_sampling_loss(u, v, ctx, tensor(std::vector<std::int64_t>{0, 1, -1, 3}, {2, 2})),
                    Contains("targets index -1 at position [1, 0]"));
  CHECK_THROWS_WITH(negative_sampling_loss(u, v, ctx, tensor(std::vector<std::int64_t>{0, 1}, {1, 2})),
                    Contains("one B"));
  Tensor u_before = kernels::clone(u);
  CHECK_THROWS_WITH(kernels::negative_sampling_sgd_(u, v, ctx, tensor(std::vector<std::int64_t>{0, 1, 2, 9}, {2, 2}),
                                                    2, 0.1),
                    Contains("target 9 at flat position 3 is out of range [0, 5)"));
  testing::require_equal(u, u_before);
}
