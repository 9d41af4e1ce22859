// core/distributed.h on 2 MPI processes: the process group, all_reduce, broadcast,
// all_gather_sparse and barrier, with values checked on every rank.
#include "core/distributed.h"

#include "core/kernels.h"
#include "core/sparse.h"
#include "testing.h"

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

using namespace ember;
using Catch::Contains;
namespace dist = ember::distributed;

namespace {

// A float tensor of the given shape (tensor({...}, {...}) is ambiguous with the int64 overload).
Tensor floats(const std::vector<double>& values, const Shape& shape, DType dtype = kFloat32) {
  return tensor(values, shape, dtype);
}

// [rows, cols] float tensor whose element (i, j) is rank * 100 + i * cols + j + 0.25.
Tensor rank_tensor(std::int64_t rows, std::int64_t cols, DType dtype, int r) {
  std::vector<double> values;
  for (std::int64_t k = 0; k < rows * cols; ++k) values.push_back(r * 100.0 + k + 0.25);
  return tensor(values, {rows, cols}, dtype);
}

// What all_reduce(Sum) must give: the sum of rank_tensor over ranks, computed locally in float64.
Tensor expected_sum(std::int64_t rows, std::int64_t cols, DType dtype) {
  Tensor sum = zeros({rows, cols}, kFloat64);
  for (int r = 0; r < dist::world_size(); ++r) sum.add_(rank_tensor(rows, cols, kFloat64, r));
  Tensor out = empty({rows, cols}, dtype);
  out.copy_(sum);
  return out;
}

}  // namespace

TEST_CASE("init reads the rank and world size from mpirun", "[distributed]") {
  REQUIRE(dist::is_available());
  REQUIRE(dist::launched_by_mpi());
  REQUIRE(dist::is_initialized());
  REQUIRE(dist::world_size() == std::atoi(std::getenv("OMPI_COMM_WORLD_SIZE")));
  REQUIRE(dist::world_size() == 2);
  REQUIRE(dist::rank() == std::atoi(std::getenv("OMPI_COMM_WORLD_RANK")));
  REQUIRE(dist::local_world_size() == 2);  // both processes run on this machine
  REQUIRE_THROWS_WITH(dist::init(), Contains("already initialized"));
}

TEST_CASE("all_reduce sums and averages float32 and float64 tensors", "[distributed]") {
  for (DType dtype : {kFloat32, kFloat64}) {
    Tensor t = rank_tensor(3, 4, dtype, dist::rank());
    dist::all_reduce(t, dist::ReduceOp::Sum);
    testing::require_equal(t, expected_sum(3, 4, dtype));

    Tensor m = rank_tensor(3, 4, dtype, dist::rank());
    const std::uint64_t version = m.version();
    dist::all_reduce(m);  // Sum is the default
    REQUIRE(m.version() > version);  // an in-place write, visible to autograd's version checks
    m = rank_tensor(3, 4, dtype, dist::rank());
    dist::all_reduce(m, dist::ReduceOp::Mean);
    // (r0 + r1) / 2 is exact here: the values have few significant bits.
    testing::require_equal(m, expected_sum(3, 4, dtype).mul_(0.5));
  }
}

TEST_CASE("all_reduce writes through a non-contiguous view, and handles 0-d and empty tensors", "[distributed]") {
  Tensor base = rank_tensor(3, 4, kFloat32, dist::rank());
  Tensor view = kernels::transpose(base, 0, 1);  // [4, 3], not contiguous
  REQUIRE_FALSE(view.is_contiguous());
  dist::all_reduce(view, dist::ReduceOp::Sum);
  testing::require_equal(base, expected_sum(3, 4, kFloat32));

  Tensor scalar = scalar_tensor(dist::rank() + 1.5, kFloat64);
  dist::all_reduce(scalar, dist::ReduceOp::Mean);
  REQUIRE(scalar.item<double>() == 2.0);  // (1.5 + 2.5) / 2

  Tensor nothing = empty({0, 5}, kFloat32);
  dist::all_reduce(nothing);
  REQUIRE(nothing.numel() == 0);
}

TEST_CASE("all_reduce rejects int64 tensors and leaves them unchanged", "[distributed]") {
  Tensor ints = tensor(std::vector<std::int64_t>{1, 2, 3}, {3});
  const Tensor before = kernels::clone(ints);
  REQUIRE_THROWS_WITH(dist::all_reduce(ints), Contains("dtype int64 is not supported; expected float32 or float64"));
  testing::require_equal(ints, before);
  Tensor undefined;
  REQUIRE_THROWS_WITH(dist::all_reduce(undefined), Contains("undefined"));
}

TEST_CASE("broadcast copies the root's tensor to every rank", "[distributed]") {
  for (int root : {0, 1}) {
    Tensor t = rank_tensor(2, 5, kFloat64, dist::rank());
    dist::broadcast(t, root);
    testing::require_equal(t, rank_tensor(2, 5, kFloat64, root));
  }
  // int64 and a non-contiguous destination.
  Tensor ids = tensor(std::vector<std::int64_t>{dist::rank() * 10, 7}, {2});
  dist::broadcast(ids, 1);
  REQUIRE(ids.to_vector<std::int64_t>() == std::vector<std::int64_t>{10, 7});
  Tensor base = rank_tensor(2, 3, kFloat32, dist::rank());
  Tensor view = kernels::transpose(base, 0, 1);
  dist::broadcast(view, 0);
  testing::require_equal(base, rank_tensor(2, 3, kFloat32, 0));
}

