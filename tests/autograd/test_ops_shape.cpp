// Shape ops and views (autograd/ops_shape.cpp): float64 gradcheck of every op on contiguous and
// non-contiguous inputs, view semantics (shared storage), and float32 parity with PyTorch.
#include "ops_testing.h"
#include "testing.h"

#include "autograd/ops.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using namespace ember;
using testing::gradcheck;
using testing::Layout;
using testing::make_leaf;

namespace {

using ShapeFn = std::function<Tensor(const Tensor&)>;
const testing::Values kNormal = testing::normal_values();

// gradcheck of f on a contiguous, a transposed and a narrowed leaf of `shape`.
void check_layouts(const Shape& shape, const ShapeFn& f) {
  for (Layout layout : {Layout::Contiguous, Layout::Transposed, Layout::Narrowed}) {
    const Tensor x = make_leaf(shape, kNormal, layout);
    INFO("input " << testing::describe(x));
    REQUIRE(gradcheck([&](const std::vector<Tensor>& in) { return f(in[0]); }, {x}));
  }
}

}  // namespace

TEST_CASE("gradcheck: view, reshape and flatten", "[autograd]") {
  manual_seed(40);
  // view needs compatible strides: contiguous input only.
  REQUIRE(gradcheck([](const std::vector<Tensor>& in) { return view(in[0], {2, -1}); }, {make_leaf({3, 4})}));
  REQUIRE(gradcheck([](const std::vector<Tensor>& in) { return view(in[0], {}); }, {make_leaf({1, 1})}));
  check_layouts({3, 4}, [](const Tensor& x) { return reshape(x, {4, 3}); });  // copies when not viewable
  check_layouts({2, 3, 4}, [](const Tensor& x) { return reshape(x, {-1}); });
  check_layouts({2, 3, 4}, [](const Tensor& x) { return flatten(x); });
  check_layouts({2, 3, 4}, [](const Tensor& x) { return flatten(x, 1, 2); });
  check_layouts({2, 3, 4}, [](const Tensor& x) { return flatten(x, 0, 1); });
  REQUIRE(gradcheck([](const std::vector<Tensor>& in) { return flatten(in[0]); }, {make_leaf({})}));
}

TEST_CASE("gradcheck: transpose, t and permute", "[autograd]") {
  manual_seed(41);
  check_layouts({2, 3, 4}, [](const Tensor& x) { return transpose(x, 0, 2); });
  check_layouts({2, 3, 4}, [](const Tensor& x) { return transpose(x, -1, 1); });
  check_layouts({3, 4}, [](const Tensor& x) { return t(x); });
  REQUIRE(gradcheck([](const std::vector<Tensor>& in) { return t(in[0]); }, {make_leaf({5})}));
  REQUIRE(gradcheck([](const std::vector<Tensor>& in) { return t(in[0]); }, {make_leaf({})}));
  check_layouts({2, 3, 4}, [](const Tensor& x) { return permute(x, {2, 0, 1}); });
  check_layouts({2, 3, 4}, [](const Tensor& x) { return permute(x, {-1, -3, 1}); });
}

TEST_CASE("gradcheck: narrow, slice and select", "[autograd]") {
  manual_seed(42);
  check_layouts({4, 5}, [](const Tensor& x) { return narrow(x, 1, 1, 3); });
  check_layouts({4, 5}, [](const Tensor& x) { return narrow(x, 0, -2, 2); });
  check_layouts({4, 5}, [](const Tensor& x) { return slice(x, 1, -3, 100); });
  check_layouts({4, 5}, [](const Tensor& x) { return slice(x, 0, 1, -1); });
  check_layouts({4, 5}, [](const Tensor& x) { return select(x, 0, 2); });
  check_layouts({4, 5}, [](const Tensor& x) { return select(x, -1, -1); });
  REQUIRE(gradcheck([](const std::vector<Tensor>& in) { return select(in[0], 0, 3); }, {make_leaf({7})}));
}

TEST_CASE("gradcheck: unsqueeze, squeeze and expand", "[autograd]") {
  manual_seed(43);
  check_layouts({3, 4}, [](const Tensor& x) { return unsqueeze(x, 0); });
  check_layouts({3, 4}, [](const Tensor& x) { return unsqueeze(x, -1); });
  REQUIRE(gradcheck([](const std::vector<Tensor>& in) { return unsqueeze(in[0], 0); }, {make_leaf({})}));
  REQUIRE(gradcheck([](const std::vector<Tensor>& in) { return squeeze(in[0]); }, {make_leaf({3, 1, 4, 1})}));
  REQUIRE(gradcheck([](const std::vector<Tensor>& in) { return squeeze(in[0], 1); }, {make_leaf({3, 1, 4, 1})}));
  REQUIRE(gradcheck([](const std::vector<Tensor>& in) { return squeeze(in[0], 0); }, {make_leaf({3, 1, 4, 1})}));
  REQUIRE(gradcheck([](const std::vector<Tensor>& in) { return expand(in[0], {2, 3, 4}); }, {make_leaf({3, 1})}));
  REQUIRE(gradcheck([](const std::vector<Tensor>& in) { return expand(in[0], {3, -1}); }, {make_leaf({1, 4})}));
  REQUIRE(gradcheck([](const std::vector<Tensor>& in) { return expand(in[0], {2, 3}); }, {make_leaf({})}));
  REQUIRE(gradcheck([](const std::vector<Tensor>& in) { return expand(in[0], {2, 4, 3}); },
                    {make_leaf({4, 1}, kNormal, Layout::Transposed)}));
}

