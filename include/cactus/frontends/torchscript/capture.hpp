#pragma once
// Stage 2 through LibTorch: a TorchScript archive (or a module already in memory) captured as raw
// IR in three steps, each in its own header: freeze (load, eval, freeze, inline; names by
// storage), probe (one instrumented run on the example inputs: every value's dtype and shape,
// and PyTorch's outputs as the reference) and import (aten:: nodes into the IR). Also the
// archive_reader through which `cactus convert model.ts` reads a TorchScript archive's weights.
#include <filesystem>

#include "cactus/formats/checkpoint.hpp"
#include "cactus/frontends/torchscript/freeze.hpp"
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

// How formats::open_checkpoint reads a TorchScript archive among checkpoints (`cactus convert
// model.ts OUT`): its parameters and buffers, by their state_dict names.
inline formats::archive_reader checkpoint_reader() {
  return {formats::torchscript_marker, "TorchScript archive", [](const std::filesystem::path& path) {
            auto m = load_torchscript(path);
            std::vector<std::pair<std::string, tensor>> out;
            for (const auto& p : m.named_parameters()) out.emplace_back(p.name, from_torch(p.value, path.string()));
            for (const auto& p : m.named_buffers()) out.emplace_back(p.name, from_torch(p.value, path.string()));
            return formats::as_lazy(out);
          }};
}

inline captured_model capture_torchscript(const std::filesystem::path& path, const std::vector<tensor>& example_inputs) {
  return capture_module(load_torchscript(path), example_inputs, path.filename().string());
}

}  // namespace cactus::frontends::torchscript
