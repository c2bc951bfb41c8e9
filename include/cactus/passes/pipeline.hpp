#pragma once
// Stages 4 and 5 in order, as every entry point runs them (transpile, re-lowering, the
// in-memory API): canonicalize, constant folding, fusion, precision casts, dead-code
// elimination.
#include <functional>
#include <string_view>

#include "cactus/passes/canonicalize.hpp"
#include "cactus/passes/dce.hpp"
#include "cactus/passes/fold_constants.hpp"
#include "cactus/passes/fuse.hpp"

namespace cactus::passes {

struct pipeline_report {
  canonicalize_report canonical;
  std::size_t folded = 0, casts = 0, dead = 0;
  std::map<std::string, int> fused;  // rule name -> times fired
};

// `after` (optional) sees the graph after each pass, by name (`cactus inspect` prints op counts).
inline pipeline_report optimize(ir::graph& g, const fuse_options& fusion = {},
                                const std::function<void(std::string_view, const ir::graph&)>& after = {}) {
  pipeline_report r;
  auto step = [&](std::string_view name) {
    if (after) after(name, g);
  };
  r.canonical = canonicalize(g);
  step("canonicalize");
  r.folded = fold_constants(g);
  step("fold_constants");
  r.fused = fuse(g, fusion);
  step("fuse");
  r.casts = insert_precision_casts(g);
  step("precision_casts");
  r.dead = dead_code_elimination(g);
  step("dce");
  return r;
}

}  // namespace cactus::passes