TEST_CASE("gradcheck: unbind, with some slices unused", "[autograd]") {
  manual_seed(44);
  check_layouts({3, 4}, [](const Tensor& x) { return unbind(x, 1)[2]; });  // the other slices get zeros
  check_layouts({3, 4}, [](const Tensor& x) {
    const std::vector<Tensor> rows = unbind(x, 0);
    return rows[0] * rows[2] + 3.0 * rows[1];
  });
  REQUIRE(gradcheck([](const std::vector<Tensor>& in) { return stack(unbind(in[0], -1), 0); }, {make_leaf({2, 3})}));
}

TEST_CASE("gradcheck: contiguous, clone and to", "[autograd]") {
  manual_seed(45);
  check_layouts({3, 4}, [](const Tensor& x) { return contiguous(x); });
  check_layouts({3, 4}, [](const Tensor& x) { return clone(x); });
  // float64 -> float32 -> float64: the float32 round trip rounds each value to ~6e-8 relative,
  // so the finite difference needs a step of 1e-3 and a tolerance of 1e-3 (the map is linear).
  const testing::GradcheckOptions coarse{.eps = 1e-3, .atol = 1e-3, .rtol = 1e-3};
  REQUIRE(gradcheck([](const std::vector<Tensor>& in) { return to(to(in[0], kFloat32), kFloat64) * 3.0; },
                    {make_leaf({3, 4}, kNormal, Layout::Transposed)}, coarse));
}

TEST_CASE("views share storage with their input and are recorded like any op", "[autograd]") {
  Tensor x = testing::as_leaf(arange(0, 12, 1, kFloat64));
  const Tensor v = view(x, {3, 4});
  const Tensor tr = transpose(v, 0, 1);
  CHECK(v.shares_storage(x));
  CHECK(tr.shares_storage(x));
  CHECK(narrow(v, 1, 1, 2).shares_storage(x));
  CHECK(select(v, 0, 1).shares_storage(x));
  CHECK(expand(unsqueeze(x, 0), {2, 12}).shares_storage(x));
  CHECK(v.grad_fn_name() == "view");
  CHECK(tr.grad_fn_name() == "transpose");
  // contiguous() of a contiguous tensor and to() of the same dtype are the input itself, as PyTorch.
  CHECK(contiguous(v).is_same(v));
  CHECK(to(v, kFloat64).is_same(v));
  CHECK(contiguous(tr).grad_fn_name() == "contiguous");
  CHECK_FALSE(contiguous(tr).shares_storage(x));
  // to an integer dtype is not differentiable: nothing is recorded.
  CHECK_FALSE(to(v, kInt64).requires_grad());
}

TEST_CASE("shape ops match PyTorch: values and gradients (golden, float32)", "[autograd]") {
  using Json = nlohmann::json;
  using Inputs = std::vector<Tensor>;
  using testing::param_int;
  using testing::param_shape;
  const std::map<std::string, testing::GoldenOp> table = {
      {"view", [](const Inputs& x, const Json& p) { return view(x[0], param_shape(p, "shape")); }},
      {"reshape", [](const Inputs& x, const Json& p) { return reshape(x[0], param_shape(p, "shape")); }},
      {"flatten",
       [](const Inputs& x, const Json& p) { return flatten(x[0], param_int(p, "start_dim"), param_int(p, "end_dim")); }},
      {"transpose",
       [](const Inputs& x, const Json& p) { return transpose(x[0], param_int(p, "dim0"), param_int(p, "dim1")); }},
      {"t", [](const Inputs& x, const Json&) { return t(x[0]); }},
      {"permute", [](const Inputs& x, const Json& p) { return permute(x[0], param_shape(p, "dims")); }},
      {"narrow",
       [](const Inputs& x, const Json& p) {
         return narrow(x[0], param_int(p, "dim"), param_int(p, "start"), param_int(p, "length"));
       }},
      {"slice",
       [](const Inputs& x, const Json& p) {
         return slice(x[0], param_int(p, "dim"), param_int(p, "start"), param_int(p, "end"));
       }},
      {"select",
       [](const Inputs& x, const Json& p) { return select(x[0], param_int(p, "dim"), param_int(p, "index")); }},
      {"unsqueeze", [](const Inputs& x, const Json& p) { return unsqueeze(x[0], param_int(p, "dim")); }},
      {"squeeze", [](const Inputs& x, const Json&) { return squeeze(x[0]); }},
      {"squeeze_dim", [](const Inputs& x, const Json& p) { return squeeze(x[0], param_int(p, "dim")); }},
      {"expand", [](const Inputs& x, const Json& p) { return expand(x[0], param_shape(p, "shape")); }},
      {"unbind",
       [](const Inputs& x, const Json& p) { return unbind(x[0], param_int(p, "dim"))[param_int(p, "index")]; }},
      {"unbind_weighted",
       [](const Inputs& x, const Json& p) {
         const std::vector<Tensor> parts = unbind(x[0], param_int(p, "dim"));
         Tensor total = parts[0];
         for (std::size_t k = 1; k < parts.size(); ++k) total = total + static_cast<double>(k + 1) * parts[k];
         return total;
       }},
      {"contiguous", [](const Inputs& x, const Json&) { return contiguous(x[0]); }},
      {"clone", [](const Inputs& x, const Json&) { return clone(x[0]); }},
      {"to", [](const Inputs& x, const Json&) { return to(x[0], kFloat64); }},
  };
  testing::check_golden_ops("shape", table);
}
