// The examples of docs/embedding.md, section by section, so the documentation compiles, runs
// and says what the code does. Keep the two in step when either changes.
#include <catch2/catch.hpp>

#include "../data/temp_dir.h"
#include "testing.h"

#include "autograd/grad_mode.h"
#include "autograd/ops.h"
#include "core/kernels.h"
#include "core/sparse.h"
#include "data/pretrained.h"
#include "nn/embedding.h"
#include "nn/embedding_bag.h"
#include "nn/init.h"
#include "nn/linear.h"
#include "nn/lstm.h"
#include "optim/adagrad.h"
#include "optim/sparse_adam.h"

using namespace ember;
using Catch::Contains;
namespace F = ember::nn::functional;

TEST_CASE("embedding docs: 1. basic use and 2. init", "[nn]") {
  auto embedding = std::make_shared<nn::Embedding>(nn::EmbeddingOptions(1000, 64));
  Tensor input_ids = tensor(std::vector<std::int64_t>{1, 2, 3, 4, 5, 6}, {2, 3});
  Tensor embedded = embedding->forward(input_ids);
  CHECK(shape_str(embedded.shape()) == "[2, 3, 64]");

  nn::init::normal_(embedding->weight, /*mean=*/0, /*std=*/0.01);
  CHECK(kernels::max(kernels::abs(embedding->weight)).item<double>() < 0.1);
}

TEST_CASE("embedding docs: 3. padding_idx, max_norm, scale_grad_by_freq", "[nn]") {
  auto padded = std::make_shared<nn::Embedding>(nn::EmbeddingOptions(1000, 64).padding_idx(0));
  Tensor input_ids = tensor(std::vector<std::int64_t>{1, 2, 0, 3, 0, 0}, {2, 3});
  Tensor embedded = padded->forward(input_ids);
  testing::require_equal(kernels::select(kernels::select(embedded, 0, 1), 0, 2), zeros({64}));
  sum(embedded).backward();
  testing::require_equal(kernels::select(padded->weight.grad(), 0, 0), zeros({64}));
  REQUIRE_THROWS_WITH(nn::Embedding(nn::EmbeddingOptions(1000, 64).padding_idx(1000)),
                      "Embedding: padding_idx 1000 is out of range; expected -1000 <= padding_idx < 1000 (padding_idx "
                      "must be within num_embeddings)");

  auto bounded = std::make_shared<nn::Embedding>(nn::EmbeddingOptions(1000, 64).max_norm(1.0));
  bounded->forward(tensor(std::vector<std::int64_t>{3, 3, 7}, {3}));
  CHECK(kernels::norm(kernels::select(bounded->weight, 0, 3)).item<double>() <= 1.0);
  CHECK(kernels::norm(kernels::select(bounded->weight, 0, 7)).item<double>() <= 1.0);

  auto embedding = std::make_shared<nn::Embedding>(
      nn::EmbeddingOptions(4, 2)._weight(full({4, 2}, 3.0)).max_norm(1.0));  // every row has norm 4.2
  Tensor x = ones({2, 1}).requires_grad_();
  Tensor projected = sum(matmul(embedding->weight, x));
  Tensor z = projected + sum(embedding->forward(tensor(std::vector<std::int64_t>{3}, {1})));
  REQUIRE_THROWS_WITH(z.backward(), Contains("matmul: one of the variables needed for gradient computation has been "
                                             "modified by an inplace operation: [float32 [4, 2]] is at version 1; "
                                             "expected version 0 instead. Hint:") &&
                                        Contains("Embedding max_norm") && Contains("clone() it"));

  auto scaled = std::make_shared<nn::Embedding>(nn::EmbeddingOptions(1000, 64).scale_grad_by_freq(true));
  sum(scaled->forward(tensor(std::vector<std::int64_t>{9, 9, 9, 4}, {4}))).backward();
  CHECK(scaled->weight.grad().to_vector<float>()[9 * 64] == 1.0f);  // mean of three 1s, not their sum
}

