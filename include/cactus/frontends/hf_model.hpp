#pragma once
// Stage 1 for Hugging Face checkpoints: `cactus transpile DIR` (or a hub id found in the local
// cache) runs the project's exporter in its Python (python/cactus_export.py --hf), whose family
// adapter (python/cactus_adapters.py, the only place that knows families) builds the model with
// transformers' own class and the checkpoint's config and weights, gives it the task's interface
// and exports it with torch.export. Transpile then goes on as for a .pt2, with the exporter's
// example inputs and the unadapted model's outputs on them as the check run's reference.
// A model of several components (a transducer's encoder, decoder and joint networks) comes as
// one archive per component, each with its own examples and reference, in stage/<component>/.
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>

#include "cactus/core/json_read.hpp"
#include "cactus/frontends/python_class.hpp"

namespace cactus::frontends {

// One exported program of a model of several components.
struct hf_component {
  std::string name;
  fs::path archive;
  std::vector<tensor> example_inputs, reference;
  std::vector<std::string> input_names, output_names;
  std::vector<std::string> input_state, output_state;  // the session state each input / output is ("" for none)
};

struct hf_export {
  fs::path archive;                  // model.pt2 in the staging directory (a model of one component)
  std::vector<hf_component> components;  // a model of several: one archive each, in run order
  std::vector<tensor> example_inputs, reference;
  std::string family, task;
  std::vector<std::string> input_names;
  std::int64_t max_positions = 0;    // the sequence dim's range (config's max_position_embeddings)
  std::map<std::string, std::string> aliases;  // tied parameter names -> the name the checkpoint stores
  std::string decomposed;            // the ops decomposed to core ATen (decomposed_summary)
};

inline hf_export export_hf_model(const fs::path& model_dir, const std::string& task, const fs::path& stage,
                                 const std::vector<std::string>& keep_ops = {}) {
  const auto py = python_environment::find();
  fs::create_directories(stage);
  std::vector<std::string> argv{py.python, py.exporter, "--hf", model_dir.string(), stage.string(), "--task", task};
  for (auto& a : keep_ops_arguments(keep_ops, stage)) argv.push_back(a);
  const int rc = run_process(argv, stage / "export.out", stage / "export.err");
  if (rc != 0) {
    const std::string err = last_line(path_exists(stage / "export.err") ? read_file_text(stage / "export.err") : std::string{});
    fail(rc == 2 ? err : model_dir.string() + ": the exporter (" + py.python + ") failed with status " + std::to_string(rc) + ": " + err);
  }
  hf_export r;
  const std::string where = (stage / "export.out").string();
  const nlohmann::json info = json_parse(last_line(read_file_text(stage / "export.out")), where);
  auto load_npys = [](const fs::path& dir, const char* prefix) {
    std::vector<tensor> v;
    for (std::size_t i = 0; path_exists(dir / (prefix + std::to_string(i) + ".npy")); ++i)
      v.push_back(npy_load((dir / (prefix + std::to_string(i) + ".npy")).string()));
    return v;
  };
  auto strings = [&](const nlohmann::json& j, const char* key, const std::string& w) {
    std::vector<std::string> v;
    if (auto it = j.find(key); it != j.end()) {
      check(it->is_array(), w, ": \"", key, "\" is not a list");
      for (auto& n : *it) {
        check(n.is_string(), w, ": \"", key, "\" holds a non-string");
        v.push_back(n.get<std::string>());
      }
    }
    return v;
  };
  if (auto it = info.find("components"); it != info.end()) {
    check(it->is_array() && !it->empty(), where, ": \"components\" is not a non-empty list");
    for (auto& c : *it) {
      hf_component k;
      k.name = json_string(c, "name", where + ": components");
      const std::string w = where + ": component '" + k.name + "'";
      check(!k.name.empty() && k.name.find_first_of("/\\.") == std::string::npos, w, ": not a plain name");
      k.archive = stage / k.name / "model.pt2";
      check(path_exists(k.archive), model_dir.string(), ": the exporter wrote no ", (fs::path(k.name) / "model.pt2").string());
      k.input_names = strings(c, "inputs", w);
      k.output_names = strings(c, "outputs", w);
      k.input_state = strings(c, "input_state", w);
      k.output_state = strings(c, "output_state", w);
      k.example_inputs = load_npys(stage / k.name, "example_");
      k.reference = load_npys(stage / k.name, "reference_");
      r.components.push_back(std::move(k));
    }
  } else {
    r.archive = stage / "model.pt2";
    check(path_exists(r.archive), model_dir.string(), ": the exporter wrote no model.pt2");
    r.example_inputs = load_npys(stage, "example_");
    r.reference = load_npys(stage, "reference_");
  }
  r.family = json_string(info, "family", where);
  r.task = json_string(info, "task", where);
  r.decomposed = decomposed_summary(stage / "export.out");
  r.max_positions = json_integer_or<std::int64_t>(info, "max_positions", where, 0);
  r.input_names = strings(info, "inputs", where);
  if (auto it = info.find("aliases"); it != info.end())
    for (auto& [k, v] : it->items()) r.aliases[k] = v.get<std::string>();
  return r;
}

}  // namespace cactus::frontends
