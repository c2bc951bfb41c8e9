#pragma once
// Stage 4 constant folding: a node whose inputs are all known at transpile time (meta constants
// and tensor constants held in memory; not converted weights, which are bound by name at load,
// and not graph inputs) is run once now through its registered op, and its outputs become
// constants. Shape arithmetic on constants, masks from constant sizes, casts of inline
// constants and the like disappear from the optimized IR. Tensors larger than `max_bytes` are
// left to be computed at run time (the planner still folds them once at load), so bundles do
// not grow. A node whose op fails here is kept: the runtime reports it with real shapes.
// The walk is the one graph interpreter's (ops/interpreter.hpp).
#include <algorithm>

#include "cactus/ir/graph.hpp"
#include "cactus/ops/interpreter.hpp"

namespace cactus::passes {

inline std::size_t fold_constants(ir::graph& g, std::size_t max_bytes = std::size_t{1} << 20) {
  ops::interpreter it(g);  // bound weights start unknown: slot_of leaves them non-constant
  std::size_t folded = 0;
  std::vector<ir::node> kept;
  for (std::size_t n = 0; n < g.nodes.size(); ++n) {
    // known at transpile time: constants only (a meta value computed from an input's size is not)
    const auto& in = it.inputs(n);
    bool ok = it.registered(n) && !g.nodes[n].outputs.empty() && std::all_of(in.begin(), in.end(), [](const ops::slot* s) { return s->is_const; });
    if (ok) {
      try {
        it.infer(n);
        for (const ops::slot* r : it.outputs(n)) ok = ok && (!r->is_tensor() || r->bytes() <= max_bytes);
        if (ok && it.has_tensor_output(n)) it.fold(n);  // without tensors, infer computed the values
        for (ops::slot* r : it.outputs(n)) r->is_const = ok;
      } catch (const error&) {
        ok = false;
      }
    }
    if (!ok) {
      for (ops::slot* r : it.outputs(n)) r->is_const = false;  // an output a failed fold touched stays unknown
      kept.push_back(std::move(g.nodes[n]));
      continue;
    }
    for (int o : g.nodes[n].outputs) {
      ops::slot& r = it.value(o);
      ir::value& v = g.values[static_cast<std::size_t>(o)];
      v.producer = -1;
      if (r.is_tensor()) {
        v.k = ir::kind::tensor;
        v.type = r.type;
        v.shape = r.shape;
        v.data = std::make_shared<tensor>(r.view());
      } else {
        v.k = r.k;
        v.constant = r.m;
        v.constant->k = r.k;
      }
    }
    ++folded;
  }
  g.nodes = std::move(kept);
  g.reindex_producers();
  return folded;
}

}  // namespace cactus::passes
