// nn::DistributedDataParallel: rank 0's weights at construction, bucketed gradient averaging
// (dense: all_reduce of flat buffers; row-sparse: all-gather and coalesce) after backward.
#include "nn/parallel.h"

#include "core/distributed.h"
#include "core/sparse.h"
#include "autograd/grad_mode.h"

#include <algorithm>
#include <cstdint>
#include <utility>

namespace ember::nn {
namespace {

// Tensors of one dtype laid end to end in one flat buffer.
struct Bucket {
  DType dtype;
  std::vector<std::size_t> members;  // positions in the tensor list the buckets were made from
  std::int64_t numel = 0;
};

// Greedy, in list order: a bucket closes when the next tensor would take it past cap_bytes or
// has another dtype. A tensor larger than the cap gets a bucket of its own.
std::vector<Bucket> make_buckets(const std::vector<Tensor>& tensors, double cap_bytes) {
  std::vector<Bucket> buckets;
  for (std::size_t i = 0; i < tensors.size(); ++i) {
    const Tensor& t = tensors[i];
    const double bytes = static_cast<double>(t.numel() * t.element_size());
    const bool fits = !buckets.empty() && buckets.back().dtype == t.dtype() &&
                      static_cast<double>(buckets.back().numel * t.element_size()) + bytes <= cap_bytes;
    if (!fits) buckets.push_back(Bucket{t.dtype(), {}, 0});
    buckets.back().members.push_back(i);
    buckets.back().numel += t.numel();
  }
  return buckets;
}

// A view of `length` elements of the contiguous `flat`, starting at `offset`, with `shape`.
Tensor segment(const Tensor& flat, std::int64_t offset, const Shape& shape) {
  char* data = static_cast<char*>(flat.raw_data()) + offset * static_cast<std::int64_t>(flat.element_size());
  return from_blob(data, shape, flat.dtype());  // flat outlives the view: no deleter
}

Tensor flatten(const Bucket& bucket, const std::vector<Tensor>& tensors) {
  Tensor flat = empty({bucket.numel}, bucket.dtype);
  std::int64_t offset = 0;
  for (std::size_t i : bucket.members) {
    segment(flat, offset, tensors[i].shape()).copy_(tensors[i]);
    offset += tensors[i].numel();
  }
  return flat;
}

void unflatten(const Tensor& flat, const Bucket& bucket, const std::vector<Tensor>& tensors) {
  std::int64_t offset = 0;
  for (std::size_t i : bucket.members) {
    Tensor destination = tensors[i];
    destination.copy_(segment(flat, offset, destination.shape()));
    offset += destination.numel();
  }
}

}  // namespace

DistributedDataParallel::DistributedDataParallel(std::shared_ptr<Module> module,
                                                 DistributedDataParallelOptions options)
    : module_(std::move(module)), options_(std::move(options)) {
  EMBER_CHECK(module_ != nullptr, ValueError, "DistributedDataParallel: the module is null");
  EMBER_CHECK(options_.bucket_cap_mb() > 0, ValueError,
              "DistributedDataParallel: bucket_cap_mb={} is invalid; expected > 0", options_.bucket_cap_mb());
  EMBER_CHECK(distributed::is_initialized(), Error,
              "DistributedDataParallel: the process group is not initialized; call distributed::init() first");
  broadcast_parameters();
}

void DistributedDataParallel::broadcast_parameters() {
  // Overwriting parameters is not part of any model's computation: like an optimizer step it
  // happens outside the tape (and the in-place rules refuse it inside).
  NoGradGuard no_grad;
  std::vector<Tensor> tensors;
  for (auto& [name, p] : module_->named_parameters()) tensors.push_back(p);
  if (options_.broadcast_buffers())
    for (auto& [name, b] : module_->named_buffers()) tensors.push_back(b);
  const bool root = distributed::rank() == 0;
  for (const Bucket& bucket : make_buckets(tensors, options_.bucket_cap_mb() * 1024 * 1024)) {
    Tensor flat = flatten(bucket, tensors);
    distributed::broadcast(flat, 0);
    if (!root) unflatten(flat, bucket, tensors);
  }
}

void DistributedDataParallel::synchronize_gradients() {
  NoGradGuard no_grad;  // averaging gradients records nothing
  // Reverse registration order: roughly the order in which backward finished the gradients.
  NamedTensors params;
  for (auto& named : module_->named_parameters())
    if (named.second.requires_grad()) params.push_back(named);
  std::reverse(params.begin(), params.end());
  const auto n = static_cast<std::int64_t>(params.size());

  // Agree on each gradient's kind first: [p, 0] counts the ranks with a dense gradient, [p, 1]
  // those with a row-sparse one. Every rank sees the same counts, so all decide (or throw) alike.
  Tensor kinds = zeros({n, 2}, kFloat64);
  auto* k = kinds.data_ptr<double>();
  for (std::int64_t i = 0; i < n; ++i) {
    const Tensor& p = params[i].second;
    if (p.has_sparse_grad()) k[2 * i + 1] = 1;
    else if (p.grad().defined()) k[2 * i] = 1;
  }
  distributed::all_reduce(kinds, distributed::ReduceOp::Sum);
  for (std::int64_t i = 0; i < n; ++i) {
    EMBER_CHECK(k[2 * i] == 0 || k[2 * i + 1] == 0, ValueError,
                "DistributedDataParallel: the gradient of {} is dense on {} ranks and row-sparse on {}; expected "
                "the same kind on every rank",
                params[i].first, k[2 * i], k[2 * i + 1]);
  }

  std::vector<Tensor> dense_grads;
  std::vector<std::string> dense_names;
  for (std::int64_t i = 0; i < n; ++i) {
    Tensor& p = params[i].second;
    if (k[2 * i] > 0) {
      if (!p.grad().defined()) p.set_grad(zeros_like(p));  // no gradient here: it adds nothing
      dense_grads.push_back(p.grad());
      dense_names.push_back(params[i].first);
    } else if (k[2 * i + 1] > 0) {
      const SparseTensor local = p.has_sparse_grad() ? p.sparse_grad() : SparseTensor::empty(p.shape(), p.dtype());
      p.set_sparse_grad(distributed::all_gather_sparse(local).mul(1.0 / distributed::world_size()));
    }
  }

  buckets_.clear();
  for (const Bucket& bucket : make_buckets(dense_grads, options_.bucket_cap_mb() * 1024 * 1024)) {
    Tensor flat = flatten(bucket, dense_grads);
    distributed::all_reduce(flat, distributed::ReduceOp::Mean);
    unflatten(flat, bucket, dense_grads);
    buckets_.emplace_back();
    for (std::size_t i : bucket.members) buckets_.back().push_back(dense_names[i]);
  }
}

}  // namespace ember::nn
