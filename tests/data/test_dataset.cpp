// TensorDataset rows and stack_collate.
#include "data/dataset.h"

#include <catch2/catch.hpp>

using Catch::Contains;
using ember::Tensor;
using ember::data::TensorDataset;

TEST_CASE("TensorDataset serves row i of every tensor", "[data]") {
  const Tensor x = ember::tensor(std::vector<std::int64_t>{0, 1, 2, 3, 4, 5}, {3, 2});
  const Tensor y = ember::tensor(std::vector<std::int64_t>{7, 8, 9}, {3});
  TensorDataset dataset({x, y});
  REQUIRE(dataset.size() == 3);
  const std::vector<Tensor> row = dataset.get(1);
  REQUIRE(row.size() == 2);
  CHECK(row[0].shape() == ember::Shape{2});
  CHECK(row[0].to_vector<std::int64_t>() == std::vector<std::int64_t>{2, 3});
  CHECK(row[1].dim() == 0);
  CHECK(row[1].item<std::int64_t>() == 8);
  REQUIRE_THROWS_WITH(dataset.get(3), Contains("index 3 is out of range [0, 3)"));
}

TEST_CASE("TensorDataset rejects tensors of different lengths", "[data]") {
  const Tensor x = ember::zeros({3, 2}, ember::kInt64);
  const Tensor y = ember::zeros({4}, ember::kInt64);
  REQUIRE_THROWS_AS(TensorDataset({x, y}), ember::ShapeError);
  REQUIRE_THROWS_WITH(TensorDataset({x, y}), Contains("tensor 1 has shape [4]"));
  REQUIRE_THROWS_WITH(TensorDataset({}), Contains("needs at least one tensor"));
}

TEST_CASE("stack_collate stacks each field on a new dim 0", "[data]") {
  const Tensor x = ember::tensor(std::vector<std::int64_t>{0, 1, 2, 3, 4, 5}, {3, 2});
  const Tensor y = ember::tensor(std::vector<std::int64_t>{7, 8, 9}, {3});
  TensorDataset dataset({x, y});
  const std::vector<Tensor> batch = ember::data::stack_collate({dataset.get(2), dataset.get(0)});
  REQUIRE(batch.size() == 2);
  CHECK(batch[0].shape() == ember::Shape{2, 2});
  CHECK(batch[0].to_vector<std::int64_t>() == std::vector<std::int64_t>{4, 5, 0, 1});
  CHECK(batch[1].to_vector<std::int64_t>() == std::vector<std::int64_t>{9, 7});
  REQUIRE_THROWS_WITH(ember::data::stack_collate({}), Contains("the batch is empty"));
}
