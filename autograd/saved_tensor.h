// A tensor saved for backward: its data and the storage version at save time, with no autograd
// state (saving an op's own output with its grad_fn would make a reference cycle).
#pragma once

#include "core/tensor.h"

#include <string>

namespace ember::autograd {

class SavedTensor {
 public:
  SavedTensor() = default;
  // `op` names the saving op in the error raised if the data is modified in place before backward.
  SavedTensor(const Tensor& t, const char* op);

  // The saved data. Throws Error if it was modified in place since it was saved.
  Tensor unpack() const;
  bool defined() const { return data_.defined(); }
  std::size_t nbytes() const;

 private:
  Tensor data_;
  std::uint64_t saved_version_ = 0;
  const char* op_ = "";
};

}  // namespace ember::autograd
