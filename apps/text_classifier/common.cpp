// Configuration, evaluation and checkpoint loading shared by text_classifier's commands.
#include "apps/text_classifier/common.h"

#include "apps/common/checkpoint.h"
#include "autograd/grad_mode.h"
#include "autograd/ops.h"
#include "core/json_limits.h"
#include "data/dataloader.h"
#include "nn/functional.h"

#include <nlohmann/json.hpp>

#include <filesystem>

namespace ember::apps {

TextClassifierConfig config_from_cli(const CommandLine& cli, std::int64_t vocab_size, std::int64_t num_classes) {
  TextClassifierConfig c;
  c.vocab_size = vocab_size;
  c.num_classes = num_classes;
  c.embedding_dim = cli.integer("embedding-dim", 1, 1 << 16);
  c.hidden_dim = cli.integer("hidden-dim", 1, 1 << 16);
  c.num_layers = cli.integer("num-layers", 1, 16);
  c.bidirectional = cli.flag("bidirectional");
  c.dropout = cli.number("dropout", 0.0, 1.0);
  c.sparse = cli.flag("sparse");
  c.last = cli.choice("last", {"valid", "position"}) == "valid" ? LastStep::kValid : LastStep::kPosition;
  return c;
}

std::string config_to_json(const TextClassifierConfig& c, const CommandLine* cli) {
  nlohmann::ordered_json j = {{"vocab_size", c.vocab_size},       {"num_classes", c.num_classes},
                              {"embedding_dim", c.embedding_dim}, {"hidden_dim", c.hidden_dim},
                              {"num_layers", c.num_layers},       {"bidirectional", c.bidirectional},
                              {"dropout", c.dropout},             {"sparse", c.sparse},
                              {"padding_idx", c.padding_idx},
                              {"last", c.last == LastStep::kValid ? "valid" : "position"}};
  if (cli) j["options"] = cli->values();
  return j.dump(2);
}

TextClassifierConfig config_from_json(const std::string& text, std::int64_t* max_len) {
  TextClassifierConfig c;
  try {
    const auto j = parse_json(text, "not valid JSON");
    c.vocab_size = j.at("vocab_size");
    c.num_classes = j.at("num_classes");
    c.embedding_dim = j.at("embedding_dim");
    c.hidden_dim = j.at("hidden_dim");
    c.num_layers = j.at("num_layers");
    c.bidirectional = j.at("bidirectional");
    c.dropout = j.at("dropout");
    c.sparse = j.at("sparse");
    c.padding_idx = j.at("padding_idx");
    c.last = j.at("last") == "valid" ? LastStep::kValid : LastStep::kPosition;
    if (max_len) *max_len = j.contains("options") ? std::stoll(j["options"].value("max-len", std::string("0"))) : 0;
  } catch (const std::exception& e) {
    throw IoError(fmt::format("config.json: {}", e.what()));
  }
  return c;
}

EvalResult evaluate(TextClassifier& model, const std::shared_ptr<const TextData>& dataset, std::int64_t batch_size,
                    std::int64_t pad_index) {
  NoGradGuard no_grad;
  model.eval();
  EvalResult result;
  data::DataLoader<data::TextExample, data::TextBatch> loader(
      dataset, data::DataLoaderOptions().batch_size(batch_size),
      [pad_index](std::vector<data::TextExample> ex) { return data::pad_collate(std::move(ex), pad_index); });
  double loss_sum = 0;
  std::int64_t correct = 0;
  for (data::TextBatch& batch : loader) {
    Tensor logits = model.forward(batch.tokens, batch.lengths);
    loss_sum += nn::functional::cross_entropy(logits, batch.labels).item<double>() * batch.labels.numel();
    const auto predicted = argmax(logits, 1).to_vector<std::int64_t>();
    const auto target = batch.labels.to_vector<std::int64_t>();
    for (std::size_t i = 0; i < predicted.size(); ++i) correct += predicted[i] == target[i];
    result.predictions.insert(result.predictions.end(), predicted.begin(), predicted.end());
    result.targets.insert(result.targets.end(), target.begin(), target.end());
  }
  const auto n = static_cast<double>(std::max<std::size_t>(result.targets.size(), 1));
  result.loss = loss_sum / n;
  result.accuracy = correct / n;
  model.train();
  return result;
}

std::vector<std::string> read_json_strings(const std::string& path) {
  try {
    return parse_json(read_file(path), path).get<std::vector<std::string>>();
  } catch (const nlohmann::json::exception& e) {
    throw IoError(fmt::format("{}: expected a JSON list of strings: {}", path, e.what()));
  }
}

std::string json_strings(const std::vector<std::string>& values) { return nlohmann::json(values).dump(); }

LoadedCheckpoint load_checkpoint(const std::string& dir) {
  const std::string from = checkpoint_to_read(dir);
  LoadedCheckpoint out;
  const TextClassifierConfig config = config_from_json(read_file(from + "/config.json"), &out.max_len);
  out.model = std::make_shared<TextClassifier>(config);
  out.model->load(from + "/model.safetensors");
  out.vocab = std::make_shared<data::Vocab>(read_json_strings(from + "/vocab.json"));
  out.labels = read_json_strings(from + "/labels.json");
  EMBER_CHECK(out.vocab->size() == config.vocab_size && static_cast<std::int64_t>(out.labels.size()) == config.num_classes,
              IoError, "checkpoint {}: vocab.json has {} tokens and labels.json {} labels; config.json expects {} and {}",
              dir, out.vocab->size(), out.labels.size(), config.vocab_size, config.num_classes);
  return out;
}

}  // namespace ember::apps
