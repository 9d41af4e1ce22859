// Benchmark workloads 1-3 (docs/performance.md): the seed's TextClassifier (Embedding -> LSTM(batch_first) ->
// last step -> Linear) at two sizes. A training step is zero_grad + forward + cross_entropy +
// backward + Adam step; inference is a no_grad forward in eval mode. Twin: text_classifier_step.py.
//   bench_text_classifier_step --threads 1 [--only small_train,medium_infer] [--repeats 2]
#include "bench/harness.h"

#include "autograd/grad_mode.h"
#include "autograd/ops.h"
#include "nn/embedding.h"
#include "nn/functional.h"
#include "nn/linear.h"
#include "nn/lstm.h"
#include "optim/adam.h"

using namespace ember;

namespace {

struct Size {
  const char* name;
  std::int64_t vocab, embedding, hidden, batch, seq, classes;
  int train_repeats, infer_repeats;
};

constexpr Size kSmall{"small", 1000, 64, 128, 32, 10, 2, 300, 600};
constexpr Size kMedium{"medium", 20000, 128, 256, 64, 50, 2, 20, 40};
constexpr int kBatches = 4;  // distinct batches, used in turn

// The seed's model, written out as in its PyTorch source.
struct TextClassifier {
  std::shared_ptr<nn::Embedding> embedding;
  std::shared_ptr<nn::LSTM> rnn;
  std::shared_ptr<nn::Linear> fc;

  explicit TextClassifier(const Size& s)
      : embedding(std::make_shared<nn::Embedding>(nn::EmbeddingOptions(s.vocab, s.embedding).padding_idx(0))),
        rnn(std::make_shared<nn::LSTM>(nn::LSTMOptions(s.embedding, s.hidden).batch_first(true))),
        fc(std::make_shared<nn::Linear>(nn::LinearOptions(s.hidden, s.classes))) {}

  Tensor forward(const Tensor& tokens) {
    Tensor out = rnn->forward(embedding->forward(tokens)).output;  // [B, T, H]
    return fc->forward(select(out, 1, -1));                         // rnn_out[:, -1, :]
  }
  std::vector<Tensor> parameters() const {
    std::vector<Tensor> params = embedding->parameters();
    for (const auto& module : std::initializer_list<nn::Module*>{rnn.get(), fc.get()})
      for (const Tensor& p : module->parameters()) params.push_back(p);
    return params;
  }
  void eval() {
    embedding->eval();
    rnn->eval();
    fc->eval();
  }
};

// The products of one forward (and, when training, one backward) of the model, as ember and
// PyTorch both compute them: the input projection of all steps at once, one recurrent product per
// step, and the classifier; backward mirrors each of them.
std::vector<bench::Gemm> model_gemms(const Size& s, bool train) {
  const std::int64_t TB = s.seq * s.batch, G = 4 * s.hidden;
  std::vector<bench::Gemm> gemms = {
      {TB, s.embedding, G, false, true, 1},     // gates = X W_ih^T
      {s.batch, s.hidden, G, false, true, s.seq},  // gates_t += h_{t-1} W_hh^T
      {s.batch, s.hidden, s.classes, false, true, 1},  // logits = h W_fc^T
  };
  if (train) {
    gemms.push_back({s.batch, s.classes, s.hidden, false, false, 1});  // dh_T = dlogits W_fc
    gemms.push_back({s.classes, s.batch, s.hidden, true, false, 1});   // dW_fc = dlogits^T h
    gemms.push_back({s.batch, G, s.hidden, false, false, s.seq - 1});  // dh_{t-1} = dgates_t W_hh
    gemms.push_back({TB, G, s.embedding, false, false, 1});            // dX = dgates W_ih
    gemms.push_back({G, TB, s.embedding, true, false, 1});             // dW_ih = dgates^T X
    gemms.push_back({G, TB, s.hidden, true, false, 1});                // dW_hh = dgates^T H
  }
  return gemms;
}

void run(const Size& s, bool train, const bench::Args& args) {
  manual_seed(0);
  TextClassifier model(s);
  optim::Adam adam(model.parameters(), optim::AdamOptions(1e-3));
  std::vector<Tensor> tokens, labels;
  for (int i = 0; i < kBatches; ++i) {
    tokens.push_back(bench::lcg_indices({s.batch, s.seq}, 1, s.vocab, 10 + i));
    labels.push_back(bench::lcg_indices({s.batch}, 0, s.classes, 20 + i));
  }
  int next = 0;
  bench::Timing t;
  if (train) {
    t = bench::measure(
        [&] {
          const int i = next++ % kBatches;
          adam.zero_grad();
          Tensor loss = nn::functional::cross_entropy(model.forward(tokens[i]), labels[i]);
          loss.backward();
          adam.step();
        },
        5, args.repeats(s.train_repeats));
  } else {
    model.eval();
    NoGradGuard no_grad;
    t = bench::measure([&] { model.forward(tokens[next++ % kBatches]); }, 5, args.repeats(s.infer_repeats));
  }
  const auto gemms = model_gemms(s, train);
  const bench::Bound bound = bench::gemm_lower_bound(gemms);
  bench::report("text_classifier_step", fmt::format("{}_{}", s.name, train ? "train" : "infer"), args.threads, t,
                fmt::format("\"bound_ms\": {:.6f}, \"bound_cpu_ms\": {:.6f}, \"bound\": \"flop\", \"gflop\": {:.4f}",
                            bound.wall_ms, bound.cpu_ms, bench::gemm_flops(gemms) / 1e9));
}

}  // namespace

int main(int argc, char** argv) {
  const bench::Args args(argc, argv);
  set_num_threads(args.threads);
  for (const Size& s : {kSmall, kMedium})
    for (bool train : {true, false})
      if (args.wants(fmt::format("{}_{}", s.name, train ? "train" : "infer"))) run(s, train, args);
  return 0;
}
