#pragma once
// Stage 6: writing a bundle. Every node must name a registered op; bound weights become
// mmap bindings (graph_bindings.json), constants up to `inline_limit` bytes are inlined into
// graph.cactus, larger unbound ones go to bound_constants/. The bundle is published as a unit
// (core/staged_directory.hpp). Bindings stay inside the bundle: weights converted elsewhere are
// hard-linked (or copied) into weights/, unless write_options::external_weights (transpile's
// --external-weights) binds them in place, which graph_bindings.json records. Every binding
// records its weight file's fingerprint, which the loader checks. A bundle holds one graph or
// several (component_graphs: prefill and decode, encoder and decoder), each under
// components/<name>/, sharing the weight files they bind.
#include <filesystem>
#include <nlohmann/json.hpp>
#include <map>
#include <set>
#include <tuple>

#include "cactus/core/files.hpp"
#include "cactus/core/staged_directory.hpp"
#include "cactus/ir/ir_json.hpp"
#include "cactus/ir/verify.hpp"
#include "cactus/ops/registry.hpp"
#include "cactus/runtime/weight_precision.hpp"
#include "cactus/passes/fuse.hpp"
#include "cactus/quant/manifest.hpp"
#include "cactus/quant/weight_file.hpp"
#include "cactus/bundle/graph_file.hpp"
#include "cactus/bundle/manifest.hpp"
#include "cactus/formats/hf_checkpoint.hpp"

namespace cactus::bundle {

namespace fs = std::filesystem;

struct write_options {
  std::string model_id = "model", task = "generic", family = "pytorch";
  std::vector<std::string> input_names, output_names;
  // how the IR passes ran (recorded in components/manifest.json, so `cactus lower` and
  // `cactus inspect` run them the same way)
  passes::fuse_options fusion;
  runtime::weight_precision precision;  // --packed-conv / --f32-conv, applied when the bundle is loaded
  bool external_weights = false;  // bind weights outside the bundle in place (recorded)
};

// The files lowering writes into a bundle directory (what it replaces when lowering again).
inline bool owns(const fs::path& rel) {
  const fs::path top = *rel.begin();
  // (not weights/: it may hold a user's converted weights, and linked files are checked by fingerprint)
  for (const char* f : {"graph.cactus", "raw_ir.json", "optimized_ir.json", "graph_bindings.json", "components", "bound_constants", "result.json"})
    if (top == f) return true;
  return false;
}

// The pass options a bundle recorded, as the passes take them (defaults for bundles without them).
inline passes::fuse_options recorded_fusion(const manifest& m) {
  passes::fuse_options f;
  f.disabled = m.passes.disabled_fusions;
  return f;
}
inline runtime::weight_precision recorded_precision(const manifest& m) { return {m.passes.packed_conv, m.passes.f32_conv}; }

// One graph of a bundle as lowering writes it: the graph before and after the passes, the names
// its inputs and outputs get in the manifest (input_<i> / output_<i> past the end of the lists),
// and the session state each of them is read from or written to ("" or past the end: none).
struct component_graphs {
  std::string name;
  const ir::graph& raw;
  const ir::graph& optimized;
  std::vector<std::string> input_names = {}, output_names = {};
  std::vector<std::string> input_state = {}, output_state = {};
  std::vector<int> input_capacity_dim = {};  // per input: the dim of a state the session sizes, or -1
};

namespace detail {

// What the components of one bundle share while they are written: external constants, one file
// per tensor storage, and the weight files linked into weights/ (by name, with their source).
struct bundle_writer {
  const fs::path& dir;  // the stage
  fs::path stage_abs, target_abs;
  const fs::path& weights_dir;
  const quant::weights_manifest* manifest;
  const write_options& info;
  std::size_t inline_limit;
  std::map<std::tuple<const void*, dtype, shape_t>, std::string> file_of;
  std::map<std::string, fs::path> linked;  // weights/<name> -> the file it links

  // A constant larger than inline_limit as a weight file under `at`/bound_constants/ (relative
  // to the bundle), or "" to inline it.
  std::string external(const fs::path& at, const std::string& stem, const tensor& t) {
    if (t.bytes() <= inline_limit) return "";
    const auto key = std::make_tuple(static_cast<const void*>(t.data), t.type, t.shape);
    if (auto it = file_of.find(key); it != file_of.end()) return it->second;
    fs::create_directories(dir / at / "bound_constants");
    const std::string rel = (at / "bound_constants" / (stem + ".weights")).lexically_normal().generic_string();
    quant::write_weight_file(dir / rel, t);
    return file_of[key] = rel;
  }

