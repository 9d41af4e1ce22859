// nn::init: PyTorch's gains and fan rules, the bounds and statistics of every initialiser,
// orthogonality of orthogonal_, and the errors PyTorch raises.
#include <catch2/catch.hpp>

#include "testing.h"

#include "autograd/grad_mode.h"
#include "autograd/ops.h"
#include "core/kernels.h"
#include "nn/init.h"

#include <cmath>

using namespace ember;
using Catch::Contains;
namespace init = ember::nn::init;

namespace {

struct Stats {
  double mean = 0.0, std = 0.0, max_abs = 0.0;
};

Stats stats_of(const Tensor& t) {
  const std::vector<double> v = t.to_vector<double>();
  Stats s;
  for (double x : v) {
    s.mean += x;
    s.max_abs = std::max(s.max_abs, std::abs(x));
  }
  s.mean /= static_cast<double>(v.size());
  for (double x : v) s.std += (x - s.mean) * (x - s.mean);
  s.std = std::sqrt(s.std / static_cast<double>(v.size()));
  return s;
}

// max |A A^T - gain^2 I| for the rows of a [rows, cols] matrix (rows <= cols).
double row_orthogonality_error(const Tensor& m, double gain) {
  const Tensor product = kernels::mm(m, kernels::transpose(m, 0, 1));
  const std::vector<double> p = product.to_vector<double>();
  const std::int64_t n = m.size(0);
  double worst = 0.0;
  for (std::int64_t i = 0; i < n; ++i)
    for (std::int64_t j = 0; j < n; ++j) worst = std::max(worst, std::abs(p[i * n + j] - (i == j ? gain * gain : 0.0)));
  return worst;
}

}  // namespace

TEST_CASE("init: calculate_gain matches torch.nn.init.calculate_gain", "[nn]") {
  REQUIRE(init::calculate_gain("linear") == 1.0);
  REQUIRE(init::calculate_gain("conv2d") == 1.0);
  REQUIRE(init::calculate_gain("sigmoid") == 1.0);
  REQUIRE(init::calculate_gain("tanh") == Approx(5.0 / 3.0));
  REQUIRE(init::calculate_gain("relu") == Approx(std::sqrt(2.0)));
  REQUIRE(init::calculate_gain("selu") == 0.75);
  // leaky_relu: no param means slope 0.01 (1.41414), an explicit 0 means slope 0 (sqrt(2)).
  REQUIRE(init::calculate_gain("leaky_relu") == Approx(1.41414).epsilon(1e-5));
  REQUIRE(init::calculate_gain("leaky_relu", 0.0) == Approx(std::sqrt(2.0)));
  REQUIRE(init::calculate_gain("leaky_relu", std::sqrt(5.0)) == Approx(std::sqrt(1.0 / 3.0)));
  REQUIRE_THROWS_AS(init::calculate_gain("swish"), ValueError);
  REQUIRE_THROWS_WITH(init::calculate_gain("swish"), Contains("Unsupported nonlinearity swish"));
}

TEST_CASE("init: fan_in and fan_out follow PyTorch's rule, receptive field included", "[nn]") {
  REQUIRE(init::calculate_fan_in_and_fan_out(empty({4, 5})) == std::pair<std::int64_t, std::int64_t>{5, 4});
  REQUIRE(init::calculate_fan_in_and_fan_out(empty({8, 4, 3, 3})) == std::pair<std::int64_t, std::int64_t>{36, 72});
  REQUIRE_THROWS_AS(init::calculate_fan_in_and_fan_out(empty({5})), ValueError);
  REQUIRE_THROWS_WITH(init::calculate_fan_in_and_fan_out(empty({5})),
                      Contains("Fan in and fan out can not be computed for tensor with fewer than 2 dimensions; got "
                               "shape [5]"));
}

TEST_CASE("init: basic initialisers work in place, under no-grad, and return their tensor", "[nn]") {
  manual_seed(60);
  Tensor w = empty({200, 300}).requires_grad_();
  const std::uint64_t version = w.version();
  const Tensor returned = init::uniform_(w, -0.5, 2.0);
  REQUIRE(returned.is_same(w));
  REQUIRE(w.version() > version);  // an in-place write: saved copies of w become invalid
  REQUIRE(w.grad_fn_name().empty());
  REQUIRE(w.is_leaf());
  const std::vector<double> v = w.to_vector<double>();
  REQUIRE(*std::min_element(v.begin(), v.end()) >= -0.5);
  REQUIRE(*std::max_element(v.begin(), v.end()) < 2.0);
  REQUIRE(stats_of(w).mean == Approx(0.75).margin(0.01));

  init::normal_(w, 1.0, 0.5);
  const Stats s = stats_of(w);
  REQUIRE(s.mean == Approx(1.0).margin(0.005));
  REQUIRE(s.std == Approx(0.5).epsilon(0.01));

  testing::require_equal(init::constant_(w, 0.25), full({200, 300}, 0.25));
  testing::require_equal(init::zeros_(w), zeros({200, 300}));
  testing::require_equal(init::ones_(w), ones({200, 300}));
}

