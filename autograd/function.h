// How a differentiable op puts itself on the tape. An op computes its output with kernels, then
//   return autograd::record("tanh", out, {x}, [saved](const Tensor& dy) { ... return Grads{dx}; });
// record() attaches a Node only when grad mode is on and some input requires grad.
#pragma once

#include "autograd/node.h"
#include "autograd/saved_tensor.h"

#include <functional>
#include <vector>

namespace ember::autograd {

// True when grad mode is on and any of `inputs` requires grad: the op will be recorded.
bool any_requires_grad(const std::vector<Tensor>& inputs);

Tensor record(const char* name, Tensor output, const std::vector<Tensor>& inputs,
              std::function<Grads(const Tensor& dy)> backward);

// Ops with several outputs (lstm: output, h_n, c_n). The backward gets one gradient per output;
// an output that received none gets an undefined tensor (treat as zero).
std::vector<Tensor> record_multi(const char* name, std::vector<Tensor> outputs,
                                 const std::vector<Tensor>& inputs, BackwardFn backward);

// In-place ops: `self` has just been written by `name`. Its history becomes a new node whose
// first input is its previous history and whose other inputs are `operands` (PyTorch's
// rebase_history); `backward` maps the gradient of the new value to one gradient per input.
// Only call it when some input requires grad and grad mode is on (see autograd/inplace.cpp).
void rebase_history(const char* name, const Tensor& self, const std::vector<Tensor>& operands,
                    std::function<Grads(const Tensor& dy)> backward);

// Throws when `t` is a view taken before its base was written in place with recording: its values
// are the new ones but its history is the old one, so any gradient through it would be wrong.
// `op` names the op about to use it.
void check_view_is_current(const Tensor& t, const char* op);

// SavedTensor reports the bytes it keeps alive; the next record() on this thread puts them on
// its node (Node::saved_bytes, the profiler's "saved" column).
void note_saved_bytes(std::size_t nbytes);

// Inside a backward function: whether input `i` of the running node needs a gradient.
// Skip computing gradients nobody will use.
bool needs_grad(std::size_t input_index);

}  // namespace ember::autograd
