// nn::Embedding and the embedding op: golden parity with PyTorch 1.13 (every option combination,
// max_norm renorm, sparse layout), gradient accumulation, init, from_pretrained, float64
// gradchecks, max_norm and autograd, and every error path with the weight left bitwise unchanged.
#include <catch2/catch.hpp>

#include "golden.h"
#include "testing.h"

#include "autograd/engine.h"
#include "autograd/grad_mode.h"
#include "autograd/ops.h"
#include "autograd/ops_embedding.h"
#include "core/allocator.h"
#include "core/kernels.h"
#include "core/sparse.h"
#include "nn/embedding.h"
#include "nn/init.h"
#include "optim/clip_grad.h"
#include "optim/sgd.h"
#include "optim/sparse_adam.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <limits>

using namespace ember;
using Catch::Contains;
using nlohmann::json;

namespace {

// float32 golden tolerance: 1e-5 relative; the absolute 1e-6 covers values near zero only.
constexpr double kRtol = 1e-5, kAtol = 1e-6;

const json& golden() {
  static const json doc = testing::load_golden("embedding");
  return doc;
}

std::optional<std::int64_t> opt_int(const json& j) {
  return j.is_null() ? std::nullopt : std::optional<std::int64_t>(j.get<std::int64_t>());
}
std::optional<double> opt_double(const json& j) {
  return j.is_null() ? std::nullopt : std::optional<double>(j.get<double>());
}
double number(const json& j) {  // norm_type: a number or "inf"
  return j.is_string() ? std::numeric_limits<double>::infinity() : j.get<double>();
}

// Checks output, renormed weight and gradient (dense, or sparse layout + to_dense) of one case.
void check_case(const json& c, const Tensor& y, const Tensor& weight, const Tensor& weight_storage) {
  testing::require_close(y, testing::tensor_from_json(c.at("output")), kRtol, kAtol);
  testing::require_close(weight_storage, testing::tensor_from_json(c.at("weight_after")), kRtol, kAtol);
  y.backward(testing::tensor_from_json(c.at("upstream")));
  const Tensor expected = testing::tensor_from_json(c.at("grad"));
  if (c.at("params").at("sparse").get<bool>()) {
    REQUIRE(weight.has_sparse_grad());
    const SparseTensor g = weight.sparse_grad();
    CHECK_FALSE(g.coalesced);
    testing::require_equal(g.indices, testing::tensor_from_json(c.at("sparse_indices")));
    testing::require_close(g.values, testing::tensor_from_json(c.at("sparse_values")), kRtol, kAtol);
    testing::require_close(g.to_dense(), expected, kRtol, kAtol);
  } else {
    REQUIRE_FALSE(weight.has_sparse_grad());
    testing::require_close(weight.grad(), expected, kRtol, kAtol);
  }
}

Tensor longs(std::vector<std::int64_t> values, Shape shape) { return tensor(values, shape); }
Tensor floats(std::vector<double> values, Shape shape) { return tensor(values, shape, kFloat32); }

// A [V, D] table whose rows have norms 0.5, 1, 1.5, ...: max_norm 1 changes rows 2 and up.
Tensor spread_table(std::int64_t V, std::int64_t D, DType dtype = kFloat32) {
  Tensor w = empty({V, D}, dtype);
  for (std::int64_t r = 0; r < V; ++r)
    for (std::int64_t j = 0; j < D; ++j)
      kernels::select(kernels::select(w, 0, r), 0, j).fill_(0.5 * (r + 1) / std::sqrt(double(D)) * (j % 2 ? -1 : 1));
  return w;
}

}  // namespace

