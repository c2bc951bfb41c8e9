#pragma once
// Stage 1 for Hugging Face checkpoints: `cactus transpile DIR` (or a hub id found in the local
// cache) runs the project's exporter in its Python (python/cactus_export.py --hf), whose family
// adapter (python/cactus_adapters.py, the only place that knows families) builds the model with
// transformers' own class and the checkpoint's config and weights, gives it the task's interface
// and exports it with torch.export. Transpile then goes on as for a .pt2, with the exporter's
// example inputs and the unadapted model's outputs on them as the check run's reference.
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>

#include "cactus/core/json_read.hpp"
#include "cactus/frontends/python_class.hpp"

namespace cactus::frontends {

struct hf_export {
  fs::path archive;                  // model.pt2 in the staging directory
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
  r.archive = stage / "model.pt2";
  check(path_exists(r.archive), model_dir.string(), ": the exporter wrote no model.pt2");
  const std::string where = (stage / "export.out").string();
  const nlohmann::json info = json_parse(last_line(read_file_text(stage / "export.out")), where);
  r.family = json_string(info, "family", where);
  r.task = json_string(info, "task", where);
  r.decomposed = decomposed_summary(stage / "export.out");
  r.max_positions = json_integer_or<std::int64_t>(info, "max_positions", where, 0);
  if (auto it = info.find("inputs"); it != info.end())
    for (auto& n : *it) r.input_names.push_back(n.get<std::string>());
  if (auto it = info.find("aliases"); it != info.end())
    for (auto& [k, v] : it->items()) r.aliases[k] = v.get<std::string>();
  for (std::size_t i = 0; path_exists(stage / ("example_" + std::to_string(i) + ".npy")); ++i)
    r.example_inputs.push_back(npy_load((stage / ("example_" + std::to_string(i) + ".npy")).string()));
  for (std::size_t i = 0; path_exists(stage / ("reference_" + std::to_string(i) + ".npy")); ++i)
    r.reference.push_back(npy_load((stage / ("reference_" + std::to_string(i) + ".npy")).string()));
  return r;
}

}  // namespace cactus::frontends
