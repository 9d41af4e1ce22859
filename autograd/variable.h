// The autograd state a Tensor carries (core/ sees it only as an opaque pointer).
#pragma once

#include "autograd/node.h"

namespace ember::autograd {

struct AutogradMeta {
  bool requires_grad = false;
  Tensor grad;                // dense .grad of a leaf
  SparseTensor sparse_grad;   // row-sparse .grad of a leaf (only one of the two is set)
  std::shared_ptr<Node> grad_fn;  // the op that produced this tensor; null for leaves
  std::uint32_t output_nr = 0;    // which output of grad_fn this tensor is
  std::weak_ptr<Node> grad_accumulator;  // leaves: their AccumulateGrad node, while a graph uses it
  std::vector<Hook> leaf_hooks;          // leaves: run on each gradient before it is accumulated
  // A view of a tensor that requires grad, made with grad mode off: writing it in place with grad
  // mode on is refused (it is ambiguous whether the write should be tracked), as in PyTorch.
  bool no_grad_view_of_grad_tensor = false;
};

// The meta of `t`, created on first use.
AutogradMeta& meta_of(const Tensor& t);
// Null when `t` has no autograd state.
AutogradMeta* meta_if(const Tensor& t);

// The edge through which a gradient for `t` flows: its grad_fn, or its leaf accumulator.
// Null node when t does not require grad.
Edge gradient_edge(const Tensor& t);

// Inspect or replace the gradient of `t` as backward computes it: hook(grad) returns the
// gradient to use instead, or an undefined tensor to keep grad as is.
void register_hook(const Tensor& t, Hook hook);

}  // namespace ember::autograd
