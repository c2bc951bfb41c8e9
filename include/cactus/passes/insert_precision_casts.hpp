#pragma once
// Stage 5 (after fusion): f16 and packed weights stay as stored only where an op reads them
// directly; elsewhere a cast to f32 goes in front.
#include <cstdint>
#include <map>
#include <vector>

#include "cactus/ir/dtype_code.hpp"
#include "cactus/ir/graph.hpp"
#include "cactus/ops/registry.hpp"

namespace cactus::passes {

// What insert_precision_casts may leave packed beyond what every op takes.
struct cast_options {
  bool packed_on_request = false;  // inputs ops take packed only on request (conv kernels: --packed-conv)
  bool packed_where_faster = true;  // ... and by default where the op says packed is faster (off: --f32-conv)
};

// Ops that read f16 or packed (q8 / CQ) weights directly; elsewhere such a constant gets a cast
// to f32 in front (folded once at load by the planner: the weight is then held dequantized).
inline std::size_t insert_precision_casts(ir::graph& g, const cast_options& o = {}) {
  std::size_t inserted = 0;
  std::map<int, int> casted;
  std::vector<ir::node> out;
  for (auto& n : g.nodes) {
    auto id = ops::find_op(n.op);
    const bool f16_ok = id && ops::op_table()[*id].f16_weights;
    const std::uint32_t packed_ok =
        id ? ops::op_table()[*id].packed_inputs | (o.packed_on_request ? ops::op_table()[*id].packed_on_request : 0u) : 0u;
    for (std::size_t k = 0; k < n.inputs.size(); ++k) {
      const int v = n.inputs[k];
      const auto& val = g.values[static_cast<std::size_t>(v)];
      if (!val.is_tensor() || !val.is_constant() || (val.type != dtype::f16 && !is_packed(val.type))) continue;
      if (val.type == dtype::f16 && f16_ok && val.shape.size() >= 2) continue;
      if (is_packed(val.type) && k < 32 && (packed_ok >> k & 1u)) continue;
      if (is_packed(val.type) && k < 32 && o.packed_where_faster && id && (ops::op_table()[*id].packed_on_request >> k & 1u) &&
          ops::op_table()[*id].packed_faster && ops::op_table()[*id].packed_faster(k, val.shape))
        continue;
      if (n.op == "cast") continue;
      auto it = casted.find(v);
      if (it == casted.end()) {
        ir::value c = val;
        c.weight.clear();
        c.data.reset();
        c.constant.reset();
        c.name.clear();
        c.type = dtype::f32;
        int cid = g.add_value(std::move(c));
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


}  // namespace cactus::passes
