// `transe train` (see train.h): margin ranking loss between each true triple and corrupted
// copies of it, Adam, and filtered MRR / mean rank / Hits@k.
#include "apps/transe/train.h"

#include "apps/common/checkpoint.h"
#include "apps/transe/evaluate.h"
#include "apps/transe/graph.h"
#include "apps/transe/model.h"

#include "autograd/ops.h"
#include "core/error.h"
#include "data/dataloader.h"
#include "nn/functional.h"
#include "optim/adam.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <chrono>

namespace ember::apps::transe {
namespace {

namespace F = nn::functional;

KnowledgeGraph load_graph(const CommandLine& cli, std::uint64_t seed) {
  if (!cli.given("train")) {
    EMBER_CHECK(!cli.given("valid") && !cli.given("test"), ValueError,
                "transe: --valid/--test need --train (without it the built-in synthetic graph is used)");
    return synthetic_graph(cli.integer("synthetic-side", 3, 10000), seed);
  }
  EMBER_CHECK(cli.given("test"), ValueError, "transe: --train needs --test FILE as well (and optionally --valid FILE)");
  KnowledgeGraph g;
  g.train = read_triples(cli.str("train"), g);
  const std::int64_t trained_entities = g.entities.size();
  if (cli.given("valid")) g.valid = read_triples(cli.str("valid"), g);
  g.test = read_triples(cli.str("test"), g);
  g.description = fmt::format("{} (train), {} (test)", cli.str("train"), cli.str("test"));
  if (g.entities.size() > trained_entities)
    g.description += fmt::format("; note: {} entities occur only in the valid/test files and keep their random "
                                 "initial embedding", g.entities.size() - trained_entities);
  return g;
}

std::string format_metrics(const RankingMetrics& m) {
  return fmt::format("MRR {:.4f}  MR {:.1f}  Hits@1 {:.4f}  Hits@3 {:.4f}  Hits@10 {:.4f}", m.mrr, m.mean_rank,
                     m.hits_at_1, m.hits_at_3, m.hits_at_10);
}

// `k` corrupted copies of a batch of B triples: each copy replaces, uniformly at random, either
// the head or the tail by an entity drawn uniformly from all entities. Returns [(1 + k) B]
// columns: the B true triples first, then copy 1, copy 2, ...
std::vector<Tensor> with_negatives(const Tensor& heads, const Tensor& relations, const Tensor& tails, std::int64_t k,
                                   std::int64_t num_entities, Generator& gen) {
  const std::int64_t B = heads.numel();
  std::vector<std::int64_t> h = heads.to_vector<std::int64_t>(), r = relations.to_vector<std::int64_t>(),
                            t = tails.to_vector<std::int64_t>();
  h.reserve(static_cast<std::size_t>((1 + k) * B));
  r.reserve(h.capacity());
  t.reserve(h.capacity());
  for (std::int64_t copy = 0; copy < k; ++copy)
    for (std::int64_t i = 0; i < B; ++i) {
      const auto random_entity = static_cast<std::int64_t>(gen.next_u64() % static_cast<std::uint64_t>(num_entities));
      const bool corrupt_head = gen.next_u64() & 1;
      h.push_back(corrupt_head ? random_entity : h[i]);
      r.push_back(r[i]);
      t.push_back(corrupt_head ? t[i] : random_entity);
    }
  const Shape shape{(1 + k) * B};
  return {tensor(h, shape), tensor(r, shape), tensor(t, shape)};
}

Tensor column(const std::vector<Triple>& triples, std::int64_t Triple::*field) {
  std::vector<std::int64_t> values;
  for (const Triple& t : triples) values.push_back(t.*field);
  return tensor(values, {static_cast<std::int64_t>(values.size())});
}

// The checkpoint folder (apps/common/checkpoint.h): model.safetensors (the TransE state_dict),
// names.json (entity and relation names in index order, and the norm), then checksums.json.
void save_checkpoint(const std::string& dir, TransE& model, const KnowledgeGraph& g) {
  write_checkpoint(dir, [&](const std::string& staging) {
    model.save(staging + "/model.safetensors");
    nlohmann::json names{{"format", "ember.transe.names"}, {"version", 1}, {"norm", model.config().p}};
    for (std::int64_t e = 0; e < g.entities.size(); ++e) names["entities"].push_back(g.entities.name(e));
    for (std::int64_t r = 0; r < g.relations.size(); ++r) names["relations"].push_back(g.relations.name(r));
    write_file_atomic(staging + "/names.json", names.dump() + "\n");
  });
}

}  // namespace

int run_train(const CommandLine& cli) {
  const auto seed = static_cast<std::uint64_t>(cli.integer("seed", 0, INT64_MAX));
  if (const auto threads = cli.integer("threads", 0, 1024); threads > 0) set_num_threads(static_cast<int>(threads));
  const std::int64_t epochs = cli.integer("epochs", 1, 1'000'000);
  const std::int64_t batch_size = cli.integer("batch-size", 1, 1 << 24);
  const std::int64_t negatives = cli.integer("negatives", 1, 1000);
  const std::int64_t eval_every = cli.integer("eval-every", 0, 1'000'000);
  const double lr = cli.number("lr", 1e-12, 10.0);
  const double margin = cli.number("margin", 0.0, 1e6);
  TransEConfig config;
  config.dim = cli.integer("dim", 1, 100000);
  config.p = static_cast<int>(cli.integer("norm", 1, 2));

  std::unique_ptr<CheckpointClaim> claim;  // checked and locked before anything is read or trained
  if (cli.given("checkpoint")) {
    CheckpointUse use{"transe", {}, {}};
    for (const char* name : {"train", "valid", "test", "config"})
      if (cli.given(name)) use.inputs.emplace_back("--" + std::string(name), cli.str(name));
    claim = claim_checkpoint(cli.str("checkpoint"), use);
  }

  const KnowledgeGraph g = load_graph(cli, seed);
  config.num_entities = g.entities.size();
  config.num_relations = g.relations.size();
  fmt::print("data: {}\n", g.description);
  fmt::print("graph: {} entities, {} relations; {} train, {} valid, {} test triples\n", g.entities.size(),
             g.relations.size(), g.train.size(), g.valid.size(), g.test.size());

  manual_seed(seed);
  TransE model(config);
  optim::Adam adam(model.parameters(), optim::AdamOptions(lr));
  fmt::print("model: TransE dim {}, L{} distance, margin {:g}, {} negative(s) per triple, Adam lr {:g}\n", config.dim,
             config.p, margin, negatives, lr);
  const TripleFilter filter(config.num_relations, {&g.train, &g.valid, &g.test});

  auto dataset = std::make_shared<data::TensorDataset>(std::vector<Tensor>{
      column(g.train, &Triple::head), column(g.train, &Triple::relation), column(g.train, &Triple::tail)});
  data::DataLoader loader(dataset, data::DataLoaderOptions().batch_size(batch_size).shuffle(true).seed(seed),
                          data::stack_collate);
  Generator corruption(seed + 1);
  const auto start = std::chrono::steady_clock::now();
  for (std::int64_t epoch = 1; epoch <= epochs; ++epoch) {
    double loss_sum = 0;
    std::int64_t batches = 0;
    for (std::vector<Tensor>& batch : loader) {
      const std::int64_t B = batch[0].numel();
      const std::vector<Tensor> all = with_negatives(batch[0], batch[1], batch[2], negatives, config.num_entities,
                                                     corruption);
      Tensor d = model.forward(all[0], all[1], all[2]);                        // [(1 + k) B]
      Tensor positive = expand(unsqueeze(narrow(d, 0, 0, B), 0), {negatives, B});  // [k, B]
      Tensor negative = reshape(narrow(d, 0, B, negatives * B), {negatives, B});   // [k, B]
      // max(0, d(pos) - d(neg) + margin): target 1 asks for negative > positive.
      Tensor loss = F::margin_ranking_loss(negative, positive, ones({negatives, B}),
                                           F::MarginRankingLossFuncOptions().margin(margin));
      adam.zero_grad();
      loss.backward();
      adam.step();
      loss_sum += loss.item<double>();
      ++batches;
    }
    const bool report = epoch == 1 || epoch == epochs || (eval_every > 0 && epoch % eval_every == 0);
    if (!report) continue;
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::string line = fmt::format("epoch {}/{}  loss {:.4f}  {:.1f}s", epoch, epochs,
                                   loss_sum / static_cast<double>(batches), seconds);
    if (eval_every > 0 && !g.valid.empty() && epoch % eval_every == 0)
      line += "  valid " + format_metrics(evaluate(model, g.valid, filter));
    fmt::print("{}\n", line);
  }

  const RankingMetrics test = evaluate(model, g.test, filter);
  fmt::print("test (filtered, {} ranks): {}\n", test.ranks, format_metrics(test));
  fmt::print("random ranking: MRR {:.4f}  MR {:.1f}\n", random_mrr(config.num_entities),
             (static_cast<double>(config.num_entities) + 1) / 2);
  if (claim) {
    save_checkpoint(claim->dir(), model, g);
    fmt::print("checkpoint saved to {}\n", cli.str("checkpoint"));
  }
  return 0;
}

}  // namespace ember::apps::transe