TEST_CASE("embedding: golden parity with PyTorch for every option combination", "[nn]") {
  const json& cases = golden().at("cases").at("embedding");
  REQUIRE(cases.size() >= 30);
  for (const json& c : cases) {
    INFO(c.at("name").get<std::string>() << " (reference: " << c.at("reference").get<std::string>() << ")");
    const json& p = c.at("params");
    const Tensor indices = testing::tensor_from_json(c.at("indices"));
    {  // the functional form on a weight that is itself the leaf
      Tensor w = testing::tensor_from_json(c.at("weight")).requires_grad_();
      Tensor y = nn::functional::embedding(indices, w, nn::functional::EmbeddingFuncOptions()
                                                           .padding_idx(opt_int(p.at("padding_idx")))
                                                           .max_norm(opt_double(p.at("max_norm")))
                                                           .norm_type(number(p.at("norm_type")))
                                                           .scale_grad_by_freq(p.at("scale_grad_by_freq"))
                                                           .sparse(p.at("sparse")));
      CHECK(y.grad_fn_name() == "embedding");
      check_case(c, y, w, w);
    }
    {  // the module, built around the same values (storage shared with `values`)
      Tensor values = testing::tensor_from_json(c.at("weight"));
      auto emb = nn::Embedding::from_pretrained(values, nn::EmbeddingFromPretrainedOptions()
                                                            .freeze(false)
                                                            .padding_idx(opt_int(p.at("padding_idx")))
                                                            .max_norm(opt_double(p.at("max_norm")))
                                                            .norm_type(number(p.at("norm_type")))
                                                            .scale_grad_by_freq(p.at("scale_grad_by_freq"))
                                                            .sparse(p.at("sparse")));
      check_case(c, emb->forward(indices), emb->weight, values);
    }
    {  // frozen (the default): same output, the renorm still rewrites the table, nothing to train
      Tensor values = testing::tensor_from_json(c.at("weight"));
      auto frozen = nn::Embedding::from_pretrained(values, nn::EmbeddingFromPretrainedOptions()
                                                               .padding_idx(opt_int(p.at("padding_idx")))
                                                               .max_norm(opt_double(p.at("max_norm")))
                                                               .norm_type(number(p.at("norm_type"))));
      const Tensor y = frozen->forward(indices);
      CHECK_FALSE(y.requires_grad());
      testing::require_close(y, testing::tensor_from_json(c.at("output")), kRtol, kAtol);
      testing::require_close(values, testing::tensor_from_json(c.at("weight_after")), kRtol, kAtol);
    }
  }
}

TEST_CASE("embedding: max_norm renorm matches torch.embedding_renorm_ for L1, L2, L3 and inf", "[nn]") {
  const json& cases = golden().at("cases").at("renorm");
  REQUIRE(cases.size() >= 12);
  for (const json& c : cases) {
    INFO(c.at("name").get<std::string>());
    Tensor w = testing::tensor_from_json(c.at("weight"));
    const Tensor expected = testing::tensor_from_json(c.at("weight_after"));
    const std::uint64_t before = w.version();
    embedding_renorm_(w, testing::tensor_from_json(c.at("indices")), c.at("params").at("max_norm"),
                      number(c.at("params").at("norm_type")));
    testing::require_close(w, expected, 1e-6, 1e-7);
    // The version moves exactly when some row changed.
    const bool changed = std::memcmp(testing::tensor_from_json(c.at("weight")).raw_data(), expected.raw_data(),
                                     expected.numel() * 4) != 0;
    CHECK((w.version() != before) == changed);
  }
}

TEST_CASE("embedding: forward shapes for 0-d, 1-D, 2-D, 3-D and empty inputs", "[nn]") {
  manual_seed(1);
  nn::Embedding emb(nn::EmbeddingOptions(10, 3));
  CHECK(emb.forward(longs({4}, {})).shape() == Shape({3}));
  CHECK(emb.forward(longs({1, 2, 3, 4}, {4})).shape() == Shape({4, 3}));
  CHECK(emb.forward(longs({1, 2, 3, 4, 5, 6}, {2, 3})).shape() == Shape({2, 3, 3}));
  CHECK(emb.forward(zeros({2, 3, 4}, kInt64)).shape() == Shape({2, 3, 4, 3}));
  CHECK(emb.forward(zeros({2, 0}, kInt64)).shape() == Shape({2, 0, 3}));
  // Rows are copies, not views of the weight.
  Tensor y = emb.forward(longs({7}, {1}));
  CHECK_FALSE(y.shares_storage(emb.weight));
  testing::require_equal(kernels::select(y, 0, 0), kernels::select(emb.weight, 0, 7));
}

