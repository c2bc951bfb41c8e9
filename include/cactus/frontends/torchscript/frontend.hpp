#pragma once
// The TorchScript front end as the rest of the pipeline sees it, without LibTorch: capture an
// archive (raw IR + PyTorch's outputs on the example inputs) and read its weights, behind two
// function pointers. A program that includes capture.hpp and links LibTorch has it registered
// from there. The CLI is built without LibTorch and loads it from a plugin (a shared library
// holding capture.hpp, tools/cactus/torchscript_plugin.cpp) the first time it meets a
// TorchScript archive: `cactus run`, `lower`, `inspect` and the .pt2 / Hugging Face / Python
// class paths never load LibTorch (0.2-0.4 s and about 100 MB per process).
#include <dlfcn.h>

#include <cstddef>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "cactus/core/error.hpp"
#include "cactus/core/tensor.hpp"
#include "cactus/formats/checkpoint.hpp"
#include "cactus/formats/lazy_tensor.hpp"
#include "cactus/ir/graph.hpp"

namespace cactus::frontends::torchscript {

// A captured archive: its raw IR, and LibTorch's outputs on the example inputs (the reference).
struct captured_program {
  ir::graph graph;
  std::vector<tensor> reference_outputs;
  std::vector<std::size_t> float64_outputs;  // the outputs PyTorch returns as float64 (cactus: float32)
};

struct frontend {
  captured_program (*capture)(const std::filesystem::path& archive, const std::vector<tensor>& example_inputs);
  std::vector<formats::lazy_tensor> (*read_weights)(const std::filesystem::path& archive);  // parameters and buffers
};

// The front end this program has: capture.hpp's when it is linked in, else none until the
// loader (when one is set) has loaded it.
inline const frontend*& registered() {
  static const frontend* f = nullptr;
  return f;
}
inline std::function<const frontend*()>& loader() {
  static std::function<const frontend*()> f;
  return f;
}

// The front end, loaded on first use; `what` (the archive) names the error when there is none.
inline const frontend& get(const std::string& what) {
  if (!registered() && loader()) {
    try {
      registered() = loader()();
    } catch (const error& e) {
      fail(what, ": a TorchScript archive needs LibTorch's front end: ", e.what());
    }
  }
  check(registered() != nullptr, what, ": a TorchScript archive is captured and read by LibTorch, and this program has no TorchScript front "
        "end (link LibTorch and include cactus/frontends/torchscript/capture.hpp, or load the plugin with load_plugin())");
  return *registered();
}

// The function a plugin exports (extern "C"); the suffix changes whenever struct frontend does.
inline constexpr const char* plugin_symbol = "cactus_torchscript_frontend_v1";

// Loads the plugin at `path`, which stays loaded (its code backs the graphs and tensors it returns).
inline const frontend* load_plugin(const std::filesystem::path& path) {
  check(std::filesystem::exists(path), path.string(), ": no such file (the TorchScript front end, built with LibTorch beside the cactus CLI; "
        "CACTUS_TORCHSCRIPT_PLUGIN names another)");
  void* h = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!h) fail("cannot load the TorchScript front end ", path.string(), ": ", ::dlerror());
  auto entry = reinterpret_cast<const frontend* (*)()>(::dlsym(h, plugin_symbol));
  check(entry != nullptr, path.string(), ": not this cactus version's TorchScript front end (it has no ", plugin_symbol, ")");
  return entry();
}

// How formats::open_checkpoint reads a TorchScript archive among checkpoints (`cactus convert
// model.ts OUT`): its parameters and buffers by their state_dict names, through the front end.
inline formats::archive_reader checkpoint_reader() {
  return {formats::torchscript_marker, "TorchScript archive",
          [](const std::filesystem::path& path) { return get(path.string()).read_weights(path); }};
}

}  // namespace cactus::frontends::torchscript
