// The engine's contract: accumulation, fan-in, retain_graph, version counters, bounded memory,
// hooks, anomaly mode, no_grad, sparse accumulation and tape printing.
#include <catch2/catch.hpp>

#include "autograd/engine.h"
#include "autograd/function.h"
#include "autograd/grad_mode.h"
#include "autograd/ops.h"
#include "autograd/variable.h"
#include "core/allocator.h"
#include "core/kernels.h"
#include "core/sparse.h"

#include <cmath>

using namespace ember;
using Catch::Contains;

namespace {
Tensor leaf(std::vector<double> values, Shape shape, DType dtype = kFloat64) {
  return tensor(values, shape, dtype).requires_grad_();
}
}  // namespace

TEST_CASE("backward of a scalar fills leaf grads; a second backward accumulates", "[autograd]") {
  Tensor x = leaf({1, 2, 3}, {3});
  Tensor y = sum(x * x);  // dy/dx = 2x
  y.backward();
  CHECK(x.grad().to_vector<double>() == std::vector<double>{2, 4, 6});
  sum(x * x).backward();
  CHECK(x.grad().to_vector<double>() == std::vector<double>{4, 8, 12});
}

TEST_CASE("fan-out: a tensor used twice receives the sum of both gradients", "[autograd]") {
  Tensor x = leaf({3}, {});
  Tensor y = x * x + x * 2.0;  // dy/dx = 2x + 2 = 8
  y.backward();
  CHECK(x.grad().item<double>() == 8.0);
}

TEST_CASE("broadcasting: gradients are summed back to the input's shape", "[autograd]") {
  Tensor a = leaf({1, 2, 3, 4, 5, 6}, {2, 3});
  Tensor b = leaf({10, 20, 30}, {3});
  sum(a * b).backward();
  CHECK(b.grad().shape() == Shape{3});
  CHECK(b.grad().to_vector<double>() == std::vector<double>{5, 7, 9});
  CHECK(a.grad().to_vector<double>() == std::vector<double>{10, 20, 30, 10, 20, 30});
}

TEST_CASE("a second backward through a freed graph fails; retain_graph keeps it", "[autograd]") {
  Tensor x = leaf({2}, {});
  Tensor y = tanh(x) * x;
  y.backward(Tensor(), /*retain_graph=*/true);
  const double first = x.grad().item<double>();
  y.backward();
  CHECK(x.grad().item<double>() == Approx(2 * first));
  REQUIRE_THROWS_WITH(y.backward(), Contains("backward through the graph a second time"));
}

TEST_CASE("backward of a non-scalar needs a gradient of the same shape", "[autograd]") {
  Tensor x = leaf({1, 2}, {2});
  Tensor y = x * 3.0;
  REQUIRE_THROWS_WITH(y.backward(), Contains("only for one-element outputs; got shape [2]"));
  y.backward(tensor({1.0, 0.5}, kFloat64));
  CHECK(x.grad().to_vector<double>() == std::vector<double>{3, 1.5});
  Tensor z = tensor({1.0}, kFloat64);
  REQUIRE_THROWS_WITH(z.backward(), Contains("does not require grad"));
}

TEST_CASE("modifying a saved tensor in place makes backward name the op and versions", "[autograd]") {
  Tensor x = leaf({0.5, 1.0}, {2});
  Tensor y = exp(x);  // saves its output
  Tensor z = sum(y);
  {
    NoGradGuard no_grad;
    y.mul_(2.0);  // bumps y's version after exp saved it
  }
  REQUIRE_THROWS_WITH(z.backward(), Contains("exp") && Contains("modified by an inplace operation") &&
                                        Contains("is at version 1; expected version 0"));
}

TEST_CASE("no_grad records nothing; enable_grad turns recording back on", "[autograd]") {
  Tensor x = leaf({1, 2}, {2});
  {
    NoGradGuard no_grad;
    Tensor y = x * 2.0;
    CHECK_FALSE(y.requires_grad());
    CHECK(y.is_leaf());
    {
      EnableGradGuard enable;
      CHECK((x * 2.0).requires_grad());
    }
  }
  CHECK((x * 2.0).requires_grad());
  CHECK((x * 2.0).grad_fn_name() == "mul");
}

TEST_CASE("graphs that are never backpropagated are freed with their outputs", "[autograd]") {
  Tensor w = randn({64, 64}).requires_grad_();
  Tensor x = randn({8, 64});
  // An eval loop someone forgot to guard: memory must not grow.
  auto run = [&] {
    Tensor h = x;
    for (int layer = 0; layer < 4; ++layer) h = tanh(matmul(h, w));
    return sum(h).item<float>();
  };
  run();
  const auto before = allocator::stats().bytes_in_use;
  for (int i = 0; i < 200; ++i) run();
  CHECK(allocator::stats().bytes_in_use == before);
}

