// Indexing and joining (autograd/ops_index.cpp): float64 gradcheck with repeated indices and
// non-contiguous inputs (index tensors pass through without gradients); float32 parity with PyTorch.
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

const testing::Values kNormal = testing::normal_values();

Tensor index_of(const std::vector<std::int64_t>& values, const Shape& shape) { return tensor(values, shape); }

}  // namespace

TEST_CASE("gradcheck: index_select with repeated indices", "[autograd]") {
  manual_seed(50);
  const Tensor rows = index_of({3, 0, 3, 1}, {4});
  for (Layout layout : {Layout::Contiguous, Layout::Transposed, Layout::Narrowed}) {
    const Tensor x = make_leaf({4, 5}, kNormal, layout);
    INFO("input " << testing::describe(x));
    REQUIRE(gradcheck([](const std::vector<Tensor>& in) { return index_select(in[0], 0, in[1]); }, {x, rows}));
    REQUIRE(gradcheck([](const std::vector<Tensor>& in) { return index_select(in[0], -1, in[1]); }, {x, rows}));
  }
  REQUIRE(gradcheck([](const std::vector<Tensor>& in) { return index_select(in[0], 0, in[1]); },
                    {make_leaf({7}), index_of({6, 6, 0}, {3})}));
}

TEST_CASE("gradcheck: gather and scatter_add", "[autograd]") {
  manual_seed(51);
  const Tensor index = randint(0, 4, {3, 5});
  for (Layout layout : {Layout::Contiguous, Layout::Transposed, Layout::Narrowed}) {
    const Tensor x = make_leaf({4, 5}, kNormal, layout);
    INFO("input " << testing::describe(x));
    REQUIRE(gradcheck([](const std::vector<Tensor>& in) { return gather(in[0], 0, in[1]); }, {x, index}));
    REQUIRE(gradcheck([](const std::vector<Tensor>& in) { return scatter_add(in[0], 0, in[1], in[2]); },
                      {x, index, make_leaf({3, 5}, kNormal, layout)}));
  }
  SECTION("gather along dim 1") {
    REQUIRE(gradcheck([](const std::vector<Tensor>& in) { return gather(in[0], 1, in[1]); },
                      {make_leaf({3, 4}), randint(0, 4, {3, 6})}));
  }
  SECTION("scatter_add with src larger than index: the unused part of src gets zero gradient") {
    REQUIRE(gradcheck([](const std::vector<Tensor>& in) { return scatter_add(in[0], 1, in[1], in[2]); },
                      {make_leaf({3, 4}), randint(0, 4, {2, 3}), make_leaf({3, 5})}));
  }
}

TEST_CASE("gradcheck: index_add", "[autograd]") {
  manual_seed(52);
  REQUIRE(gradcheck([](const std::vector<Tensor>& in) { return index_add(in[0], 0, in[1], in[2]); },
                    {make_leaf({4, 5}), index_of({1, 3, 1}, {3}), make_leaf({3, 5})}));
  REQUIRE(gradcheck([](const std::vector<Tensor>& in) { return index_add(in[0], 1, in[1], in[2]); },
                    {make_leaf({4, 5}, kNormal, Layout::Transposed), index_of({0, 4}, {2}),
                     make_leaf({4, 2}, kNormal, Layout::Narrowed)}));
}

TEST_CASE("gradcheck: cat and stack along every dim", "[autograd]") {
  manual_seed(53);
  SECTION("cat") {
    const auto f = [](std::int64_t dim) {
      return [dim](const std::vector<Tensor>& in) { return cat(in, dim); };
    };
    REQUIRE(gradcheck(f(0), {make_leaf({2, 4}), make_leaf({3, 4}, kNormal, Layout::Transposed), make_leaf({1, 4})}));
    REQUIRE(gradcheck(f(1), {make_leaf({3, 2}), make_leaf({3, 3}, kNormal, Layout::Narrowed),
                             randn({3, 1}, kFloat64)}));  // one input without grad
    REQUIRE(gradcheck(f(-1), {make_leaf({2, 3, 1}), make_leaf({2, 3, 2})}));
    REQUIRE(gradcheck(f(0), {make_leaf({7})}));
  }
  SECTION("stack") {
    for (std::int64_t dim : {0, 1, 2, -1}) {
      INFO("dim " << dim);
      REQUIRE(gradcheck([dim](const std::vector<Tensor>& in) { return stack(in, dim); },
                        {make_leaf({3, 4}), make_leaf({3, 4}, kNormal, Layout::Transposed),
                         make_leaf({3, 4}, kNormal, Layout::Narrowed)}));
    }
    REQUIRE(gradcheck([](const std::vector<Tensor>& in) { return stack(in, 0); }, {make_leaf({}), make_leaf({})}));
  }
}

TEST_CASE("index tensors receive no gradient; the data input's gradient accumulates repeats", "[autograd]") {
  Tensor x = testing::as_leaf(arange(0, 6, 1, kFloat64));
  const Tensor index = index_of({5, 5, 0}, {3});
  sum(index_select(x, 0, index)).backward();
  CHECK(x.grad().to_vector<double>() == std::vector<double>{1, 0, 0, 0, 0, 2});
  CHECK_FALSE(index.requires_grad());
  CHECK_FALSE(index.grad().defined());
}

TEST_CASE("indexing and joining match PyTorch: values and gradients (golden, float32)", "[autograd]") {
  using Json = nlohmann::json;
  using Inputs = std::vector<Tensor>;
  using testing::param_int;
  const std::map<std::string, testing::GoldenOp> table = {
      {"index_select", [](const Inputs& x, const Json& p) { return index_select(x[0], param_int(p, "dim"), x[1]); }},
      {"gather", [](const Inputs& x, const Json& p) { return gather(x[0], param_int(p, "dim"), x[1]); }},
      {"scatter_add",
       [](const Inputs& x, const Json& p) { return scatter_add(x[0], param_int(p, "dim"), x[1], x[2]); }},
      {"index_add", [](const Inputs& x, const Json& p) { return index_add(x[0], param_int(p, "dim"), x[1], x[2]); }},
      {"cat", [](const Inputs& x, const Json& p) { return cat(x, param_int(p, "dim")); }},
      {"stack", [](const Inputs& x, const Json& p) { return stack(x, param_int(p, "dim")); }},
  };
  testing::check_golden_ops("index", table);
}
