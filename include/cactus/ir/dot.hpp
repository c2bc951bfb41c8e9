#pragma once
// Graphviz dot for an IR graph: one box per node (op, source location), edges labelled with
// the tensor shape they carry; graph inputs and outputs as ellipses, weights as notes.
// Meta constants (dims, flags) are left out to keep the picture readable.
#include <sstream>
#include <string>

#include "cactus/ir/graph.hpp"

namespace cactus::ir {

inline std::string dot_escape(const std::string& s) {
  std::string r;
  for (char c : s) {
    if (c == '"' || c == '\\') r += '\\';
    r += c;
  }
  return r;
}

inline std::string to_dot(const graph& g, const std::string& title = "cactus") {
  std::ostringstream o;
  o << "digraph \"" << dot_escape(title) << "\" {\n  rankdir=TB;\n  node [fontname=\"Helvetica\", fontsize=10];\n";
  auto shape_of = [&](int v) { return to_string(g.values[static_cast<std::size_t>(v)].shape); };
  for (std::size_t i = 0; i < g.inputs.size(); ++i) {
    const int v = g.inputs[i];
    o << "  v" << v << " [shape=ellipse, label=\"input " << dot_escape(g.values[static_cast<std::size_t>(v)].name) << "\\n" << shape_of(v) << "\"];\n";
  }
  for (std::size_t n = 0; n < g.nodes.size(); ++n) {
    const auto& nd = g.nodes[n];
    o << "  n" << n << " [shape=box, style=rounded, label=\"" << dot_escape(nd.op) << "\"];\n";
    for (int v : nd.inputs) {
      const auto& val = g.values[static_cast<std::size_t>(v)];
      if (!val.is_tensor()) continue;
      if (val.producer >= 0) {
        o << "  n" << val.producer << " -> n" << n << " [label=\"" << shape_of(v) << "\"];\n";
      } else if (val.is_constant()) {
        o << "  v" << v << " [shape=note, label=\"" << dot_escape(val.weight.empty() ? (val.name.empty() ? "constant" : val.name) : val.weight)
          << "\\n" << name_of(val.type) << " " << shape_of(v) << "\"];\n  v" << v << " -> n" << n << ";\n";
      } else {
        o << "  v" << v << " -> n" << n << ";\n";
      }
    }
  }
  for (std::size_t i = 0; i < g.outputs.size(); ++i) {
    const int v = g.outputs[i];
    const auto& val = g.values[static_cast<std::size_t>(v)];
    o << "  out" << i << " [shape=ellipse, label=\"output " << i << "\\n" << shape_of(v) << "\"];\n";
    o << "  " << (val.producer >= 0 ? "n" + std::to_string(val.producer) : "v" + std::to_string(v)) << " -> out" << i << ";\n";
  }
  o << "}\n";
  return o.str();
}

}  // namespace cactus::ir