  // The file a bound weight is read from, relative to the bundle, and its fingerprint.
  std::pair<fs::path, std::string> bind(const quant::manifest_entry& e) {
    const fs::path src = resolved_path(weights_dir / e.file);
    const std::string fp = quant::read_weight_fingerprint(src);
    check(e.fingerprint.empty() || e.fingerprint == fp, src.string(), ": does not match its manifest entry (fingerprint ", fp, ", the manifest says ",
          e.fingerprint, "); convert the checkpoint again");
    if (is_inside(src, stage_abs)) return {src.lexically_relative(stage_abs), fp};
    if (is_inside(src, target_abs) || info.external_weights) return {src.lexically_relative(target_abs), fp};
    const fs::path rel = fs::path("weights") / src.filename();
    if (auto it = linked.find(rel.string()); it != linked.end()) {
      check(it->second == src, src.string(), ": two bound weight files are both named ", src.filename().string());
      return {rel, fp};  // a weight two components bind: linked once
    }
    linked.emplace(rel.string(), src);
    fs::create_directories(dir / "weights");
    const fs::path dst = dir / rel;
    if (fs::exists(dst) && quant::read_weight_fingerprint(dst) != fp) fs::remove(dst);  // unlink: never write through a link
    if (!fs::exists(dst)) {
      std::error_code ec;
      fs::create_hard_link(src, dst, ec);
      if (ec) fs::copy_file(src, dst);
    }
    return {rel, fp};
  }

