// core/sparse.cpp: SparseTensor::coalesce (the radix-sorted, stable path and the fallback for
// negative rows) against a plain reference that sums each row's values in their original order.
#include "testing.h"

#include "core/sparse.h"

#include <catch2/catch.hpp>

#include <map>
#include <vector>

using namespace ember;

namespace {

// The reference: a map from row to the running sum, values added in their original order.
void require_coalesced_like_reference(const SparseTensor& s) {
  const auto indices = s.indices.to_vector<std::int64_t>();
  const auto values = s.values.to_vector<float>();
  const std::int64_t width = s.values.numel() / std::max<std::int64_t>(s.nnz(), 1);
  std::map<std::int64_t, std::vector<float>> expected;
  for (std::size_t k = 0; k < indices.size(); ++k) {
    auto [it, fresh] = expected.try_emplace(indices[k], values.begin() + k * width, values.begin() + (k + 1) * width);
    if (!fresh)
      for (std::int64_t j = 0; j < width; ++j) it->second[j] += values[k * width + j];
  }
  const SparseTensor c = s.coalesce();
  REQUIRE(c.coalesced);
  REQUIRE(c.nnz() == static_cast<std::int64_t>(expected.size()));
  const auto out_indices = c.indices.to_vector<std::int64_t>();
  const auto out_values = c.values.to_vector<float>();
  std::size_t u = 0;
  for (const auto& [row, sum] : expected) {
    REQUIRE(out_indices[u] == row);
    for (std::int64_t j = 0; j < width; ++j) REQUIRE(out_values[u * width + j] == sum[j]);  // same order: bitwise
    ++u;
  }
}

}  // namespace

TEST_CASE("coalesce sums duplicates in their original order, rows ascending", "[core]") {
  manual_seed(3);
  // Row ranges needing one, two and three radix passes (11 bits each), with many repeats.
  for (std::int64_t rows : {50LL, 5000LL, 3'000'000LL}) {
    INFO("rows " << rows);
    const Tensor indices = randint(0, rows, {4000});
    require_coalesced_like_reference(SparseTensor(indices, randn({4000, 3}), {rows, 3}));
  }
}

TEST_CASE("coalesce of a few hand-written rows, an empty tensor, and negative rows", "[core]") {
  const SparseTensor s(tensor(std::vector<std::int64_t>{7, 2, 7, 0, 2}, {5}),
                       tensor(std::vector<double>{1, 2, 3, 4, 5}, Shape{5, 1}), {8, 1});
  const SparseTensor c = s.coalesce();
  CHECK(c.indices.to_vector<std::int64_t>() == std::vector<std::int64_t>{0, 2, 7});
  CHECK(c.values.to_vector<float>() == std::vector<float>{4, 7, 4});
  // The input is not changed, and coalescing it again gives the same result.
  CHECK_FALSE(s.coalesced);
  CHECK(s.indices.to_vector<std::int64_t>() == std::vector<std::int64_t>{7, 2, 7, 0, 2});
  CHECK(s.coalesce().values.to_vector<float>() == c.values.to_vector<float>());

  CHECK(SparseTensor(empty({0}, kInt64), empty({0, 4}), {10, 4}).coalesce().nnz() == 0);

  // Negative rows are invalid for every consumer, which range-checks them; coalesce still sorts them.
  const SparseTensor negative(tensor(std::vector<std::int64_t>{3, -1, 3, -5}, {4}), tensor(std::vector<double>{1, 2, 3, 4}, Shape{4, 1}),
                              {8, 1});
  require_coalesced_like_reference(negative);
  CHECK(negative.coalesce().indices.to_vector<std::int64_t>() == std::vector<std::int64_t>{-5, -1, 3});
}
