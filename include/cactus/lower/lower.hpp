#pragma once
// Stage 6: lowering and saving. Every node must name a registered op; bound weights become
// mmap bindings (graph_bindings.json), constants up to `inline_limit` bytes are inlined into
// graph.cactus, larger unbound ones go to bound_constants/. All files are written into a
// staging directory first and moved into place only when everything succeeded.
#include <filesystem>
#include <nlohmann/json.hpp>
#include <map>
#include <set>
#include <tuple>
#include <unistd.h>

#include "cactus/ir/ir_json.hpp"
#include "cactus/ops/registry.hpp"
#include "cactus/passes/canonicalize.hpp"
#include "cactus/passes/fuse.hpp"
#include "cactus/quant/manifest.hpp"
#include "cactus/quant/weight_file.hpp"
#include "cactus/runtime/graph_file.hpp"

namespace cactus::lower {

namespace fs = std::filesystem;

struct bundle_info {
  std::string model_id = "model", task = "generic", family = "pytorch";
  std::vector<std::string> input_names, output_names;
  // how the IR passes ran (recorded in components/manifest.json, so `cactus lower` and
  // `cactus inspect` run them the same way)
  passes::fuse_options fusion;
  passes::cast_options casts;
};

// The pass options a bundle recorded (defaults for bundles without them).
inline void read_pass_options(const nlohmann::json& components, bundle_info& info) {
  if (!components.contains("passes")) return;
  const auto& p = components["passes"];
  for (auto& f : p.value("disabled_fusions", nlohmann::json::array())) info.fusion.disabled.insert(f.get<std::string>());
  info.casts.packed_on_request = p.value("packed_conv", false);
}

inline void verify_lowerable(const ir::graph& g) {
  for (auto& n : g.nodes)
    check(ops::find_op(n.op).has_value(), "cannot lower op '", n.op, "'", n.loc.empty() ? "" : " at " + n.loc, ": no runtime kernel for it");
}

inline void save_bundle(const fs::path& artifact_dir, const ir::graph& raw, const ir::graph& optimized, const fs::path& weights_dir,
                        const quant::weights_manifest* manifest, const bundle_info& info, std::size_t inline_limit = 64 << 10) {
  verify_lowerable(optimized);
  fs::create_directories(artifact_dir);
  const fs::path stage = artifact_dir / (".cactus-staging-" + std::to_string(::getpid()));
  fs::remove_all(stage);
  fs::create_directories(stage / "components");
  try {
    // external constants, one file per tensor storage (raw and optimized IR share them)
    std::vector<std::string> external_files;
    std::map<std::tuple<const void*, dtype, shape_t>, std::string> file_of;
    auto external_as = [&](const std::string& stem, const tensor& t) -> std::string {
      if (t.bytes() <= inline_limit) return "";
      const auto key = std::make_tuple(static_cast<const void*>(t.data), t.type, t.shape);
      if (auto it = file_of.find(key); it != file_of.end()) return it->second;
      fs::create_directories(stage / "bound_constants");
      std::string rel = "bound_constants/" + stem + ".weights";
      quant::write_weight_file(stage / rel, t);
      external_files.push_back(rel);
      return file_of[key] = rel;
    };
    auto external = [&](int id, const tensor& t) { return external_as("c" + std::to_string(id), t); };
    auto graph_bytes = runtime::encode_graph(optimized, external);
    write_file_atomic(stage / "graph.cactus", graph_bytes.data(), graph_bytes.size());
    auto json_enc = [&](const char* prefix) {
      return [&, prefix](int id, const tensor& t) -> nlohmann::json {
        std::string rel = external_as(prefix + std::to_string(id), t);
        return rel.empty() ? ir::inline_tensor_json(t) : nlohmann::json{{"file", rel}};
      };
    };
    auto ir_enc = json_enc("c");
    auto raw_enc = json_enc("raw_c");
    write_file_atomic(stage / "raw_ir.json", ir::to_json(raw, raw_enc).dump(1));
    write_file_atomic(stage / "optimized_ir.json", ir::to_json(optimized, ir_enc).dump(1));
    // bindings: weight name -> file relative to the bundle
    nlohmann::json binds = nlohmann::json::array();
    std::set<std::string> done;
    for (std::size_t i = 0; i < optimized.values.size(); ++i) {
      const auto& v = optimized.values[i];
      if (v.weight.empty() || !done.insert(v.weight).second) continue;
      check(manifest != nullptr, "weight '", v.weight, "' is bound but no manifest was given");
      const quant::manifest_entry* e = nullptr;
      for (auto& w : manifest->weights)
        if (w.output_name == v.weight) e = &w;
      check(e != nullptr, "weight '", v.weight, "' is not in weights_manifest.json");
      fs::path rel = fs::relative(fs::absolute(weights_dir) / e->file, fs::absolute(artifact_dir));
      binds.push_back({{"value", i}, {"name", v.weight}, {"source_name", e->source_name}, {"file", rel.generic_string()},
                       {"shape", e->shape}, {"precision", e->precision}});
    }
    write_file_atomic(stage / "graph_bindings.json", nlohmann::json{{"format", "cactus-bindings"}, {"version", 1}, {"bindings", binds}}.dump(1));
    auto io = [&](const std::vector<int>& ids, const std::vector<std::string>& names, const char* prefix) {
      nlohmann::json a = nlohmann::json::array();
      for (std::size_t i = 0; i < ids.size(); ++i) {
        const auto& v = optimized.values[static_cast<std::size_t>(ids[i])];
        a.push_back({{"name", i < names.size() ? names[i] : std::string(prefix) + std::to_string(i)}, {"dtype", name_of(v.type)}, {"shape", v.shape}});
      }
      return a;
    };
    nlohmann::json comp = {{"format", "cactus-components"}, {"version", 1}, {"model_id", info.model_id}, {"task", info.task},
                           {"family", info.family}, {"component_order", {"model"}},
                           {"components", {{{"name", "model"}, {"directory", "."}, {"graph", "graph.cactus"}, {"bindings", "graph_bindings.json"},
                                            {"inputs", io(optimized.inputs, info.input_names, "input_")},
                                            {"outputs", io(optimized.outputs, info.output_names, "output_")}}}},
                           {"passes", {{"disabled_fusions", info.fusion.disabled}, {"packed_conv", info.casts.packed_on_request}}}};
    write_file_atomic(stage / "components" / "manifest.json", comp.dump(1));
    // move into place
    for (const char* f : {"graph.cactus", "raw_ir.json", "optimized_ir.json", "graph_bindings.json"}) fs::rename(stage / f, artifact_dir / f);
    fs::create_directories(artifact_dir / "components");
    fs::rename(stage / "components" / "manifest.json", artifact_dir / "components" / "manifest.json");
    if (!external_files.empty()) {
      fs::remove_all(artifact_dir / "bound_constants");
      fs::rename(stage / "bound_constants", artifact_dir / "bound_constants");
    }
    fs::remove_all(stage);
  } catch (...) {
    std::error_code ec;
    fs::remove_all(stage, ec);
    throw;
  }
}

}  // namespace cactus::lower
