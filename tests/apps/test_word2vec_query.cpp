// word2vec similar / analogy / evaluate on small vector files written here: neighbours and
// analogy answers against a brute-force search in the test, Spearman against the no-ties formula
// 1 - 6 sum d^2 / (n (n^2 - 1)) and a hand-ranked tie, out-of-vocabulary counts, --restrict and
// --ignore-case, the .bin format, and malformed lines named by file and line.
#include "app_process.h"

#include "apps/word2vec/query.h"

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <sstream>
#include <string>
#include <vector>

namespace app = ember::testing::app_process;
using Catch::Contains;

namespace {

constexpr int kDim = 5;

struct HandVectors {
  std::vector<std::string> words;
  std::vector<std::vector<double>> rows;  // each value k/256, |k| <= 1000: exact in float32
};

// `count` words w0, w1, ... with pseudo-random rows (no ties among cosines in practice).
HandVectors random_vectors(int count) {
  std::uint64_t state = 2024;
  HandVectors v;
  for (int i = 0; i < count; ++i) {
    v.words.push_back(fmt::format("w{}", i));
    std::vector<double> row;
    for (int j = 0; j < kDim; ++j) {
      state = state * 6364136223846793005ULL + 1442695040888963407ULL;
      row.push_back((static_cast<double>((state >> 33) % 2001) - 1000) / 256);
    }
    v.rows.push_back(row);
  }
  return v;
}

std::string text_file(const HandVectors& v) {
  std::string text = fmt::format("{} {}\n", v.words.size(), kDim);
  for (std::size_t i = 0; i < v.words.size(); ++i) text += fmt::format("{} {}\n", v.words[i], fmt::join(v.rows[i], " "));
  return text;
}

std::string binary_file(const HandVectors& v) {
  std::string bytes = fmt::format("{} {}\n", v.words.size(), kDim);
  for (std::size_t i = 0; i < v.words.size(); ++i) {
    bytes += v.words[i] + ' ';
    for (double x : v.rows[i]) {
      const float f = static_cast<float>(x);
      bytes.append(reinterpret_cast<const char*>(&f), sizeof f);
    }
    bytes += '\n';
  }
  return bytes;
}

std::vector<double> unit(const std::vector<double>& x) {
  double n = 0;
  for (double v : x) n += v * v;
  std::vector<double> u;
  for (double v : x) u.push_back(v / std::sqrt(n));
  return u;
}

double cosine(const std::vector<double>& a, const std::vector<double>& b) {
  const std::vector<double> ua = unit(a), ub = unit(b);
  double d = 0;
  for (std::size_t j = 0; j < ua.size(); ++j) d += ua[j] * ub[j];
  return d;
}

// Every word but the excluded ones, by cosine with `target`, best first.
std::vector<std::pair<double, int>> ranked(const HandVectors& v, const std::vector<double>& target,
                                           const std::vector<int>& excluded) {
  std::vector<std::pair<double, int>> all;
  for (int i = 0; i < static_cast<int>(v.words.size()); ++i)
    if (std::find(excluded.begin(), excluded.end(), i) == excluded.end())
      all.emplace_back(cosine(v.rows[static_cast<std::size_t>(i)], target), i);
  std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  return all;
}

// B - A + C of unit rows (3CosAdd's target).
std::vector<double> analogy_target(const HandVectors& v, int a, int b, int c) {
  const auto ua = unit(v.rows[std::size_t(a)]), ub = unit(v.rows[std::size_t(b)]), uc = unit(v.rows[std::size_t(c)]);
  std::vector<double> t;
  for (int j = 0; j < kDim; ++j) t.push_back(ub[std::size_t(j)] - ua[std::size_t(j)] + uc[std::size_t(j)]);
  return t;
}

// "word<TAB>cosine" lines of the app's output.
std::vector<std::pair<std::string, double>> parse_neighbours(const std::string& out) {
  std::vector<std::pair<std::string, double>> result;
  std::istringstream in(out);
  for (std::string word; in >> word;) {
    double c = 0;
    in >> c;
    result.emplace_back(word, c);
  }
  return result;
}

app::Result word2vec(const std::vector<std::string>& args) { return app::run("word2vec", args); }

}  // namespace

