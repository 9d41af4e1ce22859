// Tests of the transe app: the filtered ranking on hand-placed embeddings (evaluate.cpp is
// compiled into test_apps), and end-to-end runs on the built-in graph, on written files, and
// with bad input.
#include "app_process.h"

#include "apps/common/checkpoint.h"

#include "apps/transe/evaluate.h"
#include "autograd/grad_mode.h"
#include "autograd/ops.h"
#include "core/safetensors.h"

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <filesystem>

using Catch::Contains;
using Catch::WithinAbs;
namespace app = ember::testing::app_process;
namespace transe = ember::apps::transe;
using ember::Tensor;

namespace {

// Four entities on a line at 0, 0.25, 0.5, 0.75 (exact in float, so ties are exact) and one
// relation, a shift of +0.25: (e_k, r, e_k+1) is a perfect translation.
std::shared_ptr<transe::TransE> line_model(int p, double spread = 0.25) {
  auto model = std::make_shared<transe::TransE>(transe::TransEConfig{4, 1, 1, p});
  ember::NoGradGuard no_grad;
  model->entity_embedding->weight.copy_(ember::tensor(std::vector<double>{0.0, spread, 2 * spread, 3 * spread}, {4, 1}));
  model->relation_embedding->weight.copy_(ember::tensor(std::vector<double>{0.25}, {1, 1}));
  return model;
}

}  // namespace

TEST_CASE("transe: a perfect translation ranks first in both directions", "[apps]") {
  for (int p : {1, 2}) {
    auto model = line_model(p);
    const std::vector<transe::Triple> test = {{0, 0, 1}, {2, 0, 3}};
    const transe::TripleFilter filter(1, {&test});
    const transe::RankingMetrics m = transe::evaluate(*model, test, filter);
    CHECK(m.ranks == 4);
    CHECK(m.mrr == 1.0);
    CHECK(m.mean_rank == 1.0);
    CHECK(m.hits_at_1 == 1.0);
  }
}

TEST_CASE("transe: known true triples are filtered out of the ranking and ties count half", "[apps]") {
  auto model = line_model(1);
  // (e0, r, ?) for target e2: e1 is closer (distance 0) but (e0, r, e1) is a known triple, so it
  // is filtered; e0 itself ties with e2 at 0.25: rank 1 + 0.5. (?, r, e2) for target e0: e1 is
  // closer and not filtered, e2 ties: rank 2 + 0.5.
  const std::vector<transe::Triple> train = {{0, 0, 1}}, test = {{0, 0, 2}};
  const transe::RankingMetrics filtered = transe::evaluate(*model, test, transe::TripleFilter(1, {&train, &test}));
  CHECK_THAT(filtered.mean_rank, WithinAbs(2.0, 1e-12));
  CHECK_THAT(filtered.mrr, WithinAbs((1 / 1.5 + 1 / 2.5) / 2, 1e-12));
  CHECK(filtered.hits_at_1 == 0.0);
  CHECK(filtered.hits_at_3 == 1.0);
  // Without the training triple in the filter, e1 competes for the tail too: rank 2.5.
  const transe::RankingMetrics raw = transe::evaluate(*model, test, transe::TripleFilter(1, {&test}));
  CHECK_THAT(raw.mean_rank, WithinAbs(2.5, 1e-12));
}

TEST_CASE("transe: a model that puts every entity in one place ranks like chance, not perfectly", "[apps]") {
  auto model = line_model(2, /*spread=*/0.0);
  const std::vector<transe::Triple> test = {{0, 0, 1}};
  const transe::RankingMetrics m = transe::evaluate(*model, test, transe::TripleFilter(1, {&test}));
  CHECK(m.mean_rank == 2.5);  // 1 + 3 ties / 2, the middle of 4 candidates
  CHECK(m.hits_at_1 == 0.0);
  CHECK_THAT(transe::random_mrr(4), WithinAbs((1 + 1 / 2. + 1 / 3. + 1 / 4.) / 4, 1e-12));
}

TEST_CASE("transe: evaluation sees the entities with max_norm applied", "[apps]") {
  auto model = line_model(1);
  {
    ember::NoGradGuard no_grad;
    model->entity_embedding->weight.copy_(ember::tensor(std::vector<double>{0.0, 0.125, 0.5, 3.0}, {4, 1}));
    model->relation_embedding->weight.fill_(0.5);
  }
  // Entity 3 at 3.0 is rescaled to norm 1 (scale max_norm / (norm + 1e-7), as PyTorch). Then for
  // (e1, r, e3) the tail query 0.625 has e2 closer than e3 (rank 2), and the head query
  // e3 - r = 0.5 has e2 closer than e1 (rank 2). Left at 3.0, e3 would rank 4 and e1 3.
  const std::vector<transe::Triple> test = {{1, 0, 3}};
  const transe::RankingMetrics m = transe::evaluate(*model, test, transe::TripleFilter(1, {&test}));
  CHECK_THAT(model->entity_embedding->weight.to_vector<float>()[3], WithinAbs(1.0, 1e-6));
  CHECK(m.mean_rank == 2.0);
}

