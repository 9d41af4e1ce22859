// The libtorch-style Tensor methods and operators (core/tensor.h, defined in autograd/ops.h):
// each method gives the same values and the same tape entry as the free function it forwards to,
// gradients flow through method chains (float64 gradcheck), compound assignments are the in-place
// ops with their autograd rules, comparisons give bool tensors and & | ~ work on bool tensors only.
#include "testing.h"

#include "autograd/grad_mode.h"
#include "autograd/ops.h"

#include <catch2/catch.hpp>

#include <functional>
#include <string>
#include <vector>

using namespace ember;
using ember::testing::gradcheck;
using ember::testing::require_close;
using ember::testing::require_equal;

namespace {

Tensor positive_input() {  // [2, 3], values in (0.5, 1.5): every unary op is defined and smooth
  manual_seed(7);
  Tensor x = empty({2, 3}, kFloat64);
  x.uniform_(0.5, 1.5);
  return x;
}

struct MethodCase {
  std::string name;
  std::function<Tensor(const Tensor&)> method;
  std::function<Tensor(const Tensor&)> function;
};

}  // namespace

TEST_CASE("tensor methods: every method gives the free function's values and tape entry") {
  const Tensor other = positive_input().t().contiguous().view({2, 3}) + 0.25;
  const Tensor index = tensor(std::vector<std::int64_t>{2, 0}, {2});
  const Tensor mask = tensor({1, 0, 1, 0, 0, 1}, {2, 3}, kBool);
  const std::vector<MethodCase> cases = {
      {"sum", [](const Tensor& x) { return x.sum(); }, [](const Tensor& x) { return sum(x); }},
      {"sum(dims, keepdim)", [](const Tensor& x) { return x.sum({1}, true); }, [](const Tensor& x) { return sum(x, {1}, true); }},
      {"mean", [](const Tensor& x) { return x.mean({0}); }, [](const Tensor& x) { return mean(x, {0}); }},
      {"max", [](const Tensor& x) { return x.max(); }, [](const Tensor& x) { return max(x); }},
      {"min", [](const Tensor& x) { return x.min(); }, [](const Tensor& x) { return min(x); }},
      {"max(dim).values", [](const Tensor& x) { return x.max(1).first; }, [](const Tensor& x) { return max(x, 1).first; }},
      {"min(dim).values", [](const Tensor& x) { return x.min(0, true).first; }, [](const Tensor& x) { return min(x, 0, true).first; }},
      {"norm", [](const Tensor& x) { return x.norm(3.0, {1}); }, [](const Tensor& x) { return norm(x, 3.0, {1}); }},
      {"softmax", [](const Tensor& x) { return x.softmax(1); }, [](const Tensor& x) { return softmax(x, 1); }},
      {"log_softmax", [](const Tensor& x) { return x.log_softmax(0); }, [](const Tensor& x) { return log_softmax(x, 0); }},
      {"neg", [](const Tensor& x) { return x.neg(); }, [](const Tensor& x) { return neg(x); }},
      {"exp", [](const Tensor& x) { return x.exp(); }, [](const Tensor& x) { return exp(x); }},
      {"log", [](const Tensor& x) { return x.log(); }, [](const Tensor& x) { return log(x); }},
      {"tanh", [](const Tensor& x) { return x.tanh(); }, [](const Tensor& x) { return tanh(x); }},
      {"sigmoid", [](const Tensor& x) { return x.sigmoid(); }, [](const Tensor& x) { return sigmoid(x); }},
      {"relu", [](const Tensor& x) { return (x - 1.0).relu(); }, [](const Tensor& x) { return relu(x - 1.0); }},
      {"sqrt", [](const Tensor& x) { return x.sqrt(); }, [](const Tensor& x) { return sqrt(x); }},
      {"abs", [](const Tensor& x) { return (x - 1.0).abs(); }, [](const Tensor& x) { return abs(x - 1.0); }},
      {"pow(double)", [](const Tensor& x) { return x.pow(2.5); }, [](const Tensor& x) { return pow(x, 2.5); }},
      {"pow(tensor)", [&](const Tensor& x) { return x.pow(other); }, [&](const Tensor& x) { return pow(x, other); }},
      {"clamp", [](const Tensor& x) { return x.clamp(0.8, 1.2); }, [](const Tensor& x) { return clamp(x, 0.8, 1.2); }},
      {"add", [&](const Tensor& x) { return x.add(other, 2.0); }, [&](const Tensor& x) { return add(x, other, 2.0); }},
      {"sub", [&](const Tensor& x) { return x.sub(other); }, [&](const Tensor& x) { return sub(x, other); }},
      {"mul", [&](const Tensor& x) { return x.mul(other); }, [&](const Tensor& x) { return mul(x, other); }},
      {"div", [&](const Tensor& x) { return x.div(other); }, [&](const Tensor& x) { return div(x, other); }},
      {"masked_fill", [&](const Tensor& x) { return x.masked_fill(mask, -1.0); }, [&](const Tensor& x) { return masked_fill(x, mask, -1.0); }},
      {"matmul", [&](const Tensor& x) { return x.matmul(other.t()); }, [&](const Tensor& x) { return matmul(x, t(other)); }},
      {"mm", [&](const Tensor& x) { return x.mm(other.t()); }, [&](const Tensor& x) { return mm(x, t(other)); }},
      {"bmm", [&](const Tensor& x) { return x.unsqueeze(0).bmm(other.t().unsqueeze(0)); }, [&](const Tensor& x) { return bmm(unsqueeze(x, 0), unsqueeze(t(other), 0)); }},
      {"view", [](const Tensor& x) { return x.view({3, 2}); }, [](const Tensor& x) { return view(x, {3, 2}); }},
      {"reshape", [](const Tensor& x) { return x.t().reshape({6}); }, [](const Tensor& x) { return reshape(t(x), {6}); }},
      {"flatten", [](const Tensor& x) { return x.flatten(); }, [](const Tensor& x) { return flatten(x); }},
      {"transpose", [](const Tensor& x) { return x.transpose(0, 1); }, [](const Tensor& x) { return transpose(x, 0, 1); }},
      {"permute", [](const Tensor& x) { return x.permute({1, 0}); }, [](const Tensor& x) { return permute(x, {1, 0}); }},
      {"narrow", [](const Tensor& x) { return x.narrow(1, 1, 2); }, [](const Tensor& x) { return narrow(x, 1, 1, 2); }},
      {"slice", [](const Tensor& x) { return x.slice(1, -2, 100); }, [](const Tensor& x) { return slice(x, 1, -2, 100); }},
      {"select", [](const Tensor& x) { return x.select(1, -1); }, [](const Tensor& x) { return select(x, 1, -1); }},
      {"operator[]", [](const Tensor& x) { return x[1]; }, [](const Tensor& x) { return select(x, 0, 1); }},
      {"unsqueeze", [](const Tensor& x) { return x.unsqueeze(1); }, [](const Tensor& x) { return unsqueeze(x, 1); }},
      {"squeeze", [](const Tensor& x) { return x.unsqueeze(0).squeeze(); }, [](const Tensor& x) { return squeeze(unsqueeze(x, 0)); }},
      {"squeeze(dim)", [](const Tensor& x) { return x.unsqueeze(2).squeeze(2); }, [](const Tensor& x) { return squeeze(unsqueeze(x, 2), 2); }},
      {"expand", [](const Tensor& x) { return x.unsqueeze(0).expand({4, 2, 3}); }, [](const Tensor& x) { return expand(unsqueeze(x, 0), {4, 2, 3}); }},
      {"unbind", [](const Tensor& x) { return x.unbind(1)[2]; }, [](const Tensor& x) { return unbind(x, 1)[2]; }},
      {"contiguous", [](const Tensor& x) { return x.t().contiguous(); }, [](const Tensor& x) { return contiguous(t(x)); }},
      {"clone", [](const Tensor& x) { return x.clone(); }, [](const Tensor& x) { return clone(x); }},
      {"to", [](const Tensor& x) { return x.to(kFloat32); }, [](const Tensor& x) { return to(x, kFloat32); }},
      {"index_select", [&](const Tensor& x) { return x.index_select(1, index); }, [&](const Tensor& x) { return index_select(x, 1, index); }},
      {"gather", [&](const Tensor& x) { return x.gather(1, index.view({1, 2})); }, [&](const Tensor& x) { return gather(x, 1, index.view({1, 2})); }},
      {"scatter_add", [&](const Tensor& x) { return x.scatter_add(1, index.view({1, 2}), other.narrow(1, 0, 2).narrow(0, 0, 1)); },
                      [&](const Tensor& x) { return scatter_add(x, 1, index.view({1, 2}), narrow(narrow(other, 1, 0, 2), 0, 0, 1)); }},
      {"index_add", [&](const Tensor& x) { return x.index_add(1, index, other.narrow(1, 0, 2)); },
                    [&](const Tensor& x) { return index_add(x, 1, index, narrow(other, 1, 0, 2)); }},
  };
  for (const MethodCase& c : cases) {
    INFO("method " << c.name);
    Tensor x = positive_input().requires_grad_();
    const Tensor by_method = c.method(x);
    const Tensor by_function = c.function(x);
    require_equal(by_method, by_function);
    CHECK(by_method.grad_fn_name() == by_function.grad_fn_name());
    CHECK(!by_method.grad_fn_name().empty());
  }
}

