// TensorDataset and its stacking collate.
#include "data/dataset.h"

#include "core/kernels.h"

#include <utility>

namespace ember::data {

TensorDataset::TensorDataset(std::vector<Tensor> tensors) : tensors_(std::move(tensors)) {
  EMBER_CHECK(!tensors_.empty(), ValueError, "TensorDataset: needs at least one tensor");
  for (std::size_t k = 0; k < tensors_.size(); ++k) {
    EMBER_CHECK(tensors_[k].defined() && tensors_[k].dim() >= 1, ShapeError,
                "TensorDataset: tensor {} must have at least one dim", k);
    EMBER_CHECK(tensors_[k].size(0) == tensors_[0].size(0), ShapeError,
                "TensorDataset: tensor {} has shape {} but tensor 0 has shape {}; expected the "
                "same size in dim 0",
                k, shape_str(tensors_[k].shape()), shape_str(tensors_[0].shape()));
  }
  size_ = tensors_[0].size(0);
}

std::vector<Tensor> TensorDataset::get(std::int64_t index) const {
  EMBER_CHECK(index >= 0 && index < size_, IndexError,
              "TensorDataset: index {} is out of range [0, {})", index, size_);
  std::vector<Tensor> row;
  row.reserve(tensors_.size());
  for (const auto& tensor : tensors_) row.push_back(kernels::select(tensor, 0, index));
  return row;
}

std::vector<Tensor> stack_collate(std::vector<std::vector<Tensor>> examples) {
  EMBER_CHECK(!examples.empty(), ValueError, "stack_collate: the batch is empty");
  const std::size_t num_fields = examples[0].size();
  std::vector<Tensor> batch;
  for (std::size_t k = 0; k < num_fields; ++k) {
    std::vector<Tensor> column;
    column.reserve(examples.size());
    for (std::size_t i = 0; i < examples.size(); ++i) {
      EMBER_CHECK(examples[i].size() == num_fields, ValueError,
                  "stack_collate: example {} has {} fields but example 0 has {}", i,
                  examples[i].size(), num_fields);
      column.push_back(std::move(examples[i][k]));
    }
    batch.push_back(kernels::stack(column, 0));
  }
  return batch;
}

}  // namespace ember::data
