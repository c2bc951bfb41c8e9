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
  const fs::path bindings_path = dir / "graph_bindings.json";
  auto bindings = read_json(bindings_path);
  struct binding { std::string file, fingerprint; };
  std::map<std::string, binding> files;
  const std::string where = bindings_path.string();
  check(bindings.is_object() && bindings.contains("bindings") && bindings["bindings"].is_array(), where, ": no \"bindings\" list");
  const auto ext = bindings.value("external_weights", nlohmann::json(false));
  check(ext.is_boolean(), where, ": \"external_weights\" must be true or false");
  const fs::path root = fs::weakly_canonical(fs::absolute(dir));
  for (auto& e : bindings["bindings"]) {
    check(e.is_object() && e.contains("name") && e["name"].is_string() && e.contains("file") && e["file"].is_string(), where,
          ": a binding without a \"name\" and \"file\" string: ", e.dump().substr(0, 80));
    const std::string name = e["name"].get<std::string>(), file = e["file"].get<std::string>();
    const auto fp = e.value("fingerprint", nlohmann::json(""));
    check(fp.is_string(), where, ": binding '", name, "': \"fingerprint\" must be a string");
    if (!ext.get<bool>()) {
      const fs::path rel(file);
      const fs::path resolved = fs::weakly_canonical(root / rel);
      const fs::path r = resolved.lexically_relative(root);
      check(!rel.is_absolute() && !r.empty() && *r.begin() != "..", where, ": binding '", name, "' points outside the bundle (", file,
            "); a bundle that binds weights in place is lowered with `cactus transpile --external-weights`");
    }
    files[name] = {file, fp.get<std::string>()};
  }
  auto gm = mapped_file::open((dir / "graph.cactus").string());
  ir::graph g = decode_graph(gm->data(), gm->size(), (dir / "graph.cactus").string(),
                             [&](const std::string& rel) { return quant::map_weight_file(dir / rel); });
  b.exec = std::make_unique<executor>(std::move(g), [&](const std::string& name) {
    auto it = files.find(name);
    check(it != files.end(), where, ": no binding for weight '", name, "'");
    std::uint64_t fp = 0;
    const fs::path file = dir / it->second.file;
    tensor t = quant::map_weight_file(file, &fp);
    const std::string have = quant::fingerprint_text(fp);
    check(it->second.fingerprint.empty() || have == it->second.fingerprint, file.string(), ": changed since this graph was lowered (fingerprint ",
          have.empty() ? "none" : have, ", the graph was lowered against ", it->second.fingerprint,
          "); the weights no longer match this graph: run `cactus transpile` again");
    return t;
  });
  return b;
}

}  // namespace cactus::runtime