TEST_CASE("tensor methods: argmax, max and min indices match the free functions and never record") {
  Tensor x = tensor({3, 1, 4, 1, 5, 9, 2, 6, 5}, {3, 3}, kFloat64).requires_grad_();
  require_equal(x.argmax(1), argmax(x, 1));
  require_equal(x.argmax(1), tensor(std::vector<std::int64_t>{2, 2, 1}, {3}));
  require_equal(x.max(0).second, tensor(std::vector<std::int64_t>{0, 2, 1}, {3}));
  require_equal(x.min(1, true).second, tensor(std::vector<std::int64_t>{1, 0, 0}, {3, 1}));
  CHECK(x.argmax(0).grad_fn_name().empty());
}

TEST_CASE("tensor methods: gradients through a chain of methods pass a float64 gradcheck") {
  const Tensor w = tensor({0.3, -0.2, 0.5, 0.1, 0.4, -0.6}, {3, 2}, kFloat64);
  REQUIRE(gradcheck(
      [&](const std::vector<Tensor>& in) {
        const Tensor& x = in[0];
        // (x @ w).tanh(), a softmax over rows, then a masked mean: seven methods, two operators.
        Tensor h = x.matmul(w).tanh().softmax(1);
        return (h * x.narrow(1, 0, 2).exp()).sum({1}).pow(2.0).mean();
      },
      {positive_input().requires_grad_()}));
  REQUIRE(gradcheck(
      [](const std::vector<Tensor>& in) {
        return in[0].t().reshape({3, 2}).unsqueeze(0).expand({2, 3, 2}).permute({2, 0, 1}).sqrt().norm();
      },
      {positive_input().requires_grad_()}));
}

