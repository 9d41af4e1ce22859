// Writes the tape explorer page of one traced training step of a small embedding classifier to
// argv[1], and prints the number of nodes on its tape (the browser test checks the page drew them).
#include "autograd/engine.h"
#include "autograd/grad_mode.h"
#include "autograd/ops.h"
#include "autograd/tape_html.h"
#include "nn/embedding.h"
#include "nn/functional.h"
#include "nn/linear.h"

#include <algorithm>
#include <cstdio>
#include <string>

using namespace ember;

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_tape_page OUT.html\n");
    return 2;
  }
  manual_seed(0);
  nn::Embedding embedding(nn::EmbeddingOptions(20, 8).padding_idx(0));
  nn::Linear linear(nn::LinearOptions(8, 3));
  const Tensor tokens = tensor(std::vector<std::int64_t>{1, 4, 0, 7, 2, 0}, {2, 3});
  const Tensor labels = tensor(std::vector<std::int64_t>{2, 0}, {2});
  Tensor loss;
  {
    TraceBackwardGuard trace;
    loss = nn::functional::cross_entropy(linear.forward(tanh(mean(embedding.forward(tokens), {1}))), labels);
    loss.backward();
  }
  auto names = embedding.named_parameters();
  for (auto& [name, p] : linear.named_parameters()) names.emplace_back("fc." + name, p);
  for (auto& [name, p] : names)
    if (name == "weight") name = "embedding.weight";
  autograd::to_html(loss, argv[1], names, "one step of an embedding classifier");
  // The tape's node count, as print_tape lists them (one line each under its header).
  const std::string tape = autograd::print_tape(loss);
  std::printf("%ld\n", static_cast<long>(std::count(tape.begin(), tape.end(), '\n') - 1));
}
