// Benchmark workload 4 (docs/performance.md): Embedding alone, a 1,000,000 x 64 table and 32 x 512 indices.
//   gather           forward (recorded, as in training)
//   sparse_step      backward + SparseAdam step, sparse=true (the forward runs untimed before it)
//   sparse_adam_10k, sparse_adam_1m   the SparseAdam step alone, the same gradient rows (all
//                    below 10,000) on a 10,000-row and a 1,000,000-row table
//   memory           (alone in its process) 20 training steps; the peak RSS it adds
// Twin: bench/embedding.py. Lower bounds: bytes moved / measured copy bandwidth.
#include "bench/harness.h"

#include "autograd/grad_mode.h"
#include "nn/embedding.h"
#include "optim/sparse_adam.h"

#include <set>

using namespace ember;

namespace {

constexpr std::int64_t kRows = 1'000'000, kDim = 64, kBatch = 32, kSeq = 512;

Tensor batch_indices(std::int64_t high, std::uint64_t seed) { return bench::lcg_indices({kBatch, kSeq}, 0, high, seed); }

std::int64_t unique_count(const Tensor& indices) {
  const auto values = indices.to_vector<std::int64_t>();
  return static_cast<std::int64_t>(std::set<std::int64_t>(values.begin(), values.end()).size());
}

// Bytes an update of the gradient's rows must move: read the gradient rows and indices once, then
// read and write the parameter and both moments of every distinct row.
double sparse_update_bytes(const Tensor& indices) {
  const double n = static_cast<double>(indices.numel()), row = kDim * 4.0;
  return n * (row + 8) + 6.0 * unique_count(indices) * row;
}

void gather(const bench::Args& args) {
  manual_seed(0);
  nn::Embedding emb(nn::EmbeddingOptions(kRows, kDim).sparse(true));
  const Tensor indices = batch_indices(kRows, 1);
  const bench::Timing t = bench::measure([&] { emb.forward(indices); }, 5, args.repeats(200));
  const double bytes = indices.numel() * (2.0 * kDim * 4 + 8);  // read and write each row, read its index
  bench::report("embedding", "gather", args.threads, t, bench::memory_bound_json(bytes));
}

void sparse_step(const bench::Args& args) {
  manual_seed(0);
  nn::Embedding emb(nn::EmbeddingOptions(kRows, kDim).sparse(true));
  optim::SparseAdam adam(emb.parameters(), optim::SparseAdamOptions(1e-3));
  const Tensor indices = batch_indices(kRows, 1);
  const Tensor dy = randn({kBatch, kSeq, kDim});
  Tensor y;
  const bench::Timing t = bench::measure(
      [&] {
        adam.zero_grad();
        y = emb.forward(indices);
      },
      [&] {
        y.backward(dy);
        adam.step();
      },
      5, args.repeats(100));
  bench::report("embedding", "sparse_step", args.threads, t,
                bench::memory_bound_json(indices.numel() * kDim * 4.0 + sparse_update_bytes(indices)));
}

void sparse_adam(const bench::Args& args, std::int64_t rows, const char* name) {
  manual_seed(0);
  Tensor table = randn({rows, kDim}).requires_grad_();
  optim::SparseAdam adam({table}, optim::SparseAdamOptions(1e-3));
  const Tensor indices = bench::lcg_indices({kBatch * kSeq}, 0, 10'000, 2);  // the same rows for both tables
  const SparseTensor grad(indices, randn({indices.numel(), kDim}), {rows, kDim});
  const bench::Timing t =
      bench::measure([&] { table.set_sparse_grad(grad); }, [&] { adam.step(); }, 5, args.repeats(100));
  bench::report("embedding", name, args.threads, t, bench::memory_bound_json(sparse_update_bytes(indices)));
}

// The whole job in this process: what it adds to the resident set at its peak.
void memory(const bench::Args& args) {
  const double base = bench::current_rss_mib();
  manual_seed(0);
  nn::Embedding emb(nn::EmbeddingOptions(kRows, kDim).sparse(true));
  optim::SparseAdam adam(emb.parameters(), optim::SparseAdamOptions(1e-3));
  const Tensor dy = randn({kBatch, kSeq, kDim});
  const double start = bench::now_ms();
  for (int step = 0; step < 20; ++step) {
    adam.zero_grad();
    emb.forward(batch_indices(kRows, 100 + step)).backward(dy);
    adam.step();
  }
  bench::Timing t;
  t.median_ms = t.min_ms = (bench::now_ms() - start) / 20;
  t.repeats = 20;
  bench::report("embedding", "memory", args.threads, t,
                fmt::format("\"base_rss_mib\": {:.1f}, \"peak_rss_mib\": {:.1f}", base, bench::peak_rss_mib()));
}

}  // namespace

int main(int argc, char** argv) {
  const bench::Args args(argc, argv);
  set_num_threads(args.threads);
  if (args.wants("memory") && args.only.size() == 1) {  // alone, or its peak would be the others'
    memory(args);
    return 0;
  }
  if (args.wants("gather")) gather(args);
  if (args.wants("sparse_step")) sparse_step(args);
  if (args.wants("sparse_adam_10k")) sparse_adam(args, 10'000, "sparse_adam_10k");
  if (args.wants("sparse_adam_1m")) sparse_adam(args, kRows, "sparse_adam_1m");
  return 0;
}