TEST_CASE("tensor operators: compound assignments are the in-place ops with their autograd rules") {
  SECTION("on a non-leaf: recorded, gradients as PyTorch gives them") {
    Tensor a = tensor({1.0, 2.0, 3.0}, kFloat64).requires_grad_();
    Tensor b = tensor({0.5, -1.0, 2.0}, kFloat64).requires_grad_();
    Tensor y = a * 1.0;  // a non-leaf that may be written in place
    y += b;              // y = a + b
    y *= b;              // y = (a + b) * b
    y -= 1.0;
    y /= 2.0;            // y = ((a + b) * b - 1) / 2
    y.sum().backward();
    // dy/da = b / 2, dy/db = (a + 2b) / 2
    require_close(a.grad(), tensor({0.25, -0.5, 1.0}, kFloat64), 1e-12, 1e-12);
    require_close(b.grad(), tensor({1.0, 0.0, 3.5}, kFloat64), 1e-12, 1e-12);
    require_close(y.detach(), tensor({-0.125, -1.0, 4.5}, kFloat64), 1e-12, 1e-12);
  }
  SECTION("on a leaf that requires grad: refused and unchanged, allowed under NoGradGuard") {
    Tensor w = tensor({1.0, 2.0}, kFloat64).requires_grad_();
    const Tensor before = w.detach().clone();
    CHECK_THROWS_WITH(w += 1.0, Catch::Contains("leaf"));
    CHECK_THROWS_WITH(w *= w.detach(), Catch::Contains("leaf"));
    require_equal(w.detach(), before);
    {
      NoGradGuard no_grad;
      w -= 0.5;
    }
    require_equal(w.detach(), tensor({0.5, 1.5}, kFloat64));
  }
  SECTION("a saved tensor changed by a compound assignment makes backward throw, as PyTorch") {
    Tensor x = tensor({1.0, 2.0}, kFloat64).requires_grad_();
    Tensor y = x.exp();  // exp saves its output
    Tensor z = y.sum();
    y *= 2.0;
    CHECK_THROWS_WITH(z.backward(), Catch::Contains("modified by an inplace operation"));
  }
}

