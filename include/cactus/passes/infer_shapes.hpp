#pragma once
// Shape inference on the IR: given a dtype and shape for each graph input, runs every op's
// infer (the planner's own) and records the dtype and shape of every tensor value, as a
// capture from an example input would. Graphs built in C++ (models/graph.hpp) need it before
// the passes whose rules look at ranks and dims; meta values are computed but not stored (the
// planner recomputes them for each input shape).
#include <vector>

#include "cactus/ir/graph.hpp"
#include "cactus/ops/registry.hpp"

namespace cactus::passes {

struct input_type {
  dtype type = dtype::f32;
  shape_t shape;
};

inline void infer_shapes(ir::graph& g, const std::vector<input_type>& inputs) {
  check(inputs.size() == g.inputs.size(), "the graph has ", g.inputs.size(), " inputs, ", inputs.size(), " example shapes were given");
  std::vector<ops::slot> slots(g.values.size());
  for (std::size_t i = 0; i < g.values.size(); ++i) {
    slots[i] = ops::slot_of(g.values[i]);
    if (!g.values[i].weight.empty()) slots[i].is_const = true;  // a constant for the ops' checks
  }
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    ops::slot& s = slots[static_cast<std::size_t>(g.inputs[i])];
    s.k = ir::kind::tensor;
    s.type = inputs[i].type;
    s.shape = inputs[i].shape;
  }
  std::vector<ops::slot*> in, out;
  for (const auto& n : g.nodes) {
    auto id = ops::find_op(n.op);
    check(id.has_value(), "unknown op '", n.op, "'", n.loc.empty() ? "" : " at " + n.loc);
    in.clear();
    out.clear();
    for (int i : n.inputs) in.push_back(&slots[static_cast<std::size_t>(i)]);
    for (int o : n.outputs) out.push_back(&slots[static_cast<std::size_t>(o)]);
    ops::context c(in, out, n.op, n.loc);
    try {
      ops::op_table()[*id].infer(c);
    } catch (const error& e) {
      fail(n.op, n.loc.empty() ? "" : " at " + n.loc, ": ", e.what());
    }
  }
  for (std::size_t i = 0; i < g.values.size(); ++i) {
    ir::value& v = g.values[i];
    const ops::slot& s = slots[i];
    if (v.constant || v.data || !v.weight.empty()) continue;
    v.k = s.k;
    if (s.is_tensor()) {
      v.type = s.type;
      v.shape = s.shape;
    }
  }
}

}  // namespace cactus::passes
