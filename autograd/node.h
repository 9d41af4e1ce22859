// The tape's vocabulary: a Node is one recorded op; an Edge points from a node to the node that
// produced one of its inputs. Outputs own their node, a node owns its edges, and nothing points
// the other way, so a graph dies with the last tensor that can reach it.
#pragma once

#include "core/sparse.h"
#include "core/tensor.h"

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace ember::autograd {

// One gradient flowing through the engine: dense, or row-sparse (from embedding). The engine
// turns a sparse gradient into a dense one before handing it to any node but a leaf's
// accumulator, so op backward functions only ever see dense tensors.
struct Gradient {
  Tensor dense;
  SparseTensor sparse;

  Gradient() = default;
  Gradient(Tensor t) : dense(std::move(t)) {}  // NOLINT: implicit, so `return Grads{dx}` works
  Gradient(SparseTensor s) : sparse(std::move(s)) {}  // NOLINT
  bool defined() const { return dense.defined() || sparse.defined(); }
  bool is_sparse() const { return sparse.defined(); }

  // Row-sparse in transit, dense at the leaf: embedding(sparse=false) sends its gradient as
  // rows, and AccumulateGrad index-adds them into the existing dense .grad in place (no [V, D]
  // temporary per backward) or densifies them when there is no .grad yet.
  static Gradient dense_at_leaf(SparseTensor rows) {
    Gradient g(std::move(rows));
    g.densify_at_leaf = true;
    return g;
  }
  bool densify_at_leaf = false;
};
using Grads = std::vector<Gradient>;

struct Node;

// "Input number `input_nr` of this op came from output `input_nr` of `node`" is how PyTorch
// says it; here: the gradient for this input goes to `node`, slot `input_nr`.
struct Edge {
  std::shared_ptr<Node> node;  // null: that input needs no gradient
  std::uint32_t input_nr = 0;
};

struct InputMeta {
  Shape shape;
  DType dtype = kFloat32;
};

using Hook = std::function<Tensor(const Tensor&)>;
// Backward of an op with several outputs: one (possibly undefined = zero) gradient per output.
using BackwardFn = std::function<Grads(const std::vector<Tensor>& grad_outputs)>;

struct Node {
  std::string name;                 // "tanh", "matmul", "AccumulateGrad"
  std::uint64_t sequence_nr = 0;    // increasing in recording order: reverse order is topological
  std::vector<Edge> next_edges;     // one per input
  std::vector<InputMeta> inputs;    // shape/dtype of each input, to check gradients against
  std::vector<InputMeta> outputs;   // shape/dtype of each output
  BackwardFn backward;              // empty once released after backward
  std::size_t saved_bytes = 0;      // bytes kept alive for backward (SavedTensors)
  bool released = false;
  // Leaves only: the tensor this AccumulateGrad node adds gradients into.
  std::shared_ptr<TensorImpl> leaf;
  // Tensor hooks, run on the gradient of output `output_nr` before the node uses it.
  std::vector<std::pair<std::uint32_t, Hook>> pre_hooks;
  // Filled by the engine under TraceBackwardGuard (autograd/grad_mode.h), for the tape explorer
  // (autograd/tape_html.h): when this node ran in its last backward, for how long, and the L2 norm
  // of the gradient it sent to each input (-1: none).
  std::int64_t backward_order = -1;
  double backward_ms = 0.0;
  std::vector<double> input_grad_norms;

  bool is_accumulator() const { return leaf != nullptr; }

  Node() = default;
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;
  ~Node();  // unlinks long chains iteratively: a recursive release could overflow the stack
};

std::uint64_t next_sequence_nr();

}  // namespace ember::autograd
