// .safetensors files: the header, the offsets, the tensors.
#pragma once
#include "cactus/formats/safetensors.hpp"
#include "fuzz_input.hpp"

inline int fuzz_safetensors(const std::uint8_t* data, std::size_t size) {
  const std::string& path = cactus_fuzz::as_file(data, size, ".safetensors");
  return cactus_fuzz::guarded([&] {
    for (auto& [name, t] : cactus::formats::read_safetensors(path)) (void)t.numel();
  });
}
