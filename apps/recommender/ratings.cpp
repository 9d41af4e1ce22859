// Reading rating files, the synthetic low-rank dataset and the random split (see ratings.h).
#include "apps/recommender/ratings.h"

#include "core/error.h"
#include "core/tensor.h"
#include "data/delimited_file.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <set>

namespace ember::apps::recommender {

IdMap::IdMap(std::vector<std::string> names) {
  for (auto& name : names) {
    EMBER_CHECK(!index_.count(name), ValueError, "IdMap: duplicate id \"{}\"", name);
    index_.emplace(name, size());
    names_.push_back(std::move(name));
  }
}

std::int64_t IdMap::add(const std::string& id) {
  auto [it, added] = index_.emplace(id, size());
  if (added) names_.push_back(id);
  return it->second;
}

std::optional<std::int64_t> IdMap::find(const std::string& id) const {
  auto it = index_.find(id);
  if (it == index_.end()) return std::nullopt;
  return it->second;
}

double Ratings::mean() const {
  return values.empty() ? 0.0 : std::accumulate(values.begin(), values.end(), 0.0) / static_cast<double>(size());
}

namespace {

// The line as quoted in an error message: cut to 60 bytes, tabs shown as \t.
std::string quote(std::string_view text) {
  std::string shown;
  for (char c : text.substr(0, 60)) shown += c == '\t' ? std::string("\\t") : std::string(1, c);
  return fmt::format("\"{}{}\"", shown, text.size() > 60 ? "..." : "");
}

bool parse_double(const std::string& text, double& value) {
  std::size_t used = 0;
  try {
    value = std::stod(text, &used);
  } catch (const std::exception&) {
    return false;
  }
  return used == text.size() && std::isfinite(value);
}

bool is_integer(const std::string& text) {
  const std::size_t start = !text.empty() && text[0] == '-' ? 1 : 0;
  return text.size() > start && std::all_of(text.begin() + static_cast<std::ptrdiff_t>(start), text.end(),
                                            [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

Ratings read_ratings(const std::string& path, IdMap& users, IdMap& items, bool known_ids_only,
                     std::int64_t* skipped) {
  const std::string content = data::read_file(path);
  const auto records = data::parse_records(content, data::resolve_format(data::FileFormat::kAuto, path));
  Ratings ratings;
  std::int64_t parsed = 0;
  for (const auto& record : records) {
    const auto where = [&] { return fmt::format("{}:{}", path, record.line); };
    EMBER_CHECK(record.error.empty(), IoError, "{}: {}", where(), record.error);
    const auto& f = record.fields;
    EMBER_CHECK(f.size() == 3 || f.size() == 4, IoError,
                "{}: expected user<TAB>item<TAB>rating[<TAB>timestamp], got {} field{} in {}", where(), f.size(),
                f.size() == 1 ? "" : "s", quote(record.text));
    if (record.line == 1 && f[2] == "rating") continue;  // a header line
    EMBER_CHECK(!f[0].empty() && !f[1].empty(), IoError, "{}: empty user or item id in {}", where(),
                quote(record.text));
    double value = 0;
    EMBER_CHECK(parse_double(f[2], value), IoError, "{}: rating \"{}\" is not a finite number in {}", where(), f[2],
                quote(record.text));
    EMBER_CHECK(f.size() == 3 || is_integer(f[3]), IoError, "{}: timestamp \"{}\" is not an integer in {}", where(),
                f[3], quote(record.text));
    ++parsed;
    if (known_ids_only) {
      const auto user = users.find(f[0]), item = items.find(f[1]);
      if (!user || !item) {
        if (skipped) ++*skipped;
        continue;
      }
      ratings.add(*user, *item, static_cast<float>(value));
    } else {
      ratings.add(users.add(f[0]), items.add(f[1]), static_cast<float>(value));
    }
  }
  EMBER_CHECK(parsed > 0, IoError,
              "{}: no ratings found; expected lines of user<TAB>item<TAB>rating[<TAB>timestamp]", path);
  return ratings;
}

void split_ratings(const Ratings& all, double test_fraction, std::uint64_t seed, Ratings& train, Ratings& test) {
  EMBER_CHECK(test_fraction > 0 && test_fraction < 1, ValueError,
              "split_ratings: test_fraction {} is out of range; expected (0, 1)", test_fraction);
  EMBER_CHECK(all.size() >= 2, ValueError, "split_ratings: {} rating(s) cannot be split; expected at least 2",
              all.size());
  Generator gen(seed);
  const Tensor order = randperm(all.size(), gen);
  const auto* perm = order.data_ptr<std::int64_t>();
  const auto num_test = std::clamp<std::int64_t>(std::llround(test_fraction * static_cast<double>(all.size())), 1,
                                                 all.size() - 1);
  train = Ratings();
  test = Ratings();
  for (std::int64_t k = 0; k < all.size(); ++k) {
    const auto r = static_cast<std::size_t>(perm[k]);
    (k < num_test ? test : train).add(all.users[r], all.items[r], all.values[r]);
  }
}

Ratings synthetic_ratings(const SyntheticOptions& options, std::uint64_t seed, IdMap& users, IdMap& items) {
  const std::int64_t U = options.num_users, I = options.num_items, K = options.rank;
  EMBER_CHECK(options.num_ratings <= U * I, ValueError,
              "synthetic_ratings: {} ratings do not fit {} users x {} items", options.num_ratings, U, I);
  Generator gen(seed);
  const double factor_std = std::pow(static_cast<double>(K), -0.25);  // <p_u, q_i> has variance 1
  std::vector<double> p(static_cast<std::size_t>(U * K)), q(static_cast<std::size_t>(I * K)), bu(U), bi(I);
  for (auto& x : p) x = factor_std * gen.next_normal();
  for (auto& x : q) x = factor_std * gen.next_normal();
  for (auto& x : bu) x = 0.3 * gen.next_normal();
  for (auto& x : bi) x = 0.3 * gen.next_normal();
  for (std::int64_t u = 0; u < U; ++u) users.add(fmt::format("u{}", u));
  for (std::int64_t i = 0; i < I; ++i) items.add(fmt::format("i{}", i));

  Ratings ratings;
  std::set<std::pair<std::int64_t, std::int64_t>> taken;
  while (ratings.size() < options.num_ratings) {
    const auto u = static_cast<std::int64_t>(gen.next_u64() % static_cast<std::uint64_t>(U));
    const auto i = static_cast<std::int64_t>(gen.next_u64() % static_cast<std::uint64_t>(I));
    if (!taken.insert({u, i}).second) continue;
    double r = 3.5 + bu[u] + bi[i] + options.noise * gen.next_normal();
    for (std::int64_t k = 0; k < K; ++k) r += p[u * K + k] * q[i * K + k];
    ratings.add(u, i, static_cast<float>(r));
  }
  return ratings;
}

}  // namespace ember::apps::recommender