TEST_CASE("transe learns the built-in graph far above a random ranking", "[apps]") {
  const app::Result r = app::run("transe", {"train", "--synthetic-side", "12", "--epochs", "40", "--eval-every", "20"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.err.empty());
  CHECK_THAT(r.out, Contains("graph: 144 entities, 8 relations"));
  CHECK_THAT(r.out, Contains("epoch 20/40") && Contains("epoch 40/40") && Contains("valid MRR "));
  const std::size_t at = r.out.find("test (filtered");
  REQUIRE(at != std::string::npos);
  const std::string test_line = r.out.substr(at, r.out.find('\n', at) - at);
  const double mrr = app::number_after(test_line, "MRR "), hits10 = app::number_after(test_line, "Hits@10 ");
  const double random = app::number_after(r.out, "random ranking: MRR ");
  CHECK_THAT(test_line, Contains("MR ") && Contains("Hits@1 ") && Contains("Hits@3 "));
  CHECK_THAT(random, WithinAbs(transe::random_mrr(144), 1e-4));
  // Measured: MRR 0.54 and Hits@10 0.86 against a random MRR of 0.04.
  CHECK(mrr > 8 * random);
  CHECK(hits10 > 0.6);
}

TEST_CASE("transe trains on written files with L2 distance and saves a checkpoint", "[apps]") {
  app::Scratch dir;
  // A 10 x 10 grid of places with four named directions; one triple in ten is held out for
  // test and one for validation.
  const std::vector<std::tuple<std::string, int, int>> relations = {
      {"east_of", 1, 0}, {"north_of", 0, 1}, {"northeast_of", 1, 1}, {"southeast_of", 1, -1}};
  std::string train, valid, test;
  int n = 0;
  for (int x = 0; x < 10; ++x)
    for (int y = 0; y < 10; ++y)
      for (const auto& [name, dx, dy] : relations) {
        if (x + dx < 0 || x + dx >= 10 || y + dy < 0 || y + dy >= 10) continue;
        const std::string line = fmt::format("place_{}_{}\t{}\tplace_{}_{}\n", x, y, name, x + dx, y + dy);
        const int bucket = (n++ * 7) % 10;
        (bucket == 0 ? test : bucket == 1 ? valid : train) += line;
      }
  const std::string checkpoint = dir.path("ck");
  const app::Result r = app::run("transe", {"train", "--train", dir.write("train.tsv", train), "--valid",
                                            dir.write("valid.tsv", valid), "--test", dir.write("test.tsv", test),
                                            "--norm", "2", "--margin", "2", "--epochs", "150", "--eval-every", "50",
                                            "--checkpoint", checkpoint});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Contains("graph: 100 entities, 4 relations"));
  CHECK_THAT(r.out, Contains("L2 distance"));
  // Measured: MRR 0.34 and Hits@10 0.94 against a random MRR of 0.05.
  CHECK(app::number_after(r.out, "test (filtered, 70 ranks): MRR ") > 4 * transe::random_mrr(100));
  CHECK(app::number_after(r.out, "Hits@10 ") > 0.5);

  const ember::SafetensorsFile model = ember::load_safetensors(checkpoint + "/model.safetensors");
  REQUIRE(model.tensors.size() == 2);
  for (const auto& [name, weight] : model.tensors) {
    if (name == "relation_embedding.weight") CHECK(weight.shape() == ember::Shape{4, 20});
    if (name != "entity_embedding.weight") continue;
    CHECK(weight.shape() == ember::Shape{100, 20});
    // max_norm = 1: every entity row has norm <= 1 (evaluation looked them all up).
    const std::vector<float> norms = ember::norm(weight, 2.0, {1}).to_vector<float>();
    CHECK(*std::max_element(norms.begin(), norms.end()) <= 1.0f + 1e-5f);
  }
  CHECK_THAT(app::read_text(checkpoint + "/names.json"), Contains("\"place_0_0\"") && Contains("\"southeast_of\""));
  // Written as a crash-safe folder (apps/common/checkpoint.h): sealed, and nothing left beside it.
  CHECK(ember::apps::checkpoint_to_read(checkpoint) == checkpoint);  // verifies every file
  CHECK(!std::filesystem::exists(checkpoint + ".staging"));
  CHECK(!std::filesystem::exists(checkpoint + ".old"));
}

TEST_CASE("transe reports bad input with one clear message and a non-zero exit", "[apps]") {
  app::Scratch dir;
  auto fails_with = [](const std::vector<std::string>& args, const std::string& message) {
    const app::Result r = app::run("transe", args);
    INFO(r.out << r.err);
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.err, Contains(message));
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  };
  const std::string good = dir.write("good.tsv", "a\tr\tb\n");
  fails_with({"train", "--train", dir.path("missing.tsv"), "--test", good}, "cannot open " + dir.path("missing.tsv"));
  const std::string bad = dir.write("bad.tsv", "a\tr\tb\n\nb\tr c\n");
  fails_with({"train", "--train", bad, "--test", good},
             bad + ":3: expected head<TAB>relation<TAB>tail, got 2 fields in \"b\\tr c\"");
  fails_with({"train", "--train", good, "--test", dir.write("empty.tsv", "")}, "no triples found");
  fails_with({"train", "--train", good}, "--train needs --test FILE");
  fails_with({"train", "--norm", "3"}, "--norm is 3; expected [1, 2]");
  fails_with({"train", "--epochz", "3"}, "unknown option --epochz");
  fails_with({"fit"}, "unknown command \"fit\"; expected train");
}
