// `text_classifier evaluate` (accuracy, per-class precision/recall/F1, confusion matrix) and
// `text_classifier predict` (label and probability for each line of stdin).
#include "apps/text_classifier/common.h"
#include "apps/text_classifier/trainer.h"
#include "autograd/grad_mode.h"
#include "autograd/ops.h"
#include "data/delimited_file.h"
#include "data/tokenizer.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace ember::apps {

int run_evaluate(const CommandLine& cli) {
  EMBER_CHECK(cli.given("checkpoint") && cli.given("data"), ValueError,
              "text_classifier evaluate: needs --checkpoint DIR and --data FILE");
  const LoadedCheckpoint ckpt = load_checkpoint(cli.str("checkpoint"));
  auto options =
      data::TextDatasetOptions(cli.str("data")).header(cli.flag("header")).vocab(ckpt.vocab).labels(ckpt.labels);
  if (ckpt.max_len > 0) options.max_length(ckpt.max_len);
  auto dataset = std::make_shared<data::TextDataset>(options);
  const EvalResult r = evaluate(*ckpt.model, dataset, 64, ckpt.vocab->pad_index());
  const std::size_t classes = ckpt.labels.size();
  std::vector<std::vector<std::int64_t>> confusion(classes, std::vector<std::int64_t>(classes, 0));
  for (std::size_t i = 0; i < r.targets.size(); ++i) confusion[r.targets[i]][r.predictions[i]]++;
  fmt::print("accuracy: {:.2f}% ({} examples), loss {:.4f}\n\n", 100 * r.accuracy, r.targets.size(), r.loss);
  fmt::print("{:<16} {:>9} {:>9} {:>9} {:>9}\n", "label", "precision", "recall", "f1", "support");
  for (std::size_t c = 0; c < classes; ++c) {
    std::int64_t tp = confusion[c][c], predicted = 0, actual = 0;
    for (std::size_t k = 0; k < classes; ++k) predicted += confusion[k][c], actual += confusion[c][k];
    const double p = predicted ? static_cast<double>(tp) / predicted : 0, rc = actual ? static_cast<double>(tp) / actual : 0;
    fmt::print("{:<16} {:>9.4f} {:>9.4f} {:>9.4f} {:>9}\n", ckpt.labels[c], p, rc, p + rc > 0 ? 2 * p * rc / (p + rc) : 0.0, actual);
  }
  fmt::print("\nconfusion matrix (rows: true label, columns: predicted)\n{:<16}", "");
  for (const auto& l : ckpt.labels) fmt::print(" {:>8.8}", l);
  fmt::print("\n");
  for (std::size_t c = 0; c < classes; ++c) {
    fmt::print("{:<16.16}", ckpt.labels[c]);
    for (std::size_t k = 0; k < classes; ++k) fmt::print(" {:>8}", confusion[c][k]);
    fmt::print("\n");
  }
  return 0;
}

int run_predict(const CommandLine& cli, std::istream& in) {
  EMBER_CHECK(cli.given("checkpoint"), ValueError, "text_classifier predict: needs --checkpoint DIR");
  const LoadedCheckpoint ckpt = load_checkpoint(cli.str("checkpoint"));
  NoGradGuard no_grad;
  ckpt.model->eval();
  std::string line;
  for (std::int64_t line_number = 1; data::getline_bounded(in, line, "standard input", line_number); ++line_number) {
    std::vector<std::int64_t> ids = ckpt.vocab->encode(data::basic_english_tokenize(line));
    if (ckpt.max_len > 0 && static_cast<std::int64_t>(ids.size()) > ckpt.max_len) ids.resize(ckpt.max_len);
    if (ids.empty()) ids.push_back(ckpt.vocab->pad_index());  // an empty line: one pad token
    const auto n = static_cast<std::int64_t>(ids.size());
    Tensor probs = softmax(ckpt.model->forward(tensor(ids, {1, n}), tensor(std::vector<std::int64_t>{n}, {1})), 1);
    const auto best = argmax(probs, 1).item<std::int64_t>();
    fmt::print("{}\t{:.4f}\n", ckpt.labels[best], probs.to_vector<double>()[best]);
    // Output is lost (a full disk): stop rather than compute predictions nobody can read.
    EMBER_CHECK(!std::ferror(stdout), IoError, "text_classifier predict: cannot write standard output: {}",
                std::strerror(errno != 0 ? errno : EIO));
  }
  return 0;
}

}  // namespace ember::apps
