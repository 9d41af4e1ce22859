// Type promotion against PyTorch's table (scripts/golden/type_promotion.py): every pair of bool,
// int32, int64, float32 and float64 operands, as tensors, 0-d tensors and C++ scalars, through
// add sub mul div eq lt maximum and where: the same result dtype and values, or a refusal where
// PyTorch refuses. Then the gradient of a mixed-dtype op arrives in each input's own dtype.
#include "golden.h"
#include "testing.h"

#include "autograd/ops.h"
#include "autograd/ops_embedding.h"
#include "autograd/ops_nn.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <string>

using namespace ember;
using ember::testing::gradcheck;
using ember::testing::require_close;

namespace {

struct Operand {
  Tensor tensor;                // defined for "tensor" and "zero_dim"
  std::optional<Scalar> scalar;  // set for "scalar"
  std::string describe;
};

Operand operand_from_json(const nlohmann::json& j) {
  const std::string kind = j.at("kind").get<std::string>();
  const nlohmann::json& v = j.at("value");
  if (kind != "scalar") {
    Tensor t = testing::tensor_from_json(v);
    return {t, std::nullopt, kind + " " + std::string(dtype_name(t.dtype()))};
  }
  const std::string type = v.at("type").get<std::string>();
  const nlohmann::json& x = v.at("scalar");
  if (type == "bool") return {Tensor(), Scalar(x.get<bool>()), "scalar bool"};
  if (type == "int") return {Tensor(), Scalar(x.get<std::int64_t>()), "scalar int"};
  return {Tensor(), Scalar(x.get<double>()), "scalar float"};
}

Tensor apply(const std::string& op, const Tensor& a, const Operand& b) {
  const Tensor cond = tensor({1, 0, 0}, kBool);
  if (b.scalar) {
    const Scalar s = *b.scalar;
    if (op == "add") return a + s;
    if (op == "sub") return a - s;
    if (op == "mul") return a * s;
    if (op == "div") return a / s;
    if (op == "eq") return a == s;
    if (op == "lt") return a < s;
    if (op == "where") return where(cond, a, s);
  } else {
    const Tensor& t = b.tensor;
    if (op == "add") return a + t;
    if (op == "sub") return a - t;
    if (op == "mul") return a * t;
    if (op == "div") return a / t;
    if (op == "eq") return a == t;
    if (op == "lt") return a < t;
    if (op == "maximum") return maximum(a, t);
    if (op == "where") return where(cond, a, t);
  }
  FAIL("unknown op in the golden table: " << op);
  return Tensor();
}

}  // namespace

TEST_CASE("type promotion: every dtype pair of the golden table gives PyTorch's dtype and values") {
  const nlohmann::json golden = testing::load_golden("type_promotion");
  const nlohmann::json& cases = golden.at("cases");
  REQUIRE(cases.size() > 900);
  int refused = 0;
  for (const nlohmann::json& c : cases) {
    const std::string op = c.at("op").get<std::string>();
    const Operand a = operand_from_json(c.at("a"));
    const Operand b = operand_from_json(c.at("b"));
    INFO(op << "(" << a.describe << ", " << b.describe << ")");
    const nlohmann::json& expect = c.at("expect");
    if (expect.contains("error")) {
      CHECK_THROWS_AS(apply(op, a.tensor, b), TypeError);
      ++refused;
      continue;
    }
    const Tensor expected = testing::tensor_from_json(expect);
    const Tensor actual = apply(op, a.tensor, b);
    INFO("got " << dtype_name(actual.dtype()) << ", PyTorch gives " << dtype_name(expected.dtype()));
    REQUIRE(actual.dtype() == expected.dtype());
    testing::require_golden(actual, expect);
  }
  CHECK(refused == 50);  // bool subtraction: PyTorch refuses every case of it
}

