// ember::Tensor: a shared, strided view of typed storage.
//
// A Tensor is a handle (one shared pointer): copying it is shallow, both copies refer to the
// same TensorImpl. A view (transpose, narrow, ...) is a new TensorImpl over the same Storage with
// its own shape/strides/offset, so writes through one are visible through the other.
//
// core/ knows nothing about autograd. A tensor's autograd state (requires_grad, .grad, the node
// that produced it) is an opaque pointer here; the member functions that read it are declared
// below for PyTorch-style use and defined in autograd/variable.cpp.
#pragma once

#include "core/dtype.h"
#include "core/error.h"
#include "core/shape.h"

#include <atomic>
#include <cstdint>
#include <functional>
#include <concepts>
#include <initializer_list>
#include <memory>
#include <optional>
#include <utility>
#include <string>
#include <vector>

namespace ember {

namespace autograd {
struct AutogradMeta;  // defined in autograd/variable.h
}
struct SparseTensor;  // core/sparse.h

// Raw memory plus the version counter that in-place writes bump. Views share their storage and
// so share its version: a write through any view invalidates saved copies of all of them.
struct Storage {
  Storage(std::size_t nbytes);                                   // from the caching allocator
  Storage(void* data, std::size_t nbytes, std::function<void(void*)> deleter);  // user memory
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  void* data = nullptr;
  std::size_t nbytes = 0;
  std::function<void(void*)> deleter;  // empty: memory belongs to the caching allocator
  std::atomic<std::uint64_t> version{0};
  // Bumped when autograd records an in-place write into this memory: the history of the written
  // tensor changed, so a view taken before it (whose history still points at the old one) is stale.
  std::atomic<std::uint64_t> history_version{0};
};

struct TensorImpl {
  std::shared_ptr<Storage> storage;
  Shape shape;
  Shape strides;            // in elements
  std::int64_t offset = 0;  // in elements, from storage->data
  DType dtype = kFloat32;
  std::shared_ptr<autograd::AutogradMeta> autograd;  // null until autograd needs it
  // Views only: the op that made this view of another tensor's memory ("narrow", "transpose", ...),
  // and storage->history_version when it was made. Null for a tensor that owns its layout.
  const char* view_op = nullptr;
  std::uint64_t view_history_version = 0;
};

class Tensor {
 public:
  Tensor() = default;  // undefined tensor (e.g. "no gradient")
  explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}

  bool defined() const { return impl_ != nullptr; }
  TensorImpl* impl() const { return impl_.get(); }
  const std::shared_ptr<TensorImpl>& impl_ptr() const { return impl_; }
  // True when both handles refer to the same TensorImpl (not just equal values).
  bool is_same(const Tensor& other) const { return impl_ == other.impl_; }

  // ---- metadata -------------------------------------------------------------------------
  std::int64_t dim() const { return static_cast<std::int64_t>(impl_->shape.size()); }
  const Shape& shape() const { return impl_->shape; }
  const Shape& sizes() const { return impl_->shape; }
  std::int64_t size(std::int64_t dim) const;  // negative dims count from the end
  const Shape& strides() const { return impl_->strides; }
  std::int64_t stride(std::int64_t dim) const;
  std::int64_t offset() const { return impl_->offset; }
  std::int64_t numel() const { return ember::numel(impl_->shape); }
  DType dtype() const { return impl_->dtype; }
  std::size_t element_size() const { return ember::element_size(impl_->dtype); }
  bool is_contiguous() const;
  // Storage shared with `other` (e.g. a view of it).
  bool shares_storage(const Tensor& other) const { return impl_->storage == other.impl_->storage; }

  // ---- raw data -------------------------------------------------------------------------
  // Pointer to element 0 (storage + offset). Throws TypeError when T does not match dtype().
  template <typename T> T* data_ptr() const {
    check_dtype(dtype_of<T>(), "data_ptr");
    return static_cast<T*>(impl_->storage->data) + impl_->offset;
  }
  void* raw_data() const;  // element 0, untyped
  // The single value of a one-element tensor, converted to T.
  template <typename T> T item() const;
  // All elements in row-major order (gathers non-contiguous tensors), converted to T.
  template <typename T> std::vector<T> to_vector() const;

  // ---- version counter (in-place writes bump it; autograd checks it) ---------------------
  std::uint64_t version() const { return impl_->storage->version.load(); }
  void bump_version() const { impl_->storage->version.fetch_add(1); }

  // ---- in-place writes: each bumps the version. Declared here, defined in autograd/inplace.cpp:
  // with grad mode on, a write into a tensor in the graph is recorded (its history is rebased onto
  // the write), a leaf that requires grad is refused, and so is a write through a view that would
  // need recording. docs/autograd.md, "In-place ops and the tape", has the rules.
  Tensor& fill_(double value);
  Tensor& zero_();
  Tensor& copy_(const Tensor& src);  // src broadcast to this shape, converted to this dtype
  Tensor& uniform_(double low = 0.0, double high = 1.0);
  Tensor& normal_(double mean = 0.0, double std = 1.0);
  Tensor& add_(const Tensor& other, double alpha = 1.0);  // this += alpha * other (broadcast)
  Tensor& add_(double value);
  Tensor& sub_(const Tensor& other, double alpha = 1.0);  // this -= alpha * other
  Tensor& sub_(double value);
  Tensor& mul_(double factor);
  Tensor& mul_(const Tensor& other);
  Tensor& div_(double divisor);
  Tensor& div_(const Tensor& other);
  Tensor& clamp_(std::optional<double> min, std::optional<double> max);
  Tensor& relu_();
  Tensor& masked_fill_(const Tensor& mask, double value);  // value where mask (bool, broadcast) is true

