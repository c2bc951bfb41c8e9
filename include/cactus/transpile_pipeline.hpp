#pragma once
// The transpile pipeline: capture -> bind -> canonicalize -> fuse -> DCE -> lower and save,
// then optionally run the bundle against the reference. Front ends: a torch.export archive
// (.pt2, read without LibTorch; the reference outputs, when there are any, come with the
// options), a Hugging Face checkpoint or a Python class (exported to a .pt2 by the project's
// Python), or a TorchScript archive (captured and run as the reference by LibTorch, through
// frontends/torchscript/frontend.hpp: transpile.hpp links it in, the CLI loads it as a plugin).
// This header needs no LibTorch.
// The bundle is written into a stage beside the artifact directory and checked there (the check
// run) before it is published as a unit: a failed transpile leaves the directory as it was.
#include <chrono>

#include "cactus/cactus.hpp"
#include "cactus/frontends/torchscript/frontend.hpp"
#include "cactus/frontends/hf_model.hpp"
#include "cactus/frontends/python_class.hpp"
#include "cactus/lower/kv_cache.hpp"
#include "cactus/runtime/llm/causal_lm.hpp"

namespace cactus {

struct transpile_options {
  std::filesystem::path model, weights_dir, artifact_dir;
  std::vector<tensor> example_inputs;
  std::string init_args;  // path/model.py:Class: constructor arguments (JSON)
  std::vector<tensor> reference_outputs;  // .pt2: PyTorch's outputs on example_inputs (the Python-class path writes them)
  bool compare = true;
  bool verbose = true;
  passes::fuse_options fusion;  // rules to skip (--no-fuse-<name>)
  runtime::weight_precision precision;  // --packed-conv, --f32-conv (recorded; applied at load)
  std::string model_id;         // the bundle's model_id (default: the model file's stem)
  bool external_weights = false;  // --external-weights: bind weights outside the bundle in place
  std::string task = "auto";      // --task, for a Hugging Face checkpoint (auto: from its config.json)
  dtype kv_cache = dtype::f16;    // --kv-cache: the KV cache's dtype (causal_lm_logits)
  // set by the Hugging Face path for the .pt2 it exported:
  std::string family = "pytorch", model_task = "generic";
  std::int64_t max_positions = 0;
  std::map<std::string, std::string> aliases;       // tied parameter names (bind_weights)
  std::vector<std::filesystem::path> side_files;   // config and tokenizer files copied into the bundle
};

struct transpile_result {
  ir::graph raw, optimized;
  std::vector<tensor> reference, outputs;
  double max_abs_error = 0, max_abs_reference = 0;
  std::size_t bound = 0, unbound = 0;
  bool compared = false;  // the check run happened (a reference was there)
};

namespace detail {

// Stages 3-5 on one captured graph: its weights bound by name (when there are converted weights),
// then canonicalized and fused. r.raw and r.optimized get the graph before and after.
template <class Log>
void bind_and_optimize(ir::graph& g, const quant::weights_manifest* manifest, const transpile_options& o, transpile_result& r,
                       const std::string& who, const Log& log) {
  std::size_t bound = 0, unbound = 0;
  if (manifest) {
    auto b = passes::bind_weights(g, *manifest, o.aliases);
    bound = b.bound;
    unbound = b.unbound;
  }
  r.bound += bound;
  r.unbound += unbound;
  r.raw = g;  // raw_ir.json: the imported graph with its weights bound, before any rewrite
  log("[3/6] import", who, ": ", bound, " constants bound to converted weights, ", unbound, " kept inline");
  auto p = passes::optimize(g, o.fusion);
  log("[4/6] canonicalize", who, ": ", p.canonical.rewritten, " rewrites, ", p.canonical.removed_noops, " no-ops removed, ", p.folded,
      " nodes folded to constants, ", p.dead, " dead nodes");
  std::string fused;
  for (auto& [name, n] : p.fused) fused += " " + name + " x" + std::to_string(n);
  for (auto& name : o.fusion.disabled) fused += " (" + name + " off)";
  log("[5/6] fuse", who, ":", fused.empty() ? " nothing matched" : fused);
  r.optimized = g;
}

inline bundle::write_options bundle_info(const transpile_options& o) {
  bundle::write_options info;
  info.model_id = o.model_id.empty() ? o.model.stem().string() : o.model_id;
  info.task = o.model_task;
  info.family = o.family;
  info.fusion = o.fusion;
  info.precision = o.precision;
  info.external_weights = o.external_weights;
  return info;
}

// Adds the check run's outputs of one graph (`who`: "" or "component 'x': ") to r, against PyTorch's.
inline void compare_with_reference(transpile_result& r, std::vector<tensor> outputs, const std::vector<tensor>& reference, const std::string& who) {
  check(outputs.size() == reference.size(), who, "bundle has ", outputs.size(), " outputs, PyTorch returned ", reference.size());
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    const tensor& ref = reference[i];
    check(ref.shape == outputs[i].shape, who, "output ", i, ": shape ", to_string(outputs[i].shape), " vs PyTorch ", to_string(ref.shape));
    for (std::int64_t k = 0; k < ref.numel(); ++k) {
      r.max_abs_error = std::max(r.max_abs_error, std::fabs(outputs[i].element_as_double(k) - ref.element_as_double(k)));
      r.max_abs_reference = std::max(r.max_abs_reference, std::fabs(ref.element_as_double(k)));
    }
    r.reference.push_back(ref);
    r.outputs.push_back(std::move(outputs[i]));
  }
}

// A bundle whose weights (and cache) are all fp32 must agree with PyTorch: a larger difference is
// a wrong graph, and it is not published. Reduced precisions are reported, not judged here.
inline void judge_check_run(const transpile_result& r, const transpile_options& o, const quant::weights_manifest* manifest, bool exact,
                            const std::filesystem::path& stage) {
  const double rel = r.max_abs_reference > 0 ? r.max_abs_error / r.max_abs_reference : r.max_abs_error;
  nlohmann::json res = {{"max_abs_error", r.max_abs_error}, {"max_abs_reference", r.max_abs_reference}, {"relative_error", rel}};
  if (manifest)
    for (const auto& w : manifest->weights) exact = exact && w.precision == "fp32";
  check(!exact || rel <= 1e-3, o.artifact_dir.string(), ": the check run differs from PyTorch (max |cactus - pytorch| ", r.max_abs_error,
        ", ", rel, " of max |pytorch| ", r.max_abs_reference, ", over the 1e-3 allowed for fp32 weights); the bundle is not written. "
        "--skip-reference-compare writes it without the check");
  write_file_atomic(stage / "result.json", res.dump(1));
}

}  // namespace detail