TEST_CASE("embedding docs: 3. sparse, and the empty gradient of an all-padding batch", "[nn]") {
  auto embedding = std::make_shared<nn::Embedding>(nn::EmbeddingOptions(100000, 64).padding_idx(0).sparse(true));
  optim::SparseAdam optimizer(embedding->parameters(), optim::SparseAdamOptions(1e-3));
  Tensor loss = sum(embedding->forward(tensor(std::vector<std::int64_t>{5, 0, 5, 42}, {2, 2})));
  loss.backward();
  SparseTensor g = embedding->weight.sparse_grad();
  CHECK(g.indices.to_vector<std::int64_t>() == std::vector<std::int64_t>{5, 5, 42});
  CHECK(g.values.shape() == Shape({3, 64}));
  const Tensor before = kernels::clone(embedding->weight);
  optimizer.step();
  CHECK(kernels::select(embedding->weight, 0, 5).to_vector<float>() !=
        kernels::select(before, 0, 5).to_vector<float>());
  testing::require_equal(kernels::select(embedding->weight, 0, 6), kernels::select(before, 0, 6));

  // Adagrad also takes the empty gradient of an all-padding batch.
  optim::Adagrad adagrad(embedding->parameters(), optim::AdagradOptions(0.1));
  embedding->zero_grad();
  embedding->forward(zeros({2, 2}, kInt64)).backward(ones({2, 2, 64}));
  REQUIRE(embedding->weight.sparse_grad().nnz() == 0);
  const Tensor unchanged = kernels::clone(embedding->weight);
  adagrad.step();
  testing::require_equal(embedding->weight, unchanged);
}

TEST_CASE("embedding docs: 3. _weight, dtype, device and 4. from_pretrained", "[nn]") {
  Tensor initial = randn({1000, 64});
  auto embedding = std::make_shared<nn::Embedding>(nn::EmbeddingOptions(1000, 64)._weight(initial));
  CHECK(embedding->weight.shares_storage(initial));
  auto doubles = std::make_shared<nn::Embedding>(nn::EmbeddingOptions(10, 4).dtype(kFloat64));
  CHECK(doubles->weight.dtype() == kFloat64);
  REQUIRE_THROWS_WITH(nn::Embedding(nn::EmbeddingOptions(1000, 64)._weight(randn({999, 64}))),
                      Contains("Embedding: _weight has shape [999, 64]; expected [num_embeddings, embedding_dim] = "
                               "[1000, 64]"));
  REQUIRE_THROWS_WITH(nn::Embedding(nn::EmbeddingOptions(10, 4).device("cuda")),
                      "Embedding: device \"cuda\" is not supported; expected \"cpu\" (ember runs on the CPU only)");

  Tensor pretrained_weight = rand({1000, 64});
  auto frozen = nn::Embedding::from_pretrained(pretrained_weight);
  auto tuned = nn::Embedding::from_pretrained(pretrained_weight,
                                              nn::EmbeddingFromPretrainedOptions().freeze(false).padding_idx(0));
  CHECK_FALSE(frozen->weight.requires_grad());
  CHECK(tuned->weight.requires_grad());
  CHECK(kernels::norm(kernels::select(tuned->weight, 0, 0)).item<double>() > 0);  // pad row not zeroed
}

TEST_CASE("embedding docs: 5. pretrained vectors and 6. the functional form", "[nn]") {
  testing::TempDir dir;
  const std::string path = dir.write("glove.6B.50d.txt", "the 0.1 0.2\nmovie 0.3 0.4\ngood 0.5 0.6\n");
  const std::vector<std::vector<std::string>> tokenized_sentences = {{"a", "good", "movie"}, {"the", "movie"}};
  data::Vocab vocab = data::Vocab::build(tokenized_sentences);
  auto vectors = data::load_glove(path, vocab);
  CHECK_THAT(vectors.report.summary(), Contains("3 vectors of dim 2 read, 3 rows filled, 3 missing") &&
                                           Contains("<pad> <unk> a"));
  auto embedding = nn::Embedding::from_pretrained(
      vectors.weight, nn::EmbeddingFromPretrainedOptions().freeze(false).padding_idx(vocab.pad_index()));
  testing::require_equal(embedding->forward(tensor(std::vector<std::int64_t>{vocab.stoi("good")}, {1})),
                         tensor(std::vector<double>{0.5, 0.6}, {1, 2}));
  REQUIRE_THROWS_WITH(data::load_glove(dir.write("glove.txt", "the 0.1 0.2 0.3\ncat 1 2\n")),
                      Contains("glove.txt:2: wrong number of fields: 2 numbers after the word; expected 3 (the "
                               "dimension of line 1); line: \"cat 1 2\""));

  Tensor weight = randn({1000, 64}).requires_grad_();
  Tensor out = F::embedding(tensor(std::vector<std::int64_t>{1, 2}, {2}), weight,
                            F::EmbeddingFuncOptions().padding_idx(0).max_norm(1.0));
  CHECK(out.shape() == Shape({2, 64}));
}

