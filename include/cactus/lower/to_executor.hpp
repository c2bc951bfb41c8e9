#pragma once
// IR to executor, the in-memory path of the API: an imported IR graph (constants inline, or weights resolved
// by the caller) is optimized and lowered straight into an executor, with no bundle on disk.
//   auto model = cactus::lower::to_executor(captured.graph);
//   model->set_input(0, x);
//   auto outputs = model->execute();
#include <memory>

#include "cactus/ir/verify.hpp"
#include "cactus/passes/pipeline.hpp"
#include "cactus/runtime/executor.hpp"

namespace cactus::lower {

inline std::unique_ptr<runtime::executor> to_executor(ir::graph g, const runtime::weight_resolver& weights = {}) {
  passes::optimize(g);
  ir::verify_lowerable(g);
  return std::make_unique<runtime::executor>(std::move(g), weights);
}

}  // namespace cactus::lower