TEST_CASE("init: xavier and kaiming bounds and standard deviations", "[nn]") {
  manual_seed(61);
  Tensor w = empty({400, 250});  // fan_in 250, fan_out 400
  SECTION("xavier_uniform_: U(-a, a), a = gain sqrt(6 / (fan_in + fan_out))") {
    init::xavier_uniform_(w, 2.0);
    const double a = 2.0 * std::sqrt(6.0 / 650.0);
    const Stats s = stats_of(w);
    REQUIRE(s.max_abs <= a);
    REQUIRE(s.max_abs > 0.99 * a);
    REQUIRE(s.std == Approx(a / std::sqrt(3.0)).epsilon(0.01));
  }
  SECTION("xavier_normal_: std = gain sqrt(2 / (fan_in + fan_out))") {
    init::xavier_normal_(w);
    REQUIRE(stats_of(w).std == Approx(std::sqrt(2.0 / 650.0)).epsilon(0.01));
  }
  SECTION("kaiming_uniform_ default: leaky_relu with a = 0, bound sqrt(6 / fan_in)") {
    init::kaiming_uniform_(w);
    const double bound = std::sqrt(6.0 / 250.0);
    const Stats s = stats_of(w);
    REQUIRE(s.max_abs <= bound);
    REQUIRE(s.max_abs > 0.99 * bound);
  }
  SECTION("kaiming_uniform_ with a = sqrt(5), Linear's init: bound 1/sqrt(fan_in)") {
    init::kaiming_uniform_(w, std::sqrt(5.0));
    const Stats s = stats_of(w);
    REQUIRE(s.max_abs <= 1.0 / std::sqrt(250.0));
    REQUIRE(s.max_abs > 0.99 / std::sqrt(250.0));
  }
  SECTION("kaiming_normal_ fan_out relu: std = sqrt(2) / sqrt(fan_out)") {
    init::kaiming_normal_(w, 0.0, "fan_out", "relu");
    REQUIRE(stats_of(w).std == Approx(std::sqrt(2.0 / 400.0)).epsilon(0.01));
  }
  SECTION("an unknown mode is refused before anything is written") {
    init::zeros_(w);
    REQUIRE_THROWS_AS(init::kaiming_uniform_(w, 0.0, "fan_avg"), ValueError);
    REQUIRE_THROWS_WITH(init::kaiming_normal_(w, 0.0, "fan_avg"),
                        Contains("Mode fan_avg not supported, please use one of ['fan_in', 'fan_out']"));
    testing::require_equal(w, zeros({400, 250}));
  }
  SECTION("a tensor with no elements is left alone, drawing nothing") {
    manual_seed(5);
    Tensor nothing = empty({0, 4});
    init::kaiming_uniform_(nothing);
    init::kaiming_normal_(nothing);
    const double next = default_generator().next_double();
    manual_seed(5);
    REQUIRE(default_generator().next_double() == next);
  }
}

TEST_CASE("init: orthogonal_ gives orthonormal rows or columns, times gain", "[nn]") {
  manual_seed(62);
  SECTION("wide [6, 10]: orthonormal rows") {
    Tensor w = empty({6, 10});
    init::orthogonal_(w);
    REQUIRE(row_orthogonality_error(w, 1.0) < 1e-5);
  }
  SECTION("tall [10, 6]: orthonormal columns") {
    Tensor w = empty({10, 6});
    init::orthogonal_(w);
    REQUIRE(row_orthogonality_error(kernels::contiguous(kernels::transpose(w, 0, 1)), 1.0) < 1e-5);
  }
  SECTION("square float64 with gain 2: W W^T = 4 I") {
    Tensor w = empty({32, 32}, kFloat64);
    init::orthogonal_(w, 2.0);
    REQUIRE(row_orthogonality_error(w, 2.0) < 1e-12);
    REQUIRE(row_orthogonality_error(kernels::contiguous(kernels::transpose(w, 0, 1)), 2.0) < 1e-12);
  }
  SECTION("more than 2 dims: viewed as [size(0), rest]") {
    Tensor w = empty({4, 3, 2});
    init::orthogonal_(w);
    REQUIRE(row_orthogonality_error(kernels::reshape(w, {4, 6}), 1.0) < 1e-5);
  }
  SECTION("fewer than 2 dims is refused") {
    REQUIRE_THROWS_WITH(init::orthogonal_(empty({5})), Contains("Only tensors with 2 or more dimensions are supported"));
  }
}
