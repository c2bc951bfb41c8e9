#pragma once
// A bundle directory: graph.cactus + graph_bindings.json (+ components/manifest.json, raw and
// optimized IR, bound_constants/). Loading maps the graph and every weight file; nothing is
// copied, and a missing or damaged file is reported by name before execution starts. A weight
// file must still have the fingerprint its binding recorded when the graph was lowered, and a
// binding may not reach outside the bundle unless the bundle says it was lowered with
// --external-weights.
#include <filesystem>
#include <nlohmann/json.hpp>

#include "cactus/core/files.hpp"
#include "cactus/quant/weight_file.hpp"
#include "cactus/runtime/bindings.hpp"
#include "cactus/runtime/executor.hpp"
#include "cactus/runtime/graph_file.hpp"

namespace cactus::runtime {

namespace fs = std::filesystem;

struct loaded_bundle {
  fs::path dir;
  nlohmann::json components;  // components/manifest.json
  std::unique_ptr<executor> exec;
};

inline loaded_bundle load_bundle(const fs::path& dir) {
  check(fs::is_directory(dir), dir.string(), ": not a directory");
  check(fs::exists(dir / "graph.cactus"), dir.string(), ": no graph.cactus here; run `cactus transpile` first");
  loaded_bundle b;
  b.dir = dir;
  if (fs::exists(dir / "components" / "manifest.json")) b.components = read_json(dir / "components" / "manifest.json");
  const auto binds = bindings::read(dir);
  auto gm = mapped_file::open((dir / "graph.cactus").string());
  ir::graph g = decode_graph(gm->data(), gm->size(), (dir / "graph.cactus").string(),
                             [&](const std::string& rel) { return quant::map_weight_file(dir / rel); });
  b.exec = std::make_unique<executor>(std::move(g), [&](const std::string& name) { return binds.map(name); });
  return b;
}

}  // namespace cactus::runtime