TEST_CASE("type promotion: result_type follows the tiers, int / int is float32, scalars count by category") {
  const Tensor i32 = tensor({1, 2}, kInt32);
  const Tensor i64 = tensor(std::vector<std::int64_t>{1, 2}, {2});
  const Tensor f32 = tensor({1.0, 2.0});
  CHECK(result_type(i32, i64) == kInt64);
  CHECK(result_type(i64, f32) == kFloat32);
  CHECK(result_type(i32, scalar_tensor(5, kInt64)) == kInt32);      // 0-d: same category, tensor wins
  CHECK(result_type(i32, scalar_tensor(5, kFloat64)) == kFloat64);  // 0-d: higher category, its dtype
  CHECK(result_type(f32, scalar_tensor(5, kFloat64)) == kFloat32);
  CHECK(result_type(i32, Scalar(2.5)) == kFloat32);
  CHECK(result_type(i32, Scalar(5)) == kInt32);
  CHECK(result_type(tensor({1, 0}, kBool), Scalar(1)) == kInt64);
  CHECK((i64 / i64).dtype() == kFloat32);
  require_close(i64 / 2, tensor({0.5, 1.0}), 0, 0);
  CHECK((i64 * 2).dtype() == kInt64);
  CHECK((i64 * 2.5).dtype() == kFloat32);
  // Compared in float32, as PyTorch: 16777217 is not a float32, so it equals 16777216.
  CHECK((tensor(std::vector<std::int64_t>{16777217}, {1}) == tensor({16777216.0})).item<bool>());
}

TEST_CASE("type promotion: a mixed float32 and float64 op returns each gradient in its input's dtype") {
  Tensor a = tensor({0.5, -1.0, 2.0}, kFloat32).requires_grad_();
  Tensor b = tensor({1.5, 0.25, -3.0}, kFloat64).requires_grad_();
  Tensor y = a * b + a / b;
  CHECK(y.dtype() == kFloat64);
  y.sum().backward();
  CHECK(a.grad().dtype() == kFloat32);
  CHECK(b.grad().dtype() == kFloat64);
  // dy/da = b + 1/b, dy/db = a - a/b^2
  require_close(a.grad(), tensor({1.5 + 1 / 1.5, 4.25, -3.0 - 1 / 3.0}, kFloat32), 1e-6, 1e-6);
  require_close(b.grad(), tensor({0.5 - 0.5 / 2.25, -1.0 + 16.0, 2.0 - 2.0 / 9.0}, kFloat64), 1e-12, 1e-12);
  // A float64 gradcheck through an op whose other operand is an int tensor and a 0-d float32.
  const Tensor ids = tensor(std::vector<std::int64_t>{1, 2, 3}, {3});
  REQUIRE(gradcheck([&](const std::vector<Tensor>& in) {
    return ((in[0] * ids + scalar_tensor(0.5, kFloat32)) / ids).pow(2.0).sum();
  }, {tensor({0.3, -0.7, 1.1}, kFloat64).requires_grad_()}));
}

TEST_CASE("int32: indices, class targets and lengths take int32 with the same results and range checks as int64") {
  const Tensor ids64 = tensor({2, 0, 1, 2});
  CHECK(ids64.dtype() == kInt64);  // integer literals make int64, as torch::tensor
  CHECK(tensor({1, 2.5}).dtype() == kFloat32);
  const Tensor ids32 = ids64.to(kInt32);
  REQUIRE(ids32.dtype() == kInt32);
  const Tensor table = tensor({0.1, 0.2, 0.3, 0.4, 0.5, 0.6}, {3, 2}, kFloat64);
  testing::require_equal(embedding(table, ids32), embedding(table, ids64));
  testing::require_equal(index_select(table, 0, ids32), index_select(table, 0, ids64));
  testing::require_equal(gather(table, 0, ids32.narrow(0, 0, 2).view({1, 2})), gather(table, 0, ids64.narrow(0, 0, 2).view({1, 2})));
  const Tensor logits = tensor({0.5, -1.0, 2.0, 0.0, 1.0, -0.5, 0.3, 0.2, 0.1, 1.5, -2.0, 0.7}, {4, 3}, kFloat64);
  testing::require_equal(cross_entropy(logits, ids32), cross_entropy(logits, ids64));
  // Out of range: the same message names the value and the valid range.
  const Tensor bad32 = tensor({0, 3}).to(kInt32);
  CHECK_THROWS_WITH(embedding(table, bad32), Catch::Contains("3"));
  CHECK_THROWS_AS(index_select(table, 0, bad32), IndexError);
  // Other dtypes are refused by name.
  CHECK_THROWS_WITH(index_select(table, 0, ids64.to(kFloat32)), Catch::Contains("float32") && Catch::Contains("int32"));
  // Arithmetic on int32 stays int32 with int32 and int scalars, as PyTorch.
  CHECK((ids32 + ids32).dtype() == kInt32);
  CHECK((ids32 * 3).dtype() == kInt32);
  testing::require_equal((ids32 * 3).to(kInt64), tensor({6, 0, 3, 6}));
}
