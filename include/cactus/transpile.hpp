#pragma once
// The transpile pipeline (needs LibTorch for capture): capture -> bind -> canonicalize ->
// casts -> DCE -> lower and save, then optionally run the bundle against LibTorch.
#include <chrono>

#include "cactus/cactus.hpp"
#include "cactus/capture/torchscript.hpp"

namespace cactus {

struct transpile_options {
  std::filesystem::path model, weights_dir, artifact_dir;
  std::vector<tensor> example_inputs;
  bool compare = true;
  bool verbose = true;
  passes::fuse_options fusion;  // rules to skip (--no-fuse-<name>)
  passes::cast_options casts;   // --packed-conv
};

struct transpile_result {
  ir::graph raw, optimized;
  std::vector<tensor> reference, outputs;
  double max_abs_error = 0, max_abs_reference = 0;
  std::size_t bound = 0, unbound = 0;
};

inline transpile_result transpile(const transpile_options& o) {
  namespace fs = std::filesystem;
  transpile_result r;
  auto log = [&](auto&&... a) { if (o.verbose) { ((std::cerr << a), ...); std::cerr << "\n"; } };
  log("[1/6] adapt: generic TorchScript module");
  auto cap = capture::capture_torchscript(o.model, o.example_inputs);
  log("[2/6] capture: ", cap.graph.nodes.size(), " TorchScript nodes");
  ir::graph g = cap.graph;
  std::unique_ptr<quant::weights_manifest> manifest;
  if (!o.weights_dir.empty()) {
    manifest = std::make_unique<quant::weights_manifest>(quant::weights_manifest::load(o.weights_dir));
    auto b = passes::bind_weights(g, *manifest);
    r.bound = b.bound;
    r.unbound = b.unbound;
  }
  r.raw = g;  // raw_ir.json: the imported graph with its weights bound, before any rewrite
  log("[3/6] import: ", r.bound, " constants bound to converted weights, ", r.unbound, " kept inline");
  auto p = passes::optimize(g, o.fusion, {}, o.casts);
  log("[4/6] canonicalize: ", p.canonical.rewritten, " rewrites, ", p.canonical.removed_noops, " no-ops removed, ", p.folded,
      " nodes folded to constants, ", p.casts, " precision casts, ", p.dead, " dead nodes");
  {
    std::string fused;
    for (auto& [name, n] : p.fused) fused += " " + name + " x" + std::to_string(n);
    for (auto& name : o.fusion.disabled) fused += " (" + name + " off)";
    log("[5/6] fuse:", fused.empty() ? " nothing matched" : fused);
  }
  r.optimized = g;
  lower::bundle_info info;
  info.model_id = o.model.stem().string();
  info.fusion = o.fusion;
  info.casts = o.casts;
  for (int i : g.inputs) info.input_names.push_back(g.values[static_cast<std::size_t>(i)].name);
  lower::save_bundle(o.artifact_dir, r.raw, g, o.weights_dir, manifest.get(), info);
  log("[6/6] lower: ", g.nodes.size(), " runtime nodes -> ", o.artifact_dir.string());
  if (o.compare) {
    auto b = runtime::load_bundle(o.artifact_dir);
    for (std::size_t i = 0; i < o.example_inputs.size(); ++i) b.exec->set_input(i, o.example_inputs[i]);
    r.outputs = b.exec->execute();
    check(r.outputs.size() == cap.reference_outputs.size(), "bundle has ", r.outputs.size(), " outputs, PyTorch returned ", cap.reference_outputs.size());
    for (std::size_t i = 0; i < r.outputs.size(); ++i) {
      tensor ref = capture::from_torch(cap.reference_outputs[i], "reference");
      check(ref.shape == r.outputs[i].shape, "output ", i, ": shape ", to_string(r.outputs[i].shape), " vs PyTorch ", to_string(ref.shape));
      for (std::int64_t k = 0; k < ref.numel(); ++k) {
        r.max_abs_error = std::max(r.max_abs_error, std::fabs(r.outputs[i].element_as_double(k) - ref.element_as_double(k)));
        r.max_abs_reference = std::max(r.max_abs_reference, std::fabs(ref.element_as_double(k)));
      }
      r.reference.push_back(std::move(ref));
    }
    nlohmann::json res = {{"max_abs_error", r.max_abs_error}, {"max_abs_reference", r.max_abs_reference},
                          {"relative_error", r.max_abs_reference > 0 ? r.max_abs_error / r.max_abs_reference : r.max_abs_error}};
    write_file_atomic(o.artifact_dir / "result.json", res.dump(1));
  }
  return r;
}

}  // namespace cactus
