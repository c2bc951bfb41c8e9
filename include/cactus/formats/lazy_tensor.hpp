#pragma once
// A tensor of a checkpoint, read on demand: what every checkpoint reader returns and what
// `cactus convert` consumes, so a large checkpoint is held in memory one tensor at a time.
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "cactus/core/tensor.hpp"

namespace cactus::formats {

struct lazy_tensor {
  std::string name;
  shape_t shape;
  std::uint64_t bytes = 0;  // in the checkpoint
  std::function<tensor()> load;
};

// Eagerly loaded tensors (a torch.save state_dict, a TorchScript module's parameters).
inline std::vector<lazy_tensor> as_lazy(const std::vector<std::pair<std::string, tensor>>& tensors) {
  std::vector<lazy_tensor> r;
  for (const auto& entry : tensors) {
    const tensor t = entry.second;  // (a named copy: clang 14 cannot capture a structured binding)
    r.push_back({entry.first, t.shape, t.bytes(), [t] { return t; }});
  }
  return r;
}

}  // namespace cactus::formats
