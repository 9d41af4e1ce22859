// nn::EmbeddingBag and the embedding_bag op: golden parity with PyTorch 1.13 in every mode and
// input form (and the correct counts where PyTorch's CPU scale_grad_by_freq is wrong), float64
// gradchecks, and every error path with the weight left bitwise unchanged.
#include <catch2/catch.hpp>

#include "golden.h"
#include "testing.h"

#include "autograd/ops.h"
#include "autograd/ops_embedding.h"
#include "core/kernels.h"
#include "core/sparse.h"
#include "nn/embedding_bag.h"

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
double number(const json& j) { return j.is_string() ? std::numeric_limits<double>::infinity() : j.get<double>(); }
Tensor maybe(const json& c, const char* key) { return c.contains(key) ? testing::tensor_from_json(c.at(key)) : Tensor(); }

Tensor longs(std::vector<std::int64_t> values, Shape shape) { return tensor(values, shape); }
Tensor floats(std::vector<double> values, Shape shape, DType dtype = kFloat32) { return tensor(values, shape, dtype); }

void check_bag_case(const json& c, const Tensor& y, const Tensor& weight, const Tensor& weight_storage,
                    const Tensor& psw) {
  testing::require_close(y, testing::tensor_from_json(c.at("output")), kRtol, kAtol);
  testing::require_close(weight_storage, testing::tensor_from_json(c.at("weight_after")), kRtol, kAtol);
  y.backward(testing::tensor_from_json(c.at("upstream")));
  const Tensor expected = testing::tensor_from_json(c.at("grad"));
  if (c.at("params").at("sparse").get<bool>()) {
    REQUIRE(weight.has_sparse_grad());
    testing::require_equal(weight.sparse_grad().indices, testing::tensor_from_json(c.at("sparse_indices")));
    testing::require_close(weight.sparse_grad().values, testing::tensor_from_json(c.at("sparse_values")), kRtol,
                           kAtol);
    testing::require_close(weight.sparse_grad().to_dense(), expected, kRtol, kAtol);
  } else {
    testing::require_close(weight.grad(), expected, kRtol, kAtol);
  }
  if (c.contains("torch_cpu_grad")) {  // the case really differs from PyTorch 1.13's faulty CPU gradient
    const Tensor faulty = testing::tensor_from_json(c.at("torch_cpu_grad"));
    CHECK(kernels::max(kernels::abs(kernels::sub(expected, faulty))).item<double>() > 0.1);
  }
  if (psw.defined()) testing::require_close(psw.grad(), testing::tensor_from_json(c.at("psw_grad")), kRtol, kAtol);
}

}  // namespace

TEST_CASE("embedding_bag: golden parity with PyTorch in every mode and input form", "[nn]") {
  const json& cases = golden().at("cases").at("bag");
  REQUIRE(cases.size() >= 30);
  for (const json& c : cases) {
    INFO(c.at("name").get<std::string>() << " (reference: " << c.at("reference").get<std::string>() << ")");
    const json& p = c.at("params");
    const Tensor indices = testing::tensor_from_json(c.at("indices"));
    const Tensor offsets = maybe(c, "offsets");
    const EmbeddingBagMode mode = embedding_bag_mode(p.at("mode").get<std::string>());
    {  // functional form
      Tensor w = testing::tensor_from_json(c.at("weight")).requires_grad_();
      Tensor psw = maybe(c, "per_sample_weights");
      if (psw.defined()) psw.requires_grad_();
      Tensor y = nn::functional::embedding_bag(indices, w, nn::functional::EmbeddingBagFuncOptions()
                                                               .offsets(offsets)
                                                               .mode(mode)
                                                               .per_sample_weights(psw)
                                                               .include_last_offset(p.at("include_last_offset"))
                                                               .padding_idx(opt_int(p.at("padding_idx")))
                                                               .scale_grad_by_freq(p.at("scale_grad_by_freq"))
                                                               .sparse(p.at("sparse"))
                                                               .max_norm(opt_double(p.at("max_norm")))
                                                               .norm_type(number(p.at("norm_type"))));
      CHECK(y.grad_fn_name() == "embedding_bag");
      check_bag_case(c, y, w, w, psw);
    }
    {  // the module around the same values
      Tensor values = testing::tensor_from_json(c.at("weight"));
      auto bag = nn::EmbeddingBag::from_pretrained(values, nn::EmbeddingBagFromPretrainedOptions()
                                                               .freeze(false)
                                                               .mode(mode)
                                                               .include_last_offset(p.at("include_last_offset"))
                                                               .padding_idx(opt_int(p.at("padding_idx")))
                                                               .scale_grad_by_freq(p.at("scale_grad_by_freq"))
                                                               .sparse(p.at("sparse"))
                                                               .max_norm(opt_double(p.at("max_norm")))
                                                               .norm_type(number(p.at("norm_type"))));
      check_bag_case(c, bag->forward(indices, offsets, maybe(c, "per_sample_weights")), bag->weight, values,
                     Tensor());
    }
  }
}