// The check run of a causal LM bundle: the prompt's first N - 1 tokens through prefill, then the
// last through decode (so both graphs and the cache between them are checked), giving the logits
// of the last two positions, [1, 2, V] (compared with the same rows of PyTorch's [1, N, V]).
inline std::vector<tensor> check_causal_lm(const std::filesystem::path& bundle_dir, const std::vector<tensor>& example, std::vector<tensor>& reference) {
  check(!example.empty() && example[0].type == dtype::i64 && example[0].shape.size() == 2 && example[0].shape[1] >= 2 && reference.size() == 1 &&
            reference[0].shape.size() == 3,
        "the causal LM check run needs token ids [1, N >= 2] and logits [1, N, V]");
  runtime::session s(bundle_dir);
  runtime::llm::causal_lm lm(s);
  const std::int64_t N = example[0].shape[1], V = reference[0].shape[2];
  const std::int64_t* ids = example[0].ptr<std::int64_t>();
  lm.reserve(N);
  tensor got = tensor::empty(dtype::f32, {1, 2, V}), want = tensor::empty(dtype::f32, {1, 2, V});
  auto a = lm.forward(std::vector<std::int64_t>(ids, ids + N - 1), 0);
  auto b = lm.forward({ids[N - 1]}, N - 1);
  std::copy(a.ptr<float>() + a.numel() - V, a.ptr<float>() + a.numel(), got.ptr<float>());
  std::copy(b.ptr<float>() + b.numel() - V, b.ptr<float>() + b.numel(), got.ptr<float>() + V);
  std::copy(reference[0].ptr<float>() + (N - 2) * V, reference[0].ptr<float>() + N * V, want.ptr<float>());
  reference[0] = want;
  return {got};
}

