// Loss modules: CrossEntropyLoss, NLLLoss, MSELoss, BCEWithLogitsLoss, MarginRankingLoss.
// Each holds its options (nn/loss_options.h) and forwards to nn::functional. Like PyTorch, the
// class weights (and pos_weight) are registered as buffers, so they appear in state_dict.
//   nn::CrossEntropyLoss criterion(nn::CrossEntropyLossOptions().label_smoothing(0.1));
//   Tensor loss = criterion.forward(logits, target);
#pragma once

#include "nn/loss_options.h"
#include "nn/module.h"

namespace ember::nn {

class CrossEntropyLoss : public Module {
 public:
  explicit CrossEntropyLoss(const CrossEntropyLossOptions& options = CrossEntropyLossOptions());
  Tensor forward(const Tensor& input, const Tensor& target) const;
  const CrossEntropyLossOptions& options() const { return options_; }

 private:
  CrossEntropyLossOptions options_;
};

class NLLLoss : public Module {
 public:
  explicit NLLLoss(const NLLLossOptions& options = NLLLossOptions());
  Tensor forward(const Tensor& input, const Tensor& target) const;
  const NLLLossOptions& options() const { return options_; }

 private:
  NLLLossOptions options_;
};

class MSELoss : public Module {
 public:
  explicit MSELoss(const MSELossOptions& options = MSELossOptions());
  Tensor forward(const Tensor& input, const Tensor& target) const;
  const MSELossOptions& options() const { return options_; }

 private:
  MSELossOptions options_;
};

class BCEWithLogitsLoss : public Module {
 public:
  explicit BCEWithLogitsLoss(const BCEWithLogitsLossOptions& options = BCEWithLogitsLossOptions());
  Tensor forward(const Tensor& input, const Tensor& target) const;
  const BCEWithLogitsLossOptions& options() const { return options_; }

 private:
  BCEWithLogitsLossOptions options_;
};

class MarginRankingLoss : public Module {
 public:
  explicit MarginRankingLoss(const MarginRankingLossOptions& options = MarginRankingLossOptions());
  Tensor forward(const Tensor& input1, const Tensor& input2, const Tensor& target) const;
  const MarginRankingLossOptions& options() const { return options_; }

 private:
  MarginRankingLossOptions options_;
};

}  // namespace ember::nn