TEST_CASE("embedding_bag: float64 gradcheck w.r.t. weight and per_sample_weights", "[nn]") {
  manual_seed(5);
  const Tensor w = randn({7, 3}, kFloat64).requires_grad_();
  const Tensor ids = longs({1, 4, 1, 0, 5, 6, 2, 2}, {8});
  const Tensor offsets = longs({0, 3, 3, 6}, {4});  // bag 1 is empty
  for (EmbeddingBagMode mode : {EmbeddingBagMode::kSum, EmbeddingBagMode::kMean, EmbeddingBagMode::kMax}) {
    for (std::optional<std::int64_t> pad : {std::optional<std::int64_t>{}, std::optional<std::int64_t>{1}}) {
      // padding entries are left out of the forward, so a zero gradient is the true derivative here.
      INFO("mode " << embedding_bag_mode_name(mode) << " padding " << (pad ? *pad : -1));
      CHECK(testing::gradcheck(
          [&](const std::vector<Tensor>& in) { return embedding_bag(in[0], in[1], in[2], mode, Tensor(), false, pad); },
          {w, ids, offsets}));
    }
  }
  const Tensor psw = randn({8}, kFloat64).requires_grad_();
  CHECK(testing::gradcheck(
      [](const std::vector<Tensor>& in) {
        return embedding_bag(in[0], in[1], in[2], EmbeddingBagMode::kSum, in[3], false, 2);
      },
      {w, ids, offsets, psw}));
  const Tensor psw2 = randn({2, 3}, kFloat64).requires_grad_();
  CHECK(testing::gradcheck(
      [](const std::vector<Tensor>& in) {
        return embedding_bag(in[0], in[1], Tensor(), EmbeddingBagMode::kSum, in[2], false);
      },
      {w, longs({1, 1, 3, 0, 6, 2}, {2, 3}), psw2}));
}

