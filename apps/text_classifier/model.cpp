// The seed's text classifier, in as many lines as the PyTorch original.
#include "apps/text_classifier/model.h"

#include "autograd/ops.h"

namespace ember::apps {

TextClassifier::TextClassifier(const TextClassifierConfig& config) : Module("TextClassifier"), config_(config) {
  embedding = register_module("embedding", std::make_shared<nn::Embedding>(
      nn::EmbeddingOptions(config.vocab_size, config.embedding_dim).padding_idx(config.padding_idx).sparse(config.sparse)));
  rnn = register_module("rnn", std::make_shared<nn::LSTM>(nn::LSTMOptions(config.embedding_dim, config.hidden_dim)
      .num_layers(config.num_layers).batch_first(true).dropout(config.dropout).bidirectional(config.bidirectional)));
  const std::int64_t features = config.hidden_dim * (config.bidirectional ? 2 : 1);
  fc = register_module("fc", std::make_shared<nn::Linear>(nn::LinearOptions(features, config.num_classes)));
}

Tensor TextClassifier::forward(const Tensor& tokens, const Tensor& lengths) {
  Tensor x = embedding->forward(tokens);  // [B, T, E]
  if (config_.last == LastStep::kPosition) {
    Tensor out = rnn->forward(x).output;  // [B, T, H]
    return fc->forward(select(out, 1, -1));  // rnn_out[:, -1, :]
  }
  Tensor out = rnn->forward(x, std::nullopt, lengths).output;
  return fc->forward(nn::last_valid_step(out, lengths, /*batch_first=*/true, config_.bidirectional));
}

}  // namespace ember::apps
