#pragma once
// Which stored weights each op reads as they are, decided when a graph is loaded (the executor's
// first step, before planning), on the CPU that runs it: an f16 or packed (q8 / CQ) constant
// stays as stored where its op reads that format directly (the registry's f16_weights,
// packed_inputs, packed_on_request and packed_faster traits); elsewhere a cast to f32 goes in
// front, which planning folds once: the weight is then held dequantized. Bundles store the
// graph as the passes left it, with weights in their stored formats, so one bundle gets the
// choice that fits each CPU (a packed convolution stays packed only where the CPU has the int8
// microkernel that makes it pay). Graphs lowered before this step existed hold their casts
// already; a weight that is already cast is left alone.
#include <cstdint>
#include <map>
#include <vector>

#include "cactus/ir/dtype_code.hpp"
#include "cactus/ir/graph.hpp"
#include "cactus/ops/registry.hpp"

namespace cactus::runtime {

// The bundle author's say in it (transpile's flags, recorded in components/manifest.json).
struct weight_precision {
  bool packed_conv = false;  // --packed-conv: every packed conv kernel stays packed
  bool f32_conv = false;     // --f32-conv: none does (default: where the op says it is faster)
};

// Puts the casts in; the number inserted.
inline std::size_t plan_weight_precision(ir::graph& g, const weight_precision& p = {}) {
  std::size_t inserted = 0;
  std::map<int, int> casted;
  std::vector<ir::node> out;
  for (auto& n : g.nodes) {
    const auto id = ops::find_op(n.op);
    const ops::op_info* op = id ? &ops::op_table()[*id] : nullptr;
    auto reads_packed = [&](std::size_t k, const shape_t& s) {
      if (!op || k >= 32) return false;
      if (op->packed_inputs >> k & 1u) return true;
      if (!(op->packed_on_request >> k & 1u)) return false;
      return p.packed_conv || (!p.f32_conv && op->packed_faster && op->packed_faster(k, s));
    };
    for (std::size_t k = 0; k < n.inputs.size() && n.op != "cast"; ++k) {
      const int v = n.inputs[k];
      const auto& val = g.values[static_cast<std::size_t>(v)];
      if (!val.is_tensor() || !val.is_constant() || (val.type != dtype::f16 && !is_packed(val.type))) continue;
      if (val.type == dtype::f16 && op && op->f16_weights && val.shape.size() >= 2) continue;
      if (is_packed(val.type) && reads_packed(k, val.shape)) continue;
      auto it = casted.find(v);
      if (it == casted.end()) {
        ir::value c = val;
        c.weight.clear();
        c.data.reset();
        c.constant.reset();
        c.name.clear();
        c.type = dtype::f32;
        const int cid = g.add_value(std::move(c));
        out.push_back(ir::node{"cast", {v, g.add_constant(ir::dtype_constant(dtype::f32))}, {cid}, n.loc});
        it = casted.emplace(v, cid).first;
        ++inserted;
      }
      n.inputs[k] = it->second;
    }
    out.push_back(std::move(n));
  }
  g.nodes = std::move(out);
  g.reindex_producers();
  return inserted;
}

}  // namespace cactus::runtime
