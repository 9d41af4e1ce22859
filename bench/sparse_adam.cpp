// Benchmark: time of one SparseAdam step on a 10,000-row and a 1,000,000-row table for the same
// batch of rows (it should not depend on the table size), with dense Adam on the same tables for
// contrast. Twin: bench/sparse_adam.py (torch.optim.SparseAdam). One run on one machine; not a test.
#include "core/sparse.h"
#include "core/tensor.h"
#include "optim/adam.h"
#include "optim/sparse_adam.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <vector>

using namespace ember;

namespace {

constexpr std::int64_t kWidth = 32;  // embedding dim
constexpr std::int64_t kBatchRows = 4096;  // looked-up rows per step, with repeats

// Median milliseconds of `repeats` calls of f.
template <typename F> double median_ms(int repeats, F&& f) {
  std::vector<double> times;
  for (int i = 0; i < repeats; ++i) {
    const auto start = std::chrono::steady_clock::now();
    f();
    times.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

// The same row indices (all < 10,000, so valid in both tables) for every table size.
SparseTensor batch_gradient(std::int64_t rows) {
  manual_seed(0);
  Tensor indices = randint(0, 10000, {kBatchRows});
  return SparseTensor(indices, randn({kBatchRows, kWidth}), {rows, kWidth});
}

double sparse_adam_ms(std::int64_t rows) {
  Tensor table = randn({rows, kWidth}).requires_grad_();
  optim::SparseAdam adam({table}, optim::SparseAdamOptions(1e-3));
  const SparseTensor grad = batch_gradient(rows);
  table.set_sparse_grad(grad);
  adam.step();  // allocates the moments: not timed
  return median_ms(31, [&] {
    table.set_sparse_grad(grad);
    adam.step();
  });
}

double dense_adam_ms(std::int64_t rows) {
  Tensor table = randn({rows, kWidth}).requires_grad_();
  optim::Adam adam({table}, optim::AdamOptions(1e-3));
  table.set_grad(batch_gradient(rows).to_dense());
  adam.step();
  return median_ms(5, [&] { adam.step(); });
}

}  // namespace

int main() {
  set_num_threads(1);
  std::printf("SparseAdam step, %lld looked-up rows (repeats kept), dim %lld, float32, 1 thread\n",
              static_cast<long long>(kBatchRows), static_cast<long long>(kWidth));
  const double small = sparse_adam_ms(10000), large = sparse_adam_ms(1000000);
  std::printf("  table     10,000 rows: %8.3f ms/step\n", small);
  std::printf("  table  1,000,000 rows: %8.3f ms/step   (ratio large/small %.2f)\n", large, large / small);
  const double dense_small = dense_adam_ms(10000), dense_large = dense_adam_ms(1000000);
  std::printf("dense Adam step on the same tables (dense gradient of the same batch)\n");
  std::printf("  table     10,000 rows: %8.3f ms/step\n", dense_small);
  std::printf("  table  1,000,000 rows: %8.3f ms/step   (ratio large/small %.2f)\n", dense_large,
              dense_large / dense_small);
  return 0;
}
