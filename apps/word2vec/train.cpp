// The word2vec training loop: sentences streamed from the corpus become batches of examples
// (contexts [N, C], targets [N, 1+K]) that kernels::negative_sampling_sgd_ applies in order, so a
// batch gives exactly the updates of word2vec's example-by-example loop.
#include "apps/word2vec/train.h"

#include "apps/common/cli.h"
#include "core/error.h"
#include "core/kernels_negative_sampling.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <mutex>
#include <thread>

namespace ember::apps::word2vec {
namespace {

constexpr std::uint32_t kNoiseScale = 0x7FFFFFFF;      // the noise table's total, 2^31 - 1 (gensim's)
constexpr std::size_t kMaxSentence = 10'000;          // gensim's cut for long lines
constexpr std::int64_t kBatchRows = 4096;              // examples per kernel call
constexpr std::int64_t kWordsPerRefresh = 10'000;      // how often the shared count and lr are refreshed

// word2vec's linear congruential generator: cheap, and the same stream for the same seed.
struct Lcg {
  std::uint64_t state;
  std::uint64_t next() { return state = state * 25214903917ULL + 11; }
  double uniform() { return static_cast<double>((next() >> 16) & 0xFFFF) / 65536.0; }  // [0, 1)
};

// P_n(w) proportional to count(w)^0.75, as a cumulative table (gensim's cum_table): a draw
// x in [0, total) picks the first word whose running sum exceeds x. V entries, so it stays in
// cache, where word2vec's 10^8-entry table costs a cache miss per noise word.
std::vector<std::uint32_t> noise_table(const Vocabulary& vocab) {
  double total = 0;
  for (std::int64_t c : vocab.counts) total += std::pow(static_cast<double>(c), 0.75);
  std::vector<std::uint32_t> cumulative(vocab.counts.size());
  double running = 0;
  for (std::size_t w = 0; w < cumulative.size(); ++w) {
    running += std::pow(static_cast<double>(vocab.counts[w]), 0.75);
    cumulative[w] = static_cast<std::uint32_t>(std::llround(running / total * kNoiseScale));
  }
  cumulative.back() = kNoiseScale;
  return cumulative;
}

// Probability of keeping one occurrence: (sqrt(c / (s N)) + 1) (s N) / c, capped at 1, as in the
// C tool and gensim (the paper's 1 - sqrt(t / f) is close but not what they run).
std::vector<double> keep_probabilities(const Vocabulary& vocab, double sample) {
  std::vector<double> keep(vocab.counts.size(), 1.0);
  if (sample <= 0) return keep;
  const double threshold = sample * static_cast<double>(vocab.train_words);
  for (std::size_t w = 0; w < keep.size(); ++w) {
    const double c = static_cast<double>(vocab.counts[w]);
    keep[w] = std::min(1.0, (std::sqrt(c / threshold) + 1) * threshold / c);
  }
  return keep;
}

// What the threads share: read-only tables and the weights they race on.
struct Shared {
  const Vocabulary& vocab;
  const TrainOptions& options;
  std::vector<std::uint32_t> noise;  // cumulative
  std::vector<double> keep;
  Tensor input, output;
  std::atomic<std::int64_t> words_done{0};
  std::atomic<std::int64_t> effective_words{0};
  std::int64_t total_words = 0;  // epochs * train_words: the denominator of the lr schedule
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
};

class Worker {
 public:
  Worker(Shared& shared, int id, std::int64_t begin, std::int64_t end)
      : s_(shared), id_(id), begin_(begin), end_(end), rng_{shared.options.seed * 1000003ULL + std::uint64_t(id)},
        C_(shared.options.model == Model::kSkipGram ? 1 : 2 * shared.options.window),
        contexts_(empty({kBatchRows, C_}, kInt64)), targets_(empty({kBatchRows, 1 + shared.options.negative}, kInt64)) {}

  void run(const std::string& corpus, ProgressBar* bar);
  double last_epoch_loss() const { return epoch_targets_ > 0 ? epoch_loss_ / double(epoch_targets_) : 0.0; }

 private:
  void refresh(ProgressBar* bar);
  void add_sentence();
  void add_example(std::int32_t target);
  void flush();

