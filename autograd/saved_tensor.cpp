// SavedTensor: data + version at save time; unpack() detects in-place modification.
#include "autograd/saved_tensor.h"

#include "autograd/function.h"

namespace ember::autograd {

SavedTensor::SavedTensor(const Tensor& t, const char* op) : op_(op) {
  if (!t.defined()) return;
  // A fresh TensorImpl over the same storage: the data without the autograd state.
  auto impl = std::make_shared<TensorImpl>(*t.impl());
  impl->autograd.reset();
  data_ = Tensor(std::move(impl));
  saved_version_ = t.version();
  note_saved_bytes(nbytes());  // record() puts them on the op's node
}

Tensor SavedTensor::unpack() const {
  if (!data_.defined()) return data_;
  EMBER_CHECK(data_.version() == saved_version_, Error,
              "{}: one of the variables needed for gradient computation has been modified by an inplace "
              "operation: [{} {}] is at version {}; expected version {} instead. Hint: the tensor was "
              "changed in place (e.g. by add_, an optimizer step, or Embedding max_norm) after {} saved it; "
              "clone() it before the in-place change or reorder the calls",
              op_, dtype_name(data_.dtype()), shape_str(data_.shape()), data_.version(), saved_version_, op_);
  return data_;
}

std::size_t SavedTensor::nbytes() const {
  return data_.defined() ? static_cast<std::size_t>(data_.numel()) * data_.element_size() : 0;
}

}  // namespace ember::autograd