// A Hugging Face model the exporter gave as several programs (a transducer's encoder, decoder and
// joint networks): each is imported, bound and optimized on its own, and the bundle holds them as
// components sharing one weights/ (and the session state the exporter named, e.g. an LSTM's).
// The check run runs each component on its example inputs against PyTorch's outputs.
inline transpile_result transpile_components(const transpile_options& o, const frontends::hf_export& ex) {
  namespace fs = std::filesystem;
  auto log = [&](auto&&... a) { if (o.verbose) { ((std::cerr << a), ...); std::cerr << "\n"; } };
  transpile_options opt = o;
  opt.family = ex.family;
  opt.model_task = ex.task;
  opt.aliases = ex.aliases;
  opt.side_files = formats::open_hf_checkpoint(o.model).side_files;
  if (opt.model_id.empty()) opt.model_id = o.model.filename().string();
  log("      family ", ex.family, ", task ", ex.task, ", ", ex.components.size(), " components");
  if (!ex.decomposed.empty()) log("      decomposed to core ATen ops: ", ex.decomposed);
  log("[1/6] adapt: ", ex.family, " ", ex.task);
  std::unique_ptr<staged_directory> stage;
  fs::path weights_dir = o.weights_dir;
  if (weights_dir.empty()) {
    // no converted weights given: the archives' own, converted losslessly into the bundle
    std::vector<formats::lazy_tensor> all;
    for (auto& c : ex.components)
      for (auto& t : frontends::torch_export::checkpoint_tensors(c.archive)) all.push_back(std::move(t));
    convert_options co;
    co.bits = 32;
    co.source = o.model.string();
    co.side_files = opt.side_files;
    stage = std::make_unique<staged_directory>(o.artifact_dir, [co](const fs::path& rel) { return bundle::owns(rel) || convert_owns(rel, co); });
    convert_into(all, stage->path(), co);
    weights_dir = stage->path();
    log("      weights: the archives' ", all.size(), " tensors converted (f32) into ", o.artifact_dir.string());
  } else {
    stage = std::make_unique<staged_directory>(o.artifact_dir, bundle::owns);
  }
  const auto manifest = std::make_unique<quant::weights_manifest>(quant::weights_manifest::load(weights_dir));
  transpile_result r;
  std::vector<ir::graph> raws, optimized;
  for (auto& c : ex.components) {
    const std::string who = " (" + c.name + ")";
    auto prog = frontends::torch_export::import_archive(c.archive);
    log("[2/6] capture", who, ": ", prog.graph.nodes.size(), " ATen nodes (ExportedProgram schema ", prog.schema_version, ")");
    check(c.example_inputs.size() == prog.graph.inputs.size(), c.archive.string(), ": the program takes ", prog.graph.inputs.size(), " inputs, ",
          c.example_inputs.size(), " example inputs were given");
    detail::bind_and_optimize(prog.graph, manifest.get(), opt, r, who, log);
    raws.push_back(std::move(r.raw));
    optimized.push_back(std::move(r.optimized));
  }
  std::vector<bundle::component_graphs> graphs;
  for (std::size_t i = 0; i < ex.components.size(); ++i) {
    const auto& c = ex.components[i];
    graphs.push_back(bundle::component_graphs{c.name, raws[i], optimized[i], c.input_names, c.output_names, c.input_state, c.output_state});
  }
  bundle::write_into(stage->path(), stage->target(), graphs, weights_dir, manifest.get(), detail::bundle_info(opt));
  for (auto& f : opt.side_files)
    if (!path_exists(stage->path() / f.filename())) fs::copy_file(f, stage->path() / f.filename());
  std::size_t nodes = 0;
  for (auto& g : optimized) nodes += g.nodes.size();
  log("[6/6] lower: ", ex.components.size(), " components, ", nodes, " runtime nodes -> ", o.artifact_dir.string());
  if (o.compare) {
    r.compared = true;
    auto b = bundle::load_bundle(stage->path());
    for (auto& c : ex.components) {
      runtime::executor& e = b.executor(c.name);
      for (std::size_t i = 0; i < c.example_inputs.size(); ++i) e.set_input(i, c.example_inputs[i]);
      detail::compare_with_reference(r, e.execute(), c.reference, "component '" + c.name + "': ");
    }
    detail::judge_check_run(r, o, manifest.get(), true, stage->path());
  }
  r.raw = raws.front();
  r.optimized = optimized.front();
  stage->publish();
  return r;
}