TEST_CASE("embedding_bag: edge forms: 2-D input equals sum/mean/max of Embedding - empty offsets - one offset", "[nn]") {
  manual_seed(6);
  const Tensor w = randn({9, 4});
  const Tensor ids = longs({1, 2, 8, 8, 0, 3}, {2, 3});
  const Tensor rows = kernels::index_select(w, 0, kernels::reshape(ids, {6}));
  const Tensor grouped = kernels::reshape(rows, {2, 3, 4});
  testing::require_close(embedding_bag(w, ids, Tensor(), EmbeddingBagMode::kSum), kernels::sum(grouped, {1}), kRtol,
                         kAtol);
  testing::require_close(embedding_bag(w, ids, Tensor(), EmbeddingBagMode::kMean), kernels::mean(grouped, {1}),
                         kRtol, kAtol);
  testing::require_close(embedding_bag(w, ids, Tensor(), EmbeddingBagMode::kMax), kernels::max(grouped, 1).first,
                         kRtol, kAtol);
  // A big batch runs in parallel over bags: same values as the serial reference.
  const Tensor table = randn({500, 32});
  const Tensor many = randint(0, 500, {2000, 16});
  const Tensor looked_up = kernels::reshape(kernels::index_select(table, 0, kernels::reshape(many, {-1})), {2000, 16, 32});
  testing::require_close(embedding_bag(table, many, Tensor(), EmbeddingBagMode::kMean), kernels::mean(looked_up, {1}),
                         kRtol, kAtol);
  // 2-D input with include_last_offset: still one bag per row (PyTorch 1.13 drops the last row).
  CHECK(embedding_bag(w, ids, Tensor(), EmbeddingBagMode::kSum, Tensor(), true).shape() == Shape({2, 4}));
  // Empty offsets: no bags. A single offset with include_last_offset: no bags either.
  CHECK(embedding_bag(w, longs({}, {0}), longs({}, {0})).shape() == Shape({0, 4}));
  CHECK(embedding_bag(w, longs({}, {0}), longs({0}, {1}), EmbeddingBagMode::kSum, Tensor(), true).shape() ==
        Shape({0, 4}));
  // Sparse gradient of an all-padding batch: empty.
  Tensor v = kernels::clone(w).requires_grad_();
  embedding_bag(v, longs({3, 3}, {2}), longs({0}, {1}), EmbeddingBagMode::kMean, Tensor(), false, 3, false, true)
      .backward(ones({1, 4}));
  CHECK(v.sparse_grad().nnz() == 0);
}

TEST_CASE("embedding_bag: every malformed call is rejected before the weight is touched", "[nn]") {
  // A table whose rows all exceed max_norm 0.1: a renorm would change them.
  Tensor w = kernels::add(randn({6, 3}), full({1}, 3.0));
  const Tensor before = kernels::clone(w);
  const Tensor ids = longs({1, 2, 4, 5}, {4});
  using M = EmbeddingBagMode;
  auto call = [&](const Tensor& input, const Tensor& offsets, M mode = M::kMean, const Tensor& psw = Tensor(),
                  bool include_last_offset = false, std::optional<std::int64_t> pad = std::nullopt,
                  bool freq = false, bool sparse = false) {
    return embedding_bag(w, input, offsets, mode, psw, include_last_offset, pad, freq, sparse, 0.1);
  };
  const std::vector<std::pair<std::function<void()>, std::string>> bad = {
      {[&] { call(longs({1, 2}, {1, 2}), longs({0}, {1})); }, "embedding_bag: if input is 2D, then offsets has to be undefined"},
      {[&] { call(ids, Tensor()); }, "embedding_bag: offsets has to be a 1D Tensor but got an undefined tensor"},
      {[&] { call(longs({1}, {1, 1, 1}), Tensor()); }, "embedding_bag: input has to be 1D or 2D Tensor, but got Tensor of dimension 3"},
      {[&] { call(ids, longs({1, 2}, {2})); }, "offsets[0] has to be 0, i.e., the first sequence in the mini-batch has to start from position 0. However, got 1"},
      {[&] { call(ids, longs({0, 5}, {2})); }, "offsets[-1] can not be greater than input's length 4 but got offsets[-1] of 5"},
      {[&] { call(ids, longs({0, 3, 2}, {3})); }, "offsets must be non-decreasing; got offsets[2] = 2 after offsets[1] = 3"},
      {[&] { call(ids, longs({0, 2, 3}, {3}), M::kSum, Tensor(), true); },
       "with include_last_offset=true, offsets[-1] has to equal input's length 4 (it ends the last bag) but got offsets[-1] of 3"},
      {[&] { call(ids, longs({}, {0}), M::kSum, Tensor(), true); }, "include_last_offset=true needs at least one offset"},
      {[&] { call(ids, floats({0}, {1})); }, "embedding_bag: offsets has dtype float32; expected int64"},
      {[&] { call(floats({1, 2}, {2}), longs({0}, {1})); }, "embedding_bag: indices has dtype float32; expected int64"},
      {[&] { call(ids, longs({0}, {1}), M::kMean, ones({4})); },
       "per_sample_weights is only supported for mode='sum' (got mode='mean')"},
      {[&] { call(ids, longs({0}, {1}), M::kSum, ones({3})); },
       "per_sample_weights has shape [3]; it must have the same shape as the input ([4])"},
      {[&] { call(ids, longs({0}, {1}), M::kSum, ones({4}, kFloat64)); },
       "per_sample_weights has dtype float64; expected the weight's dtype float32"},
      {[&] { call(ids, longs({0}, {1}), M::kMax, Tensor(), false, std::nullopt, false, true); },
       "embedding_bag: max mode does not support sparse weights"},
      {[&] { call(ids, longs({0}, {1}), M::kMax, Tensor(), false, std::nullopt, true); },
       "embedding_bag: max mode does not support scaling the gradient by the frequency"},
      {[&] { call(longs({1, 2, 6, 0}, {4}), longs({0, 2}, {2})); }, "embedding_bag: index 6 at position [2] is out of range [0, 6)"},
      {[&] { call(longs({1, 2, 0, -2}, {2, 2}), Tensor()); }, "embedding_bag: index -2 at position [1, 1] is out of range [0, 6)"},
      {[&] { call(ids, longs({0}, {1}), M::kSum, Tensor(), false, 6); }, "embedding_bag: padding_idx 6 is out of range; expected -6 <= padding_idx < 6"},
  };
  for (const auto& [f, message] : bad) {
    INFO(message);
    REQUIRE_THROWS_WITH(f(), Contains(message));
    testing::require_equal(w, before);
  }
  REQUIRE_THROWS_WITH(embedding_bag_mode("min"), Contains("mode has to be one of sum, mean or max"));
}

