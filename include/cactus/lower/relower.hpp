#pragma once
// Re-lowering from saved IR, with no LibTorch: read raw_ir.json or optimized_ir.json from a
// bundle, run the IR passes again with the options the bundle recorded (they are idempotent on
// optimized IR) and write a new bundle.
// Weights bound by name are found through the bundle's graph_bindings.json; constants the JSON
// keeps in files are read from beside it.
#include "cactus/bundle/load.hpp"
#include "cactus/bundle/write.hpp"
#include "cactus/core/json_read.hpp"
#include "cactus/passes/pipeline.hpp"

namespace cactus::lower {

namespace fs = std::filesystem;

// Reads an IR JSON document; {"file": rel} constants are mapped from the JSON's directory.
inline ir::graph load_ir_json(const fs::path& ir_json) {
  auto j = read_json(ir_json);
  const fs::path dir = fs::absolute(ir_json).parent_path();  // ("raw_ir.json" alone has an empty parent)
  try {
    return ir::from_json(j, [&](const nlohmann::json& d) -> tensor {
      check(d.contains("file"), ir_json.string(), ": a constant of ", json_integer_or(d, "omitted_bytes", ir_json.string(), std::uint64_t{0}),
            " bytes was not saved with this IR; re-transpile with a newer cactus");
      return quant::map_weight_file(dir / d.at("file").get<std::string>());
    }, ir_json.string());
  } catch (const nlohmann::json::exception& e) {
    fail(ir_json.string(), ": malformed IR document: ", json_reason(e));
  }
}

// The weights a bundle binds, as a manifest whose files are relative to the bundle directory.
inline quant::weights_manifest manifest_from_bindings(const fs::path& bundle_dir) {
  quant::weights_manifest m;
  auto b = read_json(bundle_dir / "graph_bindings.json");
  for (auto& e : b.at("bindings"))
    m.weights.push_back({e.value("source_name", e.at("name").get<std::string>()), e.at("name").get<std::string>(),
                         e.at("file").get<std::string>(), e.at("precision").get<std::string>(), "", json_integers(e.at("shape"), (bundle_dir / "graph_bindings.json").string() + ": shape"), 0,
                         32, 0, 0, e.value("fingerprint", "")});
  return m;
}

// The IR file `which` (raw_ir.json, optimized_ir.json) that `path` means: the file itself, or the
// one of a bundle directory. Re-lowering writes a one-graph bundle, so a bundle of several graphs,
// or the IR of one of its components, is refused by name rather than re-lowered in part.
inline fs::path ir_file_of(const fs::path& path, const char* which) {
  const fs::path file = path_exists(path) && fs::is_directory(path) ? path / which : path;
  const fs::path dir = fs::absolute(file).parent_path();
  auto one_graph = [&](const fs::path& bundle_dir) {
    if (!path_exists(bundle::manifest::path_in(bundle_dir))) return;
    const auto m = bundle::manifest::read(bundle_dir);
    check(m.components.size() == 1, file.string(), ": in a bundle of ", m.components.size(), " graphs (", bundle_dir.string(),
          "); re-lowering and inspecting take one-graph bundles only");
  };
  one_graph(dir);
  if (dir.parent_path().filename() == "components") one_graph(dir.parent_path().parent_path());
  check(path_exists(file), file.string(), ": no such file");
  return file;
}

struct relower_report {
  ir::graph graph;
  std::size_t nodes_in = 0;
};

inline relower_report relower(const fs::path& ir_json, const fs::path& out_dir) {
  const fs::path bundle_dir = fs::absolute(ir_json).parent_path();
  check(fs::absolute(out_dir).lexically_normal() != fs::absolute(bundle_dir).lexically_normal(),
        out_dir.string(), ": re-lowering writes a new bundle; give an --artifact-dir other than the source bundle");
  relower_report r;
  ir::graph g = load_ir_json(ir_json);
  r.nodes_in = g.nodes.size();
  const ir::graph raw = g;
  quant::weights_manifest m = manifest_from_bindings(bundle_dir);
  const auto recorded = bundle::manifest::read(bundle_dir);
  check(recorded.components.size() == 1, bundle::manifest::path_in(bundle_dir).string(), ": the bundle has ", recorded.components.size(),
        " components; re-lowering one IR file writes a one-graph bundle, so it takes bundles of one component");
  bundle::write_options info;
  info.fusion = bundle::recorded_fusion(recorded);
  info.precision = bundle::recorded_precision(recorded);
  info.model_id = recorded.model_id;
  info.task = recorded.task;
  info.family = recorded.family;
  for (auto& i : recorded.components[0].inputs) info.input_names.push_back(i.name);
  for (auto& o : recorded.components[0].outputs) info.output_names.push_back(o.name);
  info.external_weights = read_json(bundle_dir / "graph_bindings.json").value("external_weights", false);
  passes::optimize(g, info.fusion);  // as the source bundle ran them
  bundle::write(out_dir, raw, g, bundle_dir, &m, info);
  r.graph = std::move(g);
  return r;
}

}  // namespace cactus::lower
