// The backward engine. The whole idea, as in micrograd, in three steps (read backward() at the
// bottom first):
//   1. seed_roots: each root's gradient (ones for a one-element root) goes into the input buffer
//      of the node that produced it;
//   2. run_ready_queue: count, for every node reachable from the roots, the edges pointing at it
//      (explicit stack: no recursion, so a 100000-step chain cannot overflow the C++ stack); then
//      repeatedly run the ready node with the highest sequence_nr (reverse recording order is a
//      topological order): its backward turns the gradients of its outputs into gradients of its
//      inputs, which are summed into the buffers of the nodes that produced them. A node is ready
//      once every edge into it has delivered;
//   3. a leaf's AccumulateGrad node, when its turn comes, adds the gradient into .grad.
// The tape printer and the DOT writer are in tape_print.cpp.
#include "autograd/engine.h"

#include "autograd/function.h"
#include "autograd/grad_mode.h"
#include "autograd/profiler.h"
#include "autograd/variable.h"
#include "core/kernels.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <queue>
#include <unordered_map>
#include <unordered_set>

namespace ember::autograd {

namespace {

// The node whose backward is running on this thread: what needs_grad() asks about.
thread_local const Node* running_node = nullptr;

// All nodes reachable from `roots`, with the number of edges pointing at each.
std::unordered_map<Node*, int> count_dependencies(const std::vector<Node*>& roots) {
  std::unordered_map<Node*, int> dependencies;
  std::unordered_set<Node*> seen;
  std::vector<Node*> stack;
  for (Node* r : roots) {  // several roots may share a node (lstm's output, h_n, c_n): expand it once
    dependencies.emplace(r, 0);
    if (seen.insert(r).second) stack.push_back(r);
  }
  while (!stack.empty()) {
    Node* node = stack.back();
    stack.pop_back();
    for (const Edge& edge : node->next_edges) {
      if (!edge.node) continue;
      dependencies[edge.node.get()]++;
      if (seen.insert(edge.node.get()).second) stack.push_back(edge.node.get());
    }
  }
  return dependencies;
}

// Sums a gradient into an input buffer slot: dense + dense adds, sparse + sparse concatenates,
// a mix becomes dense.
void accumulate(Gradient& slot, Gradient g) {
  if (!slot.defined()) {
    slot = std::move(g);
  } else if (slot.is_sparse() && g.is_sparse()) {
    slot.sparse = slot.sparse.concat(g.sparse);
    slot.densify_at_leaf = slot.densify_at_leaf || g.densify_at_leaf;  // one dense use makes .grad dense
  } else if (slot.is_sparse()) {
    Tensor dense = kernels::clone(g.dense);
    slot.sparse.add_to_dense(dense);
    slot = Gradient(dense);
  } else if (g.is_sparse()) {
    Tensor dense = kernels::clone(slot.dense);
    g.sparse.add_to_dense(dense);
    slot.dense = dense;
  } else {
    slot.dense = kernels::add(slot.dense, g.dense);
  }
}

// True when nothing but `t` refers to its memory, so it may become a leaf's .grad as is.
bool uniquely_owned(const Tensor& t) {
  return t.impl_ptr().use_count() == 1 && t.impl()->storage.use_count() == 1;
}

// AccumulateGrad: run the leaf's hooks, then add into its .grad (in place when one exists, so a
// training loop that zeroes grads reuses the same buffers every step).
void accumulate_into_leaf(const Node& node, Gradient g) {
  Tensor leaf(node.leaf);
  AutogradMeta& meta = meta_of(leaf);
  for (const Hook& hook : meta.leaf_hooks) {
    if (g.is_sparse()) g = Gradient(g.sparse.to_dense());
    if (Tensor replaced = hook(g.dense); replaced.defined()) g = Gradient(replaced);
  }
  if (g.is_sparse()) {
    if (meta.grad.defined()) {
      g.sparse.add_to_dense(meta.grad);  // in place: touches only the rows present
    } else if (g.densify_at_leaf) {
      Tensor dense = g.sparse.to_dense();
      if (meta.sparse_grad.defined()) meta.sparse_grad.add_to_dense(dense);
      meta.grad = dense;
      meta.sparse_grad = SparseTensor();
    } else {
      meta.sparse_grad = meta.sparse_grad.defined() ? meta.sparse_grad.concat(g.sparse) : g.sparse;
    }
    return;
  }
  if (meta.sparse_grad.defined()) {  // sparse + dense becomes dense
    Tensor dense = kernels::clone(g.dense);
    meta.sparse_grad.add_to_dense(dense);
    meta.grad = dense;
    meta.sparse_grad = SparseTensor();
  } else if (meta.grad.defined()) {
    meta.grad.add_(g.dense);
  } else {
    meta.grad = uniquely_owned(g.dense) && g.dense.is_contiguous() ? g.dense : kernels::clone(g.dense);
  }
}

// Checks a gradient against the input it is for: same dtype, and a shape that is the input's
// or broadcasts to it (then it is summed down with sum_to).
Tensor validate(const Node& node, std::size_t i, Tensor g) {
  const InputMeta& in = node.inputs[i];
  EMBER_CHECK(g.dtype() == in.dtype, TypeError,
              "backward of {}: gradient for input {} has dtype {}; expected {}", node.name, i, dtype_name(g.dtype()),
              dtype_name(in.dtype));
  if (g.shape() != in.shape) {
    Shape b;
    try {
      b = broadcast_shapes(g.shape(), in.shape, "backward");
    } catch (const ShapeError&) {
    }
    EMBER_CHECK(b == g.shape(), ShapeError, "backward of {}: gradient for input {} has shape {}; expected {}",
                node.name, i, shape_str(g.shape()), shape_str(in.shape));
    g = kernels::sum_to(g, in.shape);
  }
  return g;
}

void check_finite(const Node& node, std::size_t i, const Tensor& g) {
  if (!is_floating(g.dtype())) return;
  for (double v : g.to_vector<double>())
    EMBER_CHECK(std::isfinite(v), Error,
                "anomaly detected: backward of {} returned a non-finite value ({}) in the gradient for input {} "
                "of shape {}",
                node.name, v, i, shape_str(g.shape()));
}

struct BySequenceNr {
  bool operator()(const Node* a, const Node* b) const { return a->sequence_nr < b->sequence_nr; }
};

// One backward call's state: the gradients waiting at each node, and how many edges into each
// node have not delivered yet.
struct GraphTask {
  std::unordered_map<Node*, std::vector<Gradient>> buffers;
  std::unordered_map<Node*, int> dependencies;
  std::vector<std::shared_ptr<Node>> roots;  // keeps the root nodes alive while we run
  bool retain_graph = false;
  bool anomaly = false;
  bool trace = false;  // TraceBackwardGuard: note order, time and gradient norms on each node
  std::int64_t steps_run = 0;