inline transpile_result transpile_to_bundle(const transpile_options& o) {
  namespace fs = std::filesystem;
  transpile_result r;
  auto log = [&](auto&&... a) { if (o.verbose) { ((std::cerr << a), ...); std::cerr << "\n"; } };
  if (frontends::is_python_class_spec(o.model.string())) {
    // export the class in the project's Python, then go on as for the .pt2 it wrote
    std::string state_dict;
    if (!o.weights_dir.empty()) {
      state_dict = quant::weights_manifest::load(o.weights_dir).source;
      check(fs::exists(state_dict), o.weights_dir.string(), "/weights_manifest.json: its source checkpoint ", state_dict,
            " is gone; the Python-class path loads the state_dict that `cactus convert` read");
    }
    const fs::path stage = o.artifact_dir / (".cactus-export-" + std::to_string(::getpid()));
    log("[0/6] export: ", o.model.string(), " with torch.export in ", frontends::python_environment::find().python);
    struct cleanup { fs::path p; ~cleanup() { std::error_code ec; fs::remove_all(p, ec); } } clean{stage};
    fs::create_directories(o.artifact_dir);
    auto ex = frontends::export_python_class(o.model.string(), o.example_inputs, o.init_args, state_dict, stage,
                                                 frontends::torch_export::importer_overloads());
    if (!ex.decomposed.empty()) log("      decomposed to core ATen ops: ", ex.decomposed);
    transpile_options next = o;
    next.model = ex.archive;
    next.reference_outputs = ex.reference;
    next.model_id = o.model.string().substr(o.model.string().rfind(':') + 1);
    return transpile_to_bundle(next);
  }
  if (formats::is_hf_checkpoint(o.model)) {
    // a Hugging Face checkpoint: the family adapter exports it with transformers' own code
    const fs::path stage = o.artifact_dir / (".cactus-export-" + std::to_string(::getpid()));
    log("[0/6] export: ", o.model.string(), " with transformers' model code and torch.export in ", frontends::python_environment::find().python);
    struct cleanup { fs::path p; ~cleanup() { std::error_code ec; fs::remove_all(p, ec); } } clean{stage};
    fs::create_directories(o.artifact_dir);
    auto ex = frontends::export_hf_model(o.model, o.task, stage, frontends::torch_export::importer_overloads());
    if (!ex.components.empty()) return transpile_components(o, ex);
    transpile_options next = o;
    next.model = ex.archive;
    next.example_inputs = ex.example_inputs;
    next.reference_outputs = ex.reference;
    next.family = ex.family;
    next.model_task = ex.task;
    next.max_positions = ex.max_positions;
    next.aliases = ex.aliases;
    next.side_files = formats::open_hf_checkpoint(o.model).side_files;
    if (next.model_id.empty()) next.model_id = o.model.filename().string();
    log("      family ", ex.family, ", task ", ex.task, ", ", ex.example_inputs.size(), " example inputs");
    if (!ex.decomposed.empty()) log("      decomposed to core ATen ops: ", ex.decomposed);
    return transpile_to_bundle(next);
  }
  ir::graph g;
  std::vector<tensor> reference;
  fs::path weights_dir = o.weights_dir;
  const bool exported = frontends::torch_export::is_export_archive(o.model);
  std::unique_ptr<staged_directory> stage;
  if (exported) {
    log("[1/6] adapt: ", o.family == "pytorch" ? std::string("generic torch.export program") : o.family + " " + o.model_task);
    auto prog = frontends::torch_export::import_archive(o.model);
    log("[2/6] capture: ", prog.graph.nodes.size(), " ATen nodes from ", o.model.filename().string(), " (ExportedProgram schema ", prog.schema_version, ")");
    for (auto& out : prog.float64_outputs)
      log("      note: PyTorch returns ", out, " as float64; cactus computes float64 in float32 and returns float32");
    g = std::move(prog.graph);
    check(o.example_inputs.empty() || o.example_inputs.size() == g.inputs.size(), o.model.string(), ": the program takes ", g.inputs.size(),
          " inputs, ", o.example_inputs.size(), " example inputs were given");
    reference = o.reference_outputs;
    if (weights_dir.empty() && !prog.weight_names.empty()) {
      // no converted weights given: the archive's own, converted losslessly into the bundle
      convert_options co;
      co.bits = 32;
      co.source = o.model.string();
      co.side_files = o.side_files;
      stage = std::make_unique<staged_directory>(o.artifact_dir, [co](const fs::path& rel) { return bundle::owns(rel) || convert_owns(rel, co); });
      convert_into(frontends::torch_export::checkpoint_tensors(o.model), stage->path(), co);
      weights_dir = stage->path();
      log("      weights: the archive's ", prog.weight_names.size(), " tensors converted (f32) into ", o.artifact_dir.string());
    }
  } else {
    log("[1/6] adapt: generic TorchScript module");
    auto cap = frontends::torchscript::get(o.model.string()).capture(o.model, o.example_inputs);
    log("[2/6] capture: ", cap.graph.nodes.size(), " TorchScript nodes");
    g = std::move(cap.graph);
    for (std::size_t i : cap.float64_outputs)
      log("      note: PyTorch returns output ", i, " as float64; cactus computes float64 in float32 and returns float32");
    reference = std::move(cap.reference_outputs);
  }
  std::unique_ptr<quant::weights_manifest> manifest;
  if (!weights_dir.empty()) manifest = std::make_unique<quant::weights_manifest>(quant::weights_manifest::load(weights_dir));
  detail::bind_and_optimize(g, manifest.get(), o, r, "", log);
  auto info = detail::bundle_info(o);
  for (int i : g.inputs) info.input_names.push_back(g.values[static_cast<std::size_t>(i)].name);
  if (!stage) stage = std::make_unique<staged_directory>(o.artifact_dir, bundle::owns);
  const bool causal_lm = o.model_task == "causal_lm_logits";
  if (causal_lm) {
    check(o.max_positions > 0, o.model.string(), ": a causal LM needs its most positions (the exporter's max_positions)");
    auto kv = lower::insert_kv_cache(g, o.kv_cache, o.max_positions);
    log("[6/6] lower: KV cache (", name_of(o.kv_cache), ") for ", kv.layers, " attention layers (", kv.windowed, " sliding-window), up to ",
        o.max_positions, " positions; conv state for ", kv.conv_layers, " causal convolutions");
    bundle::write_into(stage->path(), stage->target(),
                       {bundle::component_graphs{"prefill", r.raw, kv.prefill, kv.input_names, {"logits"}, kv.input_state, {}, kv.input_capacity_dim},
                        bundle::component_graphs{"decode", r.raw, kv.decode, kv.input_names, {"logits"}, kv.input_state, {}, kv.input_capacity_dim}},
                       weights_dir, manifest.get(), info);
    r.optimized = kv.decode;
  } else {
    bundle::write_into(stage->path(), stage->target(), r.raw, g, weights_dir, manifest.get(), info);
  }
  for (auto& f : o.side_files)
    if (!path_exists(stage->path() / f.filename())) fs::copy_file(f, stage->path() / f.filename());
  if (!causal_lm) log("[6/6] lower: ", g.nodes.size(), " runtime nodes -> ", o.artifact_dir.string());
  if (o.compare && (o.example_inputs.empty() || reference.empty())) {
    log("      no reference outputs for this archive: the check run is skipped (transpile a Python class, path/model.py:Class, to get one)");
  } else if (o.compare) {
    r.compared = true;
    std::vector<tensor> outputs;
    if (causal_lm) {
      outputs = check_causal_lm(stage->path(), o.example_inputs, reference);
    } else {
      auto b = bundle::load_bundle(stage->path());
      for (std::size_t i = 0; i < o.example_inputs.size(); ++i) b.exec->set_input(i, o.example_inputs[i]);
      outputs = b.exec->execute();
    }
    detail::compare_with_reference(r, std::move(outputs), reference, "");
    bool exact = !causal_lm || o.kv_cache == dtype::f32;
    detail::judge_check_run(r, o, manifest.get(), exact, stage->path());
  }
  stage->publish();
  return r;
}

}  // namespace cactus
