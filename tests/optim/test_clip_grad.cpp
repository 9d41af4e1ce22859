// nn::utils::clip_grad_norm_ and clip_grad_value_: golden totals and clipped gradients (dense
// and row-sparse), non-finite norms, and errors.
#include "optim_testing.h"

#include "optim/clip_grad.h"

#include <cmath>
#include <limits>

using namespace ember;
using ember::testing::require_close;
using ember::testing::require_equal;
using ember::testing::snapshot;
using ember::testing::tensor_from_json;
using Catch::Contains;

TEST_CASE("clip_grad_norm_ matches PyTorch for dense and sparse gradients and every norm type", "[optim]") {
  const auto doc = ember::testing::load_golden("optim");
  const auto& cases = doc.at("cases").at("clip");
  REQUIRE(cases.size() >= 7);
  for (const auto& c : cases) {
    INFO(c.at("name").get<std::string>());
    std::vector<Tensor> params;
    for (const auto& g : c.at("grads")) {
      const Shape shape = g.contains("indices") ? Shape{5, 2} : tensor_from_json(g).shape();
      Tensor p = zeros(shape, kFloat64).requires_grad_();
      ember::testing::set_golden_grad(p, g);
      params.push_back(p);
    }
    const double norm_type =
        c.at("norm_type").is_string() ? std::numeric_limits<double>::infinity() : c.at("norm_type").get<double>();
    const double total = nn::utils::clip_grad_norm_(params, c.at("max_norm").get<double>(), norm_type);
    REQUIRE(total == Approx(c.at("total").get<double>()).epsilon(1e-10));
    for (std::size_t i = 0; i < params.size(); ++i) {
      const Tensor clipped = params[i].has_sparse_grad() ? params[i].sparse_grad().to_dense() : params[i].grad();
      require_close(clipped, tensor_from_json(c.at("clipped")[i]), 1e-10, 1e-14);
    }
  }
}

TEST_CASE("clip_grad_norm_ skips parameters without gradients and returns 0 when none has one", "[optim]") {
  Tensor a = zeros({2}, kFloat64).requires_grad_();
  Tensor b = zeros({2}, kFloat64).requires_grad_();
  REQUIRE(nn::utils::clip_grad_norm_({a, b}, 1.0) == 0.0);
  b.set_grad(tensor({3.0, 4.0}, kFloat64));
  REQUIRE(nn::utils::clip_grad_norm_(b, 1.0) == 5.0);  // the single-tensor overload
  require_close(b.grad(), tensor({3.0 / (5 + 1e-6), 4.0 / (5 + 1e-6)}, kFloat64), 1e-15, 0.0);
  REQUIRE_FALSE(a.grad().defined());
}

TEST_CASE("clip_grad_norm_ with a non-finite norm: NaN gradients, or an error that changes nothing", "[optim]") {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  Tensor a = zeros({2}, kFloat64).requires_grad_();
  Tensor b = zeros({2}, kFloat64).requires_grad_();
  a.set_grad(tensor({1.0, nan}, kFloat64));
  b.set_grad(tensor({1.0, 2.0}, kFloat64));
  const Tensor a_before = snapshot(a.grad()), b_before = snapshot(b.grad());
  REQUIRE_THROWS_WITH(nn::utils::clip_grad_norm_({a, b}, 1.0, 2.0, true),
                      Contains("The total norm of order 2.0 for gradients from `parameters` is non-finite, so it "
                               "cannot be clipped"));
  require_equal(a.grad(), a_before);
  require_equal(b.grad(), b_before);
  REQUIRE(std::isnan(nn::utils::clip_grad_norm_({a, b}, 1.0)));
  REQUIRE(std::isnan(b.grad().to_vector<double>()[0]));  // scaled by NaN, as PyTorch does
  REQUIRE_THROWS_WITH(nn::utils::clip_grad_norm_({b}, -1.0), Contains("max_norm -1.0 is invalid; expected max_norm >= 0"));
  REQUIRE_THROWS_WITH(nn::utils::clip_grad_norm_({b}, 1.0, 0.0), Contains("norm_type 0.0 is invalid"));
}

TEST_CASE("clip_grad_value_ clamps dense and coalesced sparse gradients", "[optim]") {
  Tensor dense = zeros({4}, kFloat64).requires_grad_();
  Tensor table = zeros({3, 2}, kFloat64).requires_grad_();
  dense.set_grad(tensor({-2.0, -0.5, 0.5, 2.0}, kFloat64));
  // Row 1 appears twice with 0.6: the gradient it stands for is 1.2, clamped to 1.0.
  table.set_sparse_grad(SparseTensor(tensor(std::vector<std::int64_t>{1, 1, 2}, {3}),
                                     tensor({0.6, -0.1, 0.6, -0.1, -3.0, 0.2}, {3, 2}, kFloat64), {3, 2}));
  nn::utils::clip_grad_value_({dense, table}, 1.0);
  require_equal(dense.grad(), tensor({-1.0, -0.5, 0.5, 1.0}, kFloat64));
  require_close(table.sparse_grad().to_dense(), tensor({0.0, 0.0, 1.0, -0.2, -1.0, 0.2}, {3, 2}, kFloat64), 1e-15, 0.0);
  const Tensor before = snapshot(dense.grad());
  REQUIRE_THROWS_WITH(nn::utils::clip_grad_value_(dense, -1.0), Contains("clip_value -1.0 is invalid"));
  require_equal(dense.grad(), before);
}

TEST_CASE("clip_grad_norm_ scales a sparse gradient in its own layout (nnz and row order kept)", "[optim]") {
  Tensor table = zeros({4, 2}, kFloat64).requires_grad_();
  // Rows [3, 3, 0]: uncoalesced, as an embedding's backward leaves them. The norm is that of the
  // summed rows: row 3 = (1 + 2, 0), row 0 = (0, 4), so ||g|| = 5.
  const Tensor indices = tensor(std::vector<std::int64_t>{3, 3, 0}, {3});
  table.set_sparse_grad(SparseTensor(indices, tensor({1.0, 0.0, 2.0, 0.0, 0.0, 4.0}, {3, 2}, kFloat64), {4, 2}));
  for (double max_norm : {10.0, 2.5}) {  // nothing clipped, then halved
    const double before_scale = table.sparse_grad().values.to_vector<double>()[2];
    CHECK(nn::utils::clip_grad_norm_({table}, max_norm) == Approx(5.0).epsilon(1e-12));  // the norm before clipping
    const SparseTensor g = table.sparse_grad();
    CHECK(g.indices.to_vector<std::int64_t>() == std::vector<std::int64_t>{3, 3, 0});
    CHECK_FALSE(g.coalesced);
    const double scale = max_norm >= 5.0 ? 1.0 : max_norm / (5.0 + 1e-6);
    CHECK(g.values.to_vector<double>()[2] == Approx(before_scale * scale).epsilon(1e-12));
  }
}
