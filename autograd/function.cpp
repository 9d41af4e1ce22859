// record(): how an op's result gets its place on the tape.
#include "autograd/function.h"

#include "autograd/grad_mode.h"
#include "autograd/profiler.h"
#include "autograd/variable.h"

#include <fmt/format.h>

#include <utility>

namespace ember::autograd {

namespace {
// Bytes saved (SavedTensor) by the op being recorded on this thread since its last record().
thread_local std::size_t pending_saved_bytes = 0;
}  // namespace

void note_saved_bytes(std::size_t nbytes) { pending_saved_bytes += nbytes; }

Node::~Node() {
  // Releasing a 100000-step chain through nested shared_ptr destructors would recurse 100000
  // deep. Instead, take over the edges of every node we hold the last reference to.
  std::vector<std::shared_ptr<Node>> stack;
  for (Edge& edge : next_edges)
    if (edge.node) stack.push_back(std::move(edge.node));
  while (!stack.empty()) {
    std::shared_ptr<Node> node = std::move(stack.back());
    stack.pop_back();
    if (node.use_count() == 1)
      for (Edge& edge : node->next_edges)
        if (edge.node) stack.push_back(std::move(edge.node));
  }  // each node dies here with no edges left, so its destructor does not recurse
}

std::uint64_t next_sequence_nr() {
  static std::atomic<std::uint64_t> counter{0};
  return counter.fetch_add(1);
}

void check_view_is_current(const Tensor& t, const char* op) {
  const TensorImpl* impl = t.impl();
  if (impl->view_op == nullptr || impl->view_history_version == impl->storage->history_version.load()) return;
  throw Error(fmt::format(
      "{}: this {} tensor is a view (made by {}) of a tensor that was written in place with autograd recording "
      "after the view was taken: the view holds the new values but its history is the old one, so its gradient "
      "would be wrong. Take the view again after the in-place op, or write the in-place op out of place",
      op, shape_str(t.shape()), impl->view_op));
}

bool any_requires_grad(const std::vector<Tensor>& inputs) {
  if (!grad_mode_enabled()) return false;
  bool any = false;
  for (const Tensor& t : inputs) {
    if (!t.defined()) continue;
    check_view_is_current(t, "autograd");
    any = any || t.requires_grad();
  }
  return any;
}

namespace {

// Gives `output` its autograd identity as output `output_nr` of `node`. A kernel may return one
// of its inputs unchanged (contiguous() of a contiguous tensor): then the output gets its own
// TensorImpl over the same storage, so the input's history is left alone.
Tensor attach(Tensor output, const std::shared_ptr<Node>& node, std::uint32_t output_nr, const char* name) {
  if (output.autograd_meta()) {
    auto alias = std::make_shared<TensorImpl>(*output.impl());
    alias->autograd.reset();
    alias->view_op = name;  // the alias shares the input's memory: a view of it
    alias->view_history_version = alias->storage->history_version.load();
    output = Tensor(std::move(alias));
  }
  AutogradMeta& meta = meta_of(output);
  meta.grad_fn = node;
  meta.output_nr = output_nr;
  return output;
}

std::shared_ptr<Node> make_node(const char* name, const std::vector<Tensor>& outputs, const std::vector<Tensor>& inputs,
                                BackwardFn backward, std::size_t saved_bytes) {
  auto node = std::make_shared<Node>();
  node->name = name;
  for (const Tensor& in : inputs) {  // may create a leaf's AccumulateGrad node: it gets the smaller number
    node->next_edges.push_back(in.defined() ? gradient_edge(in) : Edge{});
    node->inputs.push_back(in.defined() ? InputMeta{in.shape(), in.dtype()} : InputMeta{});
  }
  node->sequence_nr = next_sequence_nr();  // after the inputs' nodes, so print_tape lists them below
  for (const Tensor& out : outputs) node->outputs.push_back({out.shape(), out.dtype()});
  node->backward = std::move(backward);
  node->saved_bytes = saved_bytes;
  profiler_record_forward(name, saved_bytes);
  return node;
}

}  // namespace

// A view made with grad mode off of a tensor that requires grad remembers it (autograd/inplace.cpp).
static void mark_no_grad_view(const Tensor& output, const std::vector<Tensor>& inputs) {
  if (grad_mode_enabled() || output.impl()->view_op == nullptr) return;
  for (const Tensor& in : inputs)
    if (in.defined() && in.requires_grad() && in.shares_storage(output)) {
      meta_of(output).no_grad_view_of_grad_tensor = true;
      return;
    }
}

Tensor record(const char* name, Tensor output, const std::vector<Tensor>& inputs,
              std::function<Grads(const Tensor& dy)> backward) {
  const std::size_t saved_bytes = std::exchange(pending_saved_bytes, 0);
  mark_no_grad_view(output, inputs);
  if (!any_requires_grad(inputs)) return output;
  auto node = make_node(
      name, {output}, inputs,
      [fn = std::move(backward)](const std::vector<Tensor>& dys) { return fn(dys[0]); }, saved_bytes);
  return attach(std::move(output), node, 0, name);
}

std::vector<Tensor> record_multi(const char* name, std::vector<Tensor> outputs, const std::vector<Tensor>& inputs,
                                 BackwardFn backward) {
  const std::size_t saved_bytes = std::exchange(pending_saved_bytes, 0);
  for (const Tensor& out : outputs) mark_no_grad_view(out, inputs);
  if (!any_requires_grad(inputs)) return outputs;
  auto node = make_node(name, outputs, inputs, std::move(backward), saved_bytes);
  for (std::size_t i = 0; i < outputs.size(); ++i)
    outputs[i] = attach(std::move(outputs[i]), node, static_cast<std::uint32_t>(i), name);
  return outputs;
}

void rebase_history(const char* name, const Tensor& self, const std::vector<Tensor>& operands,
                    std::function<Grads(const Tensor& dy)> backward) {
  const std::size_t saved_bytes = std::exchange(pending_saved_bytes, 0);
  std::vector<Tensor> inputs{self};  // input 0: self's history before the write
  inputs.insert(inputs.end(), operands.begin(), operands.end());
  auto node = make_node(
      name, {self}, inputs,
      [fn = std::move(backward)](const std::vector<Tensor>& dys) { return fn(dys[0]); }, saved_bytes);
  AutogradMeta& meta = meta_of(self);
  meta.grad_fn = std::move(node);
  meta.output_nr = 0;
  self.impl()->storage->history_version.fetch_add(1);  // views taken before now are stale
}

}  // namespace ember::autograd
