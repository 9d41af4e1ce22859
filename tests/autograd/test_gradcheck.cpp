// The public gradcheck (autograd/gradcheck.h): passes on correct ops, fails on a wrong backward
// and names the worst Jacobian entry, leaves its inputs and their gradients as they were, and
// refuses inputs it cannot check. Also compiles the custom-op example of docs/autograd.md.
#include "testing.h"

#include "autograd/function.h"      // autograd::record, autograd::Grads
#include "autograd/gradcheck.h"     // autograd::gradcheck
#include "autograd/ops.h"
#include "autograd/saved_tensor.h"  // autograd::SavedTensor
#include "core/kernels.h"           // kernels::mul, kernels::add

#include <catch2/catch.hpp>

#include <cstring>
#include <stdexcept>

using namespace ember;

namespace {

// ---- the example of docs/autograd.md, "Tools for studying it" (keep the two in sync) ----------

// y = x^2;  dx = dy * 2x.
Tensor square(const Tensor& x) {
  Tensor y = kernels::mul(x, x);  // forward: kernels only, no autograd
  return autograd::record("square", y, {x}, [saved = autograd::SavedTensor(x, "square")](const Tensor& dy) {
    Tensor x = saved.unpack();  // throws if x was modified in place since
    return autograd::Grads{kernels::mul(dy, kernels::add(x, x))};
  });
}

// ---- end of the example ------------------------------------------------------------------------

// The same op with a deliberately wrong backward: 3x instead of 2x.
Tensor wrong_square(const Tensor& x) {
  Tensor y = kernels::mul(x, x);
  return autograd::record("wrong_square", y, {x}, [saved = autograd::SavedTensor(x, "wrong_square")](const Tensor& dy) {
    Tensor x = saved.unpack();
    return autograd::Grads{kernels::mul(dy, kernels::mul(x, full_like(x, 3.0)))};
  });
}

Tensor leaf(const std::vector<double>& values, const Shape& shape) {
  Tensor x = tensor(values, shape, kFloat64);
  x.requires_grad_();
  return x;
}

// The bytes of a tensor's elements, in row-major order.
std::vector<unsigned char> bytes_of(const Tensor& t) {
  const Tensor c = kernels::contiguous(t.detach());
  std::vector<unsigned char> out(static_cast<std::size_t>(c.numel()) * c.element_size());
  if (!out.empty()) std::memcpy(out.data(), c.raw_data(), out.size());
  return out;
}

}  // namespace

TEST_CASE("gradcheck (public): the docs' custom op passes", "[autograd][gradcheck]") {
  manual_seed(7);
  Tensor x = randn({2, 3}, kFloat64).requires_grad_();
  autograd::GradcheckResult r =
      autograd::gradcheck([](const std::vector<Tensor>& in) { return square(in[0]); }, {x});
  INFO(r.message);
  REQUIRE(r.ok);
  CHECK(r.message.rfind("gradcheck: ok", 0) == 0);
  CHECK(r.entries == 36);  // 6 input elements x 6 output elements
  CHECK(r.mismatches == 0);
  CHECK(r.max_abs_error < 1e-6);
}

TEST_CASE("gradcheck (public): passes on built-in ops, with views and inputs that need no grad",
          "[autograd][gradcheck]") {
  manual_seed(8);
  const Tensor a = randn({3, 4}, kFloat64).requires_grad_();
  const Tensor b = randn({4}, kFloat64).requires_grad_();
  // a transposed leaf: gradcheck perturbs it through its strides
  const Tensor t = kernels::transpose(randn({4, 3}, kFloat64), 0, 1).requires_grad_();
  const Tensor c = randn({3, 4}, kFloat64);  // no grad: passed through, not checked
  auto f = [](const std::vector<Tensor>& in) { return add(mul(tanh(in[0]), in[1]), mul(in[2], in[3])); };
  const autograd::GradcheckResult r = autograd::gradcheck(f, {a, b, t, c});
  INFO(r.message);
  CHECK(r.ok);
  CHECK(r.entries == (12 + 4 + 12) * 12);
  // Matrix product and a reduction to 0-d.
  CHECK(autograd::gradcheck([](const std::vector<Tensor>& in) { return sum(matmul(in[0], in[1])); },
                            {randn({2, 3}, kFloat64).requires_grad_(), randn({3, 2}, kFloat64).requires_grad_()}));
}

