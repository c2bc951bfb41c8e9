#pragma once
// Stage 6: writing a bundle. Every node must name a registered op; bound weights become
// mmap bindings (graph_bindings.json), constants up to `inline_limit` bytes are inlined into
// graph.cactus, larger unbound ones go to bound_constants/. The bundle is published as a unit
// (core/staged_directory.hpp). Bindings stay inside the bundle: weights converted elsewhere are
// hard-linked (or copied) into weights/, unless write_options::external_weights (transpile's
// --external-weights) binds them in place, which graph_bindings.json records. Every binding
// records its weight file's fingerprint, which the loader checks.
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
#include "cactus/passes/insert_precision_casts.hpp"
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
  passes::cast_options casts;
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
inline passes::cast_options recorded_casts(const manifest& m) {
  passes::cast_options c;
  c.packed_on_request = m.passes.packed_conv;
  return c;
}

// Writes the bundle's graph files into dir, a stage that will be published as target: paths
// in the bundle are relative to target (a stage is target's sibling, so they resolve the same
// from either). Nothing is published here.
inline void write_into(const fs::path& dir, const fs::path& target, const ir::graph& raw, const ir::graph& optimized,
                       const fs::path& weights_dir, const quant::weights_manifest* manifest, const write_options& info,
                       std::size_t inline_limit = 64 << 10) {
  ir::verify(raw, "raw graph");
  ir::verify(optimized, "optimized graph");
  ir::verify_lowerable(optimized);
  fs::create_directories(dir / "components");
  // external constants, one file per tensor storage (raw and optimized IR share them)
  std::map<std::tuple<const void*, dtype, shape_t>, std::string> file_of;
  auto external_as = [&](const std::string& stem, const tensor& t) -> std::string {
    if (t.bytes() <= inline_limit) return "";
    const auto key = std::make_tuple(static_cast<const void*>(t.data), t.type, t.shape);
    if (auto it = file_of.find(key); it != file_of.end()) return it->second;
    fs::create_directories(dir / "bound_constants");
    std::string rel = "bound_constants/" + stem + ".weights";
    quant::write_weight_file(dir / rel, t);
    return file_of[key] = rel;
  };
  auto external = [&](int id, const tensor& t) { return external_as("c" + std::to_string(id), t); };
  auto graph_bytes = encode_graph(optimized, external);
  write_file_atomic(dir / "graph.cactus", graph_bytes.data(), graph_bytes.size());
  auto json_enc = [&](const char* prefix) {
    return [&, prefix](int id, const tensor& t) -> nlohmann::json {
      std::string rel = external_as(prefix + std::to_string(id), t);
      return rel.empty() ? ir::inline_tensor_json(t) : nlohmann::json{{"file", rel}};
    };
  };
  auto ir_enc = json_enc("c");
  auto raw_enc = json_enc("raw_c");
  write_file_atomic(dir / "raw_ir.json", ir::to_json(raw, raw_enc).dump(1));
  write_file_atomic(dir / "optimized_ir.json", ir::to_json(optimized, ir_enc).dump(1));
  // bindings: weight name -> file relative to the bundle, and the fingerprint it was lowered with
  const fs::path stage_abs = resolved_path(dir), target_abs = resolved_path(target);
  nlohmann::json binds = nlohmann::json::array();
  std::set<std::string> done, linked;
  for (std::size_t i = 0; i < optimized.values.size(); ++i) {
    const auto& v = optimized.values[i];
    if (v.weight.empty() || !done.insert(v.weight).second) continue;
    check(manifest != nullptr, "weight '", v.weight, "' is bound but no manifest was given");
    const quant::manifest_entry* e = nullptr;
    for (auto& w : manifest->weights)
      if (w.output_name == v.weight) e = &w;
    check(e != nullptr, "weight '", v.weight, "' is not in weights_manifest.json");
    const fs::path src = resolved_path(weights_dir / e->file);
    const std::string fp = quant::read_weight_fingerprint(src);
    check(e->fingerprint.empty() || e->fingerprint == fp, src.string(), ": does not match its manifest entry (fingerprint ", fp, ", the manifest says ",
          e->fingerprint, "); convert the checkpoint again");
    fs::path rel;
    if (is_inside(src, stage_abs)) {
      rel = src.lexically_relative(stage_abs);
    } else if (is_inside(src, target_abs)) {
      rel = src.lexically_relative(target_abs);
    } else if (info.external_weights) {
      rel = src.lexically_relative(target_abs);
    } else {
      rel = fs::path("weights") / src.filename();
      check(linked.insert(rel.string()).second, src.string(), ": two bound weight files are both named ", src.filename().string());
      fs::create_directories(dir / "weights");
      const fs::path dst = dir / rel;
      if (fs::exists(dst) && quant::read_weight_fingerprint(dst) != fp) fs::remove(dst);  // unlink: never write through a link
      if (!fs::exists(dst)) {
        std::error_code ec;
        fs::create_hard_link(src, dst, ec);
        if (ec) fs::copy_file(src, dst);
      }
    }
    binds.push_back({{"value", i}, {"name", v.weight}, {"source_name", e->source_name}, {"file", rel.generic_string()},
                     {"shape", e->shape}, {"precision", e->precision}, {"fingerprint", fp}});
  }
  write_file_atomic(dir / "graph_bindings.json", nlohmann::json{{"format", "cactus-bindings"}, {"version", 1},
                                                                {"external_weights", info.external_weights}, {"bindings", binds}}.dump(1));
  auto io = [&](const std::vector<int>& ids, const std::vector<std::string>& names, const char* prefix) {
    std::vector<io_spec> a;
    for (std::size_t i = 0; i < ids.size(); ++i) {
      const auto& v = optimized.values[static_cast<std::size_t>(ids[i])];
      a.push_back({i < names.size() ? names[i] : std::string(prefix) + std::to_string(i), std::string(name_of(v.type)), v.shape});
    }
    return a;
  };
  bundle::manifest m;
  m.model_id = info.model_id;
  m.task = info.task;
  m.family = info.family;
  m.components[0].inputs = io(optimized.inputs, info.input_names, "input_");
  m.components[0].outputs = io(optimized.outputs, info.output_names, "output_");
  m.passes.disabled_fusions = info.fusion.disabled;
  m.passes.packed_conv = info.casts.packed_on_request;
  for (const char* f : formats::hf_side_file_names)
    if (fs::exists(dir / f)) m.side_files.push_back(f);  // the stage holds links to the target's files
  m.cactus_version = cactus::version;
  m.write(dir);
}

// Lowers and publishes a bundle in artifact_dir (its other files, such as converted weights, stay).
inline void write(const fs::path& artifact_dir, const ir::graph& raw, const ir::graph& optimized, const fs::path& weights_dir,
                  const quant::weights_manifest* manifest, const write_options& info, std::size_t inline_limit = 64 << 10) {
  staged_directory stage(artifact_dir, owns);
  write_into(stage.path(), stage.target(), raw, optimized, weights_dir, manifest, info, inline_limit);
  stage.publish();
}

}  // namespace cactus::bundle