TEST_CASE("word2vec similar lists the exact cosine neighbours from .vec and .bin files", "[apps]") {
  app::Scratch dir;
  const HandVectors v = random_vectors(30);
  const std::string vec = dir.write("v.vec", text_file(v)), bin = dir.write("v.bin", binary_file(v));
  for (int query : {0, 7, 29}) {
    const auto expected = ranked(v, v.rows[std::size_t(query)], {query});
    for (const std::string& file : {vec, bin}) {
      const app::Result r = word2vec({"similar", v.words[std::size_t(query)], "--vectors", file, "--top", "6"});
      INFO(file << "\n" << r.out << r.err);
      REQUIRE(r.exit_code == 0);
      const auto got = parse_neighbours(r.out);
      REQUIRE(got.size() == 6);
      for (std::size_t k = 0; k < got.size(); ++k) {
        CHECK(got[k].first == v.words[std::size_t(expected[k].second)]);
        CHECK(got[k].second == Approx(expected[k].first).margin(1e-6));  // printed with 6 decimals
      }
    }
  }
}

TEST_CASE("word2vec analogy answers B - A + C by 3CosAdd without the three query words", "[apps]") {
  app::Scratch dir;
  HandVectors v = random_vectors(20);
  // man : woman :: king : queen, planted exactly (queen = king - man + woman) beside random words.
  v.words.insert(v.words.end(), {"man", "woman", "king", "queen"});
  v.rows.push_back({4, 0, 0, 0, 1});
  v.rows.push_back({0, 4, 0, 0, 1});
  v.rows.push_back({4, 0, 4, 0, 1});
  v.rows.push_back({0, 4, 4, 0, 1});
  const std::string vec = dir.write("v.vec", text_file(v));
  const app::Result r = word2vec({"analogy", "man", "woman", "king", "--vectors", vec, "--top", "4"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  const auto got = parse_neighbours(r.out);
  const auto expected = ranked(v, analogy_target(v, 20, 21, 22), {20, 21, 22});
  REQUIRE(got.size() == 4);
  CHECK(got[0].first == "queen");
  for (std::size_t k = 0; k < got.size(); ++k) {
    CHECK(got[k].first == v.words[std::size_t(expected[k].second)]);
    CHECK(got[k].second == Approx(expected[k].first).margin(1e-6));
  }
  // Random triples: the answers match the brute force too.
  for (const auto& [a, b, c] : std::vector<std::tuple<int, int, int>>{{0, 1, 2}, {5, 9, 13}, {19, 3, 11}}) {
    const app::Result q = word2vec({"analogy", v.words[std::size_t(a)], v.words[std::size_t(b)],
                                    v.words[std::size_t(c)], "--vectors", vec, "--top", "3"});
    REQUIRE(q.exit_code == 0);
    const auto answer = parse_neighbours(q.out);
    const auto best = ranked(v, analogy_target(v, a, b, c), {a, b, c});
    REQUIRE(answer.size() == 3);
    for (std::size_t k = 0; k < 3; ++k) CHECK(answer[k].first == v.words[std::size_t(best[k].second)]);
  }
}

TEST_CASE("word2vec similar and analogy refuse unknown words and wrong argument counts", "[apps]") {
  app::Scratch dir;
  const std::string vec = dir.write("v.vec", text_file(random_vectors(5)));
  app::Result r = word2vec({"similar", "nowhere", "--vectors", vec});
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Contains("\"nowhere\" is not in") && Contains("v.vec (5 words)"));
  r = word2vec({"analogy", "w0", "w1", "--vectors", vec});
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Contains("analogy takes 3 word(s) before its options, got 2"));
  r = word2vec({"similar", "w0", "--vectors", vec, "--top", "0"});
  CHECK_THAT(r.err, Contains("--top is 0; expected [1, 1000000]"));
  r = word2vec({"similar", "w0"});
  CHECK_THAT(r.err, Contains("needs --vectors FILE"));
  r = word2vec({"similar", "w0", "--vectors", dir.path("absent.vec")});
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Contains("absent.vec"));
}