TEST_CASE("hooks see and may replace gradients of leaves and intermediates", "[autograd]") {
  Tensor x = leaf({1, 2}, {2});
  Tensor y = x * 3.0;
  std::vector<double> seen;
  autograd::register_hook(y, [&](const Tensor& g) {
    seen = g.to_vector<double>();
    return Tensor();  // keep as is
  });
  autograd::register_hook(x, [](const Tensor& g) { return g * 10.0; });
  sum(y).backward();
  CHECK(seen == std::vector<double>{1, 1});
  CHECK(x.grad().to_vector<double>() == std::vector<double>{30, 30});
}

TEST_CASE("anomaly mode names the op whose backward produced NaN", "[autograd]") {
  Tensor x = leaf({0.0, 1.0}, {2});
  Tensor y = sum(sqrt(x));  // d sqrt(x)/dx at 0 = inf
  {
    DetectAnomalyGuard anomaly;
    REQUIRE_THROWS_WITH(y.backward(), Contains("anomaly detected: backward of sqrt"));
  }
  Tensor x2 = leaf({0.0, 1.0}, {2});
  sum(sqrt(x2)).backward();  // without anomaly mode: inf passes silently, as in PyTorch
  CHECK(std::isinf(x2.grad().to_vector<double>()[0]));
}

TEST_CASE("a chain of 100000 ops backpropagates and is freed without recursion", "[autograd]") {
  Tensor x = leaf({1.0}, {1});
  Tensor y = x;
  for (int i = 0; i < 100000; ++i) y = y * 1.00001;
  sum(y).backward();
  CHECK(x.grad().item<double>() == Approx(std::pow(1.00001, 100000)).epsilon(1e-9));
  Tensor z = x;
  for (int i = 0; i < 100000; ++i) z = z * 1.0;
  z = Tensor();  // releasing the unbackpropagated chain must not overflow the stack
  CHECK_FALSE(z.defined());
}

TEST_CASE("row-sparse gradients accumulate sparsely and densify when mixed", "[autograd]") {
  Tensor w = zeros({4, 2}, kFloat64).requires_grad_();
  // A minimal op whose backward returns a row-sparse gradient, as embedding(sparse=true) does.
  auto lookup = [&](std::vector<std::int64_t> rows) {
    Tensor idx = tensor(rows, {static_cast<std::int64_t>(rows.size())});
    Tensor out = kernels::index_select(w, 0, idx);
    return autograd::record("sparse_lookup", out, {w}, [idx, shape = w.shape()](const Tensor& dy) {
      return autograd::Grads{SparseTensor(idx, kernels::clone(dy), shape)};
    });
  };
  sum(lookup({1, 3, 1})).backward();
  REQUIRE(w.has_sparse_grad());
  CHECK(w.sparse_grad().nnz() == 3);
  sum(lookup({0})).backward();
  CHECK(w.sparse_grad().nnz() == 4);  // concatenated, not coalesced
  CHECK(w.sparse_grad().to_dense().to_vector<double>() == std::vector<double>{1, 1, 2, 2, 0, 0, 1, 1});
  REQUIRE_THROWS_WITH(w.grad(), Contains("row-sparse"));
  sum(w * 1.0).backward();  // a dense gradient makes it dense
  REQUIRE_FALSE(w.has_sparse_grad());
  CHECK(w.grad().to_vector<double>() == std::vector<double>{2, 2, 3, 3, 1, 1, 2, 2});
}

TEST_CASE("print_tape lists nodes in execution order with shapes", "[autograd]") {
  Tensor w = randn({3, 2}).requires_grad_();
  Tensor x = randn({4, 3});
  Tensor loss = mean(tanh(matmul(x, w)));
  const std::string tape = autograd::print_tape(loss);
  INFO(tape);
  const auto mean_at = tape.find("mean"), tanh_at = tape.find("tanh"), mm_at = tape.find("matmul");
  REQUIRE(mean_at != std::string::npos);
  REQUIRE(tanh_at != std::string::npos);
  REQUIRE(mm_at != std::string::npos);
  CHECK(mean_at < tanh_at);
  CHECK(tanh_at < mm_at);
  CHECK_THAT(tape, Contains("[4, 3], [3, 2]*"));
  CHECK_THAT(tape, Contains("AccumulateGrad"));
  CHECK_THAT(autograd::to_dot(loss), Contains("digraph tape"));
}

TEST_CASE("requires_grad_ is for float leaves only", "[autograd]") {
  Tensor i = tensor(std::vector<std::int64_t>{1, 2}, {2});
  REQUIRE_THROWS_WITH(i.requires_grad_(), Contains("only float32 and float64") && Contains("int64"));
  Tensor x = leaf({1}, {1});
  Tensor y = x * 2.0;
  REQUIRE_THROWS_WITH(y.requires_grad_(false), Contains("only change requires_grad of leaf tensors"));
  CHECK_FALSE(y.detach().requires_grad());
  CHECK(y.detach().shares_storage(y));
}
