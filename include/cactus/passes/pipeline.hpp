#pragma once
// Stages 4 and 5 in order, as every entry point runs them (transpile, re-lowering, the
// in-memory API): canonicalize (the front ends' ATen dialect to canonical ops, owned by
// frontends/aten/; then f16 activations computed in f32 and permute rewrites), constant
// folding (with the sizes the model fixes), fusion, dead-code elimination. (Which weights stay
// f16 or packed is decided when the graph is loaded: runtime/weight_precision.hpp.)
#include <functional>
#include <string_view>

#include "cactus/frontends/aten/canonicalize.hpp"
#include "cactus/passes/dce.hpp"
#include "cactus/passes/fold_constants.hpp"
#include "cactus/passes/fuse.hpp"
#include "cactus/passes/simplify_permutes.hpp"
#include "cactus/passes/static_dims.hpp"
#include "cactus/passes/widen_half_activations.hpp"

namespace cactus::passes {

struct pipeline_report {
  frontends::aten::canonicalize_report canonical;
  std::size_t widened = 0, permutes = 0, static_dims = 0, folded = 0, dead = 0;
  std::map<std::string, int> fused;  // rule name -> times fired
};

// `after` (optional) sees the graph after each pass, by name (`cactus inspect` prints op counts).
inline pipeline_report optimize(ir::graph& g, const fuse_options& fusion = {},
                                const std::function<void(std::string_view, const ir::graph&)>& after = {}) {
  pipeline_report r;
  auto step = [&](std::string_view name) {
    if (after) after(name, g);
  };
  r.canonical = frontends::aten::canonicalize(g);
  r.widened = widen_half_activations(g);
  r.permutes = simplify_permutes(g);
  step("canonicalize");
  // sizes fixed by the model become constants, the arithmetic on them folds, which may fix
  // more sizes (a reshape to a list of them): to a fixed point, bounded
  for (int round = 0; round < 4; ++round) {
    const std::size_t s = fold_static_dims(g), f = fold_constants(g);
    r.static_dims += s;
    r.folded += f;
    if (!s && !f) break;
  }
  step("fold_constants");
  r.fused = fuse(g, fusion);
  step("fuse");
  r.dead = dead_code_elimination(g);
  step("dce");
  return r;
}

}  // namespace cactus::passes