TEST_CASE("broadcast with mismatched shapes throws on every rank and changes nothing", "[distributed]") {
  // Rank 0 holds [2, 3], rank 1 holds [3, 2]: same numel, so only the shape check can catch it.
  Tensor t = dist::rank() == 0 ? rank_tensor(2, 3, kFloat32, 0) : rank_tensor(3, 2, kFloat32, 1);
  const Tensor before = kernels::clone(t);
  REQUIRE_THROWS_WITH(dist::broadcast(t, 0),
                      Contains("rank 1 has a [3, 2] float32 tensor but rank 0 has [2, 3] float32; expected the same "
                               "shape and dtype on every rank"));
  testing::require_equal(t, before);

  Tensor d = rank_tensor(2, 2, dist::rank() == 0 ? kFloat32 : kFloat64, dist::rank());
  REQUIRE_THROWS_WITH(dist::broadcast(d, 1), Contains("rank 0 has a [2, 2] float32 tensor but rank 1 has [2, 2] float64"));

  REQUIRE_THROWS_WITH(dist::broadcast(t, 2), Contains("root 2 is out of range; expected [0, 2)"));
  REQUIRE_THROWS_WITH(dist::broadcast(t, -1), Contains("root -1 is out of range"));
  testing::require_equal(t, before);
  dist::barrier();  // both ranks are still in step: the next collective works
  Tensor ok = scalar_tensor(dist::rank(), kFloat32);
  dist::all_reduce(ok);
  REQUIRE(ok.item<double>() == 1.0);
}

TEST_CASE("all_gather_sparse sums overlapping rows across ranks and stays row-sparse", "[distributed]") {
  // Rank 0: rows 3, 1, 3 of a [6, 2] tensor; rank 1: rows 1, 4. Duplicates within and across ranks.
  SparseTensor local;
  if (dist::rank() == 0) {
    local = SparseTensor(tensor(std::vector<std::int64_t>{3, 1, 3}, {3}),
                         floats({1.0, 2.0, 3.0, 4.0, 5.0, 6.0}, {3, 2}), {6, 2});
  } else {
    local = SparseTensor(tensor(std::vector<std::int64_t>{1, 4}, {2}), floats({10.0, 20.0, 30.0, 40.0}, {2, 2}), {6, 2});
  }
  const SparseTensor gathered = dist::all_gather_sparse(local);
  REQUIRE(gathered.coalesced);
  REQUIRE(gathered.shape == Shape{6, 2});
  REQUIRE(gathered.indices.to_vector<std::int64_t>() == std::vector<std::int64_t>{1, 3, 4});
  testing::require_equal(gathered.values, floats({13.0, 24.0, 6.0, 8.0, 30.0, 40.0}, {3, 2}));

  // The dense view agrees with an all_reduce of the dense tensors.
  Tensor dense = local.to_dense();
  dist::all_reduce(dense);
  testing::require_equal(gathered.to_dense(), dense);
}

TEST_CASE("all_gather_sparse handles ranks without rows", "[distributed]") {
  SparseTensor local = SparseTensor::empty({5, 3}, kFloat64);
  if (dist::rank() == 1)
    local = SparseTensor(tensor(std::vector<std::int64_t>{2, 2}, {2}), floats({1, 2, 3, 4, 5, 6}, {2, 3}, kFloat64), {5, 3});
  const SparseTensor gathered = dist::all_gather_sparse(local);
  REQUIRE(gathered.indices.to_vector<std::int64_t>() == std::vector<std::int64_t>{2});
  testing::require_equal(gathered.values, floats({5, 7, 9}, {1, 3}, kFloat64));

  const SparseTensor none = dist::all_gather_sparse(SparseTensor::empty({5, 3}, kFloat32));
  REQUIRE(none.nnz() == 0);
  REQUIRE(none.values.shape() == Shape{0, 3});
  REQUIRE(none.dtype() == kFloat32);
}

TEST_CASE("all_gather_sparse with mismatched dense shapes throws on every rank", "[distributed]") {
  const std::int64_t width = dist::rank() == 0 ? 2 : 3;
  const SparseTensor local(tensor(std::vector<std::int64_t>{0}, {1}), ones({1, width}), {4, width});
  REQUIRE_THROWS_WITH(dist::all_gather_sparse(local),
                      Contains("rank 1 has a [4, 3] float32 tensor but rank 0 has [4, 2] float32"));
}

TEST_CASE("barrier orders a write on rank 0 before a read on rank 1", "[distributed]") {
  // Rank 0 picks the file name and broadcasts it (as an int64 id), so the test is private to this job.
  Tensor id = tensor(std::vector<std::int64_t>{static_cast<std::int64_t>(
                         std::chrono::steady_clock::now().time_since_epoch().count() % 1000000007)},
                     {1});
  dist::broadcast(id, 0);
  const auto path = std::filesystem::temp_directory_path() /
                    ("ember_barrier_" + std::to_string(id.to_vector<std::int64_t>()[0]) + ".txt");
  if (dist::rank() == 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));  // rank 1 would read too early without the barrier
    std::ofstream(path) << "written by rank 0";
  }
  dist::barrier();
  std::ifstream in(path);
  std::string text;
  std::getline(in, text);
  REQUIRE(text == "written by rank 0");
  dist::barrier();  // nobody reads any more
  if (dist::rank() == 0) std::filesystem::remove(path);
}