  void deliver(const Edge& edge, Gradient g) {
    auto& buffer = buffers[edge.node.get()];
    buffer.resize(edge.node->outputs.size());
    accumulate(buffer[edge.input_nr], std::move(g));
  }
};

// Step 1. Seed: d(root)/d(root) = 1 for one-element roots, else the gradient the caller gives.
GraphTask seed_roots(const std::vector<Tensor>& roots, const std::vector<Tensor>& grad_roots) {
  EMBER_CHECK(grad_roots.empty() || grad_roots.size() == roots.size(), ValueError,
              "backward: got {} gradients for {} tensors", grad_roots.size(), roots.size());
  GraphTask task;
  for (std::size_t r = 0; r < roots.size(); ++r) {
    const Tensor& root = roots[r];
    EMBER_CHECK(root.requires_grad(), Error,
                "backward: element {} of tensors does not require grad and does not have a grad_fn", r);
    check_view_is_current(root, "backward");
    Tensor seed = grad_roots.empty() ? Tensor() : grad_roots[r];
    if (!seed.defined()) {
      EMBER_CHECK(root.numel() == 1, ShapeError,
                  "backward: grad can be implicitly created only for one-element outputs; got shape {}",
                  shape_str(root.shape()));
      seed = ones(root.shape(), root.dtype());
    }
    EMBER_CHECK(seed.shape() == root.shape() && seed.dtype() == root.dtype(), ShapeError,
                "backward: gradient of shape {} ({}) does not match the tensor's {} ({})", shape_str(seed.shape()),
                dtype_name(seed.dtype()), shape_str(root.shape()), dtype_name(root.dtype()));
    Edge edge = gradient_edge(root);
    task.deliver(edge, Gradient(seed));
    task.roots.push_back(edge.node);
  }
  return task;
}

// Sets the node whose backward is running (read by needs_grad) and restores the previous one on
// every exit, exceptions included.
class RunningNodeScope {
 public:
  explicit RunningNodeScope(const Node* node) : previous_(std::exchange(running_node, node)) {}
  ~RunningNodeScope() { running_node = previous_; }
  RunningNodeScope(const RunningNodeScope&) = delete;
  RunningNodeScope& operator=(const RunningNodeScope&) = delete;

