// Negative-sampling loss of word2vec (skip-gram and CBOW) as a forward/backward kernel pair, and
// the direct SGD step word2vec's trainers use (Hogwild: several threads, no locks).
//
// Shapes: input_weight [V_in, D] (the input vectors u), output_weight [V_out, D] (the output
// vectors v), contexts [B, C] int64 (the input words of each example; -1 marks an empty slot),
// targets [B, 1+K] int64 (column 0 is the word to predict, label 1; columns 1..K are the noise
// words, label 0). Skip-gram is C = 1; CBOW is C = 2 * window with empty slots where the window
// was cut. h_b = mean of u over the non-empty contexts of example b (zeros when it has none).
//   loss = sum_b [ -log sigma(h_b . v_{t_b0}) - sum_{k>=1} log sigma(-h_b . v_{t_bk}) ]
#pragma once

#include "core/sparse.h"
#include "core/tensor.h"

namespace ember::kernels {

struct NegativeSamplingForward {
  Tensor loss;    // 0-d, the weights' dtype
  Tensor hidden;  // [B, D] h_b
  Tensor probs;   // [B, 1+K] sigma(h_b . v_t): what backward needs instead of the scores
};

// Expects contiguous weights of one float dtype and indices already range-checked
// (autograd/ops_word2vec.cpp checks them, naming the bad value).
NegativeSamplingForward negative_sampling_forward(const Tensor& input_weight, const Tensor& output_weight,
                                                  const Tensor& contexts, const Tensor& targets);

struct NegativeSamplingGrads {
  SparseTensor input;   // rows dy * dh_b / n_b, one per non-empty context slot (row-major order)
  SparseTensor output;  // rows dy * g_bt * h_b, one per target, g_bt = sigma(h_b . v_t) - label_t
};

// d loss / d score_bt = sigma(s_bt) - label_t =: g_bt;  dv_t += g_bt h_b;  dh_b = sum_t g_bt v_t;
// du_c += dh_b / n_b for every context c of b (the mean spreads its gradient evenly).
NegativeSamplingGrads negative_sampling_backward(double dy, const Tensor& hidden, const Tensor& probs,
                                                 const Tensor& output_weight, const Tensor& contexts,
                                                 const Tensor& targets, std::int64_t input_rows);

// One SGD pass over the first `count` examples, in order, updating the weights in place the way
// word2vec does (the C tool, gensim and fastText all do the same):
//   for each example b: h = mean of its context rows; e = 0;
//     for each target t: g = lr * (label_t - sigma(h . v_t)); e += g * v_t (v_t before its update);
//                        v_t += g * h
//     then u_c += e for each context c.
// For skip-gram (one context) this is exactly weight -= lr * gradient of that example's loss, with
// v_t updated before the next target is scored. For CBOW, e is not divided by the number of
// contexts: word2vec's rule, which trains faster than the exact gradient of the mean.
// Returns the summed loss of the examples (each scored before its own update).
// Not thread-safe on purpose: threads sharing the weights race on rows (Hogwild), which is
// nondeterministic. Indices are checked before any write; the caller bumps the weights' versions.
double negative_sampling_sgd_(const Tensor& input_weight, const Tensor& output_weight, const Tensor& contexts,
                              const Tensor& targets, std::int64_t count, double lr);

}  // namespace ember::kernels
