// End-to-end tests of the word2vec app: vectors that recover planted word groups (skip-gram, CBOW,
// two Hogwild threads), bitwise-identical files for one seed at one thread, the text and binary
// files read back by ember's loader and by text_classifier --pretrained, checked writes and bad input.
#include "app_process.h"

#include "data/pretrained.h"

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

namespace app = ember::testing::app_process;
using Catch::Contains;

namespace {

constexpr int kGroups = 6, kGroupWords = 8, kFiller = 20;

std::string group_word(int group, int i) { return fmt::format("g{}w{}", group, i); }

// Each line is about one group: 70% of its words come from that group, the rest are filler words
// shared by all lines. Words of one group co-occur; words of different groups almost never do.
// With `labels`, each line is "group<TAB>words" (a text_classifier file).
std::string planted_corpus(int lines, bool labels = false) {
  std::uint64_t state = 12345;
  auto next = [&state](std::uint64_t n) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (state >> 33) % n;
  };
  std::string text;
  for (int line = 0; line < lines; ++line) {
    const int group = static_cast<int>(next(kGroups));
    if (labels) text += fmt::format("{}\t", group);
    const int length = 8 + static_cast<int>(next(5));
    for (int i = 0; i < length; ++i) {
      if (i > 0) text += ' ';
      text += next(10) < 7 ? group_word(group, static_cast<int>(next(kGroupWords)))
                           : fmt::format("filler{}", next(kFiller));
    }
    text += '\n';
  }
  return text;
}

double cosine(const float* a, const float* b, std::int64_t D) {
  double ab = 0, aa = 0, bb = 0;
  for (std::int64_t j = 0; j < D; ++j) {
    ab += double(a[j]) * b[j];
    aa += double(a[j]) * a[j];
    bb += double(b[j]) * b[j];
  }
  return ab / std::sqrt(aa * bb);
}

struct GroupQuality {
  double within = 0, across = 0;  // mean cosine of word pairs from one group / from two groups
  double nearest_same_group = 0;  // share of group words whose nearest group word is in its group
};

GroupQuality group_quality(const ember::data::PretrainedVectors& vectors) {
  std::vector<const float*> rows;
  std::vector<int> group_of;
  const float* w = vectors.weight.data_ptr<float>();
  const std::int64_t D = vectors.weight.size(1);
  for (std::size_t i = 0; i < vectors.tokens.size(); ++i)
    if (vectors.tokens[i][0] == 'g') {
      rows.push_back(w + static_cast<std::int64_t>(i) * D);
      group_of.push_back(vectors.tokens[i][1] - '0');
    }
  REQUIRE(rows.size() == std::size_t(kGroups * kGroupWords));
  GroupQuality q;
  int within = 0, across = 0, nearest_ok = 0;
  for (std::size_t a = 0; a < rows.size(); ++a) {
    double best = -2;
    int best_group = -1;
    for (std::size_t b = 0; b < rows.size(); ++b) {
      if (a == b) continue;
      const double c = cosine(rows[a], rows[b], D);
      (group_of[a] == group_of[b] ? (q.within += c, ++within) : (q.across += c, ++across));
      if (c > best) best = c, best_group = group_of[b];
    }
    nearest_ok += best_group == group_of[a];
  }
  q.within /= within;
  q.across /= across;
  q.nearest_same_group = double(nearest_ok) / double(rows.size());
  return q;
}

app::Result train(const std::vector<std::string>& extra) {
  std::vector<std::string> args = {"train", "--dim", "16", "--epochs", "3", "--min-count", "1", "--quiet"};
  args.insert(args.end(), extra.begin(), extra.end());
  return app::run("word2vec", args);
}

}  // namespace

TEST_CASE("word2vec recovers planted word groups with skip-gram, CBOW and two Hogwild threads", "[apps]") {
  app::Scratch dir;
  const std::string corpus = dir.write("corpus.txt", planted_corpus(3000));
  for (const std::vector<std::string>& flags : std::vector<std::vector<std::string>>{
           {"--model", "skipgram"}, {"--model", "cbow"}, {"--model", "skipgram", "--threads", "2"}}) {
    std::vector<std::string> args = {"--corpus", corpus, "--output", dir.path("v.vec")};
    args.insert(args.end(), flags.begin(), flags.end());
    const app::Result r = train(args);
    INFO(fmt::format("{}\n{}{}", fmt::join(flags, " "), r.out, r.err));
    REQUIRE(r.exit_code == 0);
    CHECK_THAT(r.out, Contains("vocabulary 68 (min-count 1)"));
    // Every word is read once per epoch, also when two threads split the file between them.
    const double words = app::number_after(r.out, "vocabulary 68 (min-count 1), ");
    CHECK(words > 30000);
    CHECK(app::number_after(r.out, "trained ") == 3 * words);
    const ember::data::PretrainedVectors vectors = ember::data::load_word2vec_text(dir.path("v.vec"));
    const GroupQuality q = group_quality(vectors);
    INFO("within " << q.within << " across " << q.across << " nearest " << q.nearest_same_group);
    // Untrained (random) vectors give within ~ across ~ 0 and nearest ~ 7/47 of the time. Measured:
    // within 0.998 for all three, across 0.37 (skip-gram) and 0.79 (CBOW: its vectors share a
    // common direction), nearest 1.
    CHECK(q.within > q.across + 0.15);
    CHECK(q.nearest_same_group > 0.95);
  }
}