 private:
  const Node* previous_;
};

// Runs one op's backward: tensor hooks on each output's gradient, then the op's own function
// under NoGradGuard. Returns one gradient per input.
Grads call_backward(Node& node, std::vector<Gradient> grads) {
  EMBER_CHECK(!node.released, Error,
              "backward: trying to backward through the graph a second time (or directly access saved tensors "
              "after they have already been freed) at {}. Saved intermediate values of the graph are freed when "
              "you call backward(). Pass retain_graph=true to the first backward() if you need to backward "
              "through the graph a second time",
              node.name);
  std::vector<Tensor> grad_outputs(grads.size());
  for (std::size_t k = 0; k < grads.size(); ++k)  // an op's backward only ever sees dense gradients
    grad_outputs[k] = grads[k].is_sparse() ? grads[k].sparse.to_dense() : grads[k].dense;
  for (const auto& [output_nr, hook] : node.pre_hooks)
    if (grad_outputs[output_nr].defined())
      if (Tensor replaced = hook(grad_outputs[output_nr]); replaced.defined()) grad_outputs[output_nr] = replaced;
  // Nothing arrived (fill_, zero_ and copy_ send no gradient to the history they overwrote): the
  // node's inputs get nothing either, without running it.
  if (std::none_of(grad_outputs.begin(), grad_outputs.end(), [](const Tensor& g) { return g.defined(); }))
    return Grads(node.next_edges.size());

  NoGradGuard no_grad;
  RunningNodeScope running(&node);
  const auto start = std::chrono::steady_clock::now();
  Grads input_grads = node.backward(grad_outputs);
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  if (profiler_active()) profiler_record_backward(node.name, ms);
  if (backward_trace_enabled()) node.backward_ms = ms;
  EMBER_INTERNAL_ASSERT(input_grads.size() == node.next_edges.size());
  return input_grads;
}

// Under TraceBackwardGuard: the L2 norm of each input's gradient, for the tape explorer.
void note_gradient_norms(Node& node, const Grads& input_grads) {
  node.input_grad_norms.assign(input_grads.size(), -1.0);
  for (std::size_t i = 0; i < input_grads.size(); ++i) {
    const Gradient& g = input_grads[i];
    if (!g.defined()) continue;
    const Tensor& values = g.is_sparse() ? g.sparse.values : g.dense;
    if (is_floating(values.dtype())) node.input_grad_norms[i] = kernels::norm(values).item<double>();
  }
}

// Step 2. The ready queue: run the ready node with the highest sequence_nr, deliver its inputs'
// gradients, and queue every node whose last pending edge just delivered.
void run_ready_queue(GraphTask& task) {
  std::vector<Node*> starts;
  for (const auto& n : task.roots) starts.push_back(n.get());
  task.dependencies = count_dependencies(starts);
  std::priority_queue<Node*, std::vector<Node*>, BySequenceNr> ready;
  std::unordered_set<Node*> queued;
  for (Node* n : starts)
    if (task.dependencies[n] == 0 && queued.insert(n).second) ready.push(n);

  while (!ready.empty()) {
    Node* node = ready.top();
    ready.pop();
    std::vector<Gradient> grads = std::move(task.buffers[node]);
    task.buffers.erase(node);
    grads.resize(node->outputs.size());

    if (task.trace) node->backward_order = task.steps_run++;
    if (node->is_accumulator()) {  // Step 3. Deliver to a leaf.
      if (grads[0].defined()) accumulate_into_leaf(*node, std::move(grads[0]));
      continue;
    }
    Grads input_grads = call_backward(*node, std::move(grads));
    if (task.trace) note_gradient_norms(*node, input_grads);
    if (!task.retain_graph) {  // frees the saved tensors captured by the backward function
      node->backward = nullptr;
      node->released = true;
    }
    for (std::size_t i = 0; i < node->next_edges.size(); ++i) {
      const Edge& edge = node->next_edges[i];
      if (!edge.node) continue;
      if (Gradient g = std::move(input_grads[i]); g.defined()) {
        if (!g.is_sparse()) g.dense = validate(*node, i, std::move(g.dense));
        if (task.anomaly) check_finite(*node, i, g.is_sparse() ? g.sparse.values : g.dense);
        task.deliver(edge, std::move(g));
      }
      if (--task.dependencies[edge.node.get()] == 0 && queued.insert(edge.node.get()).second) ready.push(edge.node.get());
    }
  }
}

}  // namespace

bool needs_grad(std::size_t input_index) {
  EMBER_INTERNAL_ASSERT(running_node != nullptr && input_index < running_node->next_edges.size());
  return running_node->next_edges[input_index].node != nullptr;
}

void backward(const std::vector<Tensor>& roots, const std::vector<Tensor>& grad_roots, bool retain_graph) {
  GraphTask task = seed_roots(roots, grad_roots);
  task.retain_graph = retain_graph;
  task.anomaly = anomaly_mode_enabled();
  task.trace = backward_trace_enabled();
  run_ready_queue(task);
}

}  // namespace ember::autograd
