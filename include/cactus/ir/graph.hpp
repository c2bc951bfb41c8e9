#pragma once
// IRGraph: values, nodes in topological order, and the graph's inputs and outputs.
#include <string>
#include <vector>

#include "cactus/ir/node.hpp"
#include "cactus/ir/value.hpp"

namespace cactus::ir {

struct graph {
  std::vector<value> values;
  std::vector<node> nodes;
  std::vector<int> inputs;
  std::vector<int> outputs;

  int add_value(value v) {
    values.push_back(std::move(v));
    return static_cast<int>(values.size()) - 1;
  }
  // The plan-time value of constant v (an int, a list...), or null for tensors and computed values.
  const meta* constant_meta(int v) const {
    const auto& val = values[static_cast<std::size_t>(v)];
    return val.constant ? &*val.constant : nullptr;
  }
  int add_constant(meta m, std::string name = {}) {
    value v;
    v.name = std::move(name);
    v.k = m.k;
    v.constant = std::move(m);
    return add_value(std::move(v));
  }
  int add_tensor_constant(tensor t, std::string name = {}) {
    value v;
    v.name = std::move(name);
    v.type = t.type;
    v.shape = t.shape;
    v.data = std::make_shared<tensor>(std::move(t));
    return add_value(std::move(v));
  }
  // Appends a node; outputs get fresh values of the given kinds.
  int add_node(std::string op, std::vector<int> inputs, std::vector<kind> out_kinds, std::string loc = {}) {
    node n{std::move(op), std::move(inputs), {}, std::move(loc)};
    int idx = static_cast<int>(nodes.size());
    for (auto k : out_kinds) {
      value v;
      v.k = k;
      v.producer = idx;
      n.outputs.push_back(add_value(std::move(v)));
    }
    nodes.push_back(std::move(n));
    return idx;
  }

  // Number of nodes using each value (graph outputs count as uses).
  std::vector<int> use_counts() const {
    std::vector<int> uses(values.size(), 0);
    for (auto& n : nodes)
      for (int i : n.inputs) ++uses[static_cast<std::size_t>(i)];
    for (int o : outputs) ++uses[static_cast<std::size_t>(o)];
    return uses;
  }
  // Replaces every use of `from` by `to` (node inputs and graph outputs).
  void replace_uses(int from, int to) {
    for (auto& n : nodes)
      for (int& i : n.inputs)
        if (i == from) i = to;
    for (int& o : outputs)
      if (o == from) o = to;
  }
  void reindex_producers() {
    for (auto& v : values) v.producer = -1;
    for (std::size_t i = 0; i < nodes.size(); ++i)
      for (int o : nodes[i].outputs) values[static_cast<std::size_t>(o)].producer = static_cast<int>(i);
  }
  std::size_t count_op(const std::string& op) const {
    std::size_t c = 0;
    for (auto& n : nodes) c += n.op == op;
    return c;
  }
};

}  // namespace cactus::ir
