// Reading triple files and generating the synthetic grid graph (see graph.h).
#include "apps/transe/graph.h"

#include "core/error.h"
#include "core/tensor.h"
#include "data/delimited_file.h"

#include <fmt/format.h>

namespace ember::apps::transe {

std::int64_t NameTable::add(const std::string& name) {
  auto [it, added] = index_.emplace(name, size());
  if (added) names_.push_back(name);
  return it->second;
}

namespace {

// The line as quoted in an error message: cut to 60 bytes, tabs shown as \t.
std::string quote(std::string_view text) {
  std::string shown;
  for (char c : text.substr(0, 60)) shown += c == '\t' ? std::string("\\t") : std::string(1, c);
  return fmt::format("\"{}{}\"", shown, text.size() > 60 ? "..." : "");
}

}  // namespace

std::vector<Triple> read_triples(const std::string& path, KnowledgeGraph& graph) {
  const std::string content = data::read_file(path);
  std::vector<Triple> triples;
  for (const auto& record : data::parse_records(content, data::FileFormat::kTsv)) {
    const auto& f = record.fields;
    EMBER_CHECK(f.size() == 3, IoError, "{}:{}: expected head<TAB>relation<TAB>tail, got {} field{} in {}", path,
                record.line, f.size(), f.size() == 1 ? "" : "s", quote(record.text));
    EMBER_CHECK(!f[0].empty() && !f[1].empty() && !f[2].empty(), IoError, "{}:{}: empty name in {}", path,
                record.line, quote(record.text));
    triples.push_back({graph.entities.add(f[0]), graph.relations.add(f[1]), graph.entities.add(f[2])});
  }
  EMBER_CHECK(!triples.empty(), IoError, "{}: no triples found; expected lines of head<TAB>relation<TAB>tail", path);
  return triples;
}

KnowledgeGraph synthetic_graph(std::int64_t side, std::uint64_t seed) {
  EMBER_CHECK(side >= 3, ValueError, "synthetic_graph: side {} is too small; expected >= 3", side);
  // Shifts chosen so that no two relations share a direction and none is another's inverse.
  const std::vector<std::pair<std::int64_t, std::int64_t>> shifts = {{1, 0}, {0, 1}, {1, 1}, {1, -1},
                                                                     {2, 1}, {1, 2}, {2, -1}, {-1, 2}};
  Generator gen(seed);
  const Tensor order = randperm(side * side, gen);  // grid point -> entity index
  const auto* entity_of = order.data_ptr<std::int64_t>();
  KnowledgeGraph g;
  for (std::int64_t e = 0; e < side * side; ++e) g.entities.add(fmt::format("e{}", e));
  for (std::size_t k = 0; k < shifts.size(); ++k) g.relations.add(fmt::format("r{}", k));

  std::vector<Triple> all;
  for (std::int64_t x = 0; x < side; ++x)
    for (std::int64_t y = 0; y < side; ++y)
      for (std::size_t k = 0; k < shifts.size(); ++k) {
        const std::int64_t tx = x + shifts[k].first, ty = y + shifts[k].second;
        if (tx < 0 || tx >= side || ty < 0 || ty >= side) continue;
        all.push_back({entity_of[x * side + y], static_cast<std::int64_t>(k), entity_of[tx * side + ty]});
      }
  const Tensor split = randperm(static_cast<std::int64_t>(all.size()), gen);
  const auto* pick = split.data_ptr<std::int64_t>();
  const auto n = static_cast<std::int64_t>(all.size()), num_test = n / 10, num_valid = n / 10;
  for (std::int64_t k = 0; k < n; ++k) {
    const Triple& t = all[static_cast<std::size_t>(pick[k])];
    (k < num_test ? g.test : k < num_test + num_valid ? g.valid : g.train).push_back(t);
  }
  g.description = fmt::format("synthetic {}x{} grid graph, {} relations as shifts (seed {})", side, side,
                              shifts.size(), seed);
  return g;
}

}  // namespace ember::apps::transe
