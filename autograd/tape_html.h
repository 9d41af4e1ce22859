// The tape as a page to explore: one self-contained HTML file (inline SVG and script, nothing
// fetched from the network) that draws the graph reachable from a tensor in recording order.
//
//   Tensor loss;
//   { TraceBackwardGuard trace;          // autograd/grad_mode.h: backward notes what it does
//     loss = model.forward(x); ... ; loss.backward(ember::Tensor(), /*retain_graph=*/true); }
//   autograd::to_html(loss, "tape.html", model.named_parameters());
//
// For each node the page shows its op, the shapes and dtypes of its inputs and outputs, the bytes
// it saved for backward, and, after a traced backward, its backward time and the norm of the
// gradient it sent to each input. Clicking a node shows its details; "Step backward" walks the
// nodes in the order the engine ran them, highlighting the one being run. Leaves are named by the
// `names` given (a module's named_parameters()).
#pragma once

#include "core/tensor.h"

#include <string>
#include <utility>
#include <vector>

namespace ember::autograd {

using NamedTensors = std::vector<std::pair<std::string, Tensor>>;

// The page as a string.
std::string tape_html(const Tensor& root, const NamedTensors& names = {}, const std::string& title = "ember tape");
// Writes it to `path`; throws IoError naming the path (and the reason) if the write fails.
void to_html(const Tensor& root, const std::string& path, const NamedTensors& names = {},
             const std::string& title = "ember tape");

}  // namespace ember::autograd
