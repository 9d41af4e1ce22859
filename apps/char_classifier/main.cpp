// char_classifier: a custom model written the way a user would write one. A character-level
// LSTM tells English words from random strings of letters, using a Module subclass,
// data::char_tokenize and data::Vocab, nn::Embedding -> nn::LSTM -> nn::Linear, and Adam.
//   char_classifier [--epochs 20] [--seed 0]
#include "apps/common/cli.h"
#include "autograd/grad_mode.h"
#include "autograd/ops.h"
#include "data/tokenizer.h"
#include "data/vocab.h"
#include "nn/embedding.h"
#include "nn/functional.h"
#include "nn/linear.h"
#include "nn/lstm.h"
#include "optim/adam.h"

#include <fmt/format.h>

#include <algorithm>
#include <random>
#include <sstream>

using namespace ember;

// The model: subclass nn::Module, register the layers by name, write forward().
struct CharClassifier : nn::Module {
  CharClassifier(std::int64_t vocab_size, std::int64_t num_classes) : Module("CharClassifier") {
    embedding = register_module("embedding", std::make_shared<nn::Embedding>(nn::EmbeddingOptions(vocab_size, 16).padding_idx(0)));
    lstm = register_module("lstm", std::make_shared<nn::LSTM>(nn::LSTMOptions(16, 64).batch_first(true)));
    fc = register_module("fc", std::make_shared<nn::Linear>(nn::LinearOptions(64, num_classes)));
  }
  // chars int64 [B, T] padded at the end with 0, lengths int64 [B] -> logits [B, num_classes]
  Tensor forward(const Tensor& chars, const Tensor& lengths) {
    Tensor output = lstm->forward(embedding->forward(chars), std::nullopt, lengths).output;  // [B, T, 64]
    return fc->forward(nn::last_valid_step(output, lengths, /*batch_first=*/true));
  }
  std::shared_ptr<nn::Embedding> embedding;
  std::shared_ptr<nn::LSTM> lstm;
  std::shared_ptr<nn::Linear> fc;
};

// The tiny built-in dataset: 212 common English words (label 1) and as many strings of random
// letters with the same lengths (label 0).
const char* kWords =
    "about above after again air all also always animal another answer any are around ask away back base "
    "because been before began begin being below best better between big black blue body book both bring "
    "brother build but call came can car carry change children city close cold come common could country "
    "cover cross day did different does dog done door down draw during each early earth eat end enough "
    "even ever every eye face fact family far father feel few field find fire first fish five follow food "
    "form found four friend from full game gave get girl give good great green ground group grow half hand "
    "happen hard have head hear heard help here high hold home horse hot house however hundred idea important "
    "inside island just keep kind king know land language large last later learn leave left letter life "
    "light line list listen little live long look made make many mark mother mountain move much music must "
    "name near need never next night nothing notice number often once only open order other over page paper "
    "part people picture place plant play point power problem question quick rain read ready right river "
    "road rock room round said same school science second seem sentence several short should show side simple";

struct Example {
  std::vector<std::string> chars;
  std::int64_t label;
};

std::vector<Example> make_dataset(Generator& gen) {
  std::vector<Example> examples;
  std::istringstream words(kWords);
  for (std::string word; words >> word;) {
    examples.push_back({data::char_tokenize(word), 1});
    std::string random(word.size(), 'a');
    for (char& c : random) c = static_cast<char>('a' + gen.next_u64() % 26);
    examples.push_back({data::char_tokenize(random), 0});
  }
  std::shuffle(examples.begin(), examples.end(), std::mt19937_64(gen.next_u64()));
  return examples;
}

