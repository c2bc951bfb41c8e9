#pragma once
// The op counts of a graph after each pass of the pipeline, as `cactus inspect` prints them:
// one row per op, one column per stage (imported, canonicalize, fold_constants, fuse, dce, and
// "load": the casts to f32 that loading puts in front of weights ops do not read as stored, on
// this CPU), a total row, and which fusions fired or were off.
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "cactus/passes/pipeline.hpp"
#include "cactus/runtime/weight_precision.hpp"

namespace cactus::passes {

inline std::map<std::string, int> op_counts(const ir::graph& g) {
  std::map<std::string, int> c;
  for (auto& n : g.nodes) ++c[n.op];
  return c;
}

struct pass_trace {
  std::vector<std::pair<std::string, std::map<std::string, int>>> stages;  // "imported", then each pass
  pipeline_report report;
  std::set<std::string> disabled;  // fusions that were off
};

// Runs the pipeline on `g`, recording the op counts before and after each pass.
// (g is left as the passes leave it, as a bundle stores it.)
inline pass_trace optimize_traced(ir::graph& g, const fuse_options& fusion = {}, const runtime::weight_precision& precision = {}) {
  pass_trace t;
  t.disabled = fusion.disabled;
  t.stages.emplace_back("imported", op_counts(g));
  t.report = optimize(g, fusion, [&](std::string_view name, const ir::graph& now) { t.stages.emplace_back(std::string(name), op_counts(now)); });
  ir::graph loaded = g;
  runtime::plan_weight_precision(loaded, precision);
  t.stages.emplace_back("load", op_counts(loaded));
  return t;
}

inline std::string op_count_table(const pass_trace& t) {
  auto left = [](const std::string& s, std::size_t w) { return s.size() >= w ? s : s + std::string(w - s.size(), ' '); };
  auto right = [](const std::string& s, std::size_t w) { return " " + (s.size() >= w ? s : std::string(w - s.size(), ' ') + s); };
  std::set<std::string> ops;
  for (auto& [_, c] : t.stages)
    for (auto& [op, n] : c) ops.insert(op);
  std::string out = left("op", 28);
  for (auto& [name, _] : t.stages) out += right(name, 15);
  out += "\n";
  for (auto& op : ops) {
    out += left(op, 28);
    for (auto& [_, c] : t.stages) {
      auto it = c.find(op);
      out += right(it == c.end() ? "." : std::to_string(it->second), 15);
    }
    out += "\n";
  }
  out += left("total", 28);
  for (auto& [_, c] : t.stages) {
    int total = 0;
    for (auto& [op, n] : c) total += n;
    out += right(std::to_string(total), 15);
  }
  out += "\nfusions:";
  for (auto& [name, n] : t.report.fused) out += " " + name + " x" + std::to_string(n);
  for (auto& name : t.disabled) out += " " + name + " (off)";
  return out + "\n";
}

}  // namespace cactus::passes