TEST_CASE("gradcheck (public): a wrong backward fails and the report names the worst element",
          "[autograd][gradcheck]") {
  // d out[k] / d x[k] is 2 x[k]; the wrong op says 3 x[k], off by |x[k]|: the largest |x| is worst.
  const Tensor x = leaf({0.5, -1.0, 2.0, 0.25, -0.75, 1.5}, {2, 3});
  const autograd::GradcheckResult r =
      autograd::gradcheck([](const std::vector<Tensor>& in) { return wrong_square(in[0]); }, {x});
  INFO(r.message);
  REQUIRE_FALSE(r.ok);
  CHECK_FALSE(static_cast<bool>(r));
  CHECK(r.input == 0);
  CHECK(r.element == 2);
  CHECK(r.element_index == Shape{0, 2});
  CHECK(r.output == 2);
  CHECK(r.output_index == Shape{0, 2});
  CHECK(r.analytic == Approx(6.0));
  CHECK(r.numeric == Approx(4.0).epsilon(1e-6));
  CHECK(r.abs_error == Approx(2.0).epsilon(1e-6));
  CHECK(r.rel_error == Approx(0.5).epsilon(1e-6));
  CHECK(r.max_abs_error == Approx(2.0).epsilon(1e-6));
  CHECK(r.mismatches == 6);  // the diagonal; the off-diagonal zeros agree
  CHECK(r.entries == 36);
  // The message says all of it.
  for (const char* part : {"wrong_square", "output[2] (index [0, 2])", "input 0[2] (index [0, 2])", "analytic 6",
                           "numeric 4", "abs error 2", "rel error 0.5", "6 of 36", "max abs error 2"})
    CHECK_THAT(r.message, Catch::Contains(part));
  // The thin test-side name is the same function.
  CHECK_FALSE(testing::gradcheck([](const std::vector<Tensor>& in) { return wrong_square(in[0]); }, {x}));
}

TEST_CASE("gradcheck (public): inputs and their gradients are left exactly as they were",
          "[autograd][gradcheck]") {
  manual_seed(9);
  // Values whose +-eps perturbations do not round back to the same bits, a -0.0, a transposed view.
  Tensor x = leaf({0.1, -0.0, 1e-300, 3.0000000000000004, -7.25, 0.3}, {2, 3});
  Tensor y = kernels::transpose(randn({3, 2}, kFloat64), 0, 1).requires_grad_();
  const Tensor old_grad = full({2, 3}, 5.0, kFloat64);
  x.set_grad(old_grad);
  const auto x_bytes = bytes_of(x), y_bytes = bytes_of(y);
  const std::uint64_t x_version = x.version(), y_version = y.version();

  auto f = [](const std::vector<Tensor>& in) { return mul(square(in[0]), exp(in[1])); };
  CHECK(autograd::gradcheck(f, {x, y}));
  CHECK(bytes_of(x) == x_bytes);
  CHECK(bytes_of(y) == y_bytes);
  CHECK(x.version() == x_version);
  CHECK(y.version() == y_version);
  testing::require_equal(x.grad(), old_grad);  // restored
  CHECK_FALSE(y.grad().defined());

  // Failing checks leave them unchanged too.
  CHECK_FALSE(autograd::gradcheck([](const std::vector<Tensor>& in) { return wrong_square(in[0]); }, {x}));
  CHECK(bytes_of(x) == x_bytes);

  // And so does an f that throws while an element is perturbed.
  int calls = 0;
  auto throws_later = [&calls](const std::vector<Tensor>& in) {
    if (++calls == 3) throw std::runtime_error("f failed");
    return square(in[0]);
  };
  CHECK_THROWS_WITH(autograd::gradcheck(throws_later, {x}), "f failed");
  CHECK(bytes_of(x) == x_bytes);
  testing::require_equal(x.grad(), old_grad);
}

TEST_CASE("gradcheck (public): refuses non-float64 and expanded inputs, by index", "[autograd][gradcheck]") {
  const Tensor x64 = leaf({1.0, 2.0}, {2});
  Tensor x32 = tensor({1.0, 2.0}, {2}, kFloat32);
  x32.requires_grad_();
  auto f = [](const std::vector<Tensor>& in) { return add(in[0], kernels::to(in[1].detach(), kFloat64)); };
  CHECK_THROWS_AS(autograd::gradcheck(f, {x64, x32}), TypeError);
  CHECK_THROWS_WITH(autograd::gradcheck(f, {x64, x32}),
                    Catch::Contains("input 1") && Catch::Contains("float32") && Catch::Contains("expected float64"));
  // A float32 input that does not require grad is only passed through.
  CHECK(autograd::gradcheck(f, {x64, tensor({1.0, 2.0}, {2}, kFloat32)}));

  // An expanded leaf: one stored element stands for three entries.
  Tensor expanded = kernels::expand(tensor({1.0, 2.0}, {2, 1}, kFloat64), {2, 3});
  expanded.requires_grad_();
  const std::vector<unsigned char> before = bytes_of(expanded);
  CHECK_THROWS_AS(autograd::gradcheck([](const std::vector<Tensor>& in) { return square(in[0]); }, {x64, expanded}),
                  ValueError);
  CHECK_THROWS_WITH(autograd::gradcheck([](const std::vector<Tensor>& in) { return square(in[0]); }, {x64, expanded}),
                    Catch::Contains("input 1 is expanded"));
  CHECK(bytes_of(expanded) == before);

  // Nothing to check.
  CHECK_THROWS_AS(autograd::gradcheck(f, {tensor({1.0}, {1}, kFloat64), tensor({1.0}, {1}, kFloat64)}), ValueError);
}
