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

// Inside a backward function: whether input `i` of the running node needs a gradient.
// Skip computing gradients nobody will use.
bool needs_grad(std::size_t input_index);

}  // namespace ember::autograd
