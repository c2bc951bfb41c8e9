#pragma once
// Stage 4: permute rewrites after canonicalization.
#include <map>
#include <vector>

#include "cactus/ir/graph.hpp"

namespace cactus::passes {

// Permute rewrites: a permute of a permute becomes one permute (p2 after p1 reads
// x[p1[p2[i]]]), and an identity permute is dropped. Returns how many were rewritten.
inline std::size_t simplify_permutes(ir::graph& g) {
  std::size_t changed = 0;
  std::map<int, int> alias;  // removed output -> what its uses read instead
  auto perm_of = [&](const ir::node& n) -> const std::vector<std::int64_t>* {
    if (n.op != "permute" || n.inputs.size() != 2) return nullptr;
    const auto* m = g.constant_meta(n.inputs[1]);
    return m && m->k == ir::kind::ints ? &m->ints : nullptr;
  };
  std::vector<ir::node> out;
  for (ir::node n : g.nodes) {  // a copy: producers are looked up in g.nodes as they were
    for (int& v : n.inputs) {
      auto it = alias.find(v);
      if (it != alias.end()) v = it->second;
    }
    if (const auto* p2 = perm_of(n)) {
      std::vector<std::int64_t> p = *p2;
      const int src = g.values[static_cast<std::size_t>(n.inputs[0])].producer;
      if (src >= 0) {
        const auto& inner = g.nodes[static_cast<std::size_t>(src)];
        const auto* p1 = perm_of(inner);
        if (p1 && p1->size() == p.size()) {
          const auto r = static_cast<std::int64_t>(p.size());
          std::vector<std::int64_t> q(p.size());
          for (std::size_t i = 0; i < p.size(); ++i) q[i] = (*p1)[static_cast<std::size_t>(wrap_dim(p[i], r))];
          n.inputs = {inner.inputs[0], g.add_constant(ir::meta::of_ints(q))};
          p = q;
          ++changed;
        }
      }
      bool identity = true;
      for (std::size_t i = 0; i < p.size(); ++i) identity = identity && wrap_dim(p[i], static_cast<std::int64_t>(p.size())) == static_cast<std::int64_t>(i);
      if (identity && g.values[static_cast<std::size_t>(n.inputs[0])].shape.size() == p.size()) {
        alias[n.outputs[0]] = n.inputs[0];
        ++changed;
        continue;
      }
    }
    out.push_back(std::move(n));
  }
  for (int& o : g.outputs) {
    auto it = alias.find(o);
    if (it != alias.end()) o = it->second;
  }
  g.nodes = std::move(out);
  g.reindex_producers();
  return changed;
}


}  // namespace cactus::passes
