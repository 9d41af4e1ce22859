// Configuration, evaluation and checkpoint loading shared by text_classifier's commands.
#include "apps/text_classifier/common.h"

#include "apps/common/checkpoint.h"
#include "autograd/grad_mode.h"
#include "autograd/ops.h"
#include "core/json_limits.h"
#include "data/dataloader.h"
#include "nn/functional.h"

#include <nlohmann/json.hpp>

#include <charconv>
#include <filesystem>
#include <system_error>

namespace ember::apps {

TextClassifierConfig config_from_cli(const CommandLine& cli, std::int64_t vocab_size, std::int64_t num_classes) {
  TextClassifierConfig c;
  c.vocab_size = vocab_size;
  c.num_classes = num_classes;
  c.embedding_dim = cli.integer("embedding-dim", option_range::kEmbeddingDim);
  c.hidden_dim = cli.integer("hidden-dim", option_range::kHiddenDim);
  c.num_layers = cli.integer("num-layers", option_range::kNumLayers);
  c.bidirectional = cli.flag("bidirectional");
  c.dropout = cli.number("dropout", option_range::kDropout);
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

namespace {

// The options whose saved values a resumed run takes (and may not contradict), beyond the model's shape.
constexpr const char* kResumedTrainingOptions[] = {"lr",       "seed",           "batch-size", "min-freq", "max-vocab",
                                                   "max-len",  "synthetic-size", "pretrained", "freeze"};

// An option value saved as text ("options": {"max-len": "200"}) that must be an integer in `range`.
std::int64_t saved_integer_option(const std::string& path, const std::string& name, const std::string& text,
                                  IntRange range) {
  std::int64_t n = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, error] = std::from_chars(text.data(), end, n);
  EMBER_CHECK(error == std::errc() && ptr == end && !text.empty() && n >= range.min && n <= range.max, IoError,
              "{}: \"options\".\"{}\" is \"{}\"; expected an integer in [{}, {}]", path, name, excerpt(text), range.min,
              range.max);
  return n;
}

}  // namespace

SavedConfig read_saved_config(const std::string& path) {
  const nlohmann::json j = parse_json(read_file(path), path);
  const JsonFields fields(j, path);
  SavedConfig saved;
  TextClassifierConfig& c = saved.model;
  c.vocab_size = fields.integer("vocab_size", option_range::kVocabSize);
  c.num_classes = fields.integer("num_classes", option_range::kNumClasses);
  c.embedding_dim = fields.integer("embedding_dim", option_range::kEmbeddingDim);
  c.hidden_dim = fields.integer("hidden_dim", option_range::kHiddenDim);
  c.num_layers = fields.integer("num_layers", option_range::kNumLayers);
  c.bidirectional = fields.boolean("bidirectional");
  c.dropout = fields.number("dropout", option_range::kDropout);
  c.sparse = fields.boolean("sparse");
  c.padding_idx = fields.integer("padding_idx", {0, c.vocab_size - 1});
  c.last = fields.choice("last", {"valid", "position"}) == "valid" ? LastStep::kValid : LastStep::kPosition;

  const JsonFields options(fields.object("options"), path + " \"options\"");
  for (const char* name : kResumedTrainingOptions) saved.options.emplace_back(name, options.string(name));
  for (const auto& [name, value] : saved.options) {
    if (name == "max-len") saved.max_len = saved_integer_option(path, name, value, option_range::kMaxLen);
    if (name == "freeze") {
      EMBER_CHECK(value == "true" || value == "false", IoError,
                  "{}: \"options\".\"freeze\" is \"{}\"; expected \"true\" or \"false\"", path, excerpt(value));
      saved.frozen = value == "true";
    }
  }
  return saved;
}

std::vector<std::pair<std::string, std::string>> resumed_options(const SavedConfig& saved) {
  const TextClassifierConfig& c = saved.model;
  auto flag = [](bool on) { return std::string(on ? "true" : "false"); };
  std::vector<std::pair<std::string, std::string>> out = {
      {"embedding-dim", std::to_string(c.embedding_dim)},
      {"hidden-dim", std::to_string(c.hidden_dim)},
      {"num-layers", std::to_string(c.num_layers)},
      {"bidirectional", flag(c.bidirectional)},
      {"dropout", fmt::format("{}", c.dropout)},  // the shortest text that reads back to the same double
      {"sparse", flag(c.sparse)},
      {"last", c.last == LastStep::kValid ? "valid" : "position"}};
  out.insert(out.end(), saved.options.begin(), saved.options.end());
  return out;
}

std::int64_t parameter_count(const TextClassifierConfig& c) {
  const std::int64_t directions = c.bidirectional ? 2 : 1, gates = 4 * c.hidden_dim;
  std::int64_t n = c.vocab_size * c.embedding_dim;  // embedding.weight
  for (std::int64_t layer = 0; layer < c.num_layers; ++layer) {
    const std::int64_t input = layer == 0 ? c.embedding_dim : c.hidden_dim * directions;
    n += directions * (gates * input + gates * c.hidden_dim + 2 * gates);  // weight_ih, weight_hh, bias_ih, bias_hh
  }
  return n + c.num_classes * c.hidden_dim * directions + c.num_classes;  // fc.weight, fc.bias
}

void check_config_fits(const TextClassifierConfig& config, const std::string& safetensors_path,
                       const std::string& config_path) {
  std::error_code error;
  const auto file_bytes = std::filesystem::file_size(safetensors_path, error);
  EMBER_CHECK(!error, IoError, "cannot read {}: {}", safetensors_path, error.message());
  const std::int64_t parameters = parameter_count(config);
  EMBER_CHECK(static_cast<std::uint64_t>(parameters) * sizeof(float) <= file_bytes, IoError,
              "{} describes a model of {} parameters ({} bytes), but {} holds only {} bytes; the configuration does "
              "not belong to these weights",
              config_path, parameters, parameters * static_cast<std::int64_t>(sizeof(float)), safetensors_path,
              file_bytes);
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
  const SavedConfig saved = read_saved_config(from + "/config.json");
  const TextClassifierConfig& config = saved.model;
  out.max_len = saved.max_len;
  // Every size is checked against what the checkpoint holds before the model is built.
  out.vocab = std::make_shared<data::Vocab>(read_json_strings(from + "/vocab.json"));
  out.labels = read_json_strings(from + "/labels.json");
  EMBER_CHECK(out.vocab->size() == config.vocab_size && static_cast<std::int64_t>(out.labels.size()) == config.num_classes,
              IoError, "checkpoint {}: vocab.json has {} tokens and labels.json {} labels; config.json expects {} and {}",
              dir, out.vocab->size(), out.labels.size(), config.vocab_size, config.num_classes);
  check_config_fits(config, from + "/model.safetensors", from + "/config.json");
  out.model = std::make_shared<TextClassifier>(config);
  out.model->load(from + "/model.safetensors");
  return out;
}

}  // namespace ember::apps