TEST_CASE("embedding: a big batch (parallel gather) equals row-by-row lookups", "[nn]") {
  manual_seed(2);
  nn::Embedding emb(nn::EmbeddingOptions(5000, 64));
  const Tensor ids = randint(0, 5000, {64, 200});
  const Tensor y = emb.forward(ids);
  const auto flat = ids.to_vector<std::int64_t>();
  const float* py = y.data_ptr<float>();
  const float* pw = emb.weight.data_ptr<float>();
  bool all_equal = true;
  for (std::size_t i = 0; i < flat.size(); ++i)
    all_equal = all_equal && std::memcmp(py + i * 64, pw + flat[i] * 64, 64 * sizeof(float)) == 0;
  CHECK(all_equal);
}

TEST_CASE("embedding: default init is N(0, 1) with the padding row zeroed - reset_parameters re-draws", "[nn]") {
  manual_seed(3);
  nn::Embedding emb(nn::EmbeddingOptions(1000, 100).padding_idx(-1));
  CHECK(emb.options().padding_idx() == 999);  // stored normalised, as PyTorch
  const auto v = emb.weight.to_vector<double>();
  double mean = 0, sq = 0;
  for (std::size_t i = 0; i < 999 * 100; ++i) mean += v[i], sq += v[i] * v[i];
  mean /= 99900;
  const double std = std::sqrt(sq / 99900 - mean * mean);
  CHECK(std::abs(mean) < 0.01);
  CHECK(std::abs(std - 1.0) < 0.01);  // not uniform +-sqrt(1/D): that would give std 0.058
  testing::require_equal(kernels::select(emb.weight, 0, 999), zeros({100}));
  CHECK(emb.weight.requires_grad());
  CHECK(emb.named_parameters().size() == 1);
  CHECK(emb.named_parameters()[0].first == "weight");

  nn::init::normal_(emb.weight, 0, 0.01);  // the seed's custom init: also overwrites the pad row
  CHECK(kernels::select(emb.weight, 0, 999).to_vector<float>()[0] != 0.0f);
  emb.reset_parameters();
  testing::require_equal(kernels::select(emb.weight, 0, 999), zeros({100}));
  CHECK(std::abs(emb.weight.to_vector<double>()[0]) > 1e-4);  // back to unit scale, not 0.01
}

TEST_CASE("embedding: _weight and from_pretrained share storage, skip init and keep the pad row", "[nn]") {
  Tensor given = spread_table(4, 3);
  const Tensor copy = kernels::clone(given);
  nn::Embedding emb(nn::EmbeddingOptions(4, 3)._weight(given).padding_idx(1));
  CHECK(emb.weight.shares_storage(given));
  testing::require_equal(emb.weight, copy);  // no init, padding row not zeroed
  CHECK_FALSE(given.requires_grad());        // the caller's tensor keeps its own autograd state
  CHECK(emb.weight.requires_grad());

  auto frozen = nn::Embedding::from_pretrained(given, nn::EmbeddingFromPretrainedOptions().padding_idx(0));
  CHECK(frozen->weight.shares_storage(given));
  CHECK_FALSE(frozen->weight.requires_grad());
  Tensor y = frozen->forward(longs({0, 3}, {2}));
  CHECK_FALSE(y.requires_grad());
  testing::require_equal(kernels::select(y, 0, 0), kernels::select(copy, 0, 0));  // pad row not zeroed

  auto trainable = nn::Embedding::from_pretrained(given, nn::EmbeddingFromPretrainedOptions().freeze(false));
  CHECK(trainable->weight.requires_grad());
  CHECK(trainable->forward(longs({1}, {1})).requires_grad());

  // max_norm rewrites a frozen table too (in place, visible through the caller's tensor).
  auto renorming = nn::Embedding::from_pretrained(given, nn::EmbeddingFromPretrainedOptions().max_norm(1.0));
  renorming->forward(longs({3}, {1}));
  const auto row3 = kernels::select(given, 0, 3);
  CHECK(kernels::norm(row3).item<double>() == Approx(1.0).epsilon(1e-6));
  CHECK(kernels::norm(row3).item<double>() < 1.0);  // a hair below: scale = max_norm / (norm + 1e-7)
}

