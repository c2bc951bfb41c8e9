#pragma once
// Dead-code elimination: drops nodes none of whose outputs reach a graph output, then values
// nothing refers to (ids are compacted).
#include "cactus/ir/graph.hpp"

namespace cactus::passes {

inline std::size_t dead_code_elimination(ir::graph& g) {
  std::vector<bool> live(g.values.size(), false);
  for (int o : g.outputs) live[static_cast<std::size_t>(o)] = true;
  std::vector<bool> keep(g.nodes.size(), false);
  for (std::size_t n = g.nodes.size(); n-- > 0;) {
    for (int o : g.nodes[n].outputs) keep[n] = keep[n] || live[static_cast<std::size_t>(o)];
    if (keep[n])
      for (int i : g.nodes[n].inputs) live[static_cast<std::size_t>(i)] = true;
  }
  for (int i : g.inputs) live[static_cast<std::size_t>(i)] = true;
  std::size_t removed = 0;
  std::vector<ir::node> nodes;
  for (std::size_t n = 0; n < g.nodes.size(); ++n) {
    if (keep[n]) {
      nodes.push_back(std::move(g.nodes[n]));
      for (int o : nodes.back().outputs) live[static_cast<std::size_t>(o)] = true;
    } else {
      ++removed;
    }
  }
  g.nodes = std::move(nodes);
  std::vector<int> remap(g.values.size(), -1);
  std::vector<ir::value> values;
  for (std::size_t v = 0; v < g.values.size(); ++v)
    if (live[v]) {
      remap[v] = static_cast<int>(values.size());
      values.push_back(std::move(g.values[v]));
    }
  g.values = std::move(values);
  auto fix = [&](std::vector<int>& ids) {
    for (int& i : ids) i = remap[static_cast<std::size_t>(i)];
  };
  for (auto& n : g.nodes) { fix(n.inputs); fix(n.outputs); }
  fix(g.inputs);
  fix(g.outputs);
  g.reindex_producers();
  return removed;
}

}  // namespace cactus::passes
