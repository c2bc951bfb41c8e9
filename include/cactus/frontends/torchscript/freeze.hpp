#pragma once
// TorchScript front end, step 1 of 3: load and freeze. The archive is loaded and put in eval
// mode, then frozen (parameters become constants, attribute lookups and training branches
// disappear) and inlined. Before freezing, every parameter and buffer is remembered by its
// storage, so a frozen constant that is one of them keeps its state_dict name (weights bind
// by name); a view freezing made of one (`bias[:, None]`, `weight.t()`) keeps no name.
#include <torch/csrc/jit/passes/freeze_module.h>
#include <torch/csrc/jit/passes/inliner.h>
#include <torch/script.h>

#include <filesystem>
#include <map>

#include "cactus/core/error.hpp"
#include "cactus/core/mapped_file.hpp"
#include "cactus/formats/zip_archive.hpp"

namespace cactus::frontends::torchscript {

inline torch::jit::Module load_torchscript(const std::filesystem::path& path) {
  check(std::filesystem::exists(path), path.string(), ": no such file");
  // what is plainly not an archive is said so before LibTorch's zip reader explains itself
  check(formats::looks_like_zip(*mapped_file::open(path.string())), path.string(),
        ": not a TorchScript archive (not a zip file); save one with torch.jit.trace(model, inputs).save(path)");
  try {
    return torch::jit::load(path.string());
  } catch (const c10::Error& e) {
    std::string msg = e.what_without_backtrace();
    fail(path.string(), ": not a TorchScript archive (", msg.substr(0, msg.find('\n')), "); save one with torch.jit.trace(model, inputs).save(path)");
  }
}

struct frozen_module {
  torch::jit::Module original;  // kept alive: the names below are keyed by its tensors' storage
  torch::jit::Module module;    // frozen
  std::shared_ptr<torch::jit::Graph> graph;  // module's forward, inlined; input 0 is `self`

  // The state_dict name of `t` if it is a parameter or buffer itself (same storage, sizes and
  // strides), else "".
  std::string name_of(const at::Tensor& t) const {
    auto it = names_.find(t.data_ptr());
    return it != names_.end() && it->second.sizes == t.sizes().vec() && it->second.strides == t.strides().vec() ? it->second.name : std::string{};
  }
  std::size_t tensor_inputs() const { return graph->inputs().size() - 1; }

  struct named {
    std::string name;
    std::vector<std::int64_t> sizes, strides;
  };
  std::map<const void*, named> names_;
};

inline frozen_module freeze_and_inline(torch::jit::Module m) {
  m.eval();
  frozen_module f;
  f.original = m;
  auto remember = [&](const std::string& n, const at::Tensor& t) {
    f.names_.emplace(t.data_ptr(), frozen_module::named{n, t.sizes().vec(), t.strides().vec()});
  };
  for (const auto& p : m.named_parameters()) remember(p.name, p.value);
  for (const auto& p : m.named_buffers()) remember(p.name, p.value);
  f.module = torch::jit::freeze_module(m);
  f.graph = f.module.get_method("forward").graph();
  torch::jit::Inline(*f.graph);
  return f;
}

}  // namespace cactus::frontends::torchscript
