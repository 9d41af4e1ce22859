// Pieces shared by text_classifier's commands: configuration <-> JSON, batching, evaluation.
#pragma once

#include "apps/common/cli.h"
#include "apps/text_classifier/model.h"
#include "data/text_dataset.h"
#include "data/vocab.h"

#include <memory>
#include <string>
#include <vector>

namespace ember::apps {

using TextData = data::Dataset<data::TextExample>;

struct EvalResult {
  double loss = 0;
  double accuracy = 0;
  std::vector<std::int64_t> predictions, targets;
};

// Model configuration from the command line (vocab size and classes come from the data).
TextClassifierConfig config_from_cli(const CommandLine& cli, std::int64_t vocab_size, std::int64_t num_classes);
std::string config_to_json(const TextClassifierConfig& config, const CommandLine* cli);
TextClassifierConfig config_from_json(const std::string& text, std::int64_t* max_len);

// Loss, accuracy and predictions over a whole dataset, in no-grad eval mode.
EvalResult evaluate(TextClassifier& model, const std::shared_ptr<const TextData>& dataset, std::int64_t batch_size,
                    std::int64_t pad_index);

// "label<TAB>probability" for one line of text.
struct LoadedCheckpoint {
  std::shared_ptr<TextClassifier> model;
  std::shared_ptr<const data::Vocab> vocab;
  std::vector<std::string> labels;
  std::int64_t max_len = 0;
};
LoadedCheckpoint load_checkpoint(const std::string& dir);

std::vector<std::string> read_json_strings(const std::string& path);
std::string json_strings(const std::vector<std::string>& values);

}  // namespace ember::apps
