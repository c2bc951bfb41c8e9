#pragma once
// A bundle directory: graph.cactus + graph_bindings.json (+ components/manifest.json, raw and
// optimized IR, bound_constants/). Loading maps the graph and every weight file; nothing is
// copied, and a missing or damaged file is reported by name before execution starts.
#include <filesystem>
#include <nlohmann/json.hpp>

#include "cactus/core/files.hpp"
#include "cactus/quant/weight_file.hpp"
#include "cactus/runtime/executor.hpp"
#include "cactus/runtime/graph_file.hpp"

namespace cactus::runtime {

namespace fs = std::filesystem;

struct loaded_bundle {
  fs::path dir;
  nlohmann::json components;  // components/manifest.json
  std::unique_ptr<executor> exec;
};

inline nlohmann::json read_json(const fs::path& p) {
  check(fs::exists(p), p.string(), ": not found");
  try {
    return nlohmann::json::parse(read_file_text(p));
  } catch (const nlohmann::json::exception& e) {
    fail(p.string(), ": invalid JSON (", e.what(), ")");
  }
}

inline loaded_bundle load_bundle(const fs::path& dir) {
  check(fs::is_directory(dir), dir.string(), ": not a directory");
  check(fs::exists(dir / "graph.cactus"), dir.string(), ": no graph.cactus here; run `cactus transpile` first");
  loaded_bundle b;
  b.dir = dir;
  if (fs::exists(dir / "components" / "manifest.json")) b.components = read_json(dir / "components" / "manifest.json");
  auto bindings = read_json(dir / "graph_bindings.json");
  std::map<std::string, std::string> files;
  for (auto& e : bindings.at("bindings")) files[e.at("name").get<std::string>()] = e.at("file").get<std::string>();
  auto gm = mapped_file::open((dir / "graph.cactus").string());
  ir::graph g = decode_graph(gm->data(), gm->size(), (dir / "graph.cactus").string(),
                             [&](const std::string& rel) { return quant::map_weight_file(dir / rel); });
  b.exec = std::make_unique<executor>(std::move(g), [&](const std::string& name) {
    auto it = files.find(name);
    check(it != files.end(), (dir / "graph_bindings.json").string(), ": no binding for weight '", name, "'");
    return quant::map_weight_file(dir / it->second);
  });
  return b;
}

}  // namespace cactus::runtime