TEST_CASE("embedding_bag: module options, init, from_pretrained and printing", "[nn]") {
  manual_seed(7);
  nn::EmbeddingBag bag(nn::EmbeddingBagOptions(1000, 50).padding_idx(-1).mode(EmbeddingBagMode::kSum));
  CHECK(bag.options().padding_idx() == 999);
  testing::require_equal(kernels::select(bag.weight, 0, 999), zeros({50}));
  const double std = std::sqrt(kernels::mean(kernels::mul(bag.weight, bag.weight)).item<double>());
  CHECK(std::abs(std - 1.0) < 0.02);  // N(0, 1), as Embedding
  CHECK(nn::to_string(bag) == "EmbeddingBag(1000, 50, mode=sum, padding_idx=999)");
  CHECK(nn::to_string(nn::EmbeddingBag(nn::EmbeddingBagOptions(5, 2)
                                           .max_norm(2.0)
                                           .norm_type(1.0)
                                           .scale_grad_by_freq(true)
                                           .include_last_offset(true))) ==
        "EmbeddingBag(5, 2, max_norm=2.0, norm_type=1.0, scale_grad_by_freq=True, mode=mean)");

  const Tensor table = randn({4, 2});
  auto frozen = nn::EmbeddingBag::from_pretrained(table);
  CHECK(frozen->weight.shares_storage(table));
  CHECK_FALSE(frozen->weight.requires_grad());
  CHECK_FALSE(frozen->forward(longs({1, 2}, {1, 2})).requires_grad());

  using nn::EmbeddingBagOptions;
  REQUIRE_THROWS_WITH(nn::EmbeddingBag(EmbeddingBagOptions(5, 2).mode(EmbeddingBagMode::kMax).sparse(true)),
                      "EmbeddingBag: max mode does not support sparse weights");
  REQUIRE_THROWS_WITH(nn::EmbeddingBag(EmbeddingBagOptions(5, 2).padding_idx(7)), Contains("padding_idx 7"));
  REQUIRE_THROWS_WITH(nn::EmbeddingBag(EmbeddingBagOptions(5, 2).device("cuda:0")), Contains("device \"cuda:0\""));
  REQUIRE_THROWS_WITH(nn::EmbeddingBag::from_pretrained(zeros({2, 2, 2})), Contains("expected a 2-dimensional"));
}
