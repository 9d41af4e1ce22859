// The backward engine: walks the graph from the roots in reverse recording order.
#pragma once

#include "core/tensor.h"

#include <string>
#include <vector>

namespace ember::autograd {

// Computes gradients of `roots` (seeded with `grad_roots`, or ones for one-element roots) and
// accumulates them into every reachable leaf's .grad. Frees saved tensors unless retain_graph.
void backward(const std::vector<Tensor>& roots, const std::vector<Tensor>& grad_roots = {},
              bool retain_graph = false);

// The nodes reachable from `t`, in execution order (descending sequence_nr), one per line:
// sequence number, name, output shapes, input shapes (with * for inputs that require grad),
// saved bytes.
std::string print_tape(const Tensor& t);
// The same graph as Graphviz DOT.
std::string to_dot(const Tensor& t);

}  // namespace ember::autograd
