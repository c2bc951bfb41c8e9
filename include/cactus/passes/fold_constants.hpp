#pragma once
// Stage 4 constant folding: a node whose inputs are all known at transpile time (meta constants
// and tensor constants held in memory; not converted weights, which are bound by name at load,
// and not graph inputs) is run once now through its registered op, and its outputs become
// constants. Shape arithmetic on constants, masks from constant sizes, casts of inline
// constants and the like disappear from the optimized IR. Tensors larger than `max_bytes` are
// left to be computed at run time (the planner still folds them once at load), so bundles do
// not grow. A node whose op fails here is kept: the runtime reports it with real shapes.
#include "cactus/ir/graph.hpp"
#include "cactus/ops/registry.hpp"

namespace cactus::passes {

inline std::size_t fold_constants(ir::graph& g, std::size_t max_bytes = std::size_t{1} << 20) {
  const auto& table = ops::op_table();
  std::vector<ops::slot> slots(g.values.size());
  std::vector<bool> known(g.values.size(), false);
  for (std::size_t i = 0; i < g.values.size(); ++i) {
    slots[i] = ops::slot_of(g.values[i]);
    known[i] = slots[i].is_const;  // meta and in-memory tensor constants, not bound weights
  }
  std::size_t folded = 0;
  std::vector<ir::node> kept;
  std::vector<ops::slot*> in, out;
  for (auto& n : g.nodes) {
    const auto id = ops::find_op(n.op);
    const bool all_known = std::all_of(n.inputs.begin(), n.inputs.end(), [&](int v) { return known[static_cast<std::size_t>(v)]; });
    if (!id || !all_known || n.outputs.empty()) {
      kept.push_back(std::move(n));
      continue;
    }
    const ops::op_info& op = table[*id];
    in.clear();
    out.clear();
    for (int v : n.inputs) in.push_back(&slots[static_cast<std::size_t>(v)]);
    std::vector<ops::slot> results(n.outputs.size());
    for (std::size_t k = 0; k < n.outputs.size(); ++k) {
      results[k].k = g.values[static_cast<std::size_t>(n.outputs[k])].k;
      out.push_back(&results[k]);
    }
    bool ok = true;
    try {
      ops::context c(in, out, n.op, n.loc);
      op.infer(c);
      for (auto& r : results) ok = ok && (!r.is_tensor() || r.bytes() <= max_bytes);
      if (ok) {
        std::vector<tensor> storage;
        for (auto& r : results) {
          if (!r.is_tensor()) continue;
          storage.push_back(tensor::empty(r.type, r.shape));
          r.data = storage.back().data;
          r.owner = storage.back().owner;
        }
        const bool tensors = std::any_of(results.begin(), results.end(), [](const ops::slot& r) { return r.is_tensor(); });
        if (!tensors) {
          // plan-time values: infer computed them (e.g. arithmetic on sizes)
        } else if (op.view) std::memcpy(results[0].data, in[0]->data, results[0].bytes());
        else if (op.run) op.run(c);
        else ok = false;
      }
    } catch (const error&) {
      ok = false;
    }
    if (!ok) {
      kept.push_back(std::move(n));
      continue;
    }
    for (std::size_t k = 0; k < n.outputs.size(); ++k) {
      const std::size_t o = static_cast<std::size_t>(n.outputs[k]);
      ops::slot& r = results[k];
      ir::value& v = g.values[o];
      v.producer = -1;
      if (r.is_tensor()) {
        v.k = ir::kind::tensor;
        v.type = r.type;
        v.shape = r.shape;
        v.data = std::make_shared<tensor>(tensor::view(r.type, r.shape, r.data, r.owner));
      } else {
        v.k = r.k;
        v.constant = r.m;
        v.constant->k = r.k;
      }
      r.is_const = true;
      slots[o] = r;
      known[o] = true;
    }
    ++folded;
  }
  g.nodes = std::move(kept);
  g.reindex_producers();
  return folded;
}

}  // namespace cactus::passes