  Shared& s_;
  int id_;
  std::int64_t begin_, end_;
  Lcg rng_;
  std::int64_t C_;
  Tensor contexts_, targets_;
  std::int64_t rows_ = 0;
  std::vector<std::int32_t> sentence_;
  std::int64_t unreported_words_ = 0, effective_ = 0;
  double lr_ = 0;
  double epoch_loss_ = 0;
  std::int64_t epoch_targets_ = 0;
  double report_loss_ = 0;
  std::int64_t report_targets_ = 0;
  std::chrono::steady_clock::time_point last_report_{};
};

void Worker::run(const std::string& corpus, ProgressBar* bar) {
  lr_ = s_.options.lr;
  std::string word;
  for (std::int64_t epoch = 0; epoch < s_.options.epochs; ++epoch) {
    epoch_loss_ = 0;
    epoch_targets_ = 0;
    TokenStream stream(corpus, begin_, end_);
    for (TokenStream::Next n; (n = stream.next(word)) != TokenStream::Next::kEndOfRange;) {
      if (n == TokenStream::Next::kEndOfLine) {
        add_sentence();
        continue;
      }
      const std::int32_t id = s_.vocab.find(word);
      if (id < 0) continue;  // out of vocabulary: removed before windows are formed
      if (++unreported_words_ >= kWordsPerRefresh) refresh(bar);
      if (s_.keep[static_cast<std::size_t>(id)] < 1.0 && s_.keep[static_cast<std::size_t>(id)] < rng_.uniform())
        continue;  // subsampled away, also before windowing
      sentence_.push_back(id);
      if (sentence_.size() == kMaxSentence) add_sentence();
    }
    add_sentence();
    flush();
  }
  s_.words_done += unreported_words_;
  s_.effective_words += effective_;
  unreported_words_ = 0;
}

// Publishes this thread's word count and takes the new learning rate from the shared one, so
// every thread follows one linear schedule; thread 0 also draws the progress bar.
void Worker::refresh(ProgressBar* bar) {
  const std::int64_t done = s_.words_done += unreported_words_;
  unreported_words_ = 0;
  const double progress = static_cast<double>(done) / static_cast<double>(s_.total_words + 1);
  lr_ = s_.options.lr * std::max(1.0 - progress, 1e-4);
  if (bar == nullptr) return;
  const auto now = std::chrono::steady_clock::now();
  if (now - last_report_ < std::chrono::milliseconds(200)) return;
  last_report_ = now;
  const double seconds = std::chrono::duration<double>(now - s_.start).count();
  const double rate = static_cast<double>(done) / std::max(seconds, 1e-9);
  const auto eta = static_cast<std::int64_t>(static_cast<double>(s_.total_words - done) / std::max(rate, 1.0));
  bar->update(done, fmt::format("lr {:.5f} loss {:.4f} {:.0f} words/s ETA {}:{:02}", lr_,
                                report_targets_ ? report_loss_ / double(report_targets_) : 0.0, rate,
                                std::max<std::int64_t>(eta, 0) / 60, std::max<std::int64_t>(eta, 0) % 60));
  report_loss_ = 0;
  report_targets_ = 0;
}

void Worker::add_sentence() {
  const auto n = static_cast<std::int64_t>(sentence_.size());
  const std::int64_t window = s_.options.window;
  std::int64_t* ctx = contexts_.data_ptr<std::int64_t>();
  effective_ += n;
  for (std::int64_t i = 0; i < n; ++i) {
    // Dynamic window: a half-width in [1, window], so near words count more than far ones.
    const std::int64_t reduced = window - static_cast<std::int64_t>((rng_.next() >> 16) % std::uint64_t(window));
    const std::int64_t first = std::max<std::int64_t>(0, i - reduced), last = std::min(n - 1, i + reduced);
    if (s_.options.model == Model::kSkipGram) {
      // As the C tool and gensim: each context word's input vector predicts the centre word.
      for (std::int64_t j = first; j <= last; ++j) {
        if (j == i) continue;
        ctx[rows_] = sentence_[static_cast<std::size_t>(j)];
        add_example(sentence_[static_cast<std::size_t>(i)]);
      }
    } else {
      std::int64_t* row = ctx + rows_ * C_;
      std::int64_t used = 0;
      for (std::int64_t j = first; j <= last; ++j)
        if (j != i) row[used++] = sentence_[static_cast<std::size_t>(j)];
      if (used == 0) continue;  // a one-word sentence: nothing to predict from
      std::fill(row + used, row + C_, -1);
      add_example(sentence_[static_cast<std::size_t>(i)]);
    }
  }
  sentence_.clear();
}

// The contexts of row rows_ are written; fills its targets (the word, then the noise words).
void Worker::add_example(std::int32_t target) {
  const std::int64_t K = s_.options.negative;
  std::int64_t* tgt = targets_.data_ptr<std::int64_t>() + rows_ * (1 + K);
  tgt[0] = target;
  for (std::int64_t k = 1; k <= K; ++k) {
    std::int32_t noise = target;
    // A draw of the word itself is drawn again (fastText's rule; the C tool drops it), at most 10 times.
    for (int tries = 0; noise == target && tries < 10; ++tries) {
      const auto x = static_cast<std::uint32_t>((rng_.next() >> 16) % kNoiseScale);
      noise = static_cast<std::int32_t>(std::upper_bound(s_.noise.begin(), s_.noise.end(), x) - s_.noise.begin());
    }
    tgt[k] = noise;
  }
  if (++rows_ == kBatchRows) flush();
}

void Worker::flush() {
  if (rows_ == 0) return;
  const double loss = kernels::negative_sampling_sgd_(s_.input, s_.output, contexts_, targets_, rows_, lr_);
  const std::int64_t scored = rows_ * (1 + s_.options.negative);
  epoch_loss_ += loss;
  epoch_targets_ += scored;
  report_loss_ += loss;
  report_targets_ += scored;
  rows_ = 0;
}

}  // namespace

TrainResult train(const std::string& corpus, const Vocabulary& vocab, const TrainOptions& options) {
  const std::int64_t V = vocab.size(), D = options.dim;
  Shared shared{vocab, options, noise_table(vocab), keep_probabilities(vocab, options.sample),
                empty({V, D}, kFloat32), zeros({V, D}, kFloat32)};
  shared.total_words = options.epochs * vocab.train_words;
  // Input vectors U[-0.5/D, 0.5/D) (the C tool's init), output vectors zero.
  Lcg init{options.seed};
  float* u = shared.input.data_ptr<float>();
  for (std::int64_t i = 0; i < V * D; ++i) u[i] = static_cast<float>((init.uniform() - 0.5) / double(D));

  const std::int64_t size = file_size(corpus);
  std::vector<std::unique_ptr<Worker>> workers;
  for (std::int64_t t = 0; t < options.threads; ++t)
    workers.push_back(std::make_unique<Worker>(shared, static_cast<int>(t), size * t / options.threads,
                                               size * (t + 1) / options.threads));
  ProgressBar bar("train", shared.total_words);
  ProgressBar* progress = options.progress ? &bar : nullptr;
  if (options.threads == 1) {
    workers[0]->run(corpus, progress);
  } else {
    std::vector<std::thread> threads;
    std::exception_ptr failure;
    std::mutex failure_mutex;
    for (std::int64_t t = 0; t < options.threads; ++t)
      threads.emplace_back([&, t] {
        try {
          workers[static_cast<std::size_t>(t)]->run(corpus, t == 0 ? progress : nullptr);
        } catch (...) {
          std::lock_guard<std::mutex> lock(failure_mutex);
          if (!failure) failure = std::current_exception();
        }
      });
    for (std::thread& thread : threads) thread.join();
    if (failure) std::rethrow_exception(failure);
  }
  shared.input.bump_version();
  shared.output.bump_version();
  TrainResult result{shared.input, shared.output, shared.words_done.load(), shared.effective_words.load()};
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - shared.start).count();
  result.final_loss = workers[0]->last_epoch_loss();
  if (progress)
    bar.finish(fmt::format("loss {:.4f} {:.0f} words/s", result.final_loss,
                           static_cast<double>(result.words) / std::max(result.seconds, 1e-9)));
  return result;
}

}  // namespace ember::apps::word2vec