TEST_CASE("embedding: sparse gradients accumulate by concatenation - an all-padding batch is empty", "[nn]") {
  Tensor w = spread_table(6, 2).requires_grad_();
  const Tensor ids = longs({1, 2, 1, 0, 2, 5}, {2, 3});
  const Tensor dy = floats({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, {2, 3, 2});
  embedding(w, ids, 0, false, true).backward(dy);
  CHECK(w.sparse_grad().nnz() == 5);  // position of index 0 (padding) removed
  const Tensor once = w.sparse_grad().to_dense();
  embedding(w, ids, 0, false, true).backward(dy);
  const SparseTensor twice = w.sparse_grad();
  CHECK(twice.nnz() == 10);
  CHECK_FALSE(twice.coalesced);
  CHECK(twice.indices.to_vector<std::int64_t>() == std::vector<std::int64_t>{1, 2, 1, 2, 5, 1, 2, 1, 2, 5});
  testing::require_close(twice.to_dense(), kernels::mul(once, full({1}, 2.0)), 0, 0);
  testing::require_close(twice.coalesce().to_dense(), twice.to_dense(), 0, 0);

  // All padding: an empty [V, D] gradient that accumulates, coalesces and densifies.
  Tensor v = spread_table(6, 2).requires_grad_();
  embedding(v, longs({3, 3}, {2}), 3, false, true).backward(ones({2, 2}));
  REQUIRE(v.has_sparse_grad());
  CHECK(v.sparse_grad().nnz() == 0);
  CHECK(v.sparse_grad().shape == Shape({6, 2}));
  testing::require_equal(v.sparse_grad().to_dense(), zeros({6, 2}));
  CHECK(v.sparse_grad().coalesce().nnz() == 0);
  embedding(v, longs({1}, {1}), 3, false, true).backward(ones({1, 2}));
  CHECK(v.sparse_grad().nnz() == 1);

  // zero_grad(set_to_none=false) keeps a sparse grad sparse and empty, as PyTorch.
  nn::Embedding emb(nn::EmbeddingOptions(6, 2).sparse(true));
  emb.forward(longs({1, 4}, {2})).backward(ones({2, 2}));
  emb.zero_grad(false);
  CHECK(emb.weight.sparse_grad().nnz() == 0);
}

TEST_CASE("embedding: an empty sparse gradient passes through clipping, SGD and SparseAdam", "[nn]") {
  nn::Embedding emb(nn::EmbeddingOptions(6, 2).padding_idx(0).sparse(true));
  const Tensor before = kernels::clone(emb.weight);
  optim::SparseAdam adam(emb.parameters(), optim::SparseAdamOptions(0.1));
  optim::SGD sgd(emb.parameters(), optim::SGDOptions(0.1).momentum(0.9));
  emb.forward(zeros({3, 4}, kInt64)).backward(ones({3, 4, 2}));  // all padding
  REQUIRE(emb.weight.sparse_grad().nnz() == 0);
  CHECK(nn::utils::clip_grad_norm_(emb.parameters(), 1.0) == 0.0);
  adam.step();
  sgd.step();
  testing::require_equal(emb.weight, before);
  // ... and a real batch after it still trains.
  emb.zero_grad(false);
  emb.forward(longs({0, 3}, {2})).backward(ones({2, 2}));
  adam.step();
  CHECK(kernels::select(emb.weight, 0, 3).to_vector<float>() != kernels::select(before, 0, 3).to_vector<float>());
  testing::require_equal(kernels::select(emb.weight, 0, 0), kernels::select(before, 0, 0));  // padding row: no step
}

TEST_CASE("embedding: a dense gradient is index-added into the existing .grad, with no [V, D] temporary", "[nn]") {
  const std::int64_t V = 200000, D = 32;  // 25.6 MB: a fresh [V, D] buffer would show in the cache
  Tensor w = zeros({V, D}).requires_grad_();
  const Tensor ids = longs({5, 7, 5}, {3});
  embedding(w, ids).backward(ones({3, D}));
  const Tensor first = w.grad();
  REQUIRE(first.defined());
  CHECK(first.to_vector<float>()[5 * D] == 2.0f);

  allocator::empty_cache();
  const AllocatorStats before = allocator::stats();
  embedding(w, ids).backward(ones({3, D}));
  const AllocatorStats after = allocator::stats();
  CHECK(w.grad().is_same(first));  // the same buffer, updated in place
  CHECK(first.to_vector<float>()[5 * D] == 4.0f);
  CHECK(first.to_vector<float>()[7 * D] == 2.0f);
  const std::size_t grown = (after.bytes_in_use + after.bytes_cached) - (before.bytes_in_use + before.bytes_cached);
  CHECK(grown < static_cast<std::size_t>(V * D * 4 / 10));

  // Mixed uses of one weight: a dense use makes .grad dense even next to a sparse lookup.
  Tensor m = spread_table(4, 2).requires_grad_();
  (sum(embedding(m, longs({1}, {1}), std::nullopt, false, true)) +
   sum(embedding(m, longs({1, 2}, {2})))).backward();
  REQUIRE_FALSE(m.has_sparse_grad());
  testing::require_equal(m.grad(), floats({0, 0, 2, 2, 1, 1, 0, 0}, {4, 2}));
}

TEST_CASE("embedding: float64 gradcheck with respect to the weight", "[nn]") {
  // Only the plain lookup: padding_idx and scale_grad_by_freq deliberately change the gradient
  // away from the true derivative (PyTorch's definition), so the golden cases check those.
  manual_seed(4);
  const Tensor w = randn({6, 3}, kFloat64).requires_grad_();
  const auto lookup = [](const std::vector<Tensor>& in) { return embedding(in[0], in[1]); };
  CHECK(testing::gradcheck(lookup, {w, longs({1, 4, 1, 0, 5, 1}, {2, 3})}));  // repeated indices
  CHECK(testing::gradcheck(lookup, {w, longs({2}, {})}));                     // 0-d
  CHECK(testing::gradcheck(lookup, {w, longs({5, 5, 0, 1, 2, 3, 4, 5}, {2, 2, 2})}));
  // A weight that is not a leaf (its row gradient is densified for the mul node) or not
  // contiguous (a transposed view: rows are strided).
  CHECK(testing::gradcheck([](const std::vector<Tensor>& in) { return embedding(mul(in[0], in[0]), in[1]); },
                           {w, longs({1, 4, 1}, {3})}));
  const Tensor wt = randn({3, 6}, kFloat64).requires_grad_();
  CHECK(testing::gradcheck([](const std::vector<Tensor>& in) { return embedding(t(in[0]), in[1]); },
                           {wt, longs({1, 4, 1, 2}, {4})}));
  // The max_norm renorm writes through the strides of a transposed table too.
  Tensor strided = kernels::transpose(kernels::mul(randn({3, 6}), full({1}, 2.0)), 0, 1);
  Tensor packed = kernels::clone(strided);
  embedding_renorm_(strided, longs({0, 5, 5}, {3}), 1.0);
  embedding_renorm_(packed, longs({0, 5, 5}, {3}), 1.0);
  testing::require_equal(kernels::contiguous(strided), packed);
  // Sparse: the same Jacobian through the row-sparse path (gradcheck reads the dense .grad, so
  // the sparse gradient is compared to it through to_dense below).
  Tensor dense_w = randn({6, 3}, kFloat64).requires_grad_();
  Tensor sparse_w = kernels::clone(dense_w).requires_grad_();
  const Tensor idx = longs({1, 4, 1, 0}, {4});
  const Tensor dy = randn({4, 3}, kFloat64);
  embedding(dense_w, idx).backward(dy);
  embedding(sparse_w, idx, std::nullopt, false, true).backward(dy);
  testing::require_close(sparse_w.sparse_grad().to_dense(), dense_w.grad(), 0, 0);
}

TEST_CASE("embedding: one tape entry - backward saves only the indices", "[nn]") {
  Tensor w = spread_table(5, 4).requires_grad_();
  Tensor y = embedding(w, longs({1, 2, 3}, {3}));
  const std::string tape = autograd::print_tape(y);
  CHECK(tape.find("embedding") != std::string::npos);
  CHECK(tape.find("24 B") != std::string::npos);  // 3 int64 indices, not the [5, 4] weight
}

TEST_CASE("embedding: max_norm and autograd: detected and explained, never silently wrong", "[nn]") {
  nn::Embedding emb(nn::EmbeddingOptions(4, 2)._weight(spread_table(4, 2)).max_norm(1.0));
  const Tensor ids = longs({3}, {1});
  {  // weight saved by an earlier op (matmul), then renormed by the lookup: a clear error.
    Tensor x = ones({2, 1}).requires_grad_();
    Tensor saved_weight = sum(matmul(emb.weight, x));  // saves the weight at version v
    Tensor z = saved_weight + sum(emb.forward(ids));    // the renorm writes row 3: version v + 1
    REQUIRE_THROWS_WITH(z.backward(), Contains("modified by an inplace operation") && Contains("Embedding max_norm") &&
                                          Contains("clone()"));
  }
  {  // the rows are already within max_norm: no write, no version bump, backward works (PyTorch fails here).
    Tensor x = ones({2, 1}).requires_grad_();
    const std::uint64_t version = emb.weight.version();
    Tensor saved_weight = sum(matmul(emb.weight, x));
    Tensor z = saved_weight + sum(emb.forward(ids));
    CHECK(emb.weight.version() == version);
    z.backward();
    CHECK(x.grad().defined());
  }
  {  // the documented workaround: clone() the weight for the other use.
    nn::Embedding fresh(nn::EmbeddingOptions(4, 2)._weight(spread_table(4, 2)).max_norm(1.0));
    Tensor x = ones({2, 1}).requires_grad_();
    Tensor other_use = sum(matmul(clone(fresh.weight), x));
    Tensor z = other_use + sum(fresh.forward(ids));
    z.backward();
    CHECK(fresh.weight.grad().defined());
  }
  {  // two lookups of one max_norm table in the same graph are fine (backward needs no weight values).
    nn::Embedding shared(nn::EmbeddingOptions(4, 2)._weight(spread_table(4, 2)).max_norm(1.0));
    Tensor z = sum(shared.forward(longs({2}, {1}))) + sum(shared.forward(longs({3, 2}, {2})));
    z.backward();
    testing::require_equal(shared.weight.grad(), floats({0, 0, 0, 0, 2, 2, 1, 1}, {4, 2}));
  }
}

TEST_CASE("embedding: out-of-range and negative indices name value, position and range - weight unchanged",
          "[nn]") {
  for (std::optional<double> max_norm : {std::optional<double>{}, std::optional<double>{0.5}}) {
    nn::Embedding emb(nn::EmbeddingOptions(5000, 2).max_norm(max_norm));
    const Tensor before = kernels::clone(emb.weight);
    Tensor ids = zeros({4, 20}, kInt64);
    kernels::select(kernels::select(ids, 0, 3), 0, 17).fill_(5003);
    kernels::select(kernels::select(ids, 0, 0), 0, 1).fill_(4999);  // valid, and renormed if checks came late
    REQUIRE_THROWS_AS(emb.forward(ids), IndexError);
    REQUIRE_THROWS_WITH(emb.forward(ids), "embedding: index 5003 at position [3, 17] is out of range [0, 5000)");
    testing::require_equal(emb.weight, before);
    CHECK_FALSE(emb.weight.has_sparse_grad());

    REQUIRE_THROWS_WITH(emb.forward(longs({1, -1}, {2})),
                        "embedding: index -1 at position [1] is out of range [0, 5000)");
    testing::require_equal(emb.weight, before);
  }
  Tensor w = spread_table(3, 2);
  const Tensor before = kernels::clone(w);
  REQUIRE_THROWS_WITH(embedding_renorm_(w, longs({0, 3}, {2}), 0.1),
                      "embedding_renorm_: index 3 at position [1] is out of range [0, 3)");
  testing::require_equal(w, before);
}

TEST_CASE("embedding: bad dtypes, options and devices are rejected with the value and the valid range", "[nn]") {
  nn::Embedding emb(nn::EmbeddingOptions(5, 2).max_norm(0.1));
  const Tensor before = kernels::clone(emb.weight);
  REQUIRE_THROWS_AS(emb.forward(tensor({1.0, 2.0})), TypeError);
  REQUIRE_THROWS_WITH(emb.forward(tensor({1.0, 2.0})),
                      Contains("embedding: indices has dtype float32; expected int64"));
  testing::require_equal(emb.weight, before);

  using nn::EmbeddingOptions;
  REQUIRE_THROWS_WITH(nn::Embedding(EmbeddingOptions(5, 2).padding_idx(5)),
                      Contains("padding_idx 5 is out of range; expected -5 <= padding_idx < 5"));
  REQUIRE_THROWS_WITH(nn::Embedding(EmbeddingOptions(5, 2).padding_idx(-6)), Contains("padding_idx -6"));
  REQUIRE_THROWS_WITH(nn::Embedding(EmbeddingOptions(5, 2)._weight(zeros({4, 2}))),
                      Contains("_weight has shape [4, 2]; expected [num_embeddings, embedding_dim] = [5, 2]"));
  REQUIRE_THROWS_WITH(nn::Embedding(EmbeddingOptions(5, 2).device("cuda")),
                      Contains("device \"cuda\" is not supported; expected \"cpu\""));
  REQUIRE_THROWS_WITH(nn::Embedding(EmbeddingOptions(5, 2).dtype(kInt64)), Contains("dtype int64 is not supported"));
  REQUIRE_THROWS_WITH(nn::Embedding(EmbeddingOptions(-1, 2)), Contains("num_embeddings -1 is negative"));
  REQUIRE_THROWS_WITH(nn::Embedding(EmbeddingOptions(5, 2).max_norm(-1.0)), Contains("max_norm -1 is invalid"));
  REQUIRE_THROWS_WITH(nn::Embedding(EmbeddingOptions(5, 2).norm_type(0.0)), Contains("norm_type 0 is invalid"));
  REQUIRE_THROWS_WITH(nn::Embedding::from_pretrained(zeros({4})),
                      Contains("embeddings has shape [4]; expected a 2-dimensional"));
  REQUIRE_THROWS_WITH(nn::functional::embedding(longs({0}, {1}), zeros({2, 2, 2})),
                      Contains("embedding: weight has shape [2, 2, 2]; expected a 2-D"));
  // padding_idx of the functional form is checked against the weight before the renorm writes.
  Tensor w = spread_table(3, 2);
  const Tensor w_before = kernels::clone(w);
  REQUIRE_THROWS_WITH(nn::functional::embedding(longs({2}, {1}), w,
                                                nn::functional::EmbeddingFuncOptions().padding_idx(3).max_norm(0.1)),
                      Contains("embedding: padding_idx 3 is out of range"));
  testing::require_equal(w, w_before);
}

TEST_CASE("embedding: printing shows the options that differ from PyTorch's defaults", "[nn]") {
  using nn::EmbeddingOptions;
  CHECK(nn::to_string(nn::Embedding(EmbeddingOptions(3, 2)
                                        .padding_idx(2)
                                        .max_norm(1.0)
                                        .norm_type(1.0)
                                        .scale_grad_by_freq(true)
                                        .sparse(true))) ==
        "Embedding(3, 2, padding_idx=2, max_norm=1.0, norm_type=1.0, scale_grad_by_freq=True, sparse=True)");
  CHECK(nn::to_string(nn::Embedding(EmbeddingOptions(3, 2).max_norm(0.5).norm_type(INFINITY))) ==
        "Embedding(3, 2, max_norm=0.5, norm_type=inf)");
  CHECK(nn::to_string(nn::Embedding(EmbeddingOptions(5, 2).padding_idx(-1))) == "Embedding(5, 2, padding_idx=4)");
}

TEST_CASE("embedding: clamp_indices maps out-of-range ids to the ends or to a replacement such as <unk>", "[nn]") {
  const Tensor ids = longs({-3, 0, 4, 5, 99}, {5});
  CHECK(nn::clamp_indices(ids, 5).to_vector<std::int64_t>() == std::vector<std::int64_t>{0, 0, 4, 4, 4});
  CHECK(nn::clamp_indices(ids, 5, 1).to_vector<std::int64_t>() == std::vector<std::int64_t>{1, 0, 4, 1, 1});
  CHECK(ids.to_vector<std::int64_t>() == std::vector<std::int64_t>{-3, 0, 4, 5, 99});  // input untouched
  REQUIRE_THROWS_WITH(nn::clamp_indices(ids, 5, 5), "clamp_indices: replacement 5 is out of range [0, 5)");
  REQUIRE_THROWS_WITH(nn::clamp_indices(tensor({1.0}), 5), Contains("expected int64"));
}
