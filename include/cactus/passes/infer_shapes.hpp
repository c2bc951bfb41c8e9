#pragma once
// Shape inference on the IR: given a dtype and shape for each graph input, runs every op's
// infer (the planner's own) and records the dtype and shape of every tensor value, as a
// capture from an example input would. Graphs built in C++ (models/graph.hpp) need it before
// the passes whose rules look at ranks and dims; meta values are computed but not stored (the
// planner recomputes them for each input shape). The walk is the one graph interpreter's
// (ops/interpreter.hpp).
#include <vector>

#include "cactus/ir/graph.hpp"
#include "cactus/ops/interpreter.hpp"

namespace cactus::passes {

struct input_type {
  dtype type = dtype::f32;
  shape_t shape;
};

inline void infer_shapes(ir::graph& g, const std::vector<input_type>& inputs) {
  check(inputs.size() == g.inputs.size(), "the graph has ", g.inputs.size(), " inputs, ", inputs.size(), " example shapes were given");
  ops::interpreter it(g);
  for (std::size_t i = 0; i < g.values.size(); ++i)
    if (!g.values[i].weight.empty()) it.slots()[i].is_const = true;  // a constant for the ops' checks
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    ops::slot& s = it.value(g.inputs[i]);
    s.k = ir::kind::tensor;
    s.type = inputs[i].type;
    s.shape = inputs[i].shape;
  }
  for (std::size_t n = 0; n < it.num_nodes(); ++n) it.infer(n);
  for (std::size_t i = 0; i < g.values.size(); ++i) {
    ir::value& v = g.values[i];
    const ops::slot& s = it.slots()[i];
    if (v.constant || v.data || !v.weight.empty()) continue;
    v.k = s.k;
    if (s.is_tensor()) {
      v.type = s.type;
      v.shape = s.shape;
    }
  }
}

}  // namespace cactus::passes
