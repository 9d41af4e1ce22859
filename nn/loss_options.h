// Options of the losses, shared by the loss modules (nn/loss.h) and nn::functional: the names
// and defaults are PyTorch's keyword arguments.
//   nn::CrossEntropyLoss(nn::CrossEntropyLossOptions().ignore_index(0).label_smoothing(0.1))
//   F::cross_entropy(logits, target, F::CrossEntropyFuncOptions().reduction(nn::Reduction::Sum))
#pragma once

#include "autograd/ops_nn.h"
#include "core/arg.h"
#include "core/tensor.h"

#include <cstdint>

namespace ember::nn {

// reduction='none' | 'mean' | 'sum'
using ember::Reduction;

struct CrossEntropyLossOptions {
  /// Per-class rescaling weights, shape [C]. Default: undefined (every class weighs 1).
  EMBER_ARG(Tensor, weight);
  /// Targets equal to this class index are skipped (no loss, no gradient, not counted). Default: -100.
  EMBER_ARG(std::int64_t, ignore_index) = -100;
  /// Default: Reduction::Mean.
  EMBER_ARG(Reduction, reduction) = Reduction::Mean;
  /// Mixes the target with the uniform distribution: (1 - e) onehot + e / C. Default: 0.0, in [0, 1].
  EMBER_ARG(double, label_smoothing) = 0.0;
};

struct NLLLossOptions {
  /// Per-class rescaling weights, shape [C]. Default: undefined (every class weighs 1).
  EMBER_ARG(Tensor, weight);
  /// Default: -100.
  EMBER_ARG(std::int64_t, ignore_index) = -100;
  /// Default: Reduction::Mean.
  EMBER_ARG(Reduction, reduction) = Reduction::Mean;
};

struct MSELossOptions {
  MSELossOptions() = default;
  MSELossOptions(Reduction reduction) : reduction_(reduction) {}  // NOLINT: libtorch allows MSELoss(kSum)
  /// Default: Reduction::Mean.
  EMBER_ARG(Reduction, reduction) = Reduction::Mean;
};

struct BCEWithLogitsLossOptions {
  /// Weight of each element's loss, broadcast to the input's shape. Default: undefined (1).
  EMBER_ARG(Tensor, weight);
  /// Default: Reduction::Mean.
  EMBER_ARG(Reduction, reduction) = Reduction::Mean;
  /// Weight of the positive term per class (last dim), e.g. negatives/positives. Default: undefined (1).
  EMBER_ARG(Tensor, pos_weight);
};

struct MarginRankingLossOptions {
  /// loss = max(0, -y (x1 - x2) + margin). Default: 0.0.
  EMBER_ARG(double, margin) = 0.0;
  /// Default: Reduction::Mean.
  EMBER_ARG(Reduction, reduction) = Reduction::Mean;
};

}  // namespace ember::nn
