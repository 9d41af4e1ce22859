// The knowledge graph of the TransE app: entity and relation names mapped to table rows, the
// train/valid/test triples read from head<TAB>relation<TAB>tail files, and the built-in
// synthetic graph.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace ember::apps::transe {

struct Triple {
  std::int64_t head, relation, tail;
};

// Names <-> dense indices in order of first appearance.
class NameTable {
 public:
  std::int64_t add(const std::string& name);  // the name's index, adding it when new
  const std::string& name(std::int64_t index) const { return names_.at(static_cast<std::size_t>(index)); }
  std::int64_t size() const { return static_cast<std::int64_t>(names_.size()); }

 private:
  std::unordered_map<std::string, std::int64_t> index_;
  std::vector<std::string> names_;
};

struct KnowledgeGraph {
  NameTable entities, relations;
  std::vector<Triple> train, valid, test;
  std::string description;  // one line for the log
};

// Appends the triples of `path` (one head<TAB>relation<TAB>tail per line; empty lines skipped),
// adding new names to the graph's tables. Throws IoError "path:line: ..." quoting a malformed
// line, and for a file without triples.
std::vector<Triple> read_triples(const std::string& path, KnowledgeGraph& graph);

// A graph generated from hidden translations, so TransE can learn it: entities are the points of
// a side x side grid, shuffled and named "e0", "e1", ...; relation k is a fixed shift (dx, dy),
// and (a, r_k, b) holds whenever b = a + shift_k lies on the grid. The triples are split
// 80/10/10 into train/valid/test, deterministically for `seed`.
KnowledgeGraph synthetic_graph(std::int64_t side, std::uint64_t seed);

}  // namespace ember::apps::transe
