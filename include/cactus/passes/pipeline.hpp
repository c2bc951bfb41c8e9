#pragma once
// Stages 4 and 5 in order, as every entry point runs them (transpile, re-lowering, the
// in-memory API): canonicalize, constant folding, precision casts, dead-code elimination.
#include "cactus/passes/canonicalize.hpp"
#include "cactus/passes/dce.hpp"
#include "cactus/passes/fold_constants.hpp"

namespace cactus::passes {

struct pipeline_report {
  canonicalize_report canonical;
  std::size_t folded = 0, casts = 0, dead = 0;
};

inline pipeline_report optimize(ir::graph& g) {
  pipeline_report r;
  r.canonical = canonicalize(g);
  r.folded = fold_constants(g);
  r.casts = insert_precision_casts(g);
  r.dead = dead_code_elimination(g);
  return r;
}

}  // namespace cactus::passes