  // The component's files under `at` (relative to the bundle): graph.cactus, the two IR JSONs and
  // graph_bindings.json. Returns its manifest entry.
  component write(const component_graphs& c, const fs::path& at) {
    const std::string who = at == "." ? "" : "component '" + c.name + "': ";  // errors name the component of a bundle of several
    ir::verify(c.raw, who + "raw graph");
    ir::verify(c.optimized, who + "optimized graph");
    ir::verify_lowerable(c.optimized);
    fs::create_directories(dir / at);
    auto graph_bytes = encode_graph(c.optimized, [&](int id, const tensor& t) { return external(at, "c" + std::to_string(id), t); });
    write_file_atomic(dir / at / "graph.cactus", graph_bytes.data(), graph_bytes.size());
    // the IR JSONs name their constant files from their own directory (lower::load_ir_json reads
    // them so), graph.cactus from the bundle's
    auto json_enc = [&](const char* prefix) {
      return [&, prefix](int id, const tensor& t) -> nlohmann::json {
        std::string rel = external(at, prefix + std::to_string(id), t);
        return rel.empty() ? ir::inline_tensor_json(t) : nlohmann::json{{"file", fs::path(rel).lexically_relative(at).generic_string()}};
      };
    };
    write_file_atomic(dir / at / "raw_ir.json", ir::to_json(c.raw, json_enc("raw_c")).dump(1));
    write_file_atomic(dir / at / "optimized_ir.json", ir::to_json(c.optimized, json_enc("c")).dump(1));
    // bindings: weight name -> file relative to the bundle, and the fingerprint it was lowered with
    nlohmann::json binds = nlohmann::json::array();
    std::set<std::string> done;
    for (std::size_t i = 0; i < c.optimized.values.size(); ++i) {
      const auto& v = c.optimized.values[i];
      if (v.weight.empty() || !done.insert(v.weight).second) continue;
      check(manifest != nullptr, who, "weight '", v.weight, "' is bound but no manifest was given");
      const quant::manifest_entry* e = nullptr;
      for (auto& w : manifest->weights)
        if (w.output_name == v.weight) e = &w;
      check(e != nullptr, who, "weight '", v.weight, "' is not in weights_manifest.json");
      const auto [rel, fp] = bind(*e);
      binds.push_back({{"value", i}, {"name", v.weight}, {"source_name", e->source_name}, {"file", rel.generic_string()},
                       {"shape", e->shape}, {"precision", e->precision}, {"fingerprint", fp}});
    }
    write_file_atomic(dir / at / "graph_bindings.json", nlohmann::json{{"format", "cactus-bindings"}, {"version", 1},
                                                                       {"external_weights", info.external_weights}, {"bindings", binds}}.dump(1));
    auto io = [&](const std::vector<int>& ids, const std::vector<std::string>& names, const std::vector<std::string>& states,
                  const std::vector<int>& capacity, const char* prefix) {
      std::vector<io_spec> a;
      for (std::size_t i = 0; i < ids.size(); ++i) {
        const auto& v = c.optimized.values[static_cast<std::size_t>(ids[i])];
        a.push_back({i < names.size() ? names[i] : std::string(prefix) + std::to_string(i), std::string(name_of(v.type)), v.shape,
                     i < states.size() ? states[i] : std::string(), i < capacity.size() ? capacity[i] : -1});
      }
      return a;
    };
    component k;
    k.name = c.name;
    k.directory = at.generic_string();
    k.inputs = io(c.optimized.inputs, c.input_names, c.input_state, c.input_capacity_dim, "input_");
    k.outputs = io(c.optimized.outputs, c.output_names, c.output_state, {}, "output_");
    return k;
  }
};

// A component name is one plain path segment: it names components/<name>/.
inline void check_component_names(const std::vector<component_graphs>& cs) {
  check(!cs.empty(), "a bundle needs at least one graph");
  std::set<std::string> seen;
  for (auto& c : cs) {
    check(!c.name.empty() && c.name != "." && c.name != ".." && c.name.find_first_of("/\\") == std::string::npos && c.name != "manifest.json",
          "component name '", c.name, "' is not a plain directory name");
    check(seen.insert(c.name).second, "two components are named '", c.name, "'");
  }
}

}  // namespace detail

// Writes the bundle's graph files into dir, a stage that will be published as target: paths
// in the bundle are relative to target (a stage is target's sibling, so they resolve the same
// from either). A bundle of one graph has its files at the top; a bundle of several has each
// under components/<name>/, and components/manifest.json lists them in this order. The
// components share weights/ and constants, which are written once. Nothing is published here.
inline void write_into(const fs::path& dir, const fs::path& target, const std::vector<component_graphs>& graphs, const fs::path& weights_dir,
                       const quant::weights_manifest* manifest, const write_options& info, std::size_t inline_limit = 64 << 10) {
  detail::check_component_names(graphs);
  fs::create_directories(dir / "components");
  detail::bundle_writer w{dir, resolved_path(dir), resolved_path(target), weights_dir, manifest, info, inline_limit, {}, {}};
  bundle::manifest m;
  m.model_id = info.model_id;
  m.task = info.task;
  m.family = info.family;
  m.components.clear();
  for (auto& c : graphs) m.components.push_back(w.write(c, graphs.size() == 1 ? fs::path(".") : fs::path("components") / c.name));
  m.passes.disabled_fusions = info.fusion.disabled;
  m.passes.packed_conv = info.precision.packed_conv;
  m.passes.f32_conv = info.precision.f32_conv;
  for (const char* f : formats::hf_side_file_names)
    if (fs::exists(dir / f)) m.side_files.push_back(f);  // the stage holds links to the target's files
  m.cactus_version = cactus::version;
  m.write(dir);
}

// One graph, named "model", its inputs and outputs named by info.
inline void write_into(const fs::path& dir, const fs::path& target, const ir::graph& raw, const ir::graph& optimized,
                       const fs::path& weights_dir, const quant::weights_manifest* manifest, const write_options& info,
                       std::size_t inline_limit = 64 << 10) {
  write_into(dir, target, {component_graphs{"model", raw, optimized, info.input_names, info.output_names}}, weights_dir, manifest, info,
             inline_limit);
}

// Lowers and publishes a bundle in artifact_dir (its other files, such as converted weights, stay).
inline void write(const fs::path& artifact_dir, const std::vector<component_graphs>& graphs, const fs::path& weights_dir,
                  const quant::weights_manifest* manifest, const write_options& info, std::size_t inline_limit = 64 << 10) {
  staged_directory stage(artifact_dir, owns);
  write_into(stage.path(), stage.target(), graphs, weights_dir, manifest, info, inline_limit);
  stage.publish();
}
inline void write(const fs::path& artifact_dir, const ir::graph& raw, const ir::graph& optimized, const fs::path& weights_dir,
                  const quant::weights_manifest* manifest, const write_options& info, std::size_t inline_limit = 64 << 10) {
  write(artifact_dir, {component_graphs{"model", raw, optimized, info.input_names, info.output_names}}, weights_dir, manifest, info, inline_limit);
}

}  // namespace cactus::bundle
