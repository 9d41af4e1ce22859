// Dataset: the interface the DataLoader reads from (a size and random access by index), and
// TensorDataset, which serves rows of equally long tensors.
#pragma once

#include "core/tensor.h"

#include <cstdint>
#include <vector>

namespace ember::data {

// A map-style dataset, as torch.utils.data.Dataset: `size()` examples, fetched by `get(i)`.
// DataLoader workers call get() from several threads at once, so it must not mutate shared state.
template <typename Example>
class Dataset {
 public:
  using ExampleType = Example;
  virtual ~Dataset() = default;
  virtual std::int64_t size() const = 0;
  virtual Example get(std::int64_t index) const = 0;
};

// Example i is {tensors[0][i], tensors[1][i], ...}: one row (a view, not a copy) per tensor.
class TensorDataset : public Dataset<std::vector<Tensor>> {
 public:
  // Every tensor needs at least one dim, and all must have the same size in dim 0.
  explicit TensorDataset(std::vector<Tensor> tensors);
  std::int64_t size() const override { return size_; }
  std::vector<Tensor> get(std::int64_t index) const override;  // IndexError outside [0, size())
  const std::vector<Tensor>& tensors() const { return tensors_; }

 private:
  std::vector<Tensor> tensors_;
  std::int64_t size_ = 0;
};

// The default collate for TensorDataset examples: field k of the batch stacks field k of every
// example on a new dim 0 (default_collate in PyTorch). Not recorded on the autograd tape.
std::vector<Tensor> stack_collate(std::vector<std::vector<Tensor>> examples);

}  // namespace ember::data
