// The seed's text classifier:
//   Embedding(vocab, 64, padding_idx=0) -> LSTM(64, 128, batch_first) -> last step -> Linear(128, C)
// with the seed's attribute names, so its state_dict keys are PyTorch's: embedding.weight,
// rnn.weight_ih_l0, ..., fc.weight, fc.bias.
#pragma once

#include "nn/embedding.h"
#include "nn/linear.h"
#include "nn/lstm.h"
#include "nn/module.h"

#include <memory>

namespace ember::apps {

// Which LSTM output represents a sequence.
enum class LastStep {
  kPosition,  // the seed's rnn_out[:, -1, :]: on a batch padded at the end, the state after the pads
  kValid,     // each sequence's last real token (the LSTM runs with the lengths)
};

struct TextClassifierConfig {
  std::int64_t vocab_size = 1000;
  std::int64_t num_classes = 2;
  std::int64_t embedding_dim = 64;
  std::int64_t hidden_dim = 128;
  std::int64_t num_layers = 1;
  bool bidirectional = false;
  double dropout = 0.0;
  bool sparse = false;  // Embedding(sparse=true), trained by SparseAdam
  std::int64_t padding_idx = 0;
  LastStep last = LastStep::kValid;
};

class TextClassifier : public nn::Module {
 public:
  explicit TextClassifier(const TextClassifierConfig& config);

  // tokens int64 [B, T] padded at the end, lengths int64 [B] -> logits [B, num_classes]
  Tensor forward(const Tensor& tokens, const Tensor& lengths);

  const TextClassifierConfig& config() const { return config_; }
  std::shared_ptr<nn::Embedding> embedding;
  std::shared_ptr<nn::LSTM> rnn;
  std::shared_ptr<nn::Linear> fc;

 private:
  TextClassifierConfig config_;
};

}  // namespace ember::apps
