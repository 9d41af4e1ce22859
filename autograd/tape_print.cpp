// The tape, printed: print_tape (a table in execution order) and to_dot (Graphviz), declared in
// autograd/engine.h.
#include "autograd/engine.h"

#include "autograd/node.h"
#include "autograd/variable.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <unordered_set>

namespace ember::autograd {

namespace {
// Every node reachable from t's, in execution order: descending sequence_nr.
std::vector<Node*> reachable_in_order(const Tensor& t) {
  Edge edge = gradient_edge(t);
  if (!edge.node) return {};
  std::vector<Node*> nodes{edge.node.get()};
  std::unordered_set<Node*> seen{edge.node.get()};
  for (std::size_t i = 0; i < nodes.size(); ++i)  // breadth-first, no recursion
    for (const Edge& next : nodes[i]->next_edges)
      if (next.node && seen.insert(next.node.get()).second) nodes.push_back(next.node.get());
  std::sort(nodes.begin(), nodes.end(), [](Node* a, Node* b) { return a->sequence_nr > b->sequence_nr; });
  return nodes;
}

std::string shapes_of(const std::vector<InputMeta>& metas, const std::vector<Edge>* edges = nullptr) {
  std::string out;
  for (std::size_t i = 0; i < metas.size(); ++i) {
    if (i) out += ", ";
    out += shape_str(metas[i].shape);
    if (edges && (*edges)[i].node) out += "*";
  }
  return out;
}
}  // namespace

std::string print_tape(const Tensor& t) {
  // One row per node; columns are as wide as their widest cell.
  std::vector<std::array<std::string, 5>> rows{{"seq", "op", "output", "inputs (* = needs grad)", "saved"}};
  for (Node* node : reachable_in_order(t)) {
    if (node->is_accumulator()) {
      rows.push_back({std::to_string(node->sequence_nr), node->name, shapes_of(node->outputs), "", ""});
      continue;
    }
    rows.push_back({std::to_string(node->sequence_nr), node->name, shapes_of(node->outputs),
                    shapes_of(node->inputs, &node->next_edges),
                    node->released ? "freed" : fmt::format("{} B", node->saved_bytes)});
  }
  std::array<std::size_t, 5> width{};
  for (const auto& row : rows)
    for (std::size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], row[c].size());
  std::string out;
  for (const auto& row : rows) {
    std::string line = fmt::format("{:>{}}  {:<{}}  {:<{}}  {:<{}}  {:>{}}", row[0], width[0], row[1], width[1], row[2],
                                   width[2], row[3], width[3], row[4], width[4]);
    line.erase(line.find_last_not_of(' ') + 1);
    out += line + "\n";
  }
  return out;
}

std::string to_dot(const Tensor& t) {
  std::string out = "digraph tape {\n  rankdir=BT;\n  node [shape=box, fontname=monospace];\n";
  for (Node* node : reachable_in_order(t)) {
    out += fmt::format("  n{} [label=\"{}\\n{}\"{}];\n", node->sequence_nr, node->name, shapes_of(node->outputs),
                       node->is_accumulator() ? ", style=filled, fillcolor=lightblue" : "");
    for (const Edge& edge : node->next_edges)
      if (edge.node) out += fmt::format("  n{} -> n{};\n", edge.node->sequence_nr, node->sequence_nr);
  }
  return out + "}\n";
}

}  // namespace ember::autograd
