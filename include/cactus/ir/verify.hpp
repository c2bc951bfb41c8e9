#pragma once
// The structural verifier every graph passes when it is read (IR JSON, graph.cactus) and before
// it is lowered: every id names a value; a value has at most one producer, and graph inputs and
// constants have none; nodes are in topological order (each input is a graph input, a constant
// or the output of an earlier node), so the graph is acyclic; graph inputs are distinct tensors;
// graph outputs are defined; a node of a registered op has as many inputs and outputs as the op
// declares (ops/op.hpp, `arity`). Dtypes and shapes are checked by each op's infer when the graph
// is planned. Names the registry does not know (the ATen spellings of raw IR) are checked by
// frontends/aten/canonicalize.hpp as it maps them, and any left over are refused there.
#include <string>
#include <vector>

#include "cactus/core/error.hpp"
#include "cactus/ir/graph.hpp"
#include "cactus/ops/registry.hpp"

namespace cactus::ir {

inline void verify(const graph& g, const std::string& what) {
  const std::size_t nv = g.values.size();
  auto in_range = [&](int id) { return id >= 0 && static_cast<std::size_t>(id) < nv; };
  auto describe = [&](std::size_t i) {
    const auto& n = g.nodes[i];
    return "node " + std::to_string(i) + " (" + n.op + (n.loc.empty() ? "" : " at " + n.loc) + ")";
  };
  // -2: not defined yet, -1: graph input or constant, >= 0: producing node
  std::vector<int> defined(nv, -2);
  for (std::size_t i = 0; i < nv; ++i)
    if (g.values[i].is_constant()) defined[i] = -1;
  for (int id : g.inputs) {
    check(in_range(id), what, ": graph input ", id, " is not a value (", nv, " values)");
    const auto& v = g.values[static_cast<std::size_t>(id)];
    check(!v.is_constant(), what, ": graph input ", id, " is also a constant");
    check(defined[static_cast<std::size_t>(id)] == -2, what, ": value ", id, " is listed twice as a graph input");
    defined[static_cast<std::size_t>(id)] = -1;
  }
  for (std::size_t i = 0; i < g.nodes.size(); ++i) {
    const auto& n = g.nodes[i];
    if (const auto id = ops::find_op(n.op)) {
      const ops::op_info* op = &ops::op_table()[*id];
      if (!op->inputs.admits(n.inputs.size()))
        fail(what, ": ", describe(i), " has ", n.inputs.size(), " inputs; ", op->name, " takes ", op->inputs.text());
      if (!op->outputs.admits(n.outputs.size()))
        fail(what, ": ", describe(i), " has ", n.outputs.size(), " outputs; ", op->name, " gives ", op->outputs.text());
    }
    for (int id : n.inputs) {
      if (!in_range(id)) fail(what, ": ", describe(i), " uses unknown value ", id, " (", nv, " values)");
      if (defined[static_cast<std::size_t>(id)] == -2)
        fail(what, ": ", describe(i), " uses value ", id, " before it is produced (a cycle, or nodes out of order)");
    }
    for (int id : n.outputs) {
      if (!in_range(id)) fail(what, ": ", describe(i), " produces unknown value ", id, " (", nv, " values)");
      // (messages are built only on failure: describe(d) needs a valid d)
      if (const int d = defined[static_cast<std::size_t>(id)]; d != -2)
        fail(what, ": value ", id, " has two producers: ", describe(i), " and ",
             d == -1 ? std::string("a graph input or constant") : describe(static_cast<std::size_t>(d)));
      defined[static_cast<std::size_t>(id)] = static_cast<int>(i);
    }
  }
  for (int id : g.outputs) {
    check(in_range(id), what, ": graph output ", id, " is not a value (", nv, " values)");
    check(defined[static_cast<std::size_t>(id)] != -2, what, ": graph output ", id, " is never produced");
  }
}

// Every node names an op with a runtime kernel (what lowering needs on top of verify).
inline void verify_lowerable(const graph& g) {
  for (auto& n : g.nodes)
    check(ops::find_op(n.op).has_value(), "cannot lower op '", n.op, "'", n.loc.empty() ? "" : " at " + n.loc, ": no runtime kernel for it");
}

}  // namespace cactus::ir