TEST_CASE("word2vec evaluate --similarity: Spearman of a known ranking, out-of-vocabulary pairs counted", "[apps]") {
  app::Scratch dir;
  // Words a0..a5 at angles 10, 20, ..., 60 degrees from `ref` in a plane: cos falls with k.
  HandVectors v;
  v.words.push_back("ref");
  v.rows.push_back({1, 0, 0, 0, 0});
  for (int k = 0; k < 6; ++k) {
    const double angle = (k + 1) * 10 * M_PI / 180;
    v.words.push_back(fmt::format("a{}", k));
    v.rows.push_back({std::cos(angle) * 200 / 256, std::sin(angle) * 200 / 256, 0, 0, 0});
  }
  // The model ranks the pairs (ref, a0) > (ref, a1) > ... ; the human scores give them the ranks
  // of `human_rank` (1 = most similar), so d_k = (k + 1) - human_rank[k].
  const int human_rank[6] = {2, 1, 3, 6, 4, 5};
  std::string lines = "# word1\tword2\tscore\n\n";
  double d2 = 0;
  for (int k = 0; k < 6; ++k) {
    lines += fmt::format("ref\ta{}\t{}\n", k, 10 - human_rank[k]);  // higher score = more similar
    d2 += std::pow((k + 1) - human_rank[k], 2);
  }
  lines += "ref\tunknown\t5\nmissing\ta0\t3\n";
  const double n = 6, expected = 1 - 6 * d2 / (n * (n * n - 1));  // 1 - 6*8/210 = 0.771429
  const std::string vec = dir.write("v.vec", text_file(v)), sim = dir.write("sim.txt", lines);
  const app::Result r = word2vec({"evaluate", "--vectors", vec, "--similarity", sim});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(app::number_after(r.out, "spearman ") == Approx(expected).margin(5e-5));
  CHECK_THAT(r.out, Contains("over 6 pairs, 2 pairs out of vocabulary"));
  // --restrict 4 keeps ref, a0, a1, a2: pairs with a3..a5 become out of vocabulary, and the
  // three left are ranked 2, 1, 3 by the humans: d^2 = 1 + 1 + 0, rho = 1 - 12/24 = 0.5.
  const app::Result restricted = word2vec({"evaluate", "--vectors", vec, "--similarity", sim, "--restrict", "4"});
  CHECK(app::number_after(restricted.out, "spearman ") == Approx(0.5).margin(5e-5));
  CHECK_THAT(restricted.out, Contains("over 3 pairs, 5 pairs out of vocabulary"));
}

TEST_CASE("spearman gives tied values their mean rank", "[apps]") {
  // x = 1 2 2 3 ranks 1 2.5 2.5 4, y ranks 1 2 3 4, both of mean 2.5: deviations (-1.5 0 0 1.5)
  // and (-1.5 -0.5 0.5 1.5), so rho = 4.5 / sqrt(4.5 * 5) = 3 / sqrt(10).
  CHECK(ember::apps::word2vec::spearman({1, 2, 2, 3}, {10, 20, 30, 40}) == Approx(3 / std::sqrt(10.0)).epsilon(1e-12));
  CHECK(ember::apps::word2vec::spearman({3, 2, 1}, {1, 2, 3}) == Approx(-1).epsilon(1e-12));
  CHECK(std::isnan(ember::apps::word2vec::spearman({1, 1, 1}, {1, 2, 3})));
  CHECK(std::isnan(ember::apps::word2vec::spearman({1}, {1})));
}

