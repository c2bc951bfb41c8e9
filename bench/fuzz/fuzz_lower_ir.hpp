// IR JSON carried through the passes `cactus lower` runs, except fusion: canonicalize (the
// TorchScript spellings it rewrites by hand), half-activation widening, permute rewrites,
// static dims and constant folding (every op's infer and run on constant inputs), DCE, and the
// casts loading puts in front of weights (runtime/weight_precision.hpp), then the verifier on
// the result. Fusion's rules (patterns/rules/) use double
// template arguments that clang 14 does not compile yet, so this binary cannot hold them.
#pragma once
#include "cactus/ir/ir_json.hpp"
#include "cactus/frontends/aten/canonicalize.hpp"
#include "cactus/passes/dce.hpp"
#include "cactus/passes/fold_constants.hpp"
#include "cactus/passes/simplify_permutes.hpp"
#include "cactus/passes/static_dims.hpp"
#include "cactus/passes/widen_half_activations.hpp"
#include "cactus/runtime/weight_precision.hpp"
#include "fuzz_input.hpp"

inline int fuzz_lower_ir(const std::uint8_t* data, std::size_t size) {
  return cactus_fuzz::guarded([&] {
    nlohmann::json j = nlohmann::json::parse(data, data + size, nullptr, false);
    if (j.is_discarded()) return;
    cactus::ir::graph g;
    try {
      g = cactus::ir::from_json(j);
    } catch (const nlohmann::json::exception&) {
      return;  // the reader's own target covers these (fuzz_ir_json)
    }
    namespace p = cactus::passes;
    cactus::frontends::aten::canonicalize(g);
    p::widen_half_activations(g);
    p::simplify_permutes(g);
    for (int round = 0; round < 4; ++round)  // as passes::optimize runs them
      if (!p::fold_static_dims(g) && !p::fold_constants(g)) break;
    p::dead_code_elimination(g);
    cactus::runtime::plan_weight_precision(g);
    cactus::ir::verify(g, "optimized graph");
  });
}
