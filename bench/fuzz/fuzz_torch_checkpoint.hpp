// torch.save checkpoints: the zip container, the pickle program, the storages.
#pragma once
#include "cactus/formats/torch_pickle.hpp"
#include "fuzz_input.hpp"

inline int fuzz_torch_checkpoint(const std::uint8_t* data, std::size_t size) {
  const std::string& path = cactus_fuzz::as_file(data, size, ".pt");
  return cactus_fuzz::guarded([&] {
    for (auto& [name, t] : cactus::formats::read_torch_state_dict(path)) (void)t.numel();
  });
}
