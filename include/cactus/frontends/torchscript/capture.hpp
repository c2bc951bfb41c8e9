#pragma once
// Stage 2 through LibTorch: a TorchScript archive (or a module already in memory) captured as raw
// IR in three steps, each in its own header: freeze (load, eval, freeze, inline; names by
// storage), probe (one instrumented run on the example inputs: every value's dtype and shape,
// and PyTorch's outputs as the reference) and import (aten:: nodes into the IR). Also how
// `cactus convert model.ts` reads a TorchScript archive's weights. Including this header
// registers it as the program's TorchScript front end (frontend.hpp); the CLI, built without
// LibTorch, loads it from a plugin instead (tools/cactus/torchscript_plugin.cpp).
#include <filesystem>

#include "cactus/formats/checkpoint.hpp"
#include "cactus/frontends/torchscript/freeze.hpp"
#include "cactus/frontends/torchscript/frontend.hpp"
#include "cactus/frontends/torchscript/import.hpp"
#include "cactus/frontends/torchscript/probe.hpp"
#include "cactus/frontends/torchscript/torch_tensor.hpp"

namespace cactus::frontends::torchscript {

struct captured_model {
  ir::graph graph;
  std::vector<at::Tensor> reference_outputs;  // LibTorch's outputs on the example inputs
};

// Captures a module already in memory (torch::jit::script / trace from C++, or a loaded
// archive); `label` names it in error messages.
inline captured_model capture_module(torch::jit::Module m, const std::vector<tensor>& example_inputs, const std::string& label = "model") {
  const frozen_module f = freeze_and_inline(std::move(m));
  probe_result p = probe(f, example_inputs, label);
  captured_model out;
  out.graph = import_graph(f, p, example_inputs, label);
  out.reference_outputs = std::move(p.outputs);
  return out;
}

inline captured_model capture_torchscript(const std::filesystem::path& path, const std::vector<tensor>& example_inputs) {
  return capture_module(load_torchscript(path), example_inputs, path.filename().string());
}

// frontend::capture: the reference outputs as cactus tensors.
inline captured_program capture_program(const std::filesystem::path& path, const std::vector<tensor>& example_inputs) {
  captured_model cap = capture_torchscript(path, example_inputs);
  captured_program out;
  out.graph = std::move(cap.graph);
  for (std::size_t i = 0; i < cap.reference_outputs.size(); ++i) {
    if (cap.reference_outputs[i].scalar_type() == c10::kDouble) out.float64_outputs.push_back(i);
    out.reference_outputs.push_back(from_torch(cap.reference_outputs[i], "reference"));
  }
  return out;
}

// frontend::read_weights: a TorchScript archive's parameters and buffers, by their state_dict names.
inline std::vector<formats::lazy_tensor> read_weights(const std::filesystem::path& path) {
  auto m = load_torchscript(path);
  std::vector<std::pair<std::string, tensor>> out;
  for (const auto& p : m.named_parameters()) out.emplace_back(p.name, from_torch(p.value, path.string()));
  for (const auto& p : m.named_buffers()) out.emplace_back(p.name, from_torch(p.value, path.string()));
  return formats::as_lazy(out);
}

inline const frontend& linked_frontend() {
  static const frontend f{capture_program, read_weights};
  return f;
}
// registered before main() in every program that includes this header
inline const bool linked_frontend_registered = (registered() = &linked_frontend(), true);

}  // namespace cactus::frontends::torchscript