TEST_CASE("tensor operators: comparisons give bool tensors, with scalars on either side") {
  const Tensor a = tensor({1.0, 2.0, 3.0});
  const Tensor b = tensor({3.0, 2.0, 1.0});
  require_equal(a == b, tensor({0, 1, 0}, kBool));
  require_equal(a != b, tensor({1, 0, 1}, kBool));
  require_equal(a < b, tensor({1, 0, 0}, kBool));
  require_equal(a <= b, tensor({1, 1, 0}, kBool));
  require_equal(a > b, tensor({0, 0, 1}, kBool));
  require_equal(a >= b, tensor({0, 1, 1}, kBool));
  require_equal(a > 1.5, tensor({0, 1, 1}, kBool));
  require_equal(a.eq(b), eq(a, b));
  // An integer tensor against a fractional scalar compares the exact values, as PyTorch does:
  // ids == 0.5 is false everywhere, not ids == 0.
  const Tensor ids = tensor(std::vector<std::int64_t>{0, 1, 2}, {3});
  require_equal(ids == 0.5, tensor({0, 0, 0}, kBool));
  require_equal(ids < 0.5, tensor({1, 0, 0}, kBool));
  require_equal(ids == 1.0, tensor({0, 1, 0}, kBool));
  // Broadcasting, as in the masks of attention: [2, 1] against [3].
  require_equal(tensor({1.0, 2.0}, {2, 1}, kFloat32) < a, tensor({0, 1, 1, 0, 0, 1}, {2, 3}, kBool));
}

TEST_CASE("tensor operators: & | ~ on bool tensors, logical_* on any dtype, other dtypes refused by name") {
  const Tensor p = tensor({1, 1, 0, 0}, kBool);
  const Tensor q = tensor({1, 0, 1, 0}, kBool);
  require_equal(p & q, tensor({1, 0, 0, 0}, kBool));
  require_equal(p | q, tensor({1, 1, 1, 0}, kBool));
  require_equal(~p, tensor({0, 0, 1, 1}, kBool));
  require_equal(~(p & q) | (p == q), tensor({1, 1, 1, 1}, kBool));
  // Broadcast: [2, 1] with [4].
  require_equal(tensor({1, 0}, {2, 1}, kBool) & q, tensor({1, 0, 1, 0, 0, 0, 0, 0}, {2, 4}, kBool));
  const Tensor x = tensor({2.0, 0.0, -1.5, 0.0});
  require_equal(logical_not(x), tensor({0, 1, 0, 1}, kBool));
  require_equal(logical_and(x, q), tensor({1, 0, 1, 0}, kBool));
  require_equal(logical_or(x, tensor(std::vector<std::int64_t>{0, 0, 0, 3}, {4})), tensor({1, 0, 1, 1}, kBool));
  CHECK_THROWS_WITH(x & q, Catch::Contains("float32") && Catch::Contains("logical_and"));
  CHECK_THROWS_WITH(p | tensor(std::vector<std::int64_t>{1, 0, 1, 0}, {4}),
                    Catch::Contains("int64") && Catch::Contains("logical_or"));
  CHECK_THROWS_WITH(~x, Catch::Contains("float32") && Catch::Contains("logical_not"));
}
