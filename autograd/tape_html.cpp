// The tape explorer page (autograd/tape_html.h): the graph as JSON, and a small script that draws
// it as SVG. Everything is inline, so the file opens anywhere, offline.
#include "autograd/tape_html.h"

#include "autograd/node.h"
#include "autograd/variable.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

namespace ember::autograd {
namespace {

// A JSON string literal, also safe inside a <script> element ("</" is written as "<\/").
std::string json_string(std::string_view s) {
  std::string out = "\"";
  for (std::size_t i = 0; i < s.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == '"' || c == '\\') out += fmt::format("\\{}", static_cast<char>(c));
    else if (c == '/' && i > 0 && s[i - 1] == '<') out += "\\/";
    else if (c < 0x20) out += fmt::format("\\u{:04x}", static_cast<unsigned>(c));
    else out += static_cast<char>(c);
  }
  return out + "\"";
}

std::string json_number(double v) { return std::isfinite(v) ? fmt::format("{}", v) : "null"; }

std::string json_metas(const std::vector<InputMeta>& metas) {
  std::string out = "[";
  for (std::size_t i = 0; i < metas.size(); ++i)
    out += fmt::format("{}{{\"shape\":{},\"dtype\":{}}}", i ? "," : "", json_string(shape_str(metas[i].shape)),
                       json_string(dtype_name(metas[i].dtype)));
  return out + "]";
}

// Every node reachable from root, in recording order (ascending sequence_nr).
std::vector<Node*> reachable(const Tensor& root) {
  Edge edge = gradient_edge(root);
  if (!edge.node) return {};
  std::vector<Node*> nodes{edge.node.get()};
  std::unordered_set<Node*> seen{edge.node.get()};
  for (std::size_t i = 0; i < nodes.size(); ++i)
    for (const Edge& next : nodes[i]->next_edges)
      if (next.node && seen.insert(next.node.get()).second) nodes.push_back(next.node.get());
  std::sort(nodes.begin(), nodes.end(), [](Node* a, Node* b) { return a->sequence_nr < b->sequence_nr; });
  return nodes;
}

std::string tape_json(const Tensor& root, const NamedTensors& names) {
  std::unordered_map<const TensorImpl*, std::string> leaf_names;
  for (const auto& [name, t] : names)
    if (t.defined()) leaf_names.emplace(t.impl(), name);
  std::string out = "[";
  bool first = true;
  for (Node* node : reachable(root)) {
    std::string inputs = "[";
    for (std::size_t i = 0; i < node->next_edges.size(); ++i) {
      const Edge& e = node->next_edges[i];
      const InputMeta meta = i < node->inputs.size() ? node->inputs[i] : InputMeta{};
      const double norm = i < node->input_grad_norms.size() ? node->input_grad_norms[i] : -1.0;
      inputs += fmt::format("{}{{\"shape\":{},\"dtype\":{},\"from\":{},\"grad_norm\":{}}}", i ? "," : "",
                            json_string(shape_str(meta.shape)), json_string(dtype_name(meta.dtype)),
                            e.node ? std::to_string(e.node->sequence_nr) : "null",
                            norm >= 0 ? json_number(norm) : "null");
    }
    inputs += "]";
    std::string label;
    if (node->is_accumulator()) {
      auto it = leaf_names.find(node->leaf.get());
      label = it != leaf_names.end() ? it->second : "";
    }
    out += fmt::format(
        "{}\n{{\"seq\":{},\"op\":{},\"leaf\":{},\"outputs\":{},\"inputs\":{},\"saved_bytes\":{},\"released\":{},"
        "\"backward_order\":{},\"backward_ms\":{}}}",
        first ? "" : ",", node->sequence_nr, json_string(node->name), label.empty() ? "null" : json_string(label),
        json_metas(node->outputs), inputs, node->saved_bytes, node->released ? "true" : "false",
        node->backward_order, json_number(node->backward_ms));
    first = false;
  }
  return out + "\n]";
}

// The page's style and script; the data goes between them.
constexpr const char* kHead = R"page(<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
body {{ font: 14px system-ui, sans-serif; margin: 16px; color: #222; }}
#controls {{ margin: 8px 0; }} #status {{ margin-left: 12px; color: #555; }}
#main {{ display: flex; gap: 16px; align-items: flex-start; }} #graph {{ flex-shrink: 0; }}
#details {{ min-width: 320px; max-width: 460px; border: 1px solid #ccc; padding: 8px; font-family: monospace; white-space: pre-wrap; }}
.node rect {{ fill: #fff; stroke: #444; rx: 4; }} .node.leaf rect {{ fill: #dbeafe; }}
.node text {{ font: 12px monospace; pointer-events: none; }} .node {{ cursor: pointer; }}
.node.selected rect {{ stroke: #d97706; stroke-width: 3; }}
.node.running rect {{ fill: #fde68a; }} .node.done rect {{ fill: #e5e7eb; }}
.edge {{ fill: none; stroke: #999; stroke-width: 1.2; }}
</style></head><body>
<h1>{title}</h1>
<div id="controls"><button id="step">Step backward</button> <button id="reset">Reset</button><span id="status"></span></div>
<div id="main"><svg id="graph" xmlns="http://www.w3.org/2000/svg"></svg><div id="details">Click a node to see its details.</div></div>
<script>
window.onerror = function (message) {{ document.body.dataset.errors = (document.body.dataset.errors || "") + message + ";"; }};
const TAPE = )page";

constexpr const char* kScript = R"page(;
(function () {
  const SVG = "http://www.w3.org/2000/svg", rowHeight = 44, width = 260;
  const svg = document.getElementById("graph"), details = document.getElementById("details");
  const status = document.getElementById("status");
  const bySeq = new Map(), boxes = new Map();
  TAPE.forEach((n, i) => { bySeq.set(n.seq, n); n.row = i; });
  // Leaves in the left column, ops in the right; one row per node in recording order (top: first).
  const x = n => (n.op === "AccumulateGrad" ? 10 : 330), y = n => 10 + n.row * rowHeight;
  svg.setAttribute("width", 330 + width + 20);
  svg.setAttribute("height", 20 + TAPE.length * rowHeight);
  const edges = document.createElementNS(SVG, "g");
  svg.appendChild(edges);
  TAPE.forEach(n => n.inputs.forEach(input => {
    const from = bySeq.get(input.from);
    if (!from) return;
    const path = document.createElementNS(SVG, "path");
    const x1 = x(from) + width / 2, y1 = y(from) + 30, x2 = x(n) + width / 2, y2 = y(n);
    path.setAttribute("d", `M${x1},${y1} C${x1},${(y1 + y2) / 2} ${x2},${(y1 + y2) / 2} ${x2},${y2}`);
    path.setAttribute("class", "edge");
    edges.appendChild(path);
  }));
  const shapes = list => list.map(m => `${m.shape} ${m.dtype}`).join(", ");
  function show(n) {
    boxes.forEach(b => b.classList.remove("selected"));
    boxes.get(n.seq).classList.add("selected");
    let text = `#${n.seq}  ${n.op}${n.leaf ? "  (" + n.leaf + ")" : ""}\noutputs: ${shapes(n.outputs)}\n`;
    n.inputs.forEach((input, i) => {
      const src = bySeq.get(input.from);
      text += `input ${i}: ${input.shape} ${input.dtype}` + (src ? `  from #${src.seq} ${src.op}` : "  (no gradient)") +
              (input.grad_norm !== null ? `  |grad| = ${input.grad_norm.toPrecision(6)}` : "") + "\n";
    });
    text += `saved for backward: ${n.saved_bytes} B${n.released ? " (freed)" : ""}\n`;
    if (n.backward_order >= 0) text += `backward: step ${n.backward_order + 1}, ${n.backward_ms.toFixed(3)} ms\n`;
    details.textContent = text;
  }
  TAPE.forEach(n => {
    const g = document.createElementNS(SVG, "g");
    g.setAttribute("class", "node" + (n.op === "AccumulateGrad" ? " leaf" : ""));
    g.dataset.seq = n.seq;
    const rect = document.createElementNS(SVG, "rect");
    rect.setAttribute("x", x(n)); rect.setAttribute("y", y(n)); rect.setAttribute("width", width); rect.setAttribute("height", 30);
    const label = document.createElementNS(SVG, "text");
    label.setAttribute("x", x(n) + 6); label.setAttribute("y", y(n) + 19);
    label.textContent = `${n.seq} ${n.op}${n.leaf ? " " + n.leaf : ""}  ${n.outputs.map(m => m.shape).join(" ")}`;
    g.appendChild(rect); g.appendChild(label);
    g.addEventListener("click", () => show(n));
    svg.appendChild(g);
    boxes.set(n.seq, g);
  });
  // Stepping through backward in the engine's order.
  const order = TAPE.filter(n => n.backward_order >= 0).sort((a, b) => a.backward_order - b.backward_order);
  let next = 0;
  function render() {
    order.forEach((n, i) => {
      boxes.get(n.seq).classList.toggle("done", i < next - 1);
      boxes.get(n.seq).classList.toggle("running", i === next - 1);
    });
    status.textContent = order.length === 0
        ? "no traced backward: run backward under TraceBackwardGuard to step through it"
        : `backward step ${next} of ${order.length}` + (next > 0 ? `: ${order[next - 1].op}` : "");
    document.body.dataset.step = next;
  }
  function step() { if (next < order.length) { next++; render(); show(order[next - 1]); } }
  document.getElementById("step").addEventListener("click", step);
  document.getElementById("reset").addEventListener("click", () => { next = 0; render(); });
  document.getElementById("step").disabled = order.length === 0;
  const wanted = /steps=(\d+)/.exec(location.hash);  // e.g. tape.html#steps=3, for tests and links
  render();
  if (wanted) for (let i = 0; i < Number(wanted[1]); ++i) step();
  document.body.dataset.nodes = document.querySelectorAll("#graph .node").length;
  document.body.dataset.backwardSteps = order.length;
  document.body.dataset.ready = "1";
})();
</script></body></html>
)page";

std::string html_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '<') out += "&lt;";
    else if (c == '>') out += "&gt;";
    else if (c == '&') out += "&amp;";
    else if (c == '"') out += "&quot;";
    else out += c;
  }
  return out;
}

}  // namespace

std::string tape_html(const Tensor& root, const NamedTensors& names, const std::string& title) {
  EMBER_CHECK(root.defined(), ValueError, "to_html: the tensor is undefined");
  return fmt::format(fmt::runtime(kHead), fmt::arg("title", html_escape(title))) + tape_json(root, names) + kScript;
}

void to_html(const Tensor& root, const std::string& path, const NamedTensors& names, const std::string& title) {
  const std::string page = tape_html(root, names, title);
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) throw IoError(fmt::format("to_html: cannot open {} for writing: {}", path, std::strerror(errno)));
  const bool written = std::fwrite(page.data(), 1, page.size(), f) == page.size();
  const int write_errno = errno;
  const bool closed = std::fclose(f) == 0;
  if (!written || !closed)
    throw IoError(fmt::format("to_html: writing {} failed: {}", path, std::strerror(written ? errno : write_errno)));
}

}  // namespace ember::autograd