  // libtorch's compound assignments are the in-place ops above, with their autograd rules.
  Tensor& operator+=(const Tensor& other) { return add_(other); }
  Tensor& operator-=(const Tensor& other) { return sub_(other); }
  Tensor& operator*=(const Tensor& other) { return mul_(other); }
  Tensor& operator/=(const Tensor& other) { return div_(other); }
  Tensor& operator+=(double value) { return add_(value); }
  Tensor& operator-=(double value) { return sub_(value); }
  Tensor& operator*=(double value) { return mul_(value); }
  Tensor& operator/=(double value) { return div_(value); }

  // ---- libtorch-style methods ------------------------------------------------------------
  // x.sum({1}) is ember::sum(x, {1}): each method is a one-line forwarder to the free function of
  // the same name (autograd/ops.h), defined in autograd/tensor_methods.cpp, so an op lives in one
  // place. All are recorded like the free functions. core/ itself never calls them: it does not
  // depend on autograd.
  Tensor operator[](std::int64_t index) const;  // select(0, index)
  Tensor sum(const std::vector<std::int64_t>& dims = {}, bool keepdim = false) const;
  Tensor mean(const std::vector<std::int64_t>& dims = {}, bool keepdim = false) const;
  Tensor max() const;
  Tensor min() const;
  std::pair<Tensor, Tensor> max(std::int64_t dim, bool keepdim = false) const;  // (values, indices)
  std::pair<Tensor, Tensor> min(std::int64_t dim, bool keepdim = false) const;
  Tensor argmax(std::int64_t dim, bool keepdim = false) const;
  Tensor norm(double p = 2.0, const std::vector<std::int64_t>& dims = {}, bool keepdim = false) const;
  Tensor softmax(std::int64_t dim) const;
  Tensor log_softmax(std::int64_t dim) const;
  Tensor neg() const;
  Tensor exp() const;
  Tensor log() const;
  Tensor tanh() const;
  Tensor sigmoid() const;
  Tensor relu() const;
  Tensor sqrt() const;
  Tensor abs() const;
  Tensor pow(double exponent) const;
  Tensor pow(const Tensor& exponent) const;
  Tensor clamp(std::optional<double> min, std::optional<double> max) const;
  Tensor add(const Tensor& other, double alpha = 1.0) const;
  Tensor sub(const Tensor& other, double alpha = 1.0) const;
  Tensor mul(const Tensor& other) const;
  Tensor div(const Tensor& other) const;
  Tensor masked_fill(const Tensor& mask, double value) const;
  Tensor eq(const Tensor& other) const;
  Tensor ne(const Tensor& other) const;
  Tensor lt(const Tensor& other) const;
  Tensor le(const Tensor& other) const;
  Tensor gt(const Tensor& other) const;
  Tensor ge(const Tensor& other) const;
  Tensor matmul(const Tensor& other) const;
  Tensor mm(const Tensor& other) const;
  Tensor bmm(const Tensor& other) const;
  Tensor view(const Shape& shape) const;
  Tensor reshape(const Shape& shape) const;
  Tensor flatten(std::int64_t start_dim = 0, std::int64_t end_dim = -1) const;
  Tensor transpose(std::int64_t dim0, std::int64_t dim1) const;
  Tensor t() const;
  Tensor permute(const std::vector<std::int64_t>& dims) const;
  Tensor narrow(std::int64_t dim, std::int64_t start, std::int64_t length) const;
  Tensor slice(std::int64_t dim, std::int64_t start, std::int64_t end) const;
  Tensor select(std::int64_t dim, std::int64_t index) const;
  Tensor unsqueeze(std::int64_t dim) const;
  Tensor squeeze() const;
  Tensor squeeze(std::int64_t dim) const;
  Tensor expand(const Shape& shape) const;
  std::vector<Tensor> unbind(std::int64_t dim = 0) const;
  Tensor contiguous() const;  // this if already contiguous, else a recorded row-major copy
  Tensor clone() const;
  Tensor to(DType dtype) const;
  Tensor index_select(std::int64_t dim, const Tensor& index) const;
  Tensor gather(std::int64_t dim, const Tensor& index) const;
  Tensor scatter_add(std::int64_t dim, const Tensor& index, const Tensor& src) const;
  Tensor index_add(std::int64_t dim, const Tensor& index, const Tensor& src) const;

