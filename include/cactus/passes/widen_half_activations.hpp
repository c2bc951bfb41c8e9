#pragma once
// Stage 4: f16 activations are computed in f32, with PyTorch's rounding points kept.
#include <map>
#include <set>
#include <vector>

#include "cactus/ir/dtype_code.hpp"
#include "cactus/ir/graph.hpp"
#include "cactus/ops/registry.hpp"

namespace cactus::passes {

// Half-precision activations (a model exported with .half(), or .half() mid-graph) are
// computed in f32: graph inputs and the outputs of casts to f16 (PyTorch's rounding points,
// kept) are widened once where they are made, every other op's f16 result is an f32 result,
// and a graph output traced as f16 is narrowed back at the end, so outputs keep PyTorch's
// dtype. Returns the casts added.
inline std::size_t widen_half_activations(ir::graph& g) {
  auto half_activation = [&](int v) {
    const auto& val = g.values[static_cast<std::size_t>(v)];
    return val.is_tensor() && !val.is_constant() && val.type == dtype::f16;
  };
  std::set<int> half_outputs;
  for (int o : g.outputs)
    if (half_activation(o)) half_outputs.insert(o);
  std::map<int, int> wide;  // f16 value -> its f32 twin
  std::vector<ir::node> out;
  auto widen = [&](int v, const std::string& loc) {
    if (!half_activation(v) || wide.count(v)) return;
    ir::value w = g.values[static_cast<std::size_t>(v)];
    w.name.clear();
    w.type = dtype::f32;
    w.producer = -1;
    const int id = g.add_value(std::move(w));
    out.push_back(ir::node{"cast", {v, g.add_constant(ir::dtype_constant(dtype::f32))}, {id}, loc});
    wide.emplace(v, id);
  };
  for (int v : g.inputs) widen(v, "");
  std::vector<ir::node> nodes = std::move(g.nodes);
  for (auto& n : nodes) {
    const bool cast = n.op == "cast";
    if (!cast)
      for (int& v : n.inputs) {
        auto it = wide.find(v);
        if (it != wide.end()) v = it->second;
      }
    std::vector<int> outs = n.outputs;
    const std::string loc = n.loc;
    out.push_back(std::move(n));
    for (int v : outs) {
      if (cast) widen(v, loc);
      else if (half_activation(v)) g.values[static_cast<std::size_t>(v)].type = dtype::f32;  // computed in f32
    }
  }
  std::size_t added = wide.size();
  for (int& o : g.outputs) {
    if (!half_outputs.count(o) || g.values[static_cast<std::size_t>(o)].type != dtype::f32) continue;
    ir::value narrowed = g.values[static_cast<std::size_t>(o)];
    narrowed.name.clear();
    narrowed.producer = -1;
    narrowed.type = dtype::f16;
    const int id = g.add_value(std::move(narrowed));
    out.push_back(ir::node{"cast", {o, g.add_constant(ir::dtype_constant(dtype::f16))}, {id}, ""});
    o = id;
    ++added;
  }
  // (a twin nobody reads, e.g. of an input only a cast reads, goes with dead-code elimination)
  g.nodes = std::move(out);
  g.reindex_producers();
  return added;
}


}  // namespace cactus::passes