TEST_CASE("word2vec at one thread writes bitwise the same files for a seed, others for another seed", "[apps]") {
  app::Scratch dir;
  const std::string corpus = dir.write("corpus.txt", planted_corpus(600));
  for (const char* name : {"a.vec", "b.vec", "a.bin", "b.bin"})
    REQUIRE(train({"--corpus", corpus, "--output", dir.path(name), "--seed", "7", "--model", "cbow"}).exit_code == 0);
  REQUIRE(train({"--corpus", corpus, "--output", dir.path("c.vec"), "--seed", "8", "--model", "cbow"}).exit_code == 0);
  const std::string a = app::read_text(dir.path("a.vec"));
  CHECK(a.size() > 1000);
  CHECK(a == app::read_text(dir.path("b.vec")));
  CHECK(app::read_text(dir.path("a.bin")) == app::read_text(dir.path("b.bin")));
  CHECK(a != app::read_text(dir.path("c.vec")));
}

TEST_CASE("word2vec text and binary files read back through data/pretrained.h with the same vectors", "[apps]") {
  app::Scratch dir;
  const std::string corpus = dir.write("corpus.txt", planted_corpus(600) + "rare\ntwice twice\n");
  REQUIRE(train({"--corpus", corpus, "--output", dir.path("v.vec"), "--min-count", "2"}).exit_code == 0);
  REQUIRE(train({"--corpus", corpus, "--output", dir.path("v.bin"), "--min-count", "2"}).exit_code == 0);
  const auto text = ember::data::load_word2vec_text(dir.path("v.vec"));
  const auto binary = ember::data::load_word2vec_binary(dir.path("v.bin"));
  REQUIRE(text.tokens.size() == 69);  // "rare" (seen once) is below --min-count 2
  CHECK(text.tokens == binary.tokens);
  CHECK(text.report.dim == 16);
  // Rows are sorted by count, descending: "twice" (2) comes last.
  CHECK(text.tokens.back() == "twice");
  // The text file holds each float's shortest round-trip decimal: the same numbers exactly.
  REQUIRE(text.weight.numel() == binary.weight.numel());
  const float* t = text.weight.data_ptr<float>();
  const float* b = binary.weight.data_ptr<float>();
  std::int64_t differ = 0;
  for (std::int64_t i = 0; i < text.weight.numel(); ++i) differ += t[i] != b[i];
  CHECK(differ == 0);
  CHECK(app::read_text(dir.path("v.bin")).rfind("69 16\n", 0) == 0);
}

TEST_CASE("text_classifier --pretrained reads word2vec's text and binary files", "[apps]") {
  app::Scratch dir;
  const std::string labelled = planted_corpus(400, true);
  std::string words;  // the same lines without their labels
  for (std::size_t at = 0; at < labelled.size();) {
    const std::size_t tab = labelled.find('\t', at), end = labelled.find('\n', at);
    words += labelled.substr(tab + 1, end - tab);
    at = end + 1;
  }
  const std::string corpus = dir.write("corpus.txt", words), train_file = dir.write("train.tsv", labelled);
  for (const char* name : {"v.vec", "v.bin"}) {
    REQUIRE(train({"--corpus", corpus, "--output", dir.path(name)}).exit_code == 0);
    const app::Result r = app::run("text_classifier", {"train", "--train", train_file, "--valid", train_file,
                                                       "--epochs", "1", "--embedding-dim", "16", "--hidden-dim", "8",
                                                       "--pretrained", dir.path(name)});
    INFO(name << "\n" << r.out << r.err);
    REQUIRE(r.exit_code == 0);
    // Every word of the classifier's vocabulary was in the file (68 words; <pad> and <unk> are not).
    CHECK_THAT(r.out, Contains("68 vectors of dim 16 read, 68 rows filled, 2 missing"));
  }
}

TEST_CASE("word2vec reports a failed write and refuses bad input", "[apps]") {
  app::Scratch dir;
  const std::string corpus = dir.write("corpus.txt", planted_corpus(200));
  SECTION("a full disk") {
    const app::Result r = train({"--corpus", corpus, "--output", "/dev/full"});
    CHECK(r.exit_code != 0);
    CHECK_THAT(r.err, Contains("word2vec: cannot write /dev/full"));
  }
  SECTION("a missing corpus") {
    const app::Result r = train({"--corpus", dir.path("absent.txt"), "--output", dir.path("v.vec")});
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.err, Contains("cannot open corpus") && Contains("absent.txt"));
  }
  SECTION("no word frequent enough") {
    const app::Result r = train({"--corpus", corpus, "--output", dir.path("v.vec"), "--min-count", "100000"});
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.err, Contains("no word of") && Contains("--min-count 100000"));
  }
  SECTION("a bad model and a bad window") {
    CHECK_THAT(train({"--corpus", corpus, "--output", dir.path("v.vec"), "--model", "glove"}).err,
               Contains("--model is \"glove\"; expected one of: skipgram, cbow"));
    CHECK_THAT(train({"--corpus", corpus, "--output", dir.path("v.vec"), "--window", "0"}).err,
               Contains("--window is 0; expected [1, 1000]"));
  }
  SECTION("an empty corpus") {
    const app::Result r = train({"--corpus", dir.write("empty.txt", ""), "--output", dir.path("v.vec")});
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.err, Contains("no word of"));
  }
  CHECK_FALSE(std::filesystem::exists(dir.path("v.vec")));
}
