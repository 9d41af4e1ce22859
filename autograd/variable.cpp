// The autograd members of Tensor (declared in core/tensor.h) and the per-tensor autograd state.
#include "autograd/variable.h"

#include "autograd/engine.h"
#include "autograd/grad_mode.h"

namespace ember {
namespace autograd {

AutogradMeta& meta_of(const Tensor& t) {
  auto& meta = t.autograd_meta();
  if (!meta) meta = std::make_shared<AutogradMeta>();
  return *meta;
}

AutogradMeta* meta_if(const Tensor& t) { return t.defined() ? t.autograd_meta().get() : nullptr; }

// A leaf's AccumulateGrad node is created on demand and owned by the graphs that use it; the
// leaf keeps only a weak reference, so no graph keeps the leaf alive through its own meta.
static std::shared_ptr<Node> grad_accumulator(const Tensor& leaf) {
  AutogradMeta& meta = meta_of(leaf);
  if (auto node = meta.grad_accumulator.lock()) return node;
  auto node = std::make_shared<Node>();
  node->name = "AccumulateGrad";
  node->sequence_nr = next_sequence_nr();
  node->leaf = leaf.impl_ptr();
  node->outputs.push_back({leaf.shape(), leaf.dtype()});
  meta.grad_accumulator = node;
  return node;
}

Edge gradient_edge(const Tensor& t) {
  AutogradMeta* meta = meta_if(t);
  if (meta == nullptr) return {};
  if (meta->grad_fn) return {meta->grad_fn, meta->output_nr};
  if (meta->requires_grad) return {grad_accumulator(t), 0};
  return {};
}

void register_hook(const Tensor& t, Hook hook) {
  EMBER_CHECK(t.requires_grad(), ValueError,
              "register_hook: cannot register a hook on a tensor that does not require grad");
  // A leaf keeps its hooks in its own meta (its accumulator node may not exist yet); a non-leaf's
  // hooks go on the node that produced it, keyed by which output it is.
  if (t.is_leaf()) {
    meta_of(t).leaf_hooks.push_back(std::move(hook));
    return;
  }
  Edge edge = gradient_edge(t);
  edge.node->pre_hooks.emplace_back(edge.input_nr, std::move(hook));
}

}  // namespace autograd

using autograd::meta_if;
using autograd::meta_of;

bool Tensor::requires_grad() const {
  const auto* meta = meta_if(*this);
  return meta != nullptr && (meta->requires_grad || meta->grad_fn != nullptr);
}

Tensor& Tensor::requires_grad_(bool requires_grad) {
  EMBER_CHECK(defined(), ValueError, "requires_grad_: the tensor is undefined");
  EMBER_CHECK(is_leaf() || requires_grad, ValueError,
              "requires_grad_: you can only change requires_grad of leaf tensors; use detach() to get a "
              "tensor that does not require grad");
  EMBER_CHECK(!requires_grad || is_floating(dtype()), TypeError,
              "requires_grad_: only float32 and float64 tensors can require gradients, got {}", dtype_name(dtype()));
  meta_of(*this).requires_grad = requires_grad;
  return *this;
}

bool Tensor::is_leaf() const {
  const auto* meta = meta_if(*this);
  return meta == nullptr || meta->grad_fn == nullptr;
}

Tensor Tensor::grad() const {
  const auto* meta = meta_if(*this);
  if (meta == nullptr) return Tensor();
  EMBER_CHECK(!meta->sparse_grad.defined(), Error,
              "grad: the gradient of this {} tensor is row-sparse (Embedding with sparse=true); "
              "use sparse_grad(), or sparse_grad().to_dense()",
              shape_str(shape()));
  return meta->grad;
}

void Tensor::set_grad(const Tensor& grad) {
  if (grad.defined()) {
    EMBER_CHECK(grad.dtype() == dtype(), TypeError, "set_grad: gradient of dtype {} does not match the tensor's {} {}",
                dtype_name(grad.dtype()), shape_str(shape()), dtype_name(dtype()));
    EMBER_CHECK(grad.shape() == shape(), ShapeError,
                "set_grad: gradient of shape {} and dtype {} does not match the tensor's {} {}",
                shape_str(grad.shape()), dtype_name(grad.dtype()), shape_str(shape()), dtype_name(dtype()));
  }
  auto& meta = meta_of(*this);
  meta.grad = grad;
  meta.sparse_grad = SparseTensor();
}

bool Tensor::has_sparse_grad() const {
  const auto* meta = meta_if(*this);
  return meta != nullptr && meta->sparse_grad.defined();
}

SparseTensor Tensor::sparse_grad() const {
  EMBER_CHECK(has_sparse_grad(), Error, "sparse_grad: this {} tensor has no row-sparse gradient", shape_str(shape()));
  return meta_if(*this)->sparse_grad;
}

void Tensor::set_sparse_grad(const SparseTensor& grad) {
  EMBER_CHECK(grad.dtype() == dtype(), TypeError,
              "set_sparse_grad: gradient of dtype {} does not match the tensor's {} {}", dtype_name(grad.dtype()),
              shape_str(shape()), dtype_name(dtype()));
  EMBER_CHECK(grad.shape == shape(), ShapeError,
              "set_sparse_grad: gradient of shape {} and dtype {} does not match the tensor's {} {}",
              shape_str(grad.shape), dtype_name(grad.dtype()), shape_str(shape()), dtype_name(dtype()));
  auto& meta = meta_of(*this);
  meta.sparse_grad = grad;
  meta.grad = Tensor();
}

Tensor Tensor::detach() const {
  auto impl = std::make_shared<TensorImpl>(*impl_);
  impl->autograd.reset();
  impl->view_op = nullptr;  // as in PyTorch, a detached tensor is not a view: writes through it are not tracked
  return Tensor(std::move(impl));
}

std::string Tensor::grad_fn_name() const {
  const auto* meta = meta_if(*this);
  return meta != nullptr && meta->grad_fn ? meta->grad_fn->name : "";
}

void Tensor::backward(const Tensor& gradient, bool retain_graph) const {
  autograd::backward({*this}, gradient.defined() ? std::vector<Tensor>{gradient} : std::vector<Tensor>{},
                     retain_graph);
}

}  // namespace ember
