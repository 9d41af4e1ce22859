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

// The valid values of each option, defined once: the flag parser and the checkpoint reader both
// use them, so a config.json or state.json can hold nothing the command line would refuse.
namespace option_range {
inline constexpr IntRange kEpochs{1, 100000};
inline constexpr IntRange kBatchSize{1, 1 << 20};
inline constexpr IntRange kEmbeddingDim{1, 1 << 16};
inline constexpr IntRange kHiddenDim{1, 1 << 16};
inline constexpr IntRange kNumLayers{1, 16};
inline constexpr NumberRange kDropout{0.0, 1.0};
inline constexpr NumberRange kLr{1e-12, 10.0};
inline constexpr IntRange kSeed{0, INT64_MAX};
inline constexpr IntRange kThreads{0, 1024};
inline constexpr IntRange kMinFreq{1, 1 << 30};
inline constexpr IntRange kMaxVocab{0, 1 << 30};  // 0 = no limit
inline constexpr IntRange kMaxLen{0, 1 << 20};    // 0 = no limit
inline constexpr IntRange kSyntheticSize{10, 10'000'000};
// Not flags, but bounded the same way: what the data can produce.
inline constexpr IntRange kVocabSize{1, 1 << 30};
inline constexpr IntRange kNumClasses{1, 1 << 30};
}  // namespace option_range

struct EvalResult {
  double loss = 0;
  double accuracy = 0;
  std::vector<std::int64_t> predictions, targets;
};

// Model configuration from the command line (vocab size and classes come from the data).
TextClassifierConfig config_from_cli(const CommandLine& cli, std::int64_t vocab_size, std::int64_t num_classes);
std::string config_to_json(const TextClassifierConfig& config, const CommandLine* cli);

// A checkpoint's config.json, every field type- and range-checked (IoError naming the file, the
// field, the value and the valid range).
struct SavedConfig {
  TextClassifierConfig model;
  std::vector<std::pair<std::string, std::string>> options;  // the run's options: name -> value text
  std::int64_t max_len = 0;                                  // options "max-len", checked
  bool frozen = false;                                       // options "freeze": the embedding was frozen
};
SavedConfig read_saved_config(const std::string& path);

// The options a resumed run must share with its checkpoint (CommandLine::adopt_checkpoint_options):
// the model's shape from config.json's fields, and the training options that make resuming equal
// an uninterrupted run (lr, seed, batch size, vocabulary and data options, pretrained/freeze).
std::vector<std::pair<std::string, std::string>> resumed_options(const SavedConfig& saved);

// Parameters of a TextClassifier with `config` (every size is bounded by option_range, so this
// cannot overflow). Checked against the size of model.safetensors before the model is built: a
// config.json cannot make a reader allocate more than the checkpoint holds.
std::int64_t parameter_count(const TextClassifierConfig& config);
void check_config_fits(const TextClassifierConfig& config, const std::string& safetensors_path,
                       const std::string& config_path);

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
