// autograd/ops_lstm.cpp with several threads: the recurrence split by batch rows must give the
// single-threaded outputs and gradients, with and without lengths, in both directions.
#include "testing.h"

#include "autograd/ops.h"
#include "autograd/ops_lstm.h"

#include <catch2/catch.hpp>

using namespace ember;

namespace {

struct Run {
  std::vector<Tensor> values;  // output, h_n, c_n, then the gradients of x, h0, c0 and the four parameters
};

// A layer big enough for the batch split (T * B * 4H * H above its threshold), forward and backward.
Run run_layer(int threads, bool with_lengths, bool reverse) {
  set_num_threads(threads);
  manual_seed(21);
  const std::int64_t T = 6, B = 40, I = 24, H = 48;
  std::vector<Tensor> leaves = {randn({T, B, I}),      randn({B, H}),    randn({B, H}),
                                randn({4 * H, I}) * 0.2, randn({4 * H, H}) * 0.2, randn({4 * H}), randn({4 * H})};
  for (Tensor& t : leaves) t = t.detach().requires_grad_();
  std::vector<std::int64_t> lengths_vec;
  for (std::int64_t b = 0; b < B; ++b) lengths_vec.push_back(1 + b % T);
  const Tensor lengths = with_lengths ? tensor(lengths_vec, {B}) : Tensor();
  const LSTMLayerOutput out =
      lstm_layer(leaves[0], leaves[1], leaves[2], leaves[3], leaves[4], leaves[5], leaves[6], lengths, reverse);
  const Tensor loss = sum(out.output * out.output) + sum(out.h_n) + sum(out.c_n * 0.5);
  loss.backward();
  Run run{{out.output.detach(), out.h_n.detach(), out.c_n.detach()}};
  for (const Tensor& t : leaves) run.values.push_back(t.grad());
  return run;
}

}  // namespace

TEST_CASE("lstm_layer: two threads (batch split) give the one-thread outputs and gradients", "[autograd]") {
  const int threads_before = get_num_threads();
  for (bool with_lengths : {false, true})
    for (bool reverse : {false, true}) {
      INFO("lengths " << with_lengths << " reverse " << reverse);
      const Run one = run_layer(1, with_lengths, reverse), two = run_layer(2, with_lengths, reverse);
      REQUIRE(one.values.size() == two.values.size());
      for (std::size_t i = 0; i < one.values.size(); ++i) {
        INFO("value " << i);
        // Each row's arithmetic does not depend on the split; the weight gradients' products may be
        // split differently by OpenBLAS, hence a tolerance instead of bitwise equality.
        testing::require_close(two.values[i], one.values[i], 1e-5, 1e-5);
      }
    }
  set_num_threads(threads_before);
}