TEST_CASE("word2vec evaluate --analogies: per-section and total accuracy against a brute force", "[apps]") {
  app::Scratch dir;
  HandVectors v = random_vectors(24);
  v.words.insert(v.words.end(), {"man", "woman", "king", "queen", "Rare"});
  v.rows.push_back({4, 0, 0, 0, 1});
  v.rows.push_back({0, 4, 0, 0, 1});
  v.rows.push_back({4, 0, 4, 0, 1});
  v.rows.push_back({0, 4, 4, 0, 1});
  v.rows.push_back({1, 2, 3, 2, 1});
  const int V = static_cast<int>(v.words.size());
  // Section "planted": the exact analogy, its mirror and two with the last word (row V-1);
  // section "random": questions whose answer is the brute force's best or its second best.
  struct Q {
    int a, b, c, d;
  };
  std::vector<Q> planted = {{24, 25, 26, 27}, {25, 24, 27, 26}, {24, 25, 28, 0}, {28, 1, 2, 3}};
  std::vector<Q> random;
  for (int i = 0; i < 8; ++i) {
    const int a = i, b = i + 8, c = i + 16;
    const auto best = ranked(v, analogy_target(v, a, b, c), {a, b, c});
    random.push_back({a, b, c, best[std::size_t(i % 3 == 0 ? 1 : 0)].second});  // i = 0, 3, 6 wrong
  }
  auto expected_correct = [&v](const std::vector<Q>& questions, int candidates) {
    int correct = 0;
    for (const Q& q : questions) {
      if (std::max({q.a, q.b, q.c, q.d}) >= candidates) continue;
      const auto best = ranked(v, analogy_target(v, q.a, q.b, q.c), {q.a, q.b, q.c});
      auto top = std::find_if(best.begin(), best.end(), [candidates](const auto& s) { return s.second < candidates; });
      correct += top->second == q.d;
    }
    return correct;
  };
  auto line = [&v](const Q& q) {
    return fmt::format("{} {} {} {}\n", v.words[std::size_t(q.a)], v.words[std::size_t(q.b)], v.words[std::size_t(q.c)],
                       v.words[std::size_t(q.d)]);
  };
  std::string text = ": planted\n";
  for (const Q& q : planted) text += line(q);
  text += "man woman nowhere queen\n: random\n";
  for (const Q& q : random) text += line(q);
  const std::string vec = dir.write("v.vec", text_file(v)), questions = dir.write("questions.txt", text);

  const int planted_correct = expected_correct(planted, V), random_correct = expected_correct(random, V);
  REQUIRE(random_correct == 5);  // the three planted wrong answers are wrong, the others right
  app::Result r = word2vec({"evaluate", "--vectors", vec, "--analogies", questions});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Contains(fmt::format("analogies planted: {:.2f}% ({}/4), 1 out of vocabulary",
                                         100.0 * planted_correct / 4, planted_correct)));
  CHECK_THAT(r.out, Contains("analogies random: 62.50% (5/8), 0 out of vocabulary"));
  CHECK_THAT(r.out, Contains(fmt::format("analogies total: {:.2f}% ({}/12), 1 out of vocabulary",
                                         100.0 * (planted_correct + 5) / 12, planted_correct + 5)));

  // --restrict V-1 drops "Rare": its two questions become out of vocabulary.
  r = word2vec({"evaluate", "--vectors", vec, "--analogies", questions, "--restrict", std::to_string(V - 1)});
  const int restricted_correct = expected_correct(planted, V - 1);
  CHECK_THAT(r.out, Contains(fmt::format("analogies planted: {:.2f}% ({}/2), 3 out of vocabulary",
                                         100.0 * restricted_correct / 2, restricted_correct)));
  CHECK_THAT(r.out, Contains("the first 28 used"));

  // Upper-cased questions: out of vocabulary unless --ignore-case.
  const std::string upper = dir.write("upper.txt", ": upper\nMAN WOMAN KING QUEEN\nrare man woman w0\n");
  r = word2vec({"evaluate", "--vectors", vec, "--analogies", upper});
  CHECK_THAT(r.out, Contains("analogies upper: n/a (0/0), 2 out of vocabulary"));
  r = word2vec({"evaluate", "--vectors", vec, "--analogies", upper, "--ignore-case"});
  const int rare_correct = expected_correct({{28, 24, 25, 0}}, V);
  CHECK_THAT(r.out, Contains(fmt::format("analogies upper: {:.2f}% ({}/2), 0 out of vocabulary",
                                         100.0 * (1 + rare_correct) / 2, 1 + rare_correct)));
}

TEST_CASE("word2vec evaluate names the file and line of a malformed line", "[apps]") {
  app::Scratch dir;
  const std::string vec = dir.write("v.vec", text_file(random_vectors(5)));
  auto err = [&](const std::string& flag, const std::string& name, const std::string& content) {
    const app::Result r = word2vec({"evaluate", "--vectors", vec, flag, dir.write(name, content)});
    CHECK(r.exit_code == 1);
    CHECK(r.out.find("spearman") == std::string::npos);
    return r.err;
  };
  CHECK_THAT(err("--similarity", "two.txt", "# c\nw0\tw1\t3\nw0\tw1\n"), Contains("two.txt:3: 2 fields; expected"));
  CHECK_THAT(err("--similarity", "nan.txt", "w0 w1 high\n"), Contains("nan.txt:1: score \"high\" is not a finite number"));
  CHECK_THAT(err("--similarity", "inf.txt", "w0 w1 inf\n"), Contains("inf.txt:1: score \"inf\""));
  CHECK_THAT(err("--analogies", "nosection.txt", "w0 w1 w2 w3\n"),
             Contains("nosection.txt:1: a question before the first \": section\" line"));
  CHECK_THAT(err("--analogies", "three.txt", ": s\nw0 w1 w2 w3\n\nw0 w1 w2\n"), Contains("three.txt:4: 3 words; expected 4"));
  const app::Result none = word2vec({"evaluate", "--vectors", vec});
  CHECK_THAT(none.err, Contains("evaluate needs --similarity FILE, --analogies FILE or both"));
  const app::Result absent = word2vec({"evaluate", "--vectors", vec, "--similarity", dir.path("absent.txt")});
  CHECK_THAT(absent.err, Contains("cannot open similarity file") && Contains("absent.txt"));
}