  // ---- autograd state: declared here, defined in autograd/variable.cpp -------------------
  bool requires_grad() const;
  Tensor& requires_grad_(bool requires_grad = true);  // leaves only, float dtypes only
  bool is_leaf() const;               // no grad_fn: created by the user, not by a recorded op
  // Dense gradient, undefined if none. Throws if the gradient is row-sparse (see sparse_grad()).
  Tensor grad() const;
  void set_grad(const Tensor& grad);  // replace (or clear with an undefined tensor)
  bool has_sparse_grad() const;       // Embedding(sparse=true) gives row-sparse gradients
  SparseTensor sparse_grad() const;   // throws if the gradient is not sparse
  void set_sparse_grad(const SparseTensor& grad);
  Tensor detach() const;              // same storage, no autograd history
  std::string grad_fn_name() const;   // "" for leaves
  // Runs backward from this tensor. Without `gradient` it must hold one element.
  void backward(const Tensor& gradient = Tensor(), bool retain_graph = false) const;

  std::shared_ptr<autograd::AutogradMeta>& autograd_meta() const { return impl_->autograd; }

  void check_dtype(DType expected, const char* op) const;

 private:
  std::shared_ptr<TensorImpl> impl_;
};

// Throws ValueError "<op>: <name> is undefined" for an undefined tensor: the first check of a
// public entry point that takes tensors.
void check_defined(const Tensor& t, const char* op, const char* name = "input");

// ---- creation ---------------------------------------------------------------------------
// Shapes are checked: negative sizes, and element or byte counts beyond int64, throw ValueError
// naming the shape; a failed allocation throws Error naming the bytes asked for.
Tensor empty(const Shape& shape, DType dtype = kFloat32);
Tensor zeros(const Shape& shape, DType dtype = kFloat32);
Tensor ones(const Shape& shape, DType dtype = kFloat32);
Tensor full(const Shape& shape, double value, DType dtype = kFloat32);
Tensor zeros_like(const Tensor& t);
Tensor ones_like(const Tensor& t);
Tensor empty_like(const Tensor& t);
Tensor full_like(const Tensor& t, double value);
// [start, end) in steps of `step`: arange(5) = [0, 1, 2, 3, 4] (int64 by default).
Tensor arange(double end, DType dtype = kInt64);
Tensor arange(double start, double end, double step = 1.0, DType dtype = kInt64);
Tensor eye(std::int64_t n, DType dtype = kFloat32);
// A 0-d tensor holding `value`.
Tensor scalar_tensor(double value, DType dtype = kFloat32);
// A tensor with the given values; shape defaults to 1-D [values.size()].
Tensor tensor(const std::vector<double>& values, const Shape& shape, DType dtype = kFloat32);
Tensor tensor(const std::vector<double>& values, DType dtype = kFloat32);
Tensor tensor(const std::vector<std::int64_t>& values, const Shape& shape);  // int64
Tensor tensor(std::initializer_list<double> values, DType dtype = kFloat32);
// Integer literals make an int64 tensor, as torch::tensor({0, 1, 2}); any floating literal
// (tensor({1, 2.5})) makes the list float32.
template <std::integral I>
Tensor tensor(std::initializer_list<I> values) {
  return tensor(std::vector<std::int64_t>(values.begin(), values.end()), Shape{static_cast<std::int64_t>(values.size())});
}
// Wraps caller-owned memory without copying; `deleter` (may be empty) runs when the last
// view of it dies. The caller keeps the memory alive until then. `data` may be null only for an
// empty shape.
Tensor from_blob(void* data, const Shape& shape, DType dtype,
                 std::function<void(void*)> deleter = {});

// ---- random numbers ---------------------------------------------------------------------
// One global generator (mt19937_64) seeded by manual_seed; same seed, same numbers, every run.
// Floats are drawn as in numpy/PyTorch style: uniform from the top 24 (float) or 53 (double) bits;
// normals by Box-Muller. Streams are not bit-identical to PyTorch's.
class Generator {
 public:
  explicit Generator(std::uint64_t seed = 5489);
  void manual_seed(std::uint64_t seed);
  std::uint64_t seed() const { return seed_; }
  std::uint64_t next_u64();
  double next_double();  // uniform in [0, 1) with 53 bits
  float next_float();    // uniform in [0, 1) with 24 bits
  double next_normal();  // N(0, 1)
  // Full internal state, for checkpoints ("resume equals uninterrupted").
  std::string state() const;
  void set_state(const std::string& state);

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
  std::uint64_t seed_;
};

Generator& default_generator();
void manual_seed(std::uint64_t seed);

Tensor rand(const Shape& shape, DType dtype = kFloat32);   // U[0, 1)
Tensor randn(const Shape& shape, DType dtype = kFloat32);  // N(0, 1)
Tensor randint(std::int64_t low, std::int64_t high, const Shape& shape);  // int64 in [low, high)
Tensor randperm(std::int64_t n, Generator& gen = default_generator());

// ---- threads ----------------------------------------------------------------------------
// The threads of ember's parallel loops, which also split large matrix products (OpenBLAS itself
// runs single-threaded, so that one pool owns the cores).
// Default: the number of hardware threads.
void set_num_threads(int n);
int get_num_threads();

}  // namespace ember
