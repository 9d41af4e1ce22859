// word2vec's training loss as one fused differentiable op (skip-gram and CBOW with negative
// sampling). The kernels, including the direct SGD step the word2vec app trains with, are in
// core/kernels_negative_sampling.h.
#pragma once

#include "core/tensor.h"

namespace ember {

// loss = sum_b [ -log sigma(h_b . v_{t_b0}) - sum_{k=1..K} log sigma(-h_b . v_{t_bk}) ]   (0-d)
//   h_b = mean of input_weight[contexts[b, c]] over the slots c with contexts[b, c] != -1
//         (zeros when there is none), v_t = output_weight[t].
// input_weight [V_in, D], output_weight [V_out, D] (one float dtype); contexts [B, C] int64 with
// -1 for empty slots (skip-gram: C = 1); targets [B, 1+K] int64, column 0 the word to predict,
// the others noise words.
// Gradients: d/dv_t = (sigma(s_bt) - label_t) h_b summed over its uses; d/du_c = dh_b / n_b.
// sparse=true gives both weights row-sparse gradients (one row per use, uncoalesced, like
// embedding(sparse=true)); sparse=false gives dense ones.
// Throws ShapeError / TypeError / IndexError naming the offending shape, dtype or index.
Tensor negative_sampling_loss(const Tensor& input_weight, const Tensor& output_weight, const Tensor& contexts,
                              const Tensor& targets, bool sparse = false);

}  // namespace ember