TEST_CASE("embedding docs: 7. index errors and clamp_indices", "[nn]") {
  nn::Embedding embedding(nn::EmbeddingOptions(5000, 8));
  Tensor ids = zeros({4, 20}, kInt64);
  kernels::select(kernels::select(ids, 0, 3), 0, 17).fill_(5003);
  REQUIRE_THROWS_WITH(embedding.forward(ids), "embedding: index 5003 at position [3, 17] is out of range [0, 5000)");

  Tensor bad = tensor(std::vector<std::int64_t>{-3, 0, 4, 5, 99}, {5});
  Tensor clamped = nn::clamp_indices(bad, 5);
  Tensor to_unk = nn::clamp_indices(bad, 5, /*replacement=*/1);
  CHECK(clamped.to_vector<std::int64_t>() == std::vector<std::int64_t>{0, 0, 4, 4, 4});
  CHECK(to_unk.to_vector<std::int64_t>() == std::vector<std::int64_t>{1, 0, 4, 1, 1});
}

TEST_CASE("embedding docs: 8. EmbeddingBag", "[nn]") {
  auto bag = std::make_shared<nn::EmbeddingBag>(nn::EmbeddingBagOptions(10, 3).mode(EmbeddingBagMode::kSum));
  Tensor input = tensor(std::vector<std::int64_t>{1, 2, 4, 5, 4, 3, 2, 9}, {8});
  Tensor offsets = tensor(std::vector<std::int64_t>{0, 4}, {2});
  Tensor out = bag->forward(input, offsets);
  Tensor fixed = bag->forward(tensor(std::vector<std::int64_t>{1, 2, 4, 5, 4, 3}, {2, 3}));
  CHECK(out.shape() == Shape({2, 3}));
  CHECK(fixed.shape() == Shape({2, 3}));
  const Tensor rows = kernels::index_select(bag->weight, 0, tensor(std::vector<std::int64_t>{1, 2, 4, 5}, {4}));
  testing::require_close(kernels::select(out, 0, 0), kernels::sum(rows, {0}), 1e-6, 1e-6);
}

TEST_CASE("embedding docs: 9. the seed's complete example", "[nn]") {
  const std::int64_t vocab_size = 1000, embedding_dim = 64, hidden_dim = 128, batch_size = 32, seq_len = 10;
  struct TextClassifier : nn::Module {
    TextClassifier(std::int64_t vocab_size, std::int64_t embedding_dim, std::int64_t hidden_dim, std::int64_t seq_len)
        : Module("TextClassifier"), seq_len(seq_len) {
      embedding = register_module("embedding", std::make_shared<nn::Embedding>(
                                                   nn::EmbeddingOptions(vocab_size, embedding_dim).padding_idx(0)));
      rnn = register_module("rnn", std::make_shared<nn::LSTM>(
                                       nn::LSTMOptions(embedding_dim, hidden_dim).batch_first(true)));
      fc = register_module("fc", std::make_shared<nn::Linear>(hidden_dim, 2));
    }
    Tensor forward(const Tensor& x) {
      Tensor embedded = embedding->forward(x);
      Tensor rnn_out = rnn->forward(embedded).output;
      Tensor last = select(rnn_out, 1, seq_len - 1);
      return fc->forward(last);
    }
    std::int64_t seq_len;
    std::shared_ptr<nn::Embedding> embedding;
    std::shared_ptr<nn::LSTM> rnn;
    std::shared_ptr<nn::Linear> fc;
  };
  TextClassifier model(vocab_size, embedding_dim, hidden_dim, seq_len);
  Tensor logits = model.forward(randint(0, vocab_size, {batch_size, seq_len}));
  CHECK(logits.shape() == Shape({32, 2}));
  CHECK(nn::to_string(model).find("(embedding): Embedding(1000, 64, padding_idx=0)") != std::string::npos);
}
