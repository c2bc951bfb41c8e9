#pragma once
// Loading a bundle directory: components/manifest.json names its components (one, "model", for a
// bundle written before the manifest, or one graph per call of a model), and each component's
// graph file and bindings become an executor. Weight files are mapped once for the whole bundle
// and shared by every executor that binds them; nothing is copied, and a missing or damaged file
// is reported by name before execution starts. A weight file must still have the fingerprint
// its binding recorded when the graph was lowered, and a binding may not reach outside the
// bundle unless the bundle says it was lowered with --external-weights.
#include <filesystem>
#include <map>
#include <memory>
#include <utility>
#include <string>

#include "cactus/bundle/bindings.hpp"
#include "cactus/core/files.hpp"
#include "cactus/bundle/graph_file.hpp"
#include "cactus/bundle/manifest.hpp"
#include "cactus/quant/weight_file.hpp"
#include "cactus/runtime/executor.hpp"

namespace cactus::bundle {

namespace fs = std::filesystem;

struct loaded_bundle {
  fs::path dir;
  bundle::manifest manifest;
  std::map<std::string, std::unique_ptr<runtime::executor>> executors;  // by component name
  runtime::executor* exec = nullptr;  // the first component's (the only one of a one-graph bundle)

  runtime::executor& executor(const std::string& component) const {
    auto it = executors.find(component);
    check(it != executors.end(), dir.string(), ": the bundle has no component '", component, "'");
    return *it->second;
  }
};

inline loaded_bundle load_bundle(const fs::path& dir) {
  check(fs::is_directory(dir), dir.string(), ": not a directory");
  loaded_bundle b;
  b.dir = dir;
  b.manifest = manifest::read(dir);
  // which weights stay f16 or packed: decided here, on this CPU, as the bundle's author asked
  const runtime::weight_precision precision{b.manifest.passes.packed_conv, b.manifest.passes.f32_conv};
  // one mapping per weight file and fingerprint, whichever components bind it
  std::map<std::pair<fs::path, std::string>, tensor> mapped;
  for (const auto& c : b.manifest.components) {
    const fs::path graph = dir / c.directory / c.graph;
    check(path_exists(graph), dir.string(), ": no ", (fs::path(c.directory) / c.graph).lexically_normal().string(),
          " here; run `cactus transpile` first");
    const auto binds = bindings::read(dir, (fs::path(c.directory) / c.bindings).lexically_normal().string());
    auto gm = mapped_file::open(graph.string());
    ir::graph g = decode_graph(gm->data(), gm->size(), graph.string(), [&](const std::string& rel) { return quant::map_weight_file(dir / rel); });
    auto ex = std::make_unique<runtime::executor>(std::move(g), [&](const std::string& name) {
      auto e = binds.entries().find(name);
      if (e == binds.entries().end()) return binds.map(name);  // reports the missing binding
      const auto key = std::make_pair(resolved_path(dir / e->second.first), e->second.second);
      if (auto it = mapped.find(key); it != mapped.end()) return it->second;
      return mapped[key] = binds.map(name);  // checks the fingerprint
    }, precision);
    if (!b.exec) b.exec = ex.get();
    b.executors.emplace(c.name, std::move(ex));
  }
  return b;
}

}  // namespace cactus::bundle
