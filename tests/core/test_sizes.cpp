// Sizes never wrap: shapes whose element, stride or byte counts do not fit in int64, bounds that
// would overflow, null and undefined inputs are refused with an error naming the value.
#include "core/allocator.h"
#include "core/kernels.h"
#include "core/tensor.h"

#include <catch2/catch.hpp>

#include <cstdint>
#include <limits>

using namespace ember;
using Catch::Matchers::Contains;

namespace {
constexpr std::int64_t k32 = std::int64_t{1} << 32;
constexpr std::int64_t k62 = std::int64_t{1} << 62;
constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
}  // namespace

TEST_CASE("sizes: a shape whose element count wraps is refused by every creation function", "[core]") {
  // 2^32 * 2^32 = 2^64 wraps to 0: accepted with numel 0 before, and then written past the buffer.
  REQUIRE_THROWS_AS(zeros({k32, k32}), ValueError);
  REQUIRE_THROWS_WITH(zeros({k32, k32}), Contains("empty: shape [4294967296, 4294967296]"));
  REQUIRE_THROWS_AS(empty({k32, k32}), ValueError);
  REQUIRE_THROWS_AS(ones({k32, k32}), ValueError);
  REQUIRE_THROWS_AS(full({k32, k32}, 2.0), ValueError);
  REQUIRE_THROWS_AS(randn({k62, 4}), ValueError);
  REQUIRE_THROWS_WITH(randn({k62, 4}), Contains("[4611686018427387904, 4]"));
  REQUIRE_THROWS_AS(rand({k62, 4}), ValueError);
  REQUIRE_THROWS_AS(eye(k32), ValueError);
  // The element count fits but the byte count does not (2^61 float32s are 2^63 bytes).
  REQUIRE_THROWS_WITH(empty({std::int64_t{1} << 61}), Contains("[2305843009213693952] needs more than"));
  // An empty shape holds nothing even with huge other dims, unless its strides would wrap.
  CHECK(empty({0, k62}).numel() == 0);
  REQUIRE_THROWS_AS(empty({k62, k62, k62, 0}), ValueError);
  CHECK(empty({k62, k62, 0}).numel() == 0);
  REQUIRE_THROWS_WITH(numel({k62, k62}), Contains("numel: shape [4611686018427387904, 4611686018427387904]"));
}

TEST_CASE("sizes: an allocation the system cannot give is an ember::Error naming the bytes", "[core]") {
  // 2^62 bytes fit in int64 but no machine has them.
  REQUIRE_THROWS_AS(empty({std::int64_t{1} << 60}, kFloat32), Error);
  REQUIRE_THROWS_WITH(empty({std::int64_t{1} << 60}, kFloat32),
                      Contains("out of memory allocating 4611686018427387904 bytes"));
  REQUIRE_THROWS_WITH(allocator::allocate(std::numeric_limits<std::size_t>::max()),
                      Contains("allocating 18446744073709551615 bytes"));
}

TEST_CASE("sizes: narrow with a start near INT64_MAX is refused, not written before the buffer", "[core]") {
  Tensor x = zeros({4, 3});
  REQUIRE_THROWS_AS(kernels::narrow(x, 0, kMax - 1, 2), IndexError);
  REQUIRE_THROWS_WITH(kernels::narrow(x, 0, kMax - 1, 2), Contains("start 9223372036854775806 with length 2"));
  REQUIRE_THROWS_WITH(kernels::narrow(x, 0, 1, kMax), Contains("length 9223372036854775807"));
  REQUIRE_THROWS_AS(kernels::narrow(x, 0, std::numeric_limits<std::int64_t>::min(), 1), IndexError);
  REQUIRE_THROWS_AS(kernels::narrow(x, 0, -5, 1), IndexError);
  CHECK(kernels::narrow(x, 0, -1, 1).shape() == Shape{1, 3});
  CHECK(kernels::narrow(x, 0, 4, 0).shape() == Shape{0, 3});
  CHECK(kernels::narrow(x, 1, 1, 2).shape() == Shape{4, 2});
  REQUIRE_THROWS_AS(kernels::select(x, 0, kMax), IndexError);
  REQUIRE_THROWS_AS(kernels::select(x, 0, std::numeric_limits<std::int64_t>::min()), IndexError);
}

TEST_CASE("sizes: views and joins whose sizes would wrap are refused", "[core]") {
  Tensor one = zeros({1});
  REQUIRE_THROWS_AS(kernels::expand(one, {k32, k32}).numel(), ValueError);
  Tensor wide = kernels::expand(one, {kMax});
  REQUIRE_THROWS_AS(kernels::cat({wide, wide}), ValueError);
  REQUIRE_THROWS_WITH(kernels::cat({wide, wide}), Contains("cat: the sizes along dim 0 add up"));
  REQUIRE_THROWS_AS(kernels::reshape(zeros({0}), {k62, k62, -1}), ValueError);
}

TEST_CASE("sizes: from_blob refuses a null pointer for a non-empty shape", "[core]") {
  REQUIRE_THROWS_AS(from_blob(nullptr, {4}, kFloat32), ValueError);
  REQUIRE_THROWS_WITH(from_blob(nullptr, {4}, kFloat32), Contains("from_blob: data is a null pointer for shape [4]"));
  CHECK(from_blob(nullptr, {0}, kFloat32).numel() == 0);
  float value = 1.0f;
  REQUIRE_THROWS_AS(from_blob(&value, {k32, k32}, kFloat32), ValueError);
}

TEST_CASE("sizes: arange over a range too large for int64 names the element count", "[core]") {
  REQUIRE_THROWS_AS(arange(0, 1e30), ValueError);
  REQUIRE_THROWS_WITH(arange(0, 1e30), Contains("arange: range [0, 1e+30) with step 1 holds 1e+30 elements"));
  REQUIRE_THROWS_AS(arange(0, std::numeric_limits<double>::infinity()), ValueError);
  REQUIRE_THROWS_WITH(arange(0, std::numeric_limits<double>::quiet_NaN()), Contains("is not finite"));
  CHECK(arange(0, 5).numel() == 5);
}

TEST_CASE("sizes: entry points refuse an undefined tensor by name", "[core]") {
  const Tensor undefined;
  REQUIRE_THROWS_WITH(zeros_like(undefined), "zeros_like: input is undefined; expected a tensor");
  REQUIRE_THROWS_AS(ones_like(undefined), ValueError);
  REQUIRE_THROWS_AS(empty_like(undefined), ValueError);
  REQUIRE_THROWS_AS(full_like(undefined, 1.0), ValueError);
  REQUIRE_THROWS_WITH(kernels::narrow(undefined, 0, 0, 1), "narrow: input is undefined; expected a tensor");
  REQUIRE_THROWS_AS(kernels::select(undefined, 0, 0), ValueError);
  REQUIRE_THROWS_AS(kernels::view(undefined, {1}), ValueError);
  REQUIRE_THROWS_AS(kernels::reshape(undefined, {1}), ValueError);
  REQUIRE_THROWS_AS(kernels::transpose(undefined, 0, 1), ValueError);
  REQUIRE_THROWS_AS(kernels::expand(undefined, {2}), ValueError);
  REQUIRE_THROWS_AS(kernels::squeeze(undefined), ValueError);
  REQUIRE_THROWS_AS(kernels::unsqueeze(undefined, 0), ValueError);
  REQUIRE_THROWS_WITH(kernels::index_select(undefined, 0, arange(2)), "index_select: input is undefined; expected a tensor");
  REQUIRE_THROWS_AS(kernels::gather(undefined, 0, arange(2)), ValueError);
}