// Examples [begin, end) as a padded batch: chars [B, T], lengths [B], labels [B].
std::vector<Tensor> make_batch(const std::vector<Example>& examples, std::size_t begin, std::size_t end,
                               const data::Vocab& vocab) {
  std::size_t T = 0;
  for (std::size_t i = begin; i < end; ++i) T = std::max(T, examples[i].chars.size());
  std::vector<std::int64_t> chars((end - begin) * T, vocab.pad_index()), lengths, labels;
  for (std::size_t i = begin; i < end; ++i) {
    const std::vector<std::int64_t> ids = vocab.encode(examples[i].chars);
    std::copy(ids.begin(), ids.end(), chars.begin() + static_cast<std::ptrdiff_t>((i - begin) * T));
    lengths.push_back(static_cast<std::int64_t>(ids.size()));
    labels.push_back(examples[i].label);
  }
  const auto B = static_cast<std::int64_t>(end - begin);
  return {tensor(chars, {B, static_cast<std::int64_t>(T)}), tensor(lengths, {B}), tensor(labels, {B})};
}

double accuracy(CharClassifier& model, const std::vector<Example>& examples, const data::Vocab& vocab) {
  NoGradGuard no_grad;
  const std::vector<Tensor> batch = make_batch(examples, 0, examples.size(), vocab);
  const Tensor predicted = argmax(model.forward(batch[0], batch[1]), 1);
  return sum(to(eq(predicted, batch[2]), kFloat32)).item<double>() / static_cast<double>(examples.size());
}

int run_app(int argc, char** argv) {
  apps::CommandLine cli("char_classifier", {{"epochs", "20", "training epochs"},
                                            {"seed", "0", "random seed (data, initialisation)"},
                                            {"help", "", "show this help", true}});
  try {
    cli.parse(argc, argv, 1);
    if (cli.flag("help")) return fmt::print("usage: char_classifier [options]\n{}", cli.usage()), 0;
    const std::int64_t epochs = cli.integer("epochs", 1, 100000);
    const auto seed = static_cast<std::uint64_t>(cli.integer("seed", 0, INT64_MAX));

    Generator gen(seed);
    std::vector<Example> examples = make_dataset(gen);
    const std::vector<Example> test(examples.end() - static_cast<std::ptrdiff_t>(examples.size() / 5), examples.end());
    examples.resize(examples.size() - test.size());
    std::vector<std::vector<std::string>> sequences;
    for (const Example& e : examples) sequences.push_back(e.chars);
    const data::Vocab vocab = data::Vocab::build(sequences);  // <pad> = 0, <unk> = 1, then the letters

    manual_seed(seed);
    CharClassifier model(vocab.size(), 2);
    optim::Adam adam(model.parameters(), optim::AdamOptions(0.01));
    fmt::print("{} train / {} test words, {} symbols\n{}\n", examples.size(), test.size(), vocab.size(), nn::to_string(model));
    for (std::int64_t epoch = 1; epoch <= epochs; ++epoch) {
      double total = 0;
      for (std::size_t begin = 0; begin < examples.size(); begin += 32) {
        const std::vector<Tensor> batch = make_batch(examples, begin, std::min(begin + 32, examples.size()), vocab);
        Tensor loss = nn::functional::cross_entropy(model.forward(batch[0], batch[1]), batch[2]);
        adam.zero_grad();
        loss.backward();
        adam.step();
        total += loss.item<double>() * static_cast<double>(batch[2].numel());
      }
      if (epoch % 10 == 0 || epoch == epochs)
        fmt::print("epoch {}/{}  loss {:.4f}  train accuracy {:.1f}%\n", epoch, epochs,
                   total / static_cast<double>(examples.size()), 100 * accuracy(model, examples, vocab));
    }
    fmt::print("test accuracy {:.1f}% (chance 50%)\n", 100 * accuracy(model, test, vocab));
    return 0;
  } catch (const std::exception& e) {
    fmt::print(stderr, "error: {}\n", e.what());
    return 1;
  }
}

int main(int argc, char** argv) {
  // Output lost on the way to stdout (a full disk, /dev/full) is an error, not exit 0.
  return apps::checked_exit_status("char_classifier", run_app(argc, argv));
}
